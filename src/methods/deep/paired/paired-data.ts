/**
 * Paired bulk / single-cell training data (seed 001): a measured bulk profile per sample plus that
 * sample's single-cell labels (or its proportions).
 *
 * - {@link loadPairedData}: files → {@link PairedSet} (bulk table + a per-cell table `sample, cell_type`
 *   or a samples x types proportions table).
 * - {@link pairedFromTables}: the same from in-memory values.
 * - {@link pairedFromPseudoDonors}: a paired set built from ONE labelled single-cell dataset (e.g.
 *   PBMC3k): cells are split into pseudo-donors with heterogeneous compositions and each donor's
 *   bulk is the sum of its cells' raw counts. Used to test paired training where no real paired
 *   cohort is available.
 *
 * The augmentation itself is `simulate/paired-augmentation.ts` (`augmentPaired`).
 */
import { InputError } from '../../../core/errors.js';
import { LAYERS } from '../../../core/keys.js';
import { Rng } from '../../../core/rng.js';
import { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import { type Matrix, toDense } from '../../../data/matrix.js';
import { readBulk, readDenseTable, readSmallDelimited } from '../../../io/table.js';
import { compositionsFromLabels, type PairedSet } from '../../../simulate/paired-augmentation.js';
import { accumulateRows, groupCellsByType } from '../../../simulate/scaden-simulation.js';

export type { PairedSet } from '../../../simulate/paired-augmentation.js';

/** Files of a paired data set. */
export interface LoadPairedOptions {
  /** Bulk expression table (CSV/TSV, samples x genes or genes x samples, detected), or `.h5ad`. */
  bulk: string;
  /** Per-cell table with a sample column and a cell-type column (one row per cell). */
  cells?: string;
  /** Samples x cell types proportions table (used when `cells` is absent). */
  proportions?: string;
  /** Column of `cells` naming the sample (default 'sample'). */
  sampleColumn?: string;
  /** Column of `cells` naming the cell type (default 'cell_type'). */
  labelColumn?: string;
}

/**
 * Builds a {@link PairedSet} from in-memory values.
 *
 * @param bulk samples x genes Dataset (X or `layer`).
 * @param cells per-cell sample names and labels (same length), or undefined with `proportions`.
 * @param proportions samples x types with `cellTypes` (used when `cells` is absent).
 * @throws InputError `E_PAIRED_SAMPLES` when a bulk sample has no cells / proportions, or the reverse.
 */
export function pairedFromTables(
  bulk: Dataset,
  cells?: { sample: readonly string[]; label: readonly string[] },
  proportions?: { sampleNames: readonly string[]; cellTypes: readonly string[]; values: DenseMatrix },
  layer?: string,
): PairedSet {
  const X = toDense(bulk.layer(layer) as Matrix);
  const sampleNames = [...bulk.obsNames];
  const index = new Map(sampleNames.map((s, i) => [s, i]));
  if (cells) {
    if (cells.sample.length !== cells.label.length) {
      throw new InputError('cell sample and label columns differ in length', {
        code: 'E_PAIRED_CELLS',
        got: cells.label.length,
        expected: cells.sample.length,
      });
    }
    const cellTypes = [...new Set(cells.label.filter((l) => l !== ''))].sort();
    const typeIndex = new Map(cellTypes.map((c, i) => [c, i]));
    const perSample: number[][] = sampleNames.map(() => []);
    const unknown = new Set<string>();
    cells.sample.forEach((s, i) => {
      const p = index.get(s);
      const lab = cells.label[i] as string;
      if (p === undefined) unknown.add(s);
      else if (lab !== '') (perSample[p] as number[]).push(typeIndex.get(lab) as number);
    });
    if (unknown.size > 0) {
      throw new InputError(`${unknown.size} sample(s) of the cell table have no bulk profile`, {
        code: 'E_PAIRED_SAMPLES',
        got: [...unknown].slice(0, 5),
        expected: `names among the bulk samples (${sampleNames.slice(0, 3).join(', ')}, ...)`,
        hint: 'Sample names must match the bulk table exactly',
      });
    }
    const empty = sampleNames.filter((_, p) => (perSample[p] as number[]).length === 0);
    if (empty.length > 0) {
      throw new InputError(`${empty.length} bulk sample(s) have no labelled cells`, {
        code: 'E_PAIRED_SAMPLES',
        got: empty.slice(0, 5),
        hint: 'Drop those bulk samples or add their cells',
      });
    }
    const cellLabels = perSample.map((a) => Int32Array.from(a));
    return {
      bulk: X,
      sampleNames,
      genes: [...bulk.varNames],
      cellTypes,
      cellLabels,
      proportions: compositionsFromLabels(cellLabels, cellTypes.length),
    };
  }
  if (!proportions) {
    throw new InputError('paired data needs per-cell labels or proportions', {
      code: 'E_PAIRED_TARGETS',
      hint: 'Pass a cells table (sample, cell_type) or a proportions table',
    });
  }
  const pIndex = new Map(proportions.sampleNames.map((s, i) => [s, i]));
  const C = proportions.cellTypes.length;
  const out = new Float64Array(sampleNames.length * C);
  const missing: string[] = [];
  sampleNames.forEach((s, p) => {
    const q = pIndex.get(s);
    if (q === undefined) {
      missing.push(s);
      return;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += proportions.values.get(q, c);
    for (let c = 0; c < C; c++) out[p * C + c] = sum > 0 ? proportions.values.get(q, c) / sum : 0;
  });
  if (missing.length > 0) {
    throw new InputError(`${missing.length} bulk sample(s) have no proportions`, {
      code: 'E_PAIRED_SAMPLES',
      got: missing.slice(0, 5),
      hint: 'Sample names must match between the bulk and the proportions tables',
    });
  }
  return {
    bulk: X,
    sampleNames,
    genes: [...bulk.varNames],
    cellTypes: [...proportions.cellTypes],
    proportions: new DenseMatrix(sampleNames.length, C, out),
  };
}

/**
 * Reads a paired data set from files.
 *
 * @throws InputError `E_PAIRED_TARGETS` without `cells` or `proportions`; `E_PAIRED_COLUMNS` when
 *   the cells table lacks the sample / label column; `E_PAIRED_SAMPLES` for unmatched samples; the
 *   table readers' FormatError / InputError for unreadable files.
 * @example
 * const paired = await loadPairedData({ bulk: 'bulk.tsv', cells: 'cells.tsv' });
 */
export async function loadPairedData(opts: LoadPairedOptions): Promise<PairedSet> {
  const bulk = await readBulk(opts.bulk);
  if (opts.cells) {
    const rows = readSmallDelimited(opts.cells);
    const header = rows[0] ?? [];
    const sCol = header.indexOf(opts.sampleColumn ?? 'sample');
    const lCol = header.indexOf(opts.labelColumn ?? 'cell_type');
    if (sCol < 0 || lCol < 0) {
      throw new InputError('cells table lacks the sample or label column', {
        code: 'E_PAIRED_COLUMNS',
        file: opts.cells,
        got: header,
        expected: `columns '${opts.sampleColumn ?? 'sample'}' and '${opts.labelColumn ?? 'cell_type'}'`,
        hint: 'Name the columns with sampleColumn / labelColumn',
      });
    }
    const body = rows.slice(1);
    return pairedFromTables(bulk, { sample: body.map((r) => r[sCol] ?? ''), label: body.map((r) => r[lCol] ?? '') });
  }
  if (opts.proportions) {
    const t = await readDenseTable(opts.proportions);
    return pairedFromTables(bulk, undefined, { sampleNames: t.rowNames, cellTypes: t.colNames, values: t.values });
  }
  return pairedFromTables(bulk);
}

/** Options of {@link pairedFromPseudoDonors}. */
export interface PseudoDonorOptions {
  labelsKey: string;
  /** Layer with raw counts (default X). */
  layer?: string;
  /** Number of pseudo-donors (default 30, the cohort size of seed 001). */
  nDonors?: number;
  /**
   * Gamma shape of the per-donor, per-type weights: each cell of type c goes to donor d with
   * probability w_dc / Σ_d w_dc, w_dc ~ Gamma(shape). Smaller → more heterogeneous donors (default 1).
   */
  concentration?: number;
  seed?: number;
}

/**
 * Splits a labelled single-cell dataset into pseudo-donors and sums each donor's raw counts into a
 * bulk profile, giving a paired set (donor bulk, donor cells' labels).
 *
 * @param ref cells x genes raw counts with a label column.
 * @returns the paired set and the donor of each cell (-1 for unlabelled cells).
 * @throws InputError `E_OPTION` for nDonors < 2 or more donors than cells; `E_LABELS` as the simulators.
 * @example
 * const { paired } = pairedFromPseudoDonors(pbmc, { labelsKey: 'cell_type', nDonors: 30, seed: 0 });
 */
export function pairedFromPseudoDonors(ref: Dataset, opts: PseudoDonorOptions): { paired: PairedSet; donorOfCell: Int32Array } {
  const nDonors = opts.nDonors ?? 30;
  const shape = opts.concentration ?? 1;
  const { counts, cellTypes, groups } = groupCellsByType(ref, opts.labelsKey, opts.layer);
  const nLabelled = groups.reduce((a, g) => a + g.length, 0);
  if (!Number.isInteger(nDonors) || nDonors < 2 || nDonors > nLabelled) {
    throw new InputError('nDonors must be an integer between 2 and the number of labelled cells', {
      code: 'E_OPTION',
      field: 'nDonors',
      got: nDonors,
      expected: `2..${nLabelled}`,
    });
  }
  const rng = new Rng(opts.seed ?? 0);
  const C = cellTypes.length;
  const donorOfCell = new Int32Array(ref.nObs).fill(-1);
  const w = new Float64Array(nDonors);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let d = 0; d < nDonors; d++) {
      w[d] = rng.gamma(shape);
      sum += w[d] as number;
    }
    for (const cell of groups[c] as Int32Array) {
      let u = rng.uniform() * sum;
      let d = 0;
      while (d < nDonors - 1 && u >= (w[d] as number)) u -= w[d++] as number;
      donorOfCell[cell] = d;
    }
  }
  // A donor left without cells would have no bulk: give it one cell taken from the largest donor.
  const sizes = new Int32Array(nDonors);
  for (const d of donorOfCell) if (d >= 0) sizes[d] = (sizes[d] as number) + 1;
  for (let d = 0; d < nDonors; d++) {
    if (sizes[d] !== 0) continue;
    let big = 0;
    for (let e = 1; e < nDonors; e++) if ((sizes[e] as number) > (sizes[big] as number)) big = e;
    const cell = donorOfCell.indexOf(big);
    donorOfCell[cell] = d;
    sizes[big] = (sizes[big] as number) - 1;
    sizes[d] = 1;
  }
  const codeOfCell = new Int32Array(ref.nObs).fill(-1);
  groups.forEach((g, c) => {
    for (const cell of g) codeOfCell[cell] = c;
  });
  const members: number[][] = Array.from({ length: nDonors }, () => []);
  for (let i = 0; i < ref.nObs; i++) if ((donorOfCell[i] as number) >= 0) (members[donorOfCell[i] as number] as number[]).push(i);
  const G = counts.cols;
  const bulk = new Float64Array(nDonors * G);
  const acc = new Float64Array(G);
  const cellLabels: Int32Array[] = [];
  members.forEach((m, d) => {
    acc.fill(0);
    accumulateRows(counts, m, acc);
    bulk.set(acc, d * G);
    cellLabels.push(Int32Array.from(m, (i) => codeOfCell[i] as number));
  });
  const paired: PairedSet = {
    bulk: new DenseMatrix(nDonors, G, bulk),
    sampleNames: Array.from({ length: nDonors }, (_, d) => `donor${d}`),
    genes: [...ref.varNames],
    cellTypes,
    cellLabels,
    proportions: compositionsFromLabels(cellLabels, C),
  };
  return { paired, donorOfCell };
}

/**
 * The bulk of a paired set as a Dataset (samples x genes; X and the `counts_sum` layer hold the
 * bulk), for `Fitted.deconvolve`; the truth is `set.proportions` (same rows as `patients`).
 */
export function pairedBulkDataset(set: PairedSet, patients?: ArrayLike<number>): Dataset {
  const idx = patients ? Array.from(patients) : set.sampleNames.map((_, i) => i);
  const X = set.bulk.selectRows(idx);
  return new Dataset({
    X,
    layers: { [LAYERS.countsSum]: X },
    obsNames: idx.map((i) => set.sampleNames[i] as string),
    varNames: [...set.genes],
  });
}
