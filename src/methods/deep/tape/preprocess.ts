/**
 * TAPE's input preprocessing (`poseidonchan/TAPE`, `TAPE/utils.py` `ProcessInputData`).
 *
 * - Variance filter, applied separately to the training and the test matrix: gene variances
 *   (pandas, ddof 1) sorted descending, cutoff = the value at position int(threshold · G) (0-based,
 *   threshold 0.98), keep genes with variance STRICTLY above it (≈ drops the 2% least variable).
 * - x ← ln(x + 1), then per-sample MinMaxScaler ('mms', default) or per-sample StandardScaler ('ss',
 *   population standard deviation; a zero deviation is replaced by 1, as sklearn does).
 *   After min–max the log base cancels, so 'mms' equals Scaden's `logMinMax` (PyDeconv uses log2).
 */
import { InputError } from '../../../core/errors.js';
import { DenseMatrix } from '../../../data/dense.js';
import { logMinMax } from '../scaden/preprocess.js';

export type TapeScaler = 'mms' | 'ss';

/**
 * Indices of the genes kept by TAPE's variance cutoff.
 *
 * @param X samples x genes.
 * @param threshold `variance_threshold` (default 0.98).
 */
export function tapeVarianceFilter(X: DenseMatrix, threshold = 0.98): Int32Array {
  const n = X.rows;
  const g = X.cols;
  const variance = new Float64Array(g);
  const mean = new Float64Array(g);
  const d = X.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) mean[j] = (mean[j] as number) + (d[i * g + j] as number);
  for (let j = 0; j < g; j++) mean[j] = (mean[j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      const e = (d[i * g + j] as number) - (mean[j] as number);
      variance[j] = (variance[j] as number) + e * e;
    }
  }
  for (let j = 0; j < g; j++) variance[j] = n > 1 ? (variance[j] as number) / (n - 1) : Number.NaN;
  const sorted = Float64Array.from(variance).sort().reverse();
  const pos = Math.trunc(g * threshold);
  if (pos >= g) return Int32Array.from({ length: g }, (_, j) => j);
  const cutoff = sorted[pos] as number;
  const keep: number[] = [];
  for (let j = 0; j < g; j++) if ((variance[j] as number) > cutoff) keep.push(j);
  return Int32Array.from(keep);
}

/**
 * ln(x + 1) then per-sample scaling, into a new Float32 matrix.
 *
 * @param X samples x genes non-negative expression.
 * @param scaler 'mms' (min–max to [0, 1], default) or 'ss' (zero mean, unit variance per sample).
 * @throws InputError `E_OPTION` for an unknown scaler.
 */
export function tapeScale(X: DenseMatrix, scaler: TapeScaler = 'mms'): DenseMatrix<Float32Array> {
  if (scaler === 'mms') return logMinMax(X);
  if (scaler !== 'ss') {
    throw new InputError('unknown TAPE scaler', { code: 'E_OPTION', field: 'scaler', got: scaler, expected: "'mms' or 'ss'" });
  }
  const n = X.rows;
  const g = X.cols;
  const out = new Float32Array(n * g);
  const row = new Float64Array(g);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < g; j++) {
      const v = Math.log((X.data[i * g + j] as number) + 1);
      row[j] = v;
      mean += v;
    }
    mean /= g;
    let ss = 0;
    for (let j = 0; j < g; j++) ss += ((row[j] as number) - mean) ** 2;
    const sd = Math.sqrt(ss / g);
    const scale = sd === 0 ? 1 : sd;
    for (let j = 0; j < g; j++) out[i * g + j] = ((row[j] as number) - mean) / scale;
  }
  return new DenseMatrix(n, g, out);
}
