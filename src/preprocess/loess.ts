/**
 * LOESS (Cleveland, Grosse & Shyu 1992): locally weighted polynomial regression of one predictor.
 *
 * Follows the direct computation of the netlib `dloess` kernel (`ehg127`), the code behind
 * scikit-misc's `loess` that scanpy's `seurat_v3` HVG flavour calls: the neighbourhood of x0 is its
 * q = floor(n * span) nearest points, rho the distance to the q-th of them, weights are tricube
 * (1 - (|x - x0| / rho)^3)^3, and the local polynomial (degree 0, 1 or 2) is fitted by weighted least
 * squares; the fitted value is its intercept at x0. (skmisc evaluates on a k-d tree with cubic
 * interpolation between vertices by default, `surface='interpolate'`; we evaluate every point
 * directly, `surface='direct'`, which is the exact local fit that interpolation approximates.)
 */
import { InputError } from '../core/errors.js';

/** Options of {@link loessFit}. */
export interface LoessOptions {
  /** Fraction of points in each neighbourhood (default 0.3, scanpy's seurat_v3 value). */
  span?: number;
  /** Degree of the local polynomial: 0, 1 or 2 (default 2). */
  degree?: 0 | 1 | 2;
}

/**
 * Fitted LOESS values at the data points.
 *
 * @param x - predictor, length n (any order; ties allowed).
 * @param y - response, length n.
 * @param opts - span and degree.
 * @returns fitted values, length n, in the order of x.
 * @throws {@link InputError} `E_OPTION` for a span outside (0, 1] or too few points for the degree.
 * @example
 * loessFit(Float64Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([1, 4, 9, 16, 25, 36]), { span: 1 }); // ~ x^2
 */
export function loessFit(x: ArrayLike<number>, y: ArrayLike<number>, opts: LoessOptions = {}): Float64Array {
  const span = opts.span ?? 0.3;
  const degree = opts.degree ?? 2;
  const n = x.length;
  if (!(span > 0 && span <= 1)) {
    throw new InputError('loess span must be in (0, 1]', { code: 'E_OPTION', field: 'span', got: span, expected: '0 < span <= 1' });
  }
  // the dloess C driver: nf = min(n, floor(n * span + 1e-5))
  const q = Math.min(n, Math.floor(n * span + 1e-5));
  if (q < degree + 1) {
    throw new InputError('too few points for the loess neighbourhood', {
      code: 'E_OPTION',
      field: 'span',
      got: `${q} neighbours (n = ${n}, span = ${span})`,
      expected: `at least ${degree + 1}`,
    });
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    xs[k] = x[order[k] as number] as number;
    ys[k] = y[order[k] as number] as number;
  }
  const fitted = new Float64Array(n);
  const A = new Float64Array(9);
  const r = new Float64Array(3);
  let l = 0;
  for (let i = 0; i < n; i++) {
    const x0 = xs[i] as number;
    // the q nearest points of x0 form a contiguous window [l, l + q) of the sorted x; it only moves right
    while (l + q < n && x0 - (xs[l] as number) > (xs[l + q] as number) - x0) l++;
    const rho = Math.max(x0 - (xs[l] as number), (xs[l + q - 1] as number) - x0);
    let value: number;
    if (rho <= 0) {
      // every neighbour sits at x0 (ehg127 stops with an error here); the local fit is their mean
      let s = 0;
      for (let k = l; k < l + q; k++) s += ys[k] as number;
      value = s / q;
    } else {
      value = localFit(xs, ys, l, l + q, x0, rho, degree, A, r);
    }
    fitted[order[i] as number] = value;
  }
  return fitted;
}

/** Weighted least-squares intercept of a degree-`degree` polynomial in u = (x - x0) / rho. */
function localFit(
  xs: Float64Array,
  ys: Float64Array,
  from: number,
  to: number,
  x0: number,
  rho: number,
  degree: number,
  A: Float64Array,
  r: Float64Array,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  for (let k = from; k < to; k++) {
    const u = ((xs[k] as number) - x0) / rho;
    const a = Math.abs(u);
    if (a >= 1) continue;
    const c = 1 - a * a * a;
    const w = c * c * c;
    const yw = w * (ys[k] as number);
    const u2 = u * u;
    s0 += w;
    s1 += w * u;
    s2 += w * u2;
    s3 += w * u2 * u;
    s4 += w * u2 * u2;
    t0 += yw;
    t1 += yw * u;
    t2 += yw * u2;
  }
  for (let d = degree; d >= 0; d--) {
    // normal equations of the weighted fit; fall back to a lower degree when they are singular,
    // as ehg127's pseudo-inverse effectively does for a neighbourhood with too few distinct x
    const m = d + 1;
    const S = [s0, s1, s2, s3, s4];
    const T = [t0, t1, t2];
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) A[a * m + b] = S[a + b] as number;
      r[a] = T[a] as number;
    }
    const sol = solveSmall(A, r, m);
    if (sol !== undefined) return sol;
  }
  return t0 / s0;
}

/** Gaussian elimination with partial pivoting on an m x m system (m <= 3); returns x[0]. */
function solveSmall(A: Float64Array, r: Float64Array, m: number): number | undefined {
  let scale = 0;
  for (let k = 0; k < m * m; k++) scale = Math.max(scale, Math.abs(A[k] as number));
  if (scale === 0) return undefined;
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let i = c + 1; i < m; i++) if (Math.abs(A[i * m + c] as number) > Math.abs(A[p * m + c] as number)) p = i;
    if (Math.abs(A[p * m + c] as number) <= scale * 1e-13) return undefined;
    if (p !== c) {
      for (let j = 0; j < m; j++) {
        const t = A[c * m + j] as number;
        A[c * m + j] = A[p * m + j] as number;
        A[p * m + j] = t;
      }
      const t = r[c] as number;
      r[c] = r[p] as number;
      r[p] = t;
    }
    for (let i = c + 1; i < m; i++) {
      const f = (A[i * m + c] as number) / (A[c * m + c] as number);
      for (let j = c; j < m; j++) A[i * m + j] = (A[i * m + j] as number) - f * (A[c * m + j] as number);
      r[i] = (r[i] as number) - f * (r[c] as number);
    }
  }
  const xsol = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = r[i] as number;
    for (let j = i + 1; j < m; j++) s -= (A[i * m + j] as number) * (xsol[j] as number);
    xsol[i] = s / (A[i * m + i] as number);
  }
  return xsol[0] as number;
}
