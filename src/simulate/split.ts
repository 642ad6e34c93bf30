/**
 * Train/test split of a labelled single-cell reference, by cell (stratified by label) or by group
 * (donor, batch), as in the MixupVI benchmark protocol: the train part builds signatures and trains
 * models, the test part is only used to simulate the pseudobulks they are scored on.
 */
import { fmtInt, InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { columnAsStrings } from '../data/frame.js';

/** Options of {@link splitTrainTest}. */
export interface SplitOptions {
  /** obs column with the cell-type labels. */
  labelsKey: string;
  /** Fraction of the cells (or groups) that go to train (default 0.5, the paper's 50/50 split). */
  trainFraction?: number;
  /** Split every label separately so that each keeps `trainFraction` of its cells (default true). */
  stratify?: boolean;
  /** obs column (donor, batch, sample): whole groups go to one side, so no donor is on both sides. */
  groupKey?: string;
  /** Seed of the shuffle. */
  seed?: number;
  /**
   * Each label needs at least this many cells (default 2: one per side when stratified). Fewer
   * gives a typed error naming the label.
   */
  minCellsPerType?: number;
}

/** The two parts of a split, with the row indices into the input (ascending). */
export interface TrainTestSplit {
  train: Dataset;
  test: Dataset;
  trainIndex: Int32Array;
  testIndex: Int32Array;
}

/**
 * Splits cells into train and test.
 *
 * Without `groupKey`, each label's cells are shuffled and `round(n_c * trainFraction)` go to train
 * (at least one cell on each side when the label has two or more), so that rare types such as
 * platelets are present in both parts. With `groupKey`, groups are shuffled and assigned to train
 * until `trainFraction` of the cells is reached; labels may then be unbalanced.
 *
 * @param ds - cells x genes reference with `labelsKey` (and `groupKey`) in obs.
 * @returns train and test Datasets (rows in input order) and their row indices.
 * @throws {@link InputError} `E_NO_COLUMN` when a column is missing, `E_TOO_FEW_CELLS` when a label
 *   has fewer than `minCellsPerType` cells, `E_SPLIT_FRACTION` for a fraction outside (0, 1),
 *   `E_SPLIT_EMPTY` when one side would be empty.
 * @example
 * const { train, test } = splitTrainTest(cells, { labelsKey: 'cell_type', seed: 0 });
 */
export function splitTrainTest(ds: Dataset, opts: SplitOptions): TrainTestSplit {
  const fraction = opts.trainFraction ?? 0.5;
  if (!(fraction > 0 && fraction < 1)) {
    throw new InputError('train fraction must be strictly between 0 and 1', {
      code: 'E_SPLIT_FRACTION',
      field: 'trainFraction',
      got: fraction,
      expected: 'a number in (0, 1), e.g. 0.5',
    });
  }
  const { codes, categories } = ds.labels(opts.labelsKey);
  const minCells = opts.minCellsPerType ?? 2;
  checkLabelCounts(codes, categories, opts.labelsKey, minCells);
  const rng = new Rng(opts.seed ?? 0).fork('split');
  const isTrain = new Uint8Array(ds.nObs);
  if (opts.groupKey !== undefined) {
    const groups = columnAsStrings(ds.obs.get(opts.groupKey));
    const names = [...new Set(groups)].sort();
    if (names.length < 2) {
      throw new InputError(`group column '${opts.groupKey}' has only one group; cannot split by group`, {
        code: 'E_SPLIT_EMPTY',
        field: opts.groupKey,
        got: names,
        hint: 'Omit the group option to split by cell, or use a column with several donors or batches',
      });
    }
    const size = new Map<string, number>();
    for (const g of groups) size.set(g, (size.get(g) ?? 0) + 1);
    const order = rng.permutation(names.length);
    const chosen = new Set<string>();
    let nTrain = 0;
    const target = fraction * ds.nObs;
    // Greedy in shuffled order; always leave at least one group for test.
    for (let k = 0; k < order.length - 1 && nTrain < target; k++) {
      const g = names[order[k] as number] as string;
      chosen.add(g);
      nTrain += size.get(g) as number;
    }
    for (let i = 0; i < ds.nObs; i++) isTrain[i] = chosen.has(groups[i] as string) ? 1 : 0;
  } else if (opts.stratify ?? true) {
    const members = groupByCode(codes, categories.length);
    for (let c = 0; c < categories.length; c++) {
      const rows = members[c] as Int32Array;
      const n = rows.length;
      if (n === 0) continue;
      let k = Math.round(n * fraction);
      if (n >= 2) k = Math.min(n - 1, Math.max(1, k));
      const perm = rng.permutation(n);
      for (let t = 0; t < k; t++) isTrain[rows[perm[t] as number] as number] = 1;
    }
  } else {
    const k = Math.round(ds.nObs * fraction);
    const perm = rng.permutation(ds.nObs);
    for (let t = 0; t < k; t++) isTrain[perm[t] as number] = 1;
  }
  let nTrain = 0;
  for (let i = 0; i < ds.nObs; i++) nTrain += isTrain[i] as number;
  if (nTrain === 0 || nTrain === ds.nObs) {
    throw new InputError('the split left one side empty', {
      code: 'E_SPLIT_EMPTY',
      got: `${nTrain} train cells of ${ds.nObs}`,
      hint: 'Use more cells or another train fraction',
    });
  }
  const trainIndex = new Int32Array(nTrain);
  const testIndex = new Int32Array(ds.nObs - nTrain);
  let a = 0;
  let b = 0;
  for (let i = 0; i < ds.nObs; i++) {
    if (isTrain[i]) trainIndex[a++] = i;
    else testIndex[b++] = i;
  }
  return { train: ds.selectObs(trainIndex), test: ds.selectObs(testIndex), trainIndex, testIndex };
}

/** Row indices of each label code (codes -1 = missing are skipped). */
export function groupByCode(codes: Int32Array, nCategories: number): Int32Array[] {
  const counts = new Int32Array(nCategories);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c >= 0) counts[c] = (counts[c] as number) + 1;
  }
  const out = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(nCategories);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < 0) continue;
    (out[c] as Int32Array)[fill[c] as number] = i;
    fill[c] = (fill[c] as number) + 1;
  }
  return out;
}

/** Typed error for missing labels or labels with fewer than `min` cells. */
function checkLabelCounts(codes: Int32Array, categories: string[], labelsKey: string, min: number): void {
  const counts = new Int32Array(categories.length);
  let missing = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < 0) missing++;
    else counts[c] = (counts[c] as number) + 1;
  }
  if (missing > 0) {
    throw new InputError(`${fmtInt(missing)} cells have no label in obs column '${labelsKey}'`, {
      code: 'E_MISSING_LABELS',
      field: labelsKey,
      hint: 'Drop unlabelled cells first, or give them a label',
    });
  }
  const few = categories.filter((_, c) => (counts[c] as number) > 0 && (counts[c] as number) < min);
  if (few.length > 0) {
    throw new InputError(`cell types with fewer than ${min} cells cannot be split into train and test`, {
      code: 'E_TOO_FEW_CELLS',
      field: labelsKey,
      got: few.map((t) => `${t}: ${counts[categories.indexOf(t)]}`),
      expected: `>= ${min} cells per type`,
      hint: 'Merge the rare types into a coarser group with a granularity map (--granularity), or drop those cells',
    });
  }
}
