/**
 * The data contract of the models: which layer holds the counts and which obs columns hold the labels
 * (and, for models that need them, the sample and batch keys). Checked once, with the typed errors
 * (`E_NO_LABELS`, `E_NO_COLUMN`, `E_NAN`, `E_NEGATIVE_COUNTS`, `W_NON_INTEGER_COUNTS`), and stored in
 * the model's manifest as {@link DataFields} so that a loaded model knows what it was trained on.
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { fmtInt, InputError } from '../core/errors.js';
import { LAYERS } from '../core/keys.js';
import type { Dataset } from '../data/dataset.js';
import type { Matrix } from '../data/matrix.js';

/** Where a model finds its inputs in a Dataset (saved in manifests). */
export interface DataFields {
  /** Layer of raw counts (`raw_counts` when present, else X). */
  layer?: string;
  /** obs column of cell-type labels. */
  labelsKey?: string;
  /** obs column of the sample (donor) of each cell (MrVI). */
  sampleKey?: string;
  /** obs column of the technical batch of each cell. */
  batchKey?: string;
}

/** The layer to read: the given one, else `raw_counts` when the Dataset has it, else X (`undefined`). */
export function countsLayerOf(ds: Dataset, layer: string | undefined): string | undefined {
  if (layer !== undefined) return layer;
  return ds.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : undefined;
}

/**
 * Checks a count matrix for a count model: NaN/negative → error; non-integers → a warning (only when
 * `integers`; bulk raw_counts are MEANS of cells' counts, so non-integers are expected there).
 *
 * @throws {@link InputError} `E_NAN` / `E_NEGATIVE_COUNTS` naming `what`.
 */
export function checkCounts(m: Matrix, what: string, integers = true): DiagnosticWarning[] {
  const vals = m.data;
  let nonInt = 0;
  for (let k = 0; k < vals.length; k++) {
    const v = vals[k] as number;
    if (!(v >= 0)) {
      throw new InputError(`${what} contains ${Number.isNaN(v) ? 'NaN' : 'negative'} values`, {
        code: Number.isNaN(v) ? 'E_NAN' : 'E_NEGATIVE_COUNTS',
        field: what,
        got: v,
        expected: 'raw counts >= 0',
        hint: 'Count models (NB/ZINB) need raw counts: pass the raw_counts layer, not log-normalised or scaled data',
      });
    }
    if (v !== Math.floor(v)) nonInt++;
  }
  if (nonInt === 0 || !integers) return [];
  return [
    {
      code: 'W_NON_INTEGER_COUNTS',
      message: `${what}: ${fmtInt(nonInt)} values are not integers; the NB/ZINB likelihood expects raw counts (scvi-tools gives the same warning). Is this normalised data?`,
    },
  ];
}

/** The label key, or `E_NO_LABELS` naming the model. */
export function requireLabelsKey(labelsKey: string | undefined, model: string): string {
  if (labelsKey) return labelsKey;
  throw new InputError(`${model} needs cell-type labels`, {
    code: 'E_NO_LABELS',
    field: 'labelsKey',
    hint: 'Pass --labels COLUMN (an obs column of the reference)',
  });
}

/** Integer codes of an obs column (labels, samples or batches) with its categories (typed errors from `Dataset.labels`). */
export function categoriesOf(ds: Dataset, key: string): { codes: Int32Array; categories: string[] } {
  return ds.labels(key);
}

/** A checked counts view of a Dataset, as the models consume it. */
export interface CheckedCounts {
  fields: DataFields & { layer: string };
  counts: Matrix;
  warnings: DiagnosticWarning[];
}

/** Resolves the counts layer and checks it once (see {@link checkCounts}). */
export function checkedCounts(ds: Dataset, fields: DataFields, what = 'reference'): CheckedCounts {
  const layer = countsLayerOf(ds, fields.layer);
  const counts = ds.layer(layer);
  const warnings = checkCounts(counts, `${what} ${layer ?? 'X'}`);
  for (const key of [fields.labelsKey, fields.sampleKey, fields.batchKey]) if (key) ds.labels(key);
  return { fields: { ...fields, layer: layer ?? 'X' }, counts, warnings };
}
