/**
 * Student t tail probabilities, for the Welch t-test option of the signature builder (scanpy
 * `rank_genes_groups(method='t-test')`, i.e. `scipy.stats.ttest_ind_from_stats(equal_var=False)`).
 *
 * sf(t; df) = I_{df / (df + t^2)}(df / 2, 1 / 2) / 2, with the regularised incomplete beta function
 * from its continued fraction (modified Lentz; Numerical Recipes 3rd ed. §6.4) and log-gamma from
 * the Lanczos approximation (g = 7, 9 terms).
 */

const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
  -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
];

/**
 * Natural log of the gamma function for x > 0.
 *
 * @param x - positive argument.
 * @returns ln Gamma(x), ~1e-15 relative accuracy.
 * @example
 * lnGamma(5); // ln 24
 */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let k = 1; k < 9; k++) a += (LANCZOS[k] as number) / (z + k);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/**
 * Regularised incomplete beta function I_x(a, b).
 *
 * @param x - in [0, 1].
 * @param a - > 0.
 * @param b - > 0.
 * @returns I_x(a, b) in [0, 1].
 * @example
 * incompleteBeta(0.5, 2, 2); // 0.5
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // the continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaCf(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaCf(b, a, 1 - x)) / b;
}

/**
 * Two-sided p-value of a Student t statistic: 2 P(T_df > |t|), as scipy's `2 * t.sf(|t|, df)`.
 *
 * @param t - the statistic (NaN gives NaN).
 * @param df - degrees of freedom (> 0, may be fractional, e.g. Welch-Satterthwaite).
 * @returns p in [0, 1].
 * @example
 * twoSidedTP(2.0, 10); // 0.0733...
 */
export function twoSidedTP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}
