/**
 * MrVI's data contract: which obs columns name the sample (required), the site/batch (optional)
 * and the cell label (optional); checked once with typed errors that name the column and the fix.
 */
import { InputError } from '../../core/errors.js';
import type { Dataset } from '../../data/dataset.js';
import { type Column, columnAsStrings } from '../../data/frame.js';
import { firstBadCount } from '../../preprocess/matrix-stats.js';

/** Keys of the obs columns MrVI reads. */
export interface MrviFields {
  sampleKey: string;
  batchKey?: string;
  labelsKey?: string;
}

/** A categorical obs column as codes + categories. */
export interface Categories {
  codes: Int32Array;
  categories: string[];
}

function column(ds: Dataset, key: string, role: string, file?: string): Column {
  if (!ds.obs.has(key)) {
    throw new InputError(`${role} column '${key}' not found in obs`, {
      code: 'E_NO_COLUMN',
      file,
      field: key,
      expected: `one of ${JSON.stringify(ds.obs.columnNames)}`,
      hint: `Pass the obs column that holds the ${role} with --${role === 'sample' ? 'sample-key' : role === 'batch' ? 'batch-key' : role === 'covariate' ? 'covariate' : 'labels'}`,
    });
  }
  return ds.obs.get(key, file);
}

/**
 * Codes of an obs column, in the order of `categories` when given (cells whose value is not among
 * them get −1), else of its own categories (categorical) or sorted distinct values.
 *
 * @throws {@link InputError} `E_NO_COLUMN` for an unknown key, `E_MISSING_VALUE` for a missing value.
 */
export function categoriesOf(
  ds: Dataset,
  key: string,
  role: string,
  opts: { file?: string; categories?: readonly string[] } = {},
): Categories {
  const c = column(ds, key, role, opts.file);
  const values = columnAsStrings(c);
  const cats = opts.categories ? [...opts.categories] : c.kind === 'categorical' ? [...c.categories] : [...new Set(values)].sort();
  const index = new Map(cats.map((x, i) => [x, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const missing = c.kind === 'categorical' ? (c.codes[i] as number) < 0 : values[i] === '';
    if (missing) {
      throw new InputError(`${role} column '${key}' has a missing value`, {
        code: 'E_MISSING_VALUE',
        file: opts.file,
        field: key,
        got: `cell ${i} (${ds.obsNames[i]})`,
        hint: `Fill in the ${role} of every cell, or drop the cells without one`,
      });
    }
    codes[i] = index.get(values[i] as string) ?? -1;
  }
  return { codes, categories: cats };
}

/**
 * Checks the training data: non-negative counts, a sample key with at least two samples and no
 * empty sample, an optional batch key.
 *
 * @throws {@link InputError} `E_NO_COLUMN`, `E_ONE_SAMPLE` (fewer than two samples), `E_EMPTY_SAMPLE`
 *   (a sample category with no cells), `E_NEGATIVE_COUNTS` / `E_NAN`.
 */
export function checkMrviData(
  ds: Dataset,
  fields: MrviFields,
  file?: string,
): { samples: Categories; sites: Categories; labels?: Categories } {
  const samples = categoriesOf(ds, fields.sampleKey, 'sample', { file });
  if (samples.categories.length < 2) {
    throw new InputError(`sample column '${fields.sampleKey}' has only ${samples.categories.length} sample`, {
      code: 'E_ONE_SAMPLE',
      file,
      field: fields.sampleKey,
      got: samples.categories,
      expected: 'at least 2 samples (MrVI compares samples)',
      hint: 'Pass the column that identifies donors/samples with --sample-key',
    });
  }
  const per = new Int32Array(samples.categories.length);
  for (const c of samples.codes) per[c] = (per[c] as number) + 1;
  const empty = samples.categories.filter((_, s) => per[s] === 0);
  if (empty.length > 0) {
    throw new InputError(`sample column '${fields.sampleKey}' has samples with no cells`, {
      code: 'E_EMPTY_SAMPLE',
      file,
      field: fields.sampleKey,
      got: empty.slice(0, 5),
      hint: 'Remove unused categories from the column (pandas: .cat.remove_unused_categories()) or drop those samples',
    });
  }
  const sites = fields.batchKey
    ? categoriesOf(ds, fields.batchKey, 'batch', { file })
    : { codes: new Int32Array(ds.nObs), categories: ['all'] };
  const labels = fields.labelsKey ? categoriesOf(ds, fields.labelsKey, 'labels', { file }) : undefined;
  const bad = firstBadCount(ds.X);
  if (bad) {
    throw new InputError('counts must be finite and non-negative', {
      code: Number.isNaN(bad.value) ? 'E_NAN' : 'E_NEGATIVE_COUNTS',
      file,
      field: `X[${bad.row}, ${bad.col}]`,
      got: bad.value,
      hint: 'MrVI models raw counts: pass the raw count matrix (e.g. --layer raw_counts)',
    });
  }
  return { samples, sites, labels };
}

/**
 * Sample-level values of a covariate: checks that it is constant within each sample.
 *
 * @param sampleCodes - Sample of each cell (model's sample order).
 * @param nSamples - Number of samples of the model.
 * @returns Level code per sample (−1 for a sample without cells) and the level names.
 * @throws {@link InputError} `E_COVARIATE_NOT_CONSTANT` naming a sample with two values.
 */
export function sampleCovariate(
  ds: Dataset,
  key: string,
  sampleCodes: Int32Array,
  sampleNames: readonly string[],
  file?: string,
): { perSample: Int32Array; levels: string[] } {
  const cov = categoriesOf(ds, key, 'covariate', { file });
  const perSample = new Int32Array(sampleNames.length).fill(-1);
  for (let i = 0; i < cov.codes.length; i++) {
    const s = sampleCodes[i] as number;
    if (s < 0) continue;
    const v = cov.codes[i] as number;
    if (perSample[s] === -1) perSample[s] = v;
    else if (perSample[s] !== v) {
      throw new InputError(`covariate '${key}' is not constant within sample '${sampleNames[s]}'`, {
        code: 'E_COVARIATE_NOT_CONSTANT',
        file,
        field: key,
        got: [cov.categories[perSample[s] as number], cov.categories[v]],
        hint: 'The guided test needs a sample-level covariate (one value per sample, e.g. disease status)',
      });
    }
  }
  return { perSample, levels: cov.categories };
}
