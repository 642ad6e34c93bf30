/**
 * Deconvolution metrics: pure functions on typed arrays (see `specs/pseudobulk-and-metrics.md` §4).
 *
 * Conventions (stated once, used everywhere):
 * - Per-sample metrics compare the K true and K predicted proportions of one pseudobulk:
 *   Pearson r (the paper's per-sample correlation; its mean over samples is the paper's d), MSE =
 *   (1/K) sum_k (pred - true)^2, Lin's concordance, KL divergence, Wasserstein-1.
 * - Pearson is NaN when either vector is constant; summaries exclude NaN and count the excluded.
 * - KL(true || pred) = sum_k t_k log((t_k + eps) / (p_k + eps)), eps = 1e-10 (spec §4): terms with
 *   t_k = 0 contribute 0, a predicted 0 where the truth is positive is finite (about t_k * 23).
 * - Wasserstein: the 1-D W1 distance between the two vectors treated as two empirical samples of
 *   values (scipy.stats.wasserstein_distance(true, pred)); for equal lengths it is mean |sort(t) - sort(p)|.
 *   It ignores which cell type each value belongs to (a permuted prediction scores 0), so read it
 *   next to the per-sample metrics above, as seed 001 reports it.
 * - R^2 per cell type across samples, averaged over cell types (sklearn r2_score 'uniform_average',
 *   force_finite: a constant true column scores 1 if predicted exactly, else 0); `r2Flat` pools all entries.
 * - Quantiles use linear interpolation between order statistics (numpy's default).
 */
import { ShapeError } from '../core/errors.js';
import type { DenseMatrix } from '../data/dense.js';
import { pearson as pearsonOf, quantileSorted as quantileOf } from '../linalg/stats.js';

type Vec = ArrayLike<number>;

/** Epsilon of {@link klDivergence} (spec §4). */
export const KL_EPSILON = 1e-10;

function checkLengths(a: Vec, b: Vec): void {
  if (a.length !== b.length) {
    throw new ShapeError('metric inputs differ in length', { code: 'E_SHAPE', got: `${a.length} and ${b.length}` });
  }
}

function mean(a: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return s / a.length;
}

/**
 * Pearson correlation of two equal-length vectors (two-pass, centred; linalg/stats.ts).
 * @returns r in [-1, 1], or NaN when either vector is constant or shorter than 2.
 * @throws ShapeError when the lengths differ.
 * @example pearson([0.1, 0.5, 0.4], [0.2, 0.5, 0.3]);
 */
export function pearson(a: Vec, b: Vec): number {
  checkLengths(a, b);
  return pearsonOf(a, b);
}

/** Mean squared error (1/n) sum (pred - true)^2. */
export function mse(truth: Vec, pred: Vec): number {
  checkLengths(truth, pred);
  let s = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = (pred[i] as number) - (truth[i] as number);
    s += d * d;
  }
  return s / truth.length;
}

/** Root mean squared error. */
export function rmse(truth: Vec, pred: Vec): number {
  return Math.sqrt(mse(truth, pred));
}

/**
 * Lin's concordance correlation coefficient, 2 s_tp / (s_t^2 + s_p^2 + (mean_t - mean_p)^2), with
 * population (1/n) moments (Lin 1989). NaN when both vectors are the same constant (0/0).
 */
export function concordance(truth: Vec, pred: Vec): number {
  checkLengths(truth, pred);
  const n = truth.length;
  if (n === 0) return Number.NaN;
  const mt = mean(truth);
  const mp = mean(pred);
  let stp = 0;
  let stt = 0;
  let spp = 0;
  for (let i = 0; i < n; i++) {
    const dt = (truth[i] as number) - mt;
    const dp = (pred[i] as number) - mp;
    stp += dt * dp;
    stt += dt * dt;
    spp += dp * dp;
  }
  const den = stt / n + spp / n + (mt - mp) * (mt - mp);
  return den === 0 ? Number.NaN : (2 * stp) / n / den;
}

/** KL(truth || pred) = sum_k t_k log((t_k + eps) / (p_k + eps)); see the module note on eps. */
export function klDivergence(truth: Vec, pred: Vec, eps = KL_EPSILON): number {
  checkLengths(truth, pred);
  let s = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    if (t === 0) continue;
    s += t * Math.log((t + eps) / ((pred[i] as number) + eps));
  }
  return s;
}

/**
 * 1-D Wasserstein-1 distance between the empirical distributions of the values in `u` and `v`
 * (uniform weights, any lengths), i.e. the integral of |F_u - F_v|: scipy.stats.wasserstein_distance.
 */
export function wasserstein1d(u: Vec, v: Vec): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) return Number.NaN;
  const su = Float64Array.from(u as ArrayLike<number>).sort();
  const sv = Float64Array.from(v as ArrayLike<number>).sort();
  // Merge-walk over all values; between consecutive values the CDFs are constant.
  let i = 0;
  let j = 0;
  let prev = Math.min(su[0] as number, sv[0] as number);
  let dist = 0;
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && (su[i] as number) <= (sv[j] as number)) ? (su[i] as number) : (sv[j] as number);
    dist += Math.abs(i / nu - j / nv) * (x - prev);
    while (i < nu && su[i] === x) i++;
    while (j < nv && sv[j] === x) j++;
    prev = x;
  }
  return dist;
}

/** The per-sample metrics the benchmark reports, in report order. */
export const SAMPLE_METRICS = ['pearson', 'mse', 'ccc', 'kl', 'wasserstein'] as const;
export type SampleMetric = (typeof SAMPLE_METRICS)[number];

const SAMPLE_FNS: Record<SampleMetric, (t: Vec, p: Vec) => number> = {
  pearson: (t, p) => pearson(t, p),
  mse,
  ccc: concordance,
  kl: (t, p) => klDivergence(t, p),
  wasserstein: wasserstein1d,
};

function checkSameShape(truth: DenseMatrix, pred: DenseMatrix): void {
  if (truth.rows !== pred.rows || truth.cols !== pred.cols) {
    throw new ShapeError('true and predicted proportions differ in shape', {
      code: 'E_SHAPE',
      got: `${pred.rows} x ${pred.cols} predicted`,
      expected: `${truth.rows} x ${truth.cols} (samples x cell types, same column order)`,
      hint: 'Align the predicted columns to the true cell types first (alignColumns)',
    });
  }
}

/** One metric per sample (row): `fn(trueRow, predRow)`. Matrices are samples x cell types. */
export function perSample(truth: DenseMatrix, pred: DenseMatrix, fn: (t: Vec, p: Vec) => number): Float64Array {
  checkSameShape(truth, pred);
  const out = new Float64Array(truth.rows);
  for (let i = 0; i < truth.rows; i++) out[i] = fn(truth.row(i), pred.row(i));
  return out;
}

/** One metric per cell type (column) across samples. */
export function perCellType(truth: DenseMatrix, pred: DenseMatrix, fn: (t: Vec, p: Vec) => number): Float64Array {
  checkSameShape(truth, pred);
  const out = new Float64Array(truth.cols);
  for (let j = 0; j < truth.cols; j++) out[j] = fn(truth.col(j), pred.col(j));
  return out;
}

/** All {@link SAMPLE_METRICS} per sample. */
export function sampleMetrics(truth: DenseMatrix, pred: DenseMatrix): Record<SampleMetric, Float64Array> {
  const out = {} as Record<SampleMetric, Float64Array>;
  for (const m of SAMPLE_METRICS) out[m] = perSample(truth, pred, SAMPLE_FNS[m]);
  return out;
}

/** R^2 of one column: 1 - SS_res / SS_tot, sklearn's force_finite convention for constant truth. */
export function r2(truth: Vec, pred: Vec): number {
  checkLengths(truth, pred);
  const m = mean(truth);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = (truth[i] as number) - (pred[i] as number);
    const e = (truth[i] as number) - m;
    res += d * d;
    tot += e * e;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/** R^2 per cell type across samples, averaged over cell types (sklearn r2_score 'uniform_average'). */
export function r2Score(truth: DenseMatrix, pred: DenseMatrix): number {
  const per = perCellType(truth, pred, r2);
  return mean(per);
}

/** R^2 over all sample x cell-type entries pooled into one vector. */
export function r2Flat(truth: DenseMatrix, pred: DenseMatrix): number {
  checkSameShape(truth, pred);
  return r2(truth.data, pred.data);
}

/** The per-cell-type metrics the benchmark reports (across samples). */
export const CELLTYPE_METRICS = ['pearson', 'rmse', 'mse', 'r2'] as const;
export type CellTypeMetric = (typeof CELLTYPE_METRICS)[number];

/** All {@link CELLTYPE_METRICS} per cell type. */
export function cellTypeMetrics(truth: DenseMatrix, pred: DenseMatrix): Record<CellTypeMetric, Float64Array> {
  return {
    pearson: perCellType(truth, pred, (t, p) => pearson(t, p)),
    rmse: perCellType(truth, pred, rmse),
    mse: perCellType(truth, pred, mse),
    r2: perCellType(truth, pred, r2),
  };
}

/** Distribution summary of a metric over samples (NaN excluded and counted). */
export interface Summary {
  /** Values used (finite). */
  n: number;
  /** NaN values excluded (e.g. constant predictions for Pearson). */
  nExcluded: number;
  mean: number;
  median: number;
  q1: number;
  q3: number;
  /** q3 - q1. */
  iqr: number;
  min: number;
  max: number;
}

/** Quantile q in [0, 1] of sorted values, linear interpolation (numpy.percentile default; linalg/stats.ts). */
export const quantileSorted: (sorted: Vec, q: number) => number = quantileOf;

/** Median, IQR, mean, min, max of the non-NaN values. */
export function summarize(values: Vec): Summary {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) kept.push(v);
  }
  const s = Float64Array.from(kept).sort();
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  return {
    n: s.length,
    nExcluded: values.length - s.length,
    mean: s.length ? mean(s) : Number.NaN,
    median: quantileSorted(s, 0.5),
    q1,
    q3,
    iqr: q3 - q1,
    min: s.length ? (s[0] as number) : Number.NaN,
    max: s.length ? (s[s.length - 1] as number) : Number.NaN,
  };
}
