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

/**
 * Weighted Gram matrix and right-hand side from column-major data: H = Sᵀ W S (full C x C,
 * row-major) and d = Sᵀ W y, with `St` = Sᵀ (C x G row-major, i.e. the columns of S contiguous).
 * Four output columns are accumulated per pass (independent accumulators, so the loop is not
 * bound by floating-point add latency). `WS` is C x G scratch that receives w ∘ S columns.
 */
export function weightedGramColMajor(
  C: number,
  G: number,
  St: Float64Array,
  w: Float64Array,
  y: Float64Array,
  H: Float64Array,
  d: Float64Array,
  WS: Float64Array,
): void {
  for (let a = 0; a < C; a++) {
    const o = a * G;
    let da = 0;
    for (let g = 0; g < G; g++) {
      const v = w[g]! * St[o + g]!;
      WS[o + g] = v;
      da += v * y[g]!;
    }
    d[a] = da;
  }
  for (let a = 0; a < C; a++) {
    const oa = a * G;
    let c = a;
    for (; c + 3 < C; c += 4) {
      const o0 = c * G;
      const o1 = o0 + G;
      const o2 = o1 + G;
      const o3 = o2 + G;
      let h0 = 0;
      let h1 = 0;
      let h2 = 0;
      let h3 = 0;
      for (let g = 0; g < G; g++) {
        const v = WS[oa + g]!;
        h0 += v * St[o0 + g]!;
        h1 += v * St[o1 + g]!;
        h2 += v * St[o2 + g]!;
        h3 += v * St[o3 + g]!;
      }
      H[a * C + c] = h0;
      H[a * C + c + 1] = h1;
      H[a * C + c + 2] = h2;
      H[a * C + c + 3] = h3;
    }
    for (; c < C; c++) {
      const oc = c * G;
      let h0 = 0;
      let h1 = 0;
      const half = G - (G & 1);
      for (let g = 0; g < half; g += 2) {
        h0 += WS[oa + g]! * St[oc + g]!;
        h1 += WS[oa + g + 1]! * St[oc + g + 1]!;
      }
      if (G & 1) h0 += WS[oa + G - 1]! * St[oc + G - 1]!;
      H[a * C + c] = h0 + h1;
    }
    for (let c2 = a + 1; c2 < C; c2++) H[c2 * C + a] = H[a * C + c2]!;
  }
}
