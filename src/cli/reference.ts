/**
 * What the commands that read a labelled single-cell reference share (`signature`, `simulate`,
 * `benchmark`, `train`, `deconvolve`, `demo`): the `--reference` / `--labels` option specs, the
 * label-column default for the bundled PBMC3k, and the reference loader.
 */
import { statSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { PBMC3K_LABEL_COLUMN, pbmc3k } from '../datasets/index.js';
import { readH5ad } from '../io/h5ad/read.js';
import { readLabels, withObsColumns } from '../io/labels.js';
import { readTenx } from '../io/mtx.js';
import { optString, reqString, UsageError } from './args.js';
import type { OptionSpec, ParsedArgs } from './command.js';

/** Default label column of the bundled PBMC3k. */
export const PBMC3K_LABELS = PBMC3K_LABEL_COLUMN;

/** `--reference` and `--labels`, as every reference-reading command declares them. */
export const REFERENCE_OPTIONS: Record<string, OptionSpec> = {
  reference: {
    type: 'string',
    short: 'r',
    description: "Labelled single-cell reference: .h5ad, 10x directory, or 'pbmc3k'",
    valueName: 'REF',
  },
  labels: { type: 'string', short: 'l', description: 'obs column with cell-type labels (pbmc3k: cell_type)', valueName: 'COLUMN' },
};

/** `--labels-file`: a per-cell label table joined to the reference by barcode before `--labels` is looked up. */
export const LABELS_FILE_OPTION: Record<string, OptionSpec> = {
  'labels-file': {
    type: 'string',
    description: 'Per-cell label table (TSV/CSV, joined by barcode) added to obs before --labels is looked up',
    valueName: 'FILE',
  },
};

/**
 * The label column for reference `refName`: `--labels` when given, else `cell_type` for the bundled
 * `pbmc3k`.
 *
 * @throws {@link UsageError} when `--labels` is missing and the reference is not `pbmc3k`.
 */
export function labelsOption(args: ParsedArgs, refName: string): string {
  const labelsKey = optString(args, 'labels') ?? (refName === 'pbmc3k' ? PBMC3K_LABELS : undefined);
  if (!labelsKey)
    throw new UsageError(
      'missing required option',
      'labels',
      undefined,
      undefined,
      'Pass --labels with the obs column holding the cell types',
    );
  return labelsKey;
}

/**
 * The required `--reference` and its label column (see {@link labelsOption}).
 *
 * @throws {@link UsageError} when `--reference`, or `--labels` for a non-bundled reference, is missing.
 */
export function referenceOptions(args: ParsedArgs): { refName: string; labelsKey: string } {
  const refName = reqString(args, 'reference', "Pass --reference ref.h5ad (or 'pbmc3k')");
  return { refName, labelsKey: labelsOption(args, refName) };
}

/**
 * Loads a reference: the name `pbmc3k` (bundled), an .h5ad file, or a 10x Matrix Market directory /
 * .mtx[.gz] file.
 *
 * @param ref - `pbmc3k`, a path to an .h5ad file, or a 10x directory / .mtx[.gz] file.
 * @param signal - aborts the read.
 * @param opts - `labelsFile`: a per-cell label table (see {@link readLabels}) added to obs.
 * @returns the reference, cells x genes.
 * @throws {@link InputError} `E_FILE_NOT_FOUND` when the path does not exist, `E_REFERENCE_FORMAT`
 *   for any other file type, `E_LABELS_MISMATCH` for a label table that does not match the cells;
 *   the readers' own errors for malformed files.
 * @example
 * const ref = await loadReference('pbmc3k');
 */
export async function loadReference(ref: string, signal?: AbortSignal, opts: { labelsFile?: string } = {}): Promise<Dataset> {
  const ds = await loadReferenceMatrix(ref, signal);
  // A label table that matches no cell (or only some) is an E_LABELS_MISMATCH saying how many matched.
  return opts.labelsFile ? withObsColumns(ds, readLabels(opts.labelsFile, ds.obsNames)) : ds;
}

async function loadReferenceMatrix(ref: string, signal?: AbortSignal): Promise<Dataset> {
  if (ref === 'pbmc3k') return pbmc3k({ signal });
  let isDir = false;
  try {
    isDir = statSync(ref).isDirectory();
  } catch {
    throw new InputError('reference not found', {
      code: 'E_FILE_NOT_FOUND',
      file: ref,
      hint: "Pass an .h5ad file, a 10x matrix directory, or 'pbmc3k' for the bundled dataset",
    });
  }
  if (!isDir && /\.h5ad$/i.test(ref)) return readH5ad(ref, { signal });
  if (isDir || /\.mtx(\.gz)?$/i.test(ref)) return readTenx(ref, { signal });
  throw new InputError('unsupported reference format', {
    code: 'E_REFERENCE_FORMAT',
    file: ref,
    expected: '.h5ad, a 10x directory (matrix.mtx[.gz] + genes/barcodes) or pbmc3k',
    hint: "Convert it first with 'celldeconv convert', or pass an .h5ad file",
  });
}
