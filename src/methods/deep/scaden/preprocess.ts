/**
 * Scaden's input preprocessing (`KevinMenden/scaden`, `scaden/model/functions.py`, `scaden process`).
 *
 * - `logMinMax`: x ← log2(x + 1), then per-SAMPLE min–max scaling to [0, 1] (sklearn's
 *   MinMaxScaler fitted on the transposed matrix; a constant sample has zero range, which sklearn
 *   replaces by 1, so it maps to 0). Applied to simulated and real samples alike.
 * - `scadenVarianceGenes`: genes whose variance across the bulk samples (pandas, ddof 1) is above
 *   `var_cutoff` = 0.1.
 */
import type { DenseMatrix } from '../../../data/dense.js';

export { logMinMax } from '../common-baselines/log-min-max.js';

/**
 * Indices of the genes whose sample variance (ddof 1) across the rows of `bulk` exceeds `cutoff`.
 *
 * @param bulk samples x genes expression (at least 2 samples; with 1 sample every variance is NaN
 *   and no gene passes, as in pandas).
 * @param cutoff Scaden's `--var_cutoff` (default 0.1).
 */
export function scadenVarianceGenes(bulk: DenseMatrix, cutoff = 0.1): Int32Array {
  const n = bulk.rows;
  const g = bulk.cols;
  const keep: number[] = [];
  if (n < 2) return new Int32Array(0);
  const mean = new Float64Array(g);
  const m2 = new Float64Array(g);
  const d = bulk.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      // Welford, column-wise: stable for large counts.
      const x = d[i * g + j] as number;
      const delta = x - (mean[j] as number);
      mean[j] = (mean[j] as number) + delta / (i + 1);
      m2[j] = (m2[j] as number) + delta * (x - (mean[j] as number));
    }
  }
  for (let j = 0; j < g; j++) if ((m2[j] as number) / (n - 1) > cutoff) keep.push(j);
  return Int32Array.from(keep);
}
