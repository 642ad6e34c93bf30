/**
 * The sampling step the training-data simulators share (Scaden's and TAPE's): per pseudobulk, draw
 * a given number of cells of each type WITH replacement and SUM their raw counts; and the result
 * record. The simulators differ only in how they choose the per-type cell numbers and labels.
 */
import type { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import type { CsrMatrix } from '../data/sparse.js';

/** Simulated training pseudobulks with their ground truth. */
export interface SimulatedTrainingSet {
  /** nSamples x nGenes summed raw counts (the `counts_sum` layer of a pseudobulk). */
  X: DenseMatrix<Float32Array>;
  /** nSamples x nTypes target fractions, rows sum to 1, columns in `cellTypes` order. */
  fractions: DenseMatrix<Float64Array>;
  genes: string[];
  cellTypes: string[];
  /** Seed the simulation was drawn with. */
  seed: number;
}

/** Cells of a labelled reference grouped by type (types without cells dropped, unlabelled cells ignored). */
export interface CellGroups {
  /** Row-major counts matrix (cells x genes). */
  counts: DenseMatrix | CsrMatrix;
  /** Cell types, in the order of `groups`. */
  cellTypes: string[];
  /** Row indices of the cells of each type. */
  groups: Int32Array[];
}

/** Adds the rows `idx` of a row-major matrix to `acc` (length cols). */
export function accumulateRows(m: DenseMatrix | CsrMatrix, idx: ArrayLike<number>, acc: Float64Array): void {
  if (m.kind === 'csr') {
    m.gatherSumRows(idx, acc, true);
    return;
  }
  const c = m.cols;
  const d = m.data;
  for (let k = 0; k < idx.length; k++) {
    const base = (idx[k] as number) * c;
    for (let j = 0; j < c; j++) acc[j] = (acc[j] as number) + (d[base + j] as number);
  }
}

/**
 * Sums the raw counts of `nPerType[k]` cells of type `types[k]` (k < `nTypes`), each cell drawn
 * uniformly with replacement from its type, into `row` (length G). Random draws are made type by
 * type in `types` order, cell by cell (the simulators' published order).
 *
 * @param cells the reference grouped by type ({@link groupCellsByType}).
 * @param acc scratch of length G (Float64, so that the sum is exact before the Float32 store).
 */
export function sumSampledCells(
  cells: Pick<CellGroups, 'counts' | 'groups'>,
  types: ArrayLike<number>,
  nTypes: number,
  nPerType: ArrayLike<number>,
  rng: Rng,
  acc: Float64Array,
  row: Float32Array,
): void {
  acc.fill(0);
  for (let k = 0; k < nTypes; k++) {
    const pop = cells.groups[types[k] as number] as Int32Array;
    const nc = nPerType[k] as number;
    const idx = new Int32Array(nc);
    for (let t = 0; t < nc; t++) idx[t] = pop[rng.int(pop.length)] as number;
    accumulateRows(cells.counts, idx, acc);
  }
  row.set(acc);
}

/** The simulators' result: `X` (rows x G summed counts, G = genes of `ref`) and `F` (rows x C fractions) as matrices. */
export function simulatedTrainingSet(
  ref: Dataset,
  cellTypes: string[],
  rows: number,
  X: Float32Array,
  F: Float64Array,
  seed: number,
): SimulatedTrainingSet {
  return {
    X: new DenseMatrix(rows, ref.nVars, X),
    fractions: new DenseMatrix(rows, cellTypes.length, F),
    genes: [...ref.varNames],
    cellTypes,
    seed,
  };
}
