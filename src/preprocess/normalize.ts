/**
 * Library-size normalisation and log transform (scanpy `normalize_total`, `log1p`), plus the
 * PyDeconv single-cell preprocessing that builds the `raw_counts` / `relative_counts` / X layers.
 *
 * All functions return new matrices of the same storage kind (dense stays dense, CSR stays CSR,
 * CSC stays CSC) and the same precision; inputs are never modified.
 */
import { InputError } from '../core/errors.js';
import { LAYERS, RELATIVE_COUNTS_TARGET } from '../core/keys.js';
import { Dataset } from '../data/dataset.js';
import type { FloatArray } from '../data/dense.js';
import type { Matrix } from '../data/matrix.js';
import { type FilterReport, filterGenes } from './filter.js';
import { rowCounts } from './matrix-stats.js';

/**
 * Scales every row (cell) to sum to `targetSum` (scanpy `normalize_total(target_sum=1e4)`, the
 * "relative counts" of PyDeconv). Rows that sum to 0 stay 0.
 *
 * Each value is divided by `rowSum / targetSum`, the order of operations scanpy uses, so results
 * agree with it to the last bit in most cases.
 *
 * @param m - cells x genes counts (dense, CSR or CSC; Float32 or Float64 kept).
 * @param targetSum - the total each non-empty row is scaled to (default 1e4).
 * @returns a new matrix of the same kind and precision.
 * @throws {@link InputError} `E_OPTION` when targetSum is not a positive finite number.
 * @example
 * normalizeTotal(DenseMatrix.fromRows([[1, 3], [0, 0]]), 100).toRows(); // [[25, 75], [0, 0]]
 */
export function normalizeTotal<M extends Matrix>(m: M, targetSum: number = RELATIVE_COUNTS_TARGET): M {
  if (!(targetSum > 0) || !Number.isFinite(targetSum)) {
    throw new InputError('targetSum must be a positive number', { code: 'E_OPTION', field: 'targetSum', got: targetSum, expected: '> 0' });
  }
  const totals = rowCounts(m).sums;
  const div = new Float64Array(totals.length);
  for (let i = 0; i < totals.length; i++) {
    const t = totals[i] as number;
    div[i] = t > 0 ? t / targetSum : 1;
  }
  if (m.kind === 'dense') {
    const out = m.copy();
    const { data, rows, cols } = out;
    for (let i = 0; i < rows; i++) {
      const d = div[i] as number;
      const b = i * cols;
      for (let j = 0; j < cols; j++) data[b + j] = (data[b + j] as number) / d;
    }
    return out as M;
  }
  if (m.kind === 'csr') {
    const out = m.copy();
    for (let i = 0; i < out.rows; i++) {
      const d = div[i] as number;
      const b = out.indptr[i + 1] as number;
      for (let p = out.indptr[i] as number; p < b; p++) out.data[p] = (out.data[p] as number) / d;
    }
    return out as M;
  }
  const out = m.copy();
  const s = out.indptr[0] as number;
  const e = out.indptr[out.cols] as number;
  for (let p = s; p < e; p++) out.data[p] = (out.data[p] as number) / (div[out.indices[p] as number] as number);
  return out as M;
}

/**
 * Natural log of 1 + x for every value (scanpy `log1p`); zeros stay zeros, so sparsity is kept.
 *
 * @param m - any matrix (typically relative counts).
 * @returns a new matrix of the same kind and precision.
 * @example
 * log1p(DenseMatrix.fromRows([[0, Math.E - 1]])).toRows(); // [[0, 1]]
 */
export function log1p<M extends Matrix>(m: M): M {
  const out = m.copy() as M;
  const data: FloatArray = out.data;
  for (let k = 0; k < data.length; k++) data[k] = Math.log1p(data[k] as number);
  return out;
}

/** Options of {@link preprocessScrna}. */
export interface PreprocessScrnaOptions {
  /** Layer with raw counts (default X). */
  layer?: string;
  /** Drop genes whose total count is below this (PyDeconv: 3). */
  minCounts?: number;
  /** Target sum of the relative counts (default 1e4). */
  targetSum?: number;
}

/**
 * PyDeconv's single-cell preprocessing (`benchmark/utils/generate_data.py`, `preprocess_scrna`):
 * drop genes with fewer than `minCounts` total counts, then store `raw_counts` (the counts),
 * `relative_counts` (normalised to 1e4 per cell) and X = log1p(relative_counts).
 *
 * @param ds - cells x genes Dataset holding raw counts in `layer` (default X).
 * @param opts - see {@link PreprocessScrnaOptions}.
 * @returns the new Dataset and the gene-filter report.
 * @throws {@link InputError} `E_NO_LAYER` for an unknown layer.
 * @example
 * const { dataset } = preprocessScrna(ref); // dataset.layers: raw_counts, relative_counts
 */
export function preprocessScrna(ds: Dataset, opts: PreprocessScrnaOptions = {}): { dataset: Dataset; report: FilterReport } {
  const counts = ds.layer(opts.layer);
  const { dataset: filtered, report } = filterGenes(ds.withX(counts), { minCounts: opts.minCounts ?? 3 });
  const raw = filtered.X;
  const rel = normalizeTotal(raw, opts.targetSum ?? RELATIVE_COUNTS_TARGET);
  const layers = new Map(filtered.layers);
  layers.set(LAYERS.rawCounts, raw);
  layers.set(LAYERS.relativeCounts, rel);
  const dataset = new Dataset({
    X: log1p(rel),
    obsNames: filtered.obsNames,
    varNames: filtered.varNames,
    obs: filtered.obs,
    var: filtered.var,
    layers,
    uns: filtered.uns,
    raw: filtered.raw,
  });
  return { dataset, report };
}
