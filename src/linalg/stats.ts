/**
 * The one Pearson correlation, quantile and median of the package (the benchmark's metrics, MixupVI's
 * validation and intervals, robust regression and HVG selection all use these).
 */

/**
 * Pearson correlation of two equal-length vectors (two-pass, centred), clamped to [-1, 1].
 * @returns r, or NaN when either vector is constant or shorter than 2.
 * @example pearson([0.1, 0.5, 0.4], [0.2, 0.5, 0.3]);
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return Number.NaN;
  let ma = 0;
  for (let i = 0; i < n; i++) ma += a[i] as number;
  ma /= n;
  let mb = 0;
  for (let i = 0; i < n; i++) mb += b[i] as number;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return Number.NaN;
  const r = sab / Math.sqrt(saa * sbb);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Quantile q in [0, 1] of sorted values, linear interpolation (numpy.percentile's default).
 * @returns NaN for an empty array.
 * @example quantileSorted([0, 1, 2, 3], 0.5); // 1.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/** Quickselect: after the call a[k] is the k-th smallest of a[0..n) (Hoare partition). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Median of a[0..n) as numpy (mean of the two middle values for even n); reorders a. */
export function medianInPlace(a: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  const k = n >> 1;
  const hi = select(a, n, k);
  if (n & 1) return hi;
  // The lower middle is the maximum of the first k entries after selection.
  let lo = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < k; i++) if (a[i]! > lo) lo = a[i]!;
  return (lo + hi) / 2;
}
