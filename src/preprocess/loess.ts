/**
 * LOESS (Cleveland, Grosse & Shyu 1992): locally weighted polynomial regression of one predictor,
 * as the netlib `dloess` code computes it (the Fortran behind R's `loess` and scikit-misc's `loess`,
 * which scanpy's `seurat_v3` HVG flavour calls).
 *
 * Local fit (`ehg127`): the neighbourhood of x0 is its q = floor(n * span + 1e-5) nearest points, rho
 * the distance to the q-th of them, weights are tricube (1 - (|x - x0| / rho)^3)^3, and the local
 * polynomial (degree 0, 1 or 2) is fitted by weighted least squares.
 *
 * Surfaces: `'direct'` evaluates the local fit at every point. `'interpolate'` (the default of R and
 * skmisc, so of scanpy) builds dloess's k-d tree (`ehg126`/`ehg124`: bounding box widened by 0.5%,
 * cells halved at the median, ties kept together, until a cell holds at most floor(n * span * cell)
 * points), fits value and slope at the cell vertices, and evaluates each point by cubic Hermite
 * interpolation between the vertices of its cell (`ehg128`).
 */
import { InputError } from '../core/errors.js';

/** Options of {@link loessFit}. */
export interface LoessOptions {
  /** Fraction of points in each neighbourhood (default 0.3, scanpy's seurat_v3 value). */
  span?: number;
  /** Degree of the local polynomial: 0, 1 or 2 (default 2). */
  degree?: 0 | 1 | 2;
  /** 'interpolate' (default, as R / skmisc) or 'direct'. */
  surface?: 'interpolate' | 'direct';
  /** Cell size of the k-d tree as a fraction of the span (default 0.2, R / skmisc). */
  cell?: number;
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
  const coef = new Float64Array(3);
  if ((opts.surface ?? 'interpolate') === 'direct') {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const x0 = xs[i] as number;
      // the q nearest points of x0 form a contiguous window [l, l + q) of the sorted x; it only moves right
      while (l + q < n && x0 - (xs[l] as number) > (xs[l + q] as number) - x0) l++;
      fitted[order[i] as number] = fitAt(xs, ys, l, q, x0, degree, coef);
    }
    return fitted;
  }
  const cell = opts.cell ?? 0.2;
  const vertices = kdVertices(xs, Math.floor(n * span * cell));
  const nv = vertices.length;
  const vval = new Float64Array(nv);
  const vslope = new Float64Array(nv);
  for (let k = 0; k < nv; k++) {
    const x0 = vertices[k] as number;
    vval[k] = fitAt(xs, ys, windowStart(xs, x0, q), q, x0, degree, coef);
    vslope[k] = coef[1] as number;
  }
  // each point lies in the leaf cell (V[k], V[k+1]] (the first cell also holds V[0]); cubic Hermite
  // interpolation of the vertex values and slopes, ehg128's 1-d case
  let k = 0;
  for (let i = 0; i < n; i++) {
    const z = xs[i] as number;
    while (k + 2 < nv && z > (vertices[k + 1] as number)) k++;
    const v0 = vertices[k] as number;
    const v1 = vertices[k + 1] as number;
    const w = v1 - v0;
    const h = (z - v0) / w;
    const phi0 = (1 - h) * (1 - h) * (1 + 2 * h);
    const phi1 = h * h * (3 - 2 * h);
    const psi0 = h * (1 - h) * (1 - h);
    const psi1 = h * h * (h - 1);
    fitted[order[i] as number] =
      phi0 * (vval[k] as number) + phi1 * (vval[k + 1] as number) + (psi0 * (vslope[k] as number) + psi1 * (vslope[k + 1] as number)) * w;
  }
  return fitted;
}

/** First index of the q nearest sorted points of x0 (any x0, not only data points). */
function windowStart(xs: Float64Array, x0: number, q: number): number {
  const n = xs.length;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < x0) lo = mid + 1;
    else hi = mid;
  }
  let l = Math.max(0, Math.min(lo - q, n - q));
  while (l + q < n && x0 - (xs[l] as number) > (xs[l + q] as number) - x0) l++;
  return l;
}

/**
 * Sorted vertex positions of dloess's k-d tree for one predictor (`ehg126` + `ehg124`): the
 * bounding box widened by 0.5% of the range, then every cell with more than fc points split at its
 * median, moving the cut to the nearest gap between distinct values so that ties stay together.
 */
function kdVertices(xs: Float64Array, fc: number): number[] {
  const n = xs.length;
  const a = xs[0] as number;
  const b = xs[n - 1] as number;
  const mu = 0.005 * Math.max(b - a, 1e-10 * Math.max(Math.abs(a), Math.abs(b)) + 1e-30);
  const cuts: number[] = [a - mu, b + mu];
  // explicit stack of cells: point range [l, u] (0-based, inclusive) and vertex bounds
  const stack: [number, number, number, number][] = [[0, n - 1, a - mu, b + mu]];
  while (stack.length > 0) {
    const [l, u, vl, vr] = stack.pop() as [number, number, number, number];
    if (u - l + 1 <= fc || !(vr - vl > 0)) continue;
    // 1-based median m = floor((l + u) / 2); probe offsets 0, 1, -1, 2, -2, ... for a gap
    let m = Math.floor((l + 1 + (u + 1)) / 2) - 1;
    let offset = 0;
    for (;;) {
      const p = m + offset;
      if (p >= u || p < l) break;
      if (xs[p] === xs[p + 1]) {
        offset = -offset;
        if (offset >= 0) offset++;
      } else {
        m = p;
        break;
      }
    }
    const xi = xs[m] as number;
    if (xi === vl || xi === vr) continue;
    cuts.push(xi);
    stack.push([l, m, vl, xi], [m + 1, u, xi, vr]);
  }
  return cuts.sort((p, q) => p - q);
}

/** Local fit at x0 on the window [l, l + q) of the sorted data; coef[0..2] = value, slope, curvature (per unit x). */
function fitAt(xs: Float64Array, ys: Float64Array, l: number, q: number, x0: number, degree: number, coef: Float64Array): number {
  const rho = Math.max(x0 - (xs[l] as number), (xs[l + q - 1] as number) - x0);
  coef.fill(0);
  if (rho <= 0) {
    // every neighbour sits at x0 (ehg127 stops with an error here); the local fit is their mean
    let s = 0;
    for (let k = l; k < l + q; k++) s += ys[k] as number;
    coef[0] = s / q;
    return coef[0] as number;
  }
  localFit(xs, ys, l, l + q, x0, rho, degree, coef);
  // the fit is in u = (x - x0) / rho: rescale to units of x
  coef[1] = (coef[1] as number) / rho;
  coef[2] = (coef[2] as number) / (rho * rho);
  return coef[0] as number;
}

/** Weighted least-squares polynomial in u = (x - x0) / rho; coefficients written to `coef`. */
function localFit(
  xs: Float64Array,
  ys: Float64Array,
  from: number,
  to: number,
  x0: number,
  rho: number,
  degree: number,
  coef: Float64Array,
): void {
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
  const S = [s0, s1, s2, s3, s4];
  const T = [t0, t1, t2];
  const A = new Float64Array(9);
  const r = new Float64Array(3);
  for (let d = degree; d >= 0; d--) {
    // normal equations of the weighted fit; fall back to a lower degree when they are singular,
    // as ehg127's pseudo-inverse effectively does for a neighbourhood with too few distinct x
    const m = d + 1;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) A[a * m + b] = S[a + b] as number;
      r[a] = T[a] as number;
    }
    if (solveSmall(A, r, m, coef)) return;
  }
  coef[0] = t0 / s0;
}

/** Gaussian elimination with partial pivoting on an m x m system (m <= 3) into out; false when singular. */
function solveSmall(A: Float64Array, r: Float64Array, m: number, out: Float64Array): boolean {
  let scale = 0;
  for (let k = 0; k < m * m; k++) scale = Math.max(scale, Math.abs(A[k] as number));
  if (scale === 0) return false;
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let i = c + 1; i < m; i++) if (Math.abs(A[i * m + c] as number) > Math.abs(A[p * m + c] as number)) p = i;
    if (Math.abs(A[p * m + c] as number) <= scale * 1e-13) return false;
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
  out.fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let s = r[i] as number;
    for (let j = i + 1; j < m; j++) s -= (A[i * m + j] as number) * (out[j] as number);
    out[i] = s / (A[i * m + i] as number);
  }
  return true;
}
