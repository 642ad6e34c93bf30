/**
 * Cholesky factorisation and solves for small dense symmetric positive-definite systems
 * (row-major n x n), used for Gram-matrix subproblems of the linear solvers.
 */

/**
 * The package's one Cholesky factorisation A = L Lᵀ of a row-major n x n symmetric positive-definite
 * matrix (only the lower triangle of A is read). Row by row: L[i][j] = (A[i][j] − Σ_{p<j} L[i][p] L[j][p]) / L[j][j].
 *
 * @param L output n x n row-major lower factor; may be `A` itself (in place, the strict upper part
 *   of A is then left as it was); a separate L gets its strict upper part zeroed.
 * @param minPivot a pivot (before the square root) must exceed this, else the matrix is treated as
 *   not positive definite.
 * @returns false when a pivot is not > minPivot (or NaN); L is then incomplete.
 * @example
 * const A = Float64Array.of(4, 2, 2, 3);
 * choleskyLower(A, 2, A, 0); // A = [2, 2, 1, sqrt(2)] (upper entry untouched)
 */
export function choleskyLower(A: Float64Array, n: number, L: Float64Array, minPivot: number): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let p = 0; p < j; p++) s -= L[i * n + p]! * L[j * n + p]!;
      if (i === j) {
        if (!(s > minPivot)) return false;
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  if (L !== A) for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  return true;
}

/**
 * Lower Cholesky factor of the k x k submatrix of the row-major n x n matrix `A` on the index set
 * `idx` (length k), written into `L` (k x k, row-major).
 *
 * @returns false when the block is not numerically positive definite (a pivot ≤ relTol · max diag).
 */
export function choleskySubset(A: Float64Array, n: number, idx: ArrayLike<number>, k: number, L: Float64Array, relTol = 1e-14): boolean {
  let maxDiag = 0;
  for (let a = 0; a < k; a++) {
    const d = A[idx[a]! * n + idx[a]!]!;
    if (d > maxDiag) maxDiag = d;
  }
  for (let i = 0; i < k; i++) {
    const ri = idx[i]! * n;
    for (let j = 0; j <= i; j++) L[i * k + j] = A[ri + idx[j]!]!;
  }
  return choleskyLower(L, k, L, relTol * maxDiag);
}

/** In-place lower Cholesky factor of a full row-major n x n SPD matrix (upper part left as is). */
export function cholesky(A: Float64Array, n: number, relTol = 1e-14): boolean {
  let maxDiag = 0;
  for (let a = 0; a < n; a++) maxDiag = Math.max(maxDiag, A[a * n + a]!);
  return choleskyLower(A, n, A, relTol * maxDiag);
}

/** Solves L Lᵀ x = b in place (b ← x) for the lower factor L (row-major k x k). */
export function choleskySolve(L: Float64Array, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let p = 0; p < i; p++) s -= L[i * k + p]! * b[p]!;
    b[i] = s / L[i * k + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let p = i + 1; p < k; p++) s -= L[p * k + i]! * b[p]!;
    b[i] = s / L[i * k + i]!;
  }
}

/**
 * Inverse of a symmetric positive-definite row-major n x n matrix by Cholesky, with its 1-norm
 * condition number ‖A‖₁‖A⁻¹‖₁ (exact, not an estimate).
 *
 * @returns null when A is not numerically positive definite.
 */
export function spdInverse(A: Float64Array, n: number): { inv: Float64Array; cond1: number } | null {
  const L = A.slice(0, n * n);
  if (!cholesky(L, n)) return null;
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    choleskySolve(L, n, e);
    for (let i = 0; i < n; i++) inv[i * n + j] = e[i]!;
  }
  let nA = 0;
  let nI = 0;
  for (let j = 0; j < n; j++) {
    let sa = 0;
    let si = 0;
    for (let i = 0; i < n; i++) {
      sa += Math.abs(A[i * n + j]!);
      si += Math.abs(inv[i * n + j]!);
    }
    nA = Math.max(nA, sa);
    nI = Math.max(nI, si);
  }
  return { inv, cond1: nA * nI };
}
