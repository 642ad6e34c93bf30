/**
 * Strided BLAS-like kernels on Float64Array, in the `(n, x, strideX, offsetX)` convention of
 * stdlib's `ddot.ndarray`, so that rows, columns and transposes of row-major buffers cost nothing.
 */

/**
 * Dot product Σ_i x[ox + i·sx] · y[oy + i·sy].
 * @example ddot(3, a, 1, 0, b, 1, 0)
 */
export function ddot(n: number, x: Float64Array, sx: number, ox: number, y: Float64Array, sy: number, oy: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[ox + i * sx]! * y[oy + i * sy]!;
  return s;
}

/** y ← a·x + y (strided). */
export function daxpy(n: number, a: number, x: Float64Array, sx: number, ox: number, y: Float64Array, sy: number, oy: number): void {
  if (a === 0) return;
  for (let i = 0; i < n; i++) y[oy + i * sy] = y[oy + i * sy]! + a * x[ox + i * sx]!;
}

/** Euclidean norm with scaling against overflow (LAPACK dnrm2 idea). */
export function dnrm2(n: number, x: Float64Array, sx: number, ox: number): number {
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[ox + i * sx]!);
    if (v === 0) continue;
    if (scale < v) {
      ssq = 1 + ssq * (scale / v) * (scale / v);
      scale = v;
    } else ssq += (v / scale) * (v / scale);
  }
  return scale * Math.sqrt(ssq);
}

/**
 * y ← Aᵀ x for a row-major m x n matrix A (y length n), i.e. y_j = Σ_i A[i, j] x_i.
 * Rows are visited contiguously (cache friendly for tall A).
 */
export function gemvT(m: number, n: number, A: Float64Array, x: Float64Array, y: Float64Array): void {
  y.fill(0, 0, n);
  for (let i = 0; i < m; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const b = i * n;
    for (let j = 0; j < n; j++) y[j] = y[j]! + A[b + j]! * xi;
  }
}

/** y ← A x for a row-major m x n matrix A (y length m). */
export function gemv(m: number, n: number, A: Float64Array, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    const b = i * n;
    for (let j = 0; j < n; j++) s += A[b + j]! * x[j]!;
    y[i] = s;
  }
}

/** Number of entries of a packed upper triangle of an n x n symmetric matrix. */
export function packedSize(n: number): number {
  return (n * (n + 1)) / 2;
}

/**
 * Per-row outer products of a row-major m x n matrix, packed: out[i·P + k] = A[i,a]·A[i,b] for
 * the k-th pair a ≤ b (row-major upper triangle), P = n(n+1)/2. Computed once per signature so
 * that every weighted Gram matrix Σ_i w_i a_i a_iᵀ is one pass of P multiply-adds per row.
 */
export function rowOuterProducts(m: number, n: number, A: Float64Array): Float64Array {
  const P = packedSize(n);
  const out = new Float64Array(m * P);
  for (let i = 0; i < m; i++) {
    const b = i * n;
    let k = i * P;
    for (let a = 0; a < n; a++) {
      const va = A[b + a]!;
      for (let c = a; c < n; c++) out[k++] = va * A[b + c]!;
    }
  }
  return out;
}

/**
 * Weighted Gram matrix in packed form: out[k] = Σ_i w_i · outer[i·P + k] (w omitted = all ones).
 */
export function weightedPackedGram(m: number, P: number, outer: Float64Array, w: Float64Array | undefined, out: Float64Array): void {
  out.fill(0, 0, P);
  for (let i = 0; i < m; i++) {
    const wi = w === undefined ? 1 : w[i]!;
    if (wi === 0) continue;
    const b = i * P;
    for (let k = 0; k < P; k++) out[k] = out[k]! + wi * outer[b + k]!;
  }
}

/** Unpacks a packed upper triangle into a full row-major n x n symmetric matrix. */
export function unpackSymmetric(n: number, packed: Float64Array, out: Float64Array): void {
  let k = 0;
  for (let a = 0; a < n; a++) {
    for (let c = a; c < n; c++) {
      const v = packed[k++]!;
      out[a * n + c] = v;
      out[c * n + a] = v;
    }
  }
}
