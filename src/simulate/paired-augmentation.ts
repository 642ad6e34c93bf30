/**
 * Label-noise augmentation of paired bulk / single-cell data (seed 001 §3.1).
 *
 * Setting: P patients, each with ONE measured bulk profile b_p and a matched single-cell sample of
 * N_p labelled cells. For each patient and r = 1..nAug, floor(augRatio · N_p) of the patient's cells
 * are drawn uniformly WITHOUT replacement (our reading; the source does not say) and the training
 * pair (b_p, f_r) is emitted, f_r[c] = #sampled cells of type c / #sampled cells. The input bulk is
 * identical across a patient's copies; only the target varies. The source publishes no values for
 * nAug or augRatio, so both are required (no silent defaults). Train/validation/test splits must be
 * by patient: {@link splitPatients} does that.
 */
import { InputError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { DenseMatrix } from '../data/dense.js';

/** Paired bulk + single-cell data, one row per patient. */
export interface PairedSet {
  /** patients x genes measured bulk expression (raw counts or the summed counts of the cells). */
  bulk: DenseMatrix;
  sampleNames: string[];
  genes: string[];
  cellTypes: string[];
  /**
   * Per patient, the cell-type code (index into `cellTypes`) of each of its cells. Absent when only
   * proportions are known; augmentation then needs nAug = 1 and augRatio = 1.
   */
  cellLabels?: Int32Array[];
  /** patients x types composition (from the labels when they are given), rows sum to 1. */
  proportions: DenseMatrix<Float64Array>;
}

/** Options of {@link augmentPaired}: both required, as the spec says. */
export interface AugmentOptions {
  /** Copies per patient (integer >= 1). */
  nAug: number;
  /** Fraction of a patient's cells in each draw, in (0, 1]. */
  augRatio: number;
  /** Stream for the cell draws. */
  rng: Rng;
  /** Restrict to these patients (row indices), e.g. the training side of a split. */
  patients?: ArrayLike<number>;
}

/** Augmented training pairs. */
export interface AugmentedSet {
  /** (nAug · patients) x genes: each patient's bulk repeated nAug times (Float32 for training). */
  X: DenseMatrix<Float32Array>;
  /** (nAug · patients) x types targets, rows sum to 1. */
  fractions: DenseMatrix<Float64Array>;
  /** Patient (row of the PairedSet) of each pair. */
  patient: Int32Array;
  genes: string[];
  cellTypes: string[];
}

/**
 * Composition of each patient from its cell labels (patients x types).
 * @param cellLabels per patient, codes in [0, nTypes).
 */
export function compositionsFromLabels(cellLabels: readonly Int32Array[], nTypes: number): DenseMatrix<Float64Array> {
  const out = new Float64Array(cellLabels.length * nTypes);
  cellLabels.forEach((lab, p) => {
    for (let i = 0; i < lab.length; i++) out[p * nTypes + (lab[i] as number)] = (out[p * nTypes + (lab[i] as number)] as number) + 1;
    if (lab.length > 0) for (let c = 0; c < nTypes; c++) out[p * nTypes + c] = (out[p * nTypes + c] as number) / lab.length;
  });
  return new DenseMatrix(cellLabels.length, nTypes, out);
}

/**
 * Pairs each patient's bulk with `nAug` target compositions of random `augRatio` subsets of its cells.
 *
 * @param set paired data (patients x genes bulk, per-patient cell labels).
 * @returns nAug · patients pairs, patient-major (all copies of patient p are contiguous).
 * @throws InputError `E_OPTION` for nAug < 1 or augRatio outside (0, 1]; `E_AUG_TOO_FEW_CELLS` when
 *   floor(augRatio · N_p) is 0 for a patient; `E_NO_CELL_LABELS` when labels are missing and the
 *   options ask for subsampling.
 * @example
 * const aug = augmentPaired(paired, { nAug: 10, augRatio: 0.8, rng: new Rng(0) });
 * aug.X.rows; // 10 * paired.sampleNames.length
 */
export function augmentPaired(set: PairedSet, opts: AugmentOptions): AugmentedSet {
  const { nAug, augRatio, rng } = opts;
  if (!Number.isInteger(nAug) || nAug < 1) {
    throw new InputError('nAug must be an integer >= 1', { code: 'E_OPTION', field: 'nAug', got: nAug, expected: 'integer >= 1' });
  }
  if (!(augRatio > 0 && augRatio <= 1)) {
    throw new InputError('augRatio must be in (0, 1]', {
      code: 'E_OPTION',
      field: 'augRatio',
      got: augRatio,
      expected: '0 < augRatio <= 1',
    });
  }
  const patients = opts.patients ? Int32Array.from(opts.patients) : Int32Array.from(set.sampleNames, (_, i) => i);
  const C = set.cellTypes.length;
  const G = set.bulk.cols;
  const n = patients.length * nAug;
  const X = new Float32Array(n * G);
  const F = new Float64Array(n * C);
  const patient = new Int32Array(n);
  let row = 0;
  for (let q = 0; q < patients.length; q++) {
    const p = patients[q] as number;
    const labels = set.cellLabels?.[p];
    if (!labels && (nAug > 1 || augRatio < 1)) {
      throw new InputError(`patient '${set.sampleNames[p]}' has proportions but no cell labels`, {
        code: 'E_NO_CELL_LABELS',
        field: 'cellLabels',
        hint: 'Augmentation subsamples cells: give per-cell labels, or use nAug = 1 and augRatio = 1',
      });
    }
    const bulkRow = set.bulk.row(p);
    const k = labels ? Math.floor(augRatio * labels.length) : 0;
    if (labels && k < 1) {
      throw new InputError(`augRatio ${augRatio} draws no cell for patient '${set.sampleNames[p]}' (${labels.length} cells)`, {
        code: 'E_AUG_TOO_FEW_CELLS',
        field: 'augRatio',
        got: augRatio,
        expected: `>= ${labels.length > 0 ? (1 / labels.length).toPrecision(3) : 'a patient with cells'}`,
      });
    }
    for (let r = 0; r < nAug; r++) {
      X.set(bulkRow, row * G);
      if (labels) {
        const pick = k === labels.length ? null : rng.sampleWithoutReplacement(labels.length, k);
        for (let t = 0; t < k; t++) {
          const c = labels[pick ? (pick[t] as number) : t] as number;
          F[row * C + c] = (F[row * C + c] as number) + 1 / k;
        }
      } else {
        F.set(set.proportions.row(p), row * C);
      }
      patient[row] = p;
      row++;
    }
  }
  return {
    X: new DenseMatrix(n, G, X),
    fractions: new DenseMatrix(n, C, F),
    patient,
    genes: [...set.genes],
    cellTypes: [...set.cellTypes],
  };
}

/**
 * Splits patients (not pairs) into train / validation / test sides, so that all augmented copies
 * of a patient stay on one side.
 *
 * @param nPatients number of patients.
 * @param fractions validation and test fractions (each side gets round(f · nPatients), at least 1
 *   when f > 0 and there are patients to spare).
 * @returns patient indices of each side, each sorted ascending.
 */
export function splitPatients(
  nPatients: number,
  fractions: { validation: number; test?: number },
  rng: Rng,
): { train: Int32Array; validation: Int32Array; test: Int32Array } {
  const perm = rng.permutation(nPatients);
  const size = (f: number) => (f > 0 ? Math.max(1, Math.round(f * nPatients)) : 0);
  const nTest = Math.min(size(fractions.test ?? 0), Math.max(0, nPatients - 1));
  const nVal = Math.min(size(fractions.validation), Math.max(0, nPatients - nTest - 1));
  const sorted = (a: Int32Array) => a.slice().sort();
  return {
    test: sorted(perm.subarray(0, nTest)),
    validation: sorted(perm.subarray(nTest, nTest + nVal)),
    train: sorted(perm.subarray(nTest + nVal)),
  };
}
