/**
 * One entry point for reading and writing Datasets in any supported format, chosen from the path:
 * `.h5ad`; a 10x directory or `.mtx[.gz]`; `.csv`/`.tsv`/`.txt` (optionally `.gz`). Files with
 * other names are recognised by their first bytes (HDF5 signature, `%%MatrixMarket`).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import { readH5ad } from './h5ad/read.js';
import { type WriteH5adOptions, writeH5ad } from './h5ad/write.js';
import { readLabels, withObsColumns } from './labels.js';
import { readTenx, writeTenx } from './mtx.js';
import { baseNameNoGz, checkExists } from './source.js';
import { readBulk, writeDenseTable } from './table.js';

/** The formats {@link readDataset} and {@link writeDataset} know. */
export type DatasetFormat = 'h5ad' | 'mtx' | 'table';

/** Options for {@link readDataset}. */
export interface ReadDatasetOptions extends LongRunOptions {
  /** Per-cell label table (TSV/CSV) to add to obs, joined by barcode (see {@link readLabels}). */
  labels?: string;
  /** Join the label table by row order instead of by barcode. */
  labelsByOrder?: boolean;
  /** Tables: reference genes used to detect whether genes are rows or columns. */
  genes?: readonly string[];
  /** Tables: genes are the table's rows or its columns (overrides detection). */
  genesIn?: 'rows' | 'columns';
}

function headBytes(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The format of an input path: by name first, then by content.
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND`.
 */
export function detectFormat(path: string): DatasetFormat {
  if (checkExists(path, 'any') === 'directory') return 'mtx';
  const b = baseNameNoGz(path);
  if (b.endsWith('.h5ad') || b.endsWith('.h5')) return 'h5ad';
  if (b.endsWith('.mtx')) return 'mtx';
  if (b.endsWith('.csv') || b.endsWith('.tsv') || b.endsWith('.txt') || b.endsWith('.tab')) return 'table';
  let head = headBytes(path, 4096);
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'h5ad';
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(headBytes(path, 1 << 16), { finishFlush: 2 /* Z_SYNC_FLUSH: tolerate the cut */ });
    } catch {
      return 'table';
    }
  }
  if (head.toString('latin1', 0, 14).toLowerCase() === '%%matrixmarket') return 'mtx';
  return 'table';
}

/**
 * Reads a Dataset from any supported format, observations x genes.
 *
 * - `.h5ad`: as stored ({@link readH5ad});
 * - 10x directory or `.mtx[.gz]`: cells x genes CSR float32 ({@link readTenx});
 * - `.csv`/`.tsv`/`.txt` (`.gz`): a dense table; genes x samples tables are transposed
 *   ({@link readBulk}, orientation from `genes` or `genesIn`).
 *
 * @param path - File or 10x directory.
 * @param opts - Labels table, table orientation, progress (stage 'read') and cancellation.
 * @throws {@link InputError} / {@link FormatError} from the format's reader; `E_LABELS_MISMATCH`.
 * @example
 * ```ts
 * const ref = await readDataset('filtered_feature_bc_matrix', { labels: 'cell_types.tsv' });
 * const bulk = await readDataset('bulk.tsv.gz', { genes: ref.varNames });
 * ```
 */
export async function readDataset(path: string, opts: ReadDatasetOptions = {}): Promise<Dataset> {
  const fmt = detectFormat(path);
  let ds: Dataset;
  if (fmt === 'h5ad') ds = await readH5ad(path, opts);
  else if (fmt === 'mtx') ds = await readTenx(path, opts);
  else ds = await readBulk(path, opts);
  if (opts.labels) ds = withObsColumns(ds, readLabels(opts.labels, ds.obsNames, { byOrder: opts.labelsByOrder }));
  return ds;
}

/** Options for {@link writeDataset}. */
export interface WriteDatasetOptions extends WriteH5adOptions {
  /** Format (default: from the extension; a path without one is a 10x directory). */
  format?: DatasetFormat;
  /** CSV/TSV and 10x: write this layer instead of X. */
  layer?: string;
  /** CSV/TSV: 'columns' (default) writes observations x genes; 'rows' writes genes x observations. */
  genesIn?: 'rows' | 'columns';
}

/** The output format for a path (extension, or an existing directory / no extension = 10x). */
export function outputFormat(path: string): DatasetFormat {
  const b = baseNameNoGz(path);
  if (b.endsWith('.h5ad')) return 'h5ad';
  if (b.endsWith('.csv') || b.endsWith('.tsv') || b.endsWith('.txt')) return 'table';
  if ((existsSync(path) && statSync(path).isDirectory()) || !b.includes('.')) return 'mtx';
  throw new InputError('cannot tell the output format from the file name', {
    code: 'E_OUTPUT_FORMAT',
    file: path,
    expected: '.h5ad, .csv, .tsv (optionally .gz), or a directory name without extension for 10x Matrix Market',
    hint: 'Use one of those extensions',
  });
}

/**
 * Writes a Dataset atomically: `.h5ad` (everything), `.csv`/`.tsv`[`.gz`] (X or one layer as a
 * dense table with obs names in the first column), or a 10x directory (`matrix.mtx.gz`,
 * `features.tsv.gz`, `barcodes.tsv.gz`; for a path without an extension or an existing directory).
 *
 * @param path - Output file or directory; its parent directory must exist.
 * @param ds - The Dataset.
 * @throws {@link InputError} `E_NO_PARENT_DIR`, `E_WRITE`, `E_OUTPUT_FORMAT`, `E_NO_LAYER`.
 * @example
 * ```ts
 * await writeDataset('pbmc3k.h5ad', await datasets.pbmc3k());
 * ```
 */
export async function writeDataset(path: string, ds: Dataset, opts: WriteDatasetOptions = {}): Promise<void> {
  const fmt = opts.format ?? outputFormat(path);
  if (fmt === 'h5ad') return writeH5ad(path, ds, opts);
  if (fmt === 'mtx') return writeTenx(path, ds, opts.layer);
  const m = ds.layer(opts.layer);
  if (opts.genesIn === 'rows') {
    const t = m.kind === 'dense' ? m.transpose() : m.kind === 'csr' ? m.toCsc().transpose() : m.transpose();
    return writeDenseTable(path, ds.varNames, ds.obsNames, t, { cornerLabel: 'gene' });
  }
  // The corner cell records the orientation, so that readDataset reads the table back the same way.
  return writeDenseTable(path, ds.obsNames, ds.varNames, m, { cornerLabel: 'obs' });
}
