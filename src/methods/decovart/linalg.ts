/**
 * Small dense kernels DeCovarT needs: Cholesky factorisation of a symmetric positive-definite matrix
 * and the triangular solves built on it. Row-major `n x n` Float64Arrays, no allocation in the loops.
 *
 * Kept private to the method (the shared `src/linalg` area knows nothing of covariances); every
 * "inverse" used by DeCovarT is applied through these solves instead of being formed explicitly.
 */

/**
 * In-place Cholesky factorisation `A = L Lᵀ` of a row-major symmetric matrix; on success the lower
 * triangle of `a` holds L and the strict upper triangle is zeroed.
 *
 * @param a n x n row-major, symmetric (only the lower triangle is read). Overwritten.
 * @param n order of the matrix.
 * @returns true when A is (numerically) positive definite; false otherwise (then `a` is garbage).
 * @example
 * const a = new Float64Array([4, 2, 2, 3]);
 * choleskyInPlace(a, 2); // a = [2, 0, 1, sqrt(2)]
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) {
      const v = a[rj + k]!;
      d -= v * v;
    }
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s * inv;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return true;
}

/** log det A = 2 Σ log L_ii from a Cholesky factor (row-major lower triangle). */
export function cholLogDet(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}

/** Solves L x = b in place (`b` becomes x). L: n x n row-major lower triangular. */
export function forwardSolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * b[k]!;
    b[i] = s / l[ri + i]!;
  }
}

/** Solves Lᵀ x = b in place (`b` becomes x). L: n x n row-major lower triangular. */
export function backSolveT(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** Solves (L Lᵀ) x = b in place. */
export function cholSolve(l: Float64Array, n: number, b: Float64Array): void {
  forwardSolve(l, n, b);
  backSolveT(l, n, b);
}

/**
 * Solves L X = B for a row-major n x m right-hand side, in place (row-oriented so the inner loop
 * runs over contiguous memory; n²m/2 multiply-adds).
 */
export function forwardSolveRows(l: Float64Array, n: number, b: Float64Array, m: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k]!;
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c] = b[bi + c]! - lik * b[bk + c]!;
    }
    const inv = 1 / l[ri + i]!;
    for (let c = 0; c < m; c++) b[bi + c] = b[bi + c]! * inv;
  }
}

/** In-place transpose of a row-major n x n matrix. */
export function transposeSquareInPlace(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = a[i * n + j]!;
      a[i * n + j] = a[j * n + i]!;
      a[j * n + i] = t;
    }
  }
}

/**
 * Whitened matrix B = L⁻¹ S L⁻ᵀ of a symmetric S, written to `out` (n x n row-major, symmetric).
 * Two triangular solves with n right-hand sides: n³ multiply-adds, no inverse formed.
 */
export function whiten(l: Float64Array, n: number, s: Float64Array, out: Float64Array): void {
  out.set(s);
  forwardSolveRows(l, n, out, n); // X = L⁻¹ S
  transposeSquareInPlace(out, n); // Xᵀ = S L⁻ᵀ
  forwardSolveRows(l, n, out, n); // L⁻¹ S L⁻ᵀ
}

/**
 * Inverse of a symmetric positive-definite matrix from its Cholesky factor: columns of the
 * identity pushed through the two triangular solves. Used only where an algorithm needs the inverse
 * itself as a state (the graphical-lasso warm start), never to solve a system.
 */
export function cholInverse(l: Float64Array, n: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  forwardSolveRows(l, n, out, n); // L⁻¹
  // A⁻¹ = L⁻ᵀ L⁻¹ = (L⁻¹)ᵀ (L⁻¹): (i,j) = Σ_k M[k,i] M[k,j]
  const m = out.slice();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += m[k * n + i]! * m[k * n + j]!;
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
}

/**
 * Whitened matrix B = L⁻¹ S L⁻ᵀ from a Cholesky factor C of S (S = C Cᵀ): Y = L⁻¹C is lower
 * triangular (product of lower-triangular matrices), so B = Y Yᵀ. Exploiting the triangles this costs
 * n³/3 multiply-adds instead of the n³ of {@link whiten}; same result up to rounding.
 *
 * @param l Cholesky factor of the outer matrix (n x n row-major lower triangular).
 * @param c Cholesky factor of S (n x n row-major lower triangular).
 * @param out n x n, receives B (full, symmetric).
 * @param work n x n scratch (receives Y).
 */
export function whitenFactored(l: Float64Array, n: number, c: Float64Array, out: Float64Array, work: Float64Array): void {
  const y = work;
  // Y = L⁻¹ C, row by row; rows of Y (and C) are zero right of the diagonal.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k <= i; k++) y[ri + k] = c[ri + k]!;
    for (let k = i + 1; k < n; k++) y[ri + k] = 0;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k]!;
      if (lik === 0) continue;
      const rk = k * n;
      for (let m = 0; m <= k; m++) y[ri + m] = y[ri + m]! - lik * y[rk + m]!;
    }
    const inv = 1 / l[ri + i]!;
    for (let m = 0; m <= i; m++) y[ri + m] = y[ri + m]! * inv;
  }
  // B = Y Yᵀ, lower triangle then mirror.
  for (let a = 0; a < n; a++) {
    const ra = a * n;
    for (let b = 0; b <= a; b++) {
      const rb = b * n;
      let s = 0;
      for (let m = 0; m <= b; m++) s += y[ra + m]! * y[rb + m]!;
      out[ra + b] = s;
      out[rb + a] = s;
    }
  }
}
