/**
 * Scaden's input scaling (`KevinMenden/scaden`, `scaden/model/functions.py`), shared with SimpleDNN:
 * x ← log2(x + 1), then per-SAMPLE min–max scaling to [0, 1] (sklearn's MinMaxScaler fitted on the
 * transposed matrix; a constant sample has zero range, which sklearn replaces by 1, so it maps to 0).
 */
import { DenseMatrix } from '../../../data/dense.js';

/**
 * log2(x + 1) then per-row min–max to [0, 1], into a new Float32 matrix.
 *
 * @param X samples x genes, non-negative expression (summed counts).
 * @returns samples x genes Float32 in [0, 1]; constant rows become all 0.
 * @example
 * logMinMax(DenseMatrix.fromRows([[0, 1, 3]])).data; // Float32Array [0, 0.5, 1]
 */
export function logMinMax(X: DenseMatrix): DenseMatrix<Float32Array> {
  const n = X.rows;
  const g = X.cols;
  const out = new Float32Array(n * g);
  const src = X.data;
  for (let i = 0; i < n; i++) {
    const b = i * g;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    // Work in float64 per row, then round once: the same numbers as numpy on float64 input.
    const row = new Float64Array(g);
    for (let j = 0; j < g; j++) {
      const v = Math.log2((src[b + j] as number) + 1);
      row[j] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    const scale = range === 0 ? 1 : range;
    for (let j = 0; j < g; j++) out[b + j] = ((row[j] as number) - lo) / scale;
  }
  return new DenseMatrix(n, g, out);
}
