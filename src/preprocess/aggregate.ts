/**
 * Aggregation of cells by label: one observation per group with the mean or the sum of its cells
 * (pseudobulk per cell type, or the mean-expression profile that a signature is built from).
 */
import { InputError } from '../core/errors.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';

/** Options of {@link aggregateByLabel}. */
export interface AggregateOptions {
  /** Layer to aggregate (default X). */
  layer?: string;
  /** Group order (default: the label column's categories that have at least one cell). */
  groups?: readonly string[];
}

/**
 * Per-group mean or sum of the cells of each label.
 *
 * @param ds - cells x genes Dataset.
 * @param labelsKey - obs column with the labels (string or categorical).
 * @param how - 'mean' (default) or 'sum'.
 * @param opts - layer and group order.
 * @returns a groups x genes Dataset (Float64 dense), obs column `n_cells`.
 * @throws {@link InputError} `E_NO_COLUMN` (unknown column), `E_UNKNOWN_LABEL` (a requested group
 *   has no cell), `E_LABELS_NUMERIC`.
 * @example
 * const profiles = aggregateByLabel(ref, 'cell_type', 'mean'); // 9 x 32738 for PBMC3k
 */
export function aggregateByLabel(ds: Dataset, labelsKey: string, how: 'mean' | 'sum' = 'mean', opts: AggregateOptions = {}): Dataset {
  const { codes, categories } = ds.labels(labelsKey);
  const counts = new Float64Array(categories.length);
  for (let i = 0; i < codes.length; i++)
    if ((codes[i] as number) >= 0) counts[codes[i] as number] = (counts[codes[i] as number] as number) + 1;
  let groups: string[];
  if (opts.groups) {
    groups = [...opts.groups];
    for (const g of groups) {
      const k = categories.indexOf(g);
      if (k < 0 || counts[k] === 0) {
        throw new InputError(`label '${g}' has no cell in column '${labelsKey}'`, {
          code: 'E_UNKNOWN_LABEL',
          field: labelsKey,
          got: g,
          expected: `one of ${JSON.stringify(categories.filter((_, i) => (counts[i] as number) > 0))}`,
        });
      }
    }
  } else groups = categories.filter((_, i) => (counts[i] as number) > 0);
  const catToGroup = new Int32Array(categories.length).fill(-1);
  groups.forEach((g, k) => {
    catToGroup[categories.indexOf(g)] = k;
  });
  const rowGroup = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) rowGroup[i] = (codes[i] as number) >= 0 ? (catToGroup[codes[i] as number] as number) : -1;
  const m = ds.layer(opts.layer);
  const { sums, n } = groupSums(m, rowGroup, groups.length);
  if (how === 'mean') {
    for (let k = 0; k < groups.length; k++) {
      const c = n[k] as number;
      const row = sums.row(k);
      for (let j = 0; j < row.length; j++) row[j] = (row[j] as number) / c;
    }
  }
  return new Dataset({
    X: sums,
    obsNames: groups,
    varNames: ds.varNames,
    var: ds.var,
    obs: new Frame(groups.length, { n_cells: { kind: 'numeric', values: n } }),
  });
}

/** groups x cols sums over rows with group >= 0, in Float64, without densifying sparse input. */
export function groupSums(m: Matrix, rowGroup: Int32Array, nGroups: number): { sums: DenseMatrix<Float64Array>; n: Float64Array } {
  const n = new Float64Array(nGroups);
  for (let i = 0; i < rowGroup.length; i++)
    if ((rowGroup[i] as number) >= 0) n[rowGroup[i] as number] = (n[rowGroup[i] as number] as number) + 1;
  if (m.kind === 'csr') {
    const { sums } = m.groupColSums(rowGroup, nGroups);
    return { sums, n };
  }
  const out = new Float64Array(nGroups * m.cols);
  const g = m.cols;
  if (m.kind === 'dense') {
    for (let i = 0; i < m.rows; i++) {
      const k = rowGroup[i] as number;
      if (k < 0) continue;
      const b = i * g;
      const ob = k * g;
      for (let j = 0; j < g; j++) out[ob + j] = (out[ob + j] as number) + (m.data[b + j] as number);
    }
  } else {
    for (let j = 0; j < g; j++) {
      const b = m.indptr[j + 1] as number;
      for (let p = m.indptr[j] as number; p < b; p++) {
        const k = rowGroup[m.indices[p] as number] as number;
        if (k >= 0) out[k * g + j] = (out[k * g + j] as number) + (m.data[p] as number);
      }
    }
  }
  return { sums: new DenseMatrix(nGroups, g, out), n };
}
