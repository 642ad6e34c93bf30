/**
 * Mini-batches for the deep models: rows of a (usually sparse) cells x genes matrix gathered into a
 * dense Float32 buffer, one batch at a time, so the whole data set is never densified.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DenseMatrix } from '../data/dense.js';
import type { Matrix } from '../data/matrix.js';
import type { CsrMatrix } from '../data/sparse.js';

/** Row-major source of batches: dense or CSR (CSC is converted once by {@link rowSource}). */
export type RowSource = DenseMatrix | CsrMatrix;

/** Converts any Dataset matrix into a row-accessible source (CSC -> CSR once; others as they are). */
export function rowSource(m: Matrix): RowSource {
  return m.kind === 'csc' ? m.toCsr() : m;
}

/**
 * Writes rows `rows[0..n)` of `m` into `out` (row-major `[n, m.cols]`, Float32), optionally restricted
 * and reordered to columns `colMap` (`colMap[j]` = output column of source column j, or −1 to drop).
 *
 * @param m - cells x genes source.
 * @param rows - Row indices to gather, in output order.
 * @param out - Destination of length ≥ rows.length × nOut; zeroed first.
 * @param nOut - Output columns (m.cols when `colMap` is absent).
 * @param colMap - Optional source-column → output-column map.
 * @returns `out`.
 */
export function gatherRowsF32(m: RowSource, rows: ArrayLike<number>, out: Float32Array, nOut = m.cols, colMap?: Int32Array): Float32Array {
  const n = rows.length;
  out.fill(0, 0, n * nOut);
  if (m.kind === 'csr') {
    const { indptr, indices, data } = m;
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      const base = r * nOut;
      const end = indptr[i + 1] as number;
      if (colMap) {
        for (let k = indptr[i] as number; k < end; k++) {
          const j = colMap[indices[k] as number] as number;
          if (j >= 0) out[base + j] = data[k] as number;
        }
      } else {
        for (let k = indptr[i] as number; k < end; k++) out[base + (indices[k] as number)] = data[k] as number;
      }
    }
  } else {
    const c = m.cols;
    const d = m.data;
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      const base = r * nOut;
      const src = i * c;
      if (colMap) {
        for (let j = 0; j < c; j++) {
          const o = colMap[j] as number;
          if (o >= 0) out[base + o] = d[src + j] as number;
        }
      } else {
        for (let j = 0; j < c; j++) out[base + j] = d[src + j] as number;
      }
    }
  }
  return out;
}

/**
 * Rows of `m` as a `[rows.length, cols]` float32 tensor (the caller disposes it).
 *
 * @param m - cells x genes source.
 * @param rows - Row indices, in output order.
 * @param buffer - Optional reusable scratch buffer (avoids one allocation per batch).
 */
export function batchTensor(m: RowSource, rows: ArrayLike<number>, buffer?: Float32Array): tf.Tensor2D {
  const n = rows.length;
  const need = n * m.cols;
  const buf = buffer && buffer.length >= need ? buffer : new Float32Array(need);
  gatherRowsF32(m, rows, buf);
  // tensor2d copies the values into the backend, so the scratch buffer can be reused at once.
  return tf.tensor2d(buf.subarray(0, need), [n, m.cols], 'float32');
}

/**
 * Consecutive index blocks of `order` of size `batchSize` (the last one may be shorter; dropped when
 * `dropLast`).
 */
export function* indexBatches(order: Int32Array, batchSize: number, dropLast = false): Generator<Int32Array> {
  for (let s = 0; s < order.length; s += batchSize) {
    const e = Math.min(order.length, s + batchSize);
    if (dropLast && e - s < batchSize) return;
    yield order.subarray(s, e);
  }
}
