/**
 * Two-sample Kolmogorov–Smirnov test with scipy's `ks_2samp(method='auto')` semantics: the exact
 * null distribution (Hodges 1958 lattice-path counts) when both samples have at most 10,000
 * values, else the asymptotic one (two-sided: the one-sample Kolmogorov distribution at
 * n = round(n1 n2 / (n1 + n2)), as scipy's `kstwo.sf`; one-sided: Hodges' Eq. 5.3).
 *
 * Used by the MrVI guided analysis [seed §3.3]: within-group vs between-group sample distances of
 * one cell. Checked against scipy 1.x fixtures (test/fixtures/mrvi/ks_2samp.json).
 */
import { InputError } from '../../core/errors.js';

/** Alternative hypothesis, on the CDFs F1 of `a` and F2 of `b` (scipy's names). */
export type KsAlternative = 'two-sided' | 'less' | 'greater';

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  /** D = sup |F1 − F2| (two-sided), sup (F1 − F2) ('greater') or sup (F2 − F1) ('less'). */
  statistic: number;
  pvalue: number;
  /** 'exact' or 'asymp', the method actually used. */
  method: 'exact' | 'asymp';
}

/** scipy's MAX_AUTO_N: 'auto' is exact when both sizes are at most this. */
export const KS_MAX_EXACT_N = 10000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Two-sample KS test.
 *
 * @param a - First sample (any order; NaN not allowed). Sorted copies are made unless `sorted`.
 * @param b - Second sample.
 * @param opts.alternative - Default 'two-sided'.
 * @param opts.method - 'auto' (default), 'exact' or 'asymp'.
 * @param opts.sorted - Both inputs are already sorted ascending (skips the copies).
 * @returns Statistic, p-value and the method used.
 * @throws {@link InputError} `E_KS_EMPTY` when a sample is empty.
 * @example
 * ksTwoSample([1, 2, 3], [4, 5, 6]).statistic; // 1
 */
export function ksTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { alternative?: KsAlternative; method?: 'auto' | 'exact' | 'asymp'; sorted?: boolean } = {},
): KsResult {
  const alternative = opts.alternative ?? 'two-sided';
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) {
    throw new InputError('a Kolmogorov–Smirnov sample is empty', { code: 'E_KS_EMPTY', got: [n1, n2], expected: 'two non-empty samples' });
  }
  const x = opts.sorted ? a : Float64Array.from(a).sort();
  const y = opts.sorted ? b : Float64Array.from(b).sort();
  // Walk both sorted samples; the ECDFs are right-continuous (searchsorted side='right').
  let i = 0;
  let j = 0;
  let maxS = 0; // max (F1 − F2)
  let minS = 0; // max (F2 − F1)
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && (x[i] as number) <= (y[j] as number)) ? (x[i] as number) : (y[j] as number);
    while (i < n1 && (x[i] as number) <= v) i++;
    while (j < n2 && (y[j] as number) <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (-diff > minS) minS = -diff;
  }
  let d: number;
  if (alternative === 'less' || (alternative === 'two-sided' && minS > maxS)) d = minS;
  else d = maxS;
  const g = gcd(n1, n2);
  let method: 'exact' | 'asymp' = opts.method === 'asymp' ? 'asymp' : 'exact';
  if ((opts.method ?? 'auto') === 'auto') method = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  else if (method === 'exact' && n1 / g >= 2147483647 / (n2 / g)) method = 'asymp';
  let p = Number.NaN;
  if (method === 'exact') {
    const r = exactTwoSample(n1, n2, g, d, alternative);
    if (r) {
      d = r.d;
      p = r.p;
    } else method = 'asymp';
  }
  if (method === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') p = kolmogorovSf(Math.round(en), d);
    else {
      const z = Math.sqrt(en) * d;
      p = Math.exp(-2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3);
    }
  }
  return { statistic: d, pvalue: Math.min(1, Math.max(0, p)), method };
}

/** scipy `_attempt_exact_2kssamp`: undefined when the computation is not finite. */
function exactTwoSample(n1: number, n2: number, g: number, d: number, alt: KsAlternative): { d: number; p: number } | undefined {
  const lcm = (n1 / g) * n2;
  const h = Math.round(d * lcm);
  const dq = h / lcm;
  if (h === 0) return { d: dq, p: 1 };
  let p: number;
  if (alt === 'two-sided') {
    p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else if (n1 === n2) {
    // binom(2n, n−h) / binom(2n, n) as a product, avoiding the huge binomials
    p = 1;
    for (let k = 0; k < h; k++) p *= (n1 - k) / (n1 + k + 1);
  } else {
    const paths = countPathsOutside(n1, n2, g, h);
    const all = logBinom(n1 + n2, n1);
    if (!Number.isFinite(paths.log) || paths.log > all + 1e-12) return undefined;
    p = Math.exp(paths.log - all);
  }
  if (!(p >= 0 && p <= 1)) return undefined;
  return { d: dq, p };
}

/** P(D_{n,n} ≥ h/n) by the alternating series in Horner form (scipy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 − P(paths stay strictly inside |x/m − y/n| < h/lcm), computed directly as a proportion with the
 * Viehmann (2021) recursion over one sliding column (scipy `_compute_outer_prob_inside_method`).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, 1)).fill(1);
  for (let k = minj; k < maxj; k++) A[k] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1] as number;
}

/** log of the number of lattice paths that go below the diagonal by h (scipy `_count_paths_outside_method`). */
function countPathsOutside(m0: number, n0: number, g: number, h: number): { log: number } {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj <= 0) return { log: logBinom(m + n, n) };
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  // B values can be large; scipy works in float64 and fails over on overflow. We do the same
  // (exp of log-binomials) and report failure through a non-finite result.
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = Math.exp(logBinom((xj[j] as number) + j, j));
    for (let i = 0; i < j; i++) Bj -= Math.exp(logBinom((xj[j] as number) - (xj[i] as number) + j - i, j - i)) * (B[i] as number);
    B[j] = Bj;
  }
  let num = 0;
  for (let j = 0; j < lxj; j++) num += (B[j] as number) * Math.exp(logBinom(m - (xj[j] as number) + (n - j), n - j));
  return { log: Math.log(num) };
}

const LOG_FACT_CACHE: number[] = [0, 0];
function logFactorial(k: number): number {
  for (let i = LOG_FACT_CACHE.length; i <= k; i++) LOG_FACT_CACHE[i] = (LOG_FACT_CACHE[i - 1] as number) + Math.log(i);
  return LOG_FACT_CACHE[k] as number;
}

function logBinom(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * Survival function of the one-sample two-sided Kolmogorov statistic D_n at x (scipy `kstwo.sf`),
 * in the large-n regime used here (n > 140): 2·Smirnov(n, x) where n x² ≥ 2.2 (scipy's own choice;
 * exact Birnbaum–Tingey sum), else 1 − the Pelz–Good (1976) expansion of the CDF. scipy uses the
 * Durbin matrix instead of Pelz–Good when n x^1.5 ≤ 1.4; there p > 0.2 and the two agree to ~1e-4.
 *
 * @param n - Sample size (effective n of the two-sample test).
 * @param x - Statistic in [0, 1].
 */
export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 0.5) return 1;
  if (t <= 1) {
    // Ruben–Gambino: P(D_n ≤ x) = n!/n^n (2t − 1)^n for 1/(2n) ≤ x ≤ 1/n
    const logCdf = logFactorial(n) - n * Math.log(n) + n * Math.log(2 * t - 1);
    return 1 - Math.exp(logCdf);
  }
  if (t >= n - 1) return Math.min(1, 2 * (1 - x) ** n);
  if (x >= 0.5 || n * x * x >= 2.2) return Math.min(1, 2 * smirnovSf(n, x));
  return Math.min(1, Math.max(0, 1 - pelzGoodCdf(n, x)));
}

/** One-sided Smirnov P(D+_n ≥ x), Birnbaum & Tingey (1951), summed in logs. */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const jmax = Math.floor(n * (1 - x));
  let s = 0;
  for (let j = 0; j <= jmax; j++) {
    const u = x + j / n;
    const w = 1 - u;
    const lt = logBinom(n, j) + (n - j - 1) * Math.log(w > 0 ? w : Number.MIN_VALUE) + j * Math.log(u);
    if (n - j - 1 === 0) s += Math.exp(logBinom(n, j) + j * Math.log(u));
    else s += Math.exp(lt);
  }
  return Math.min(1, x * s);
}

/** Pelz–Good asymptotic expansion of P(D_n ≤ x) (terms K0..K3, as in scipy `_kolmogn_PelzGood`). */
function pelzGoodCdf(n: number, x: number): number {
  const PI2 = Math.PI ** 2;
  const PI4 = PI2 * PI2;
  const PI6 = PI4 * PI2;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qp + (c[i] as number);
  }
  const den = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (den[i] as number);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    k2extra += k2 * qk;
    const kpi = Math.PI * k;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2);
  return sum;
}
