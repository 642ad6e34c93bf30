/**
 * Condition number of a signature matrix, as base R's `kappa()` computes it (the criterion the
 * Owkin / DWLS scripts minimise when choosing the number of marker genes).
 *
 * - `'r1'` (the spec's default): QR-decompose S (genes x types), take the types x types triangular
 *   factor R and return its exact 1-norm condition number ||R||_1 ||R^-1||_1 (what LAPACK's
 *   `dtrcon` estimates; R's `.kappa_tri(LINPACK = FALSE)`).
 * - `'linpack'`: what `kappa(S)` actually returns in R 4.2 (`.kappa_tri` defaults to
 *   `LINPACK = TRUE`): 1 / LINPACK `dtrco`'s estimate of the reciprocal 1-norm condition of R.
 *   The estimate is a lower bound and can be well below the exact value (2.55 vs 3.29 on a 5 x 3
 *   example), so it can choose a different number of markers.
 * - `'2'` (`kappa(S, exact = TRUE)`): sigma_max / sigma_min, from a Jacobi SVD of R.
 *
 * A rank-deficient S (a zero or duplicated column, fewer genes than types) gives +Infinity.
 */

/** Which condition number {@link conditionNumber} returns. */
export type KappaNorm = 'r1' | 'linpack' | '2';

/**
 * The triangular factor R (cols x cols, row-major, upper) of a Householder QR of A.
 *
 * @param a - rows x cols, row-major (not modified).
 * @param rows - number of rows (genes).
 * @param cols - number of columns (cell types).
 */
export function qrR(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  // column-major working copy: Householder reflections act on columns
  const w = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) w[j * rows + i] = a[i * cols + j] as number;
  const k = Math.min(rows, cols);
  for (let c = 0; c < k; c++) {
    const off = c * rows;
    // plain sum of squares: signature values are means of counts, far from overflow
    let ss = 0;
    for (let i = c; i < rows; i++) ss += (w[off + i] as number) ** 2;
    const norm = Math.sqrt(ss);
    if (norm === 0) continue;
    const alpha = (w[off + c] as number) > 0 ? -norm : norm;
    // v = x - alpha e1, stored in place below the diagonal; H = I - 2 v v^T / (v^T v)
    w[off + c] = (w[off + c] as number) - alpha;
    let vv = 0;
    for (let i = c; i < rows; i++) vv += (w[off + i] as number) ** 2;
    for (let j = c + 1; j < cols; j++) {
      const oj = j * rows;
      let dot = 0;
      for (let i = c; i < rows; i++) dot += (w[off + i] as number) * (w[oj + i] as number);
      const f = (2 * dot) / vv;
      for (let i = c; i < rows; i++) w[oj + i] = (w[oj + i] as number) - f * (w[off + i] as number);
    }
    w[off + c] = alpha;
  }
  const R = new Float64Array(cols * cols);
  for (let i = 0; i < k; i++) for (let j = i; j < cols; j++) R[i * cols + j] = w[j * rows + i] as number;
  return R;
}

/**
 * Condition number of S.
 *
 * @param s - rows x cols, row-major (genes x cell types).
 * @param rows - number of genes.
 * @param cols - number of cell types.
 * @param norm - 'r1' (exact 1-norm of the QR factor), 'linpack' (R 4.2 `kappa()`), '2' (exact 2-norm).
 * @returns kappa >= 1, or +Infinity when S is rank-deficient.
 * @example
 * conditionNumber(Float64Array.from([1, 0, 0, 1]), 2, 2); // 1
 */
export function conditionNumber(s: ArrayLike<number>, rows: number, cols: number, norm: KappaNorm = 'r1'): number {
  if (cols === 0) return Number.NaN;
  if (rows < cols) return Number.POSITIVE_INFINITY;
  const R = qrR(s, rows, cols);
  let maxDiag = 0;
  for (let i = 0; i < cols; i++) maxDiag = Math.max(maxDiag, Math.abs(R[i * cols + i] as number));
  // numerical rank test (numpy matrix_rank's tolerance): a tiny pivot means dependent columns
  const tol = maxDiag * Math.max(rows, cols) * Number.EPSILON;
  for (let i = 0; i < cols; i++) if (!(Math.abs(R[i * cols + i] as number) > tol)) return Number.POSITIVE_INFINITY;
  if (norm === '2') {
    const sv = singularValues(R, cols);
    const mn = Math.min(...sv);
    return mn > 0 ? Math.max(...sv) / mn : Number.POSITIVE_INFINITY;
  }
  if (norm === 'linpack') {
    const rcond = dtrcoRcond(R, cols);
    return rcond > 0 ? 1 / rcond : Number.POSITIVE_INFINITY;
  }
  const inv = invertUpper(R, cols);
  return norm1(R, cols) * norm1(inv, cols);
}

/**
 * LINPACK `dtrco` (Cline, Moler, Stewart & Wilkinson 1979) for an upper triangular n x n matrix:
 * estimate of 1 / (||T||_1 ||T^-1||_1) from T z = y, T' y = e with the signs of e chosen for local
 * growth. Same steps (and rescalings) as the Fortran, so R's `kappa()` is reproduced to rounding.
 */
function dtrcoRcond(t: Float64Array, n: number): number {
  const T = (i: number, j: number) => t[i * n + j] as number;
  let tnorm = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i <= j; i++) s += Math.abs(T(i, j));
    tnorm = Math.max(tnorm, s);
  }
  const z = new Float64Array(n);
  const scale = (f: number) => {
    for (let j = 0; j < n; j++) z[j] = (z[j] as number) * f;
  };
  const asum = () => {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(z[j] as number);
    return s;
  };
  // solve T' y = e
  let ek = 1;
  for (let k = 0; k < n; k++) {
    const tkk = T(k, k);
    if (z[k] !== 0) ek = (z[k] as number) > 0 ? -Math.abs(ek) : Math.abs(ek);
    if (Math.abs(ek - (z[k] as number)) > Math.abs(tkk)) {
      const s = Math.abs(tkk) / Math.abs(ek - (z[k] as number));
      scale(s);
      ek *= s;
    }
    let wk = ek - (z[k] as number);
    let wkm = -ek - (z[k] as number);
    let s = Math.abs(wk);
    let sm = Math.abs(wkm);
    if (tkk !== 0) {
      wk /= tkk;
      wkm /= tkk;
    } else {
      wk = 1;
      wkm = 1;
    }
    if (k < n - 1) {
      for (let j = k + 1; j < n; j++) {
        sm += Math.abs((z[j] as number) + wkm * T(k, j));
        z[j] = (z[j] as number) + wk * T(k, j);
        s += Math.abs(z[j] as number);
      }
      if (s < sm) {
        const w = wkm - wk;
        wk = wkm;
        for (let j = k + 1; j < n; j++) z[j] = (z[j] as number) + w * T(k, j);
      }
    }
    z[k] = wk;
  }
  scale(1 / asum());
  let ynorm = 1;
  // solve T z = y
  for (let k = n - 1; k >= 0; k--) {
    const tkk = T(k, k);
    if (Math.abs(z[k] as number) > Math.abs(tkk)) {
      const s = Math.abs(tkk) / Math.abs(z[k] as number);
      scale(s);
      ynorm *= s;
    }
    z[k] = tkk !== 0 ? (z[k] as number) / tkk : 1;
    const w = -(z[k] as number);
    for (let i = 0; i < k; i++) z[i] = (z[i] as number) + w * T(i, k);
  }
  const s = 1 / asum();
  scale(s);
  ynorm *= s;
  return tnorm !== 0 ? ynorm / tnorm : 0;
}

/** max over columns of the column's absolute sum. */
function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j] as number);
    if (s > best) best = s;
  }
  return best;
}

/** Inverse of an upper triangular n x n matrix by back substitution, column by column. */
function invertUpper(R: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = n - 1; i >= 0; i--) {
      let s = i === c ? 1 : 0;
      for (let k = i + 1; k < n; k++) s -= (R[i * n + k] as number) * (X[k * n + c] as number);
      X[i * n + c] = s / (R[i * n + i] as number);
    }
  }
  return X;
}

/** Singular values of a small square matrix by one-sided Jacobi rotations. */
function singularValues(a: Float64Array, n: number): number[] {
  const u = Float64Array.from(a);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          const x = u[i * n + p] as number;
          const y = u[i * n + q] as number;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0) continue;
        const c0 = Math.abs(gamma) / Math.sqrt(alpha * beta);
        if (c0 > off) off = c0;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < n; i++) {
          const x = u[i * n + p] as number;
          const y = u[i * n + q] as number;
          u[i * n + p] = c * x - s * y;
          u[i * n + q] = s * x + c * y;
        }
      }
    }
    if (off < 1e-15) break;
  }
  const sv: number[] = [];
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (u[i * n + j] as number) ** 2;
    sv.push(Math.sqrt(s));
  }
  return sv;
}
