/**
 * Gene and cell filters (scanpy `filter_genes` / `filter_cells`), as pure functions that return a
 * new Dataset plus a report of what was dropped.
 */
import { InputError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { columnCounts, rowCounts } from './matrix-stats.js';

/** What a filter kept and dropped. */
export interface FilterReport {
  /** Number of genes (or cells) kept. */
  kept: number;
  /** Number dropped. */
  nDropped: number;
  /** Names of the dropped genes (or cells), in their original order. */
  dropped: string[];
  /** Indices of the kept genes (or cells) in the input. */
  keptIndex: Int32Array;
}

/** Thresholds of {@link filterGenes}; a gene must pass every threshold given. */
export interface FilterGenesOptions {
  /** Minimum total count over all cells (scanpy `min_counts`). */
  minCounts?: number;
  /** Minimum number of cells with a non-zero value (scanpy `min_cells`). */
  minCells?: number;
  /** Layer to count on (default X). */
  layer?: string;
}

/** Thresholds of {@link filterCells}; a cell must pass every threshold given. */
export interface FilterCellsOptions {
  /** Minimum total count of the cell (scanpy `min_counts`). */
  minCounts?: number;
  /** Minimum number of genes with a non-zero value (scanpy `min_genes`). */
  minGenes?: number;
  /** Layer to count on (default X). */
  layer?: string;
}

function checkThreshold(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
    throw new InputError(`${name} must be a non-negative number`, { code: 'E_OPTION', field: name, got: v, expected: '>= 0' });
  }
}

function report(names: readonly string[], keep: Uint8Array): FilterReport {
  const keptIndex: number[] = [];
  const dropped: string[] = [];
  for (let k = 0; k < keep.length; k++) {
    if (keep[k]) keptIndex.push(k);
    else dropped.push(names[k] as string);
  }
  return { kept: keptIndex.length, nDropped: dropped.length, dropped, keptIndex: Int32Array.from(keptIndex) };
}

/**
 * Keeps genes with at least `minCounts` total counts and at least `minCells` expressing cells.
 * Every layer is subset the same way. Sparse matrices are never densified.
 *
 * @param ds - cells x genes Dataset.
 * @param opts - thresholds (each optional) and the layer to count on.
 * @returns the filtered Dataset and a {@link FilterReport} over genes.
 * @throws {@link InputError} `E_OPTION` for a negative or NaN threshold, `E_NO_LAYER` for an unknown layer.
 * @example
 * const { dataset, report } = filterGenes(ref, { minCounts: 3 });
 * report.nDropped; // genes seen fewer than 3 times
 */
export function filterGenes(ds: Dataset, opts: FilterGenesOptions): { dataset: Dataset; report: FilterReport } {
  checkThreshold('minCounts', opts.minCounts);
  checkThreshold('minCells', opts.minCells);
  const { sums, nonzero } = columnCounts(ds.layer(opts.layer));
  const keep = new Uint8Array(ds.nVars);
  for (let j = 0; j < keep.length; j++) {
    keep[j] =
      (opts.minCounts === undefined || (sums[j] as number) >= opts.minCounts) &&
      (opts.minCells === undefined || (nonzero[j] as number) >= opts.minCells)
        ? 1
        : 0;
  }
  const r = report(ds.varNames, keep);
  return { dataset: r.nDropped === 0 ? ds : ds.selectVars(r.keptIndex), report: r };
}

/**
 * Keeps cells with at least `minCounts` total counts and at least `minGenes` detected genes.
 *
 * @param ds - cells x genes Dataset.
 * @param opts - thresholds (each optional) and the layer to count on.
 * @returns the filtered Dataset and a {@link FilterReport} over cells.
 * @throws {@link InputError} `E_OPTION` for a negative or NaN threshold, `E_NO_LAYER` for an unknown layer.
 * @example
 * const { dataset } = filterCells(ref, { minGenes: 200 });
 */
export function filterCells(ds: Dataset, opts: FilterCellsOptions): { dataset: Dataset; report: FilterReport } {
  checkThreshold('minCounts', opts.minCounts);
  checkThreshold('minGenes', opts.minGenes);
  const { sums, nonzero } = rowCounts(ds.layer(opts.layer));
  const keep = new Uint8Array(ds.nObs);
  for (let i = 0; i < keep.length; i++) {
    keep[i] =
      (opts.minCounts === undefined || (sums[i] as number) >= opts.minCounts) &&
      (opts.minGenes === undefined || (nonzero[i] as number) >= opts.minGenes)
        ? 1
        : 0;
  }
  const r = report(ds.obsNames, keep);
  return { dataset: r.nDropped === 0 ? ds : ds.selectObs(r.keptIndex), report: r };
}
