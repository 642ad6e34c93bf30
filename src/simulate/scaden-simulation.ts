/**
 * Scaden's training-data simulator (Menden et al. 2020; `KevinMenden/scaden`,
 * `scaden/simulation/bulk_simulator.py`, `BulkSimulator.create_subsample`).
 *
 * Per pseudobulk: fractions f = u / Σu with u_c ~ U(0, 1); the second half of the samples ("sparse")
 * first keeps a random subset of UniformInt[1, C−1] cell types; then int(f_c · nCells) cells of each
 * kept type are drawn WITH replacement, their raw counts SUMMED; the label is the continuous f (not
 * recomputed from the truncated integer counts). CLI defaults: 100 cells, 1,000 samples (500 normal
 * followed by 500 sparse).
 *
 * Also exports the small pieces the other training simulators share (`groupCellsByType`,
 * `SimulatedTrainingSet`).
 */
import { InputError } from '../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { type Matrix, toRowMajor } from '../data/matrix.js';
import { type CellGroups, type SimulatedTrainingSet, simulatedTrainingSet, sumSampledCells } from './training-simulation.js';

export type { CellGroups, SimulatedTrainingSet } from './training-simulation.js';
// Moved to training-simulation.ts; re-exported for existing importers.
export { accumulateRows } from './training-simulation.js';

/**
 * Groups the cells of `ref` by the labels in obs column `labelsKey`.
 * Cell-type order: the label column's category order (sorted names for string columns, as TAPE's
 * `groupby` sorts; Scaden's own `set` order is arbitrary).
 *
 * @param ref cells x genes reference.
 * @param labelsKey obs column with the cell-type labels.
 * @param layer layer with raw counts (default X).
 * @throws InputError `E_LABELS` when fewer than `minTypes` types have cells.
 */
export function groupCellsByType(ref: Dataset, labelsKey: string, layer?: string, minTypes = 2): CellGroups {
  const { codes, categories } = ref.labels(labelsKey);
  const counts = toRowMajor(ref.layer(layer) as Matrix);
  const sizes = new Int32Array(categories.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c >= 0) sizes[c] = (sizes[c] as number) + 1;
  }
  const cellTypes: string[] = [];
  const groups: Int32Array[] = [];
  const fill = new Int32Array(categories.length);
  const byCode: (Int32Array | null)[] = categories.map((_, c) => ((sizes[c] as number) > 0 ? new Int32Array(sizes[c] as number) : null));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < 0) continue;
    (byCode[c] as Int32Array)[fill[c] as number] = i;
    fill[c] = (fill[c] as number) + 1;
  }
  categories.forEach((name, c) => {
    const g = byCode[c];
    if (g) {
      cellTypes.push(name);
      groups.push(g);
    }
  });
  if (cellTypes.length < minTypes) {
    throw new InputError(`the reference has ${cellTypes.length} labelled cell type(s)`, {
      code: 'E_LABELS',
      field: labelsKey,
      got: cellTypes,
      expected: `at least ${minTypes} cell types with cells`,
      hint: 'Check the label column (--labels) of the reference',
    });
  }
  return { counts, cellTypes, groups };
}

/** Options of {@link simulateScadenPseudobulks}. */
export interface ScadenSimulationOptions extends LongRunOptions {
  /** obs column with cell-type labels. */
  labelsKey: string;
  /** Layer with raw counts (default X). */
  layer?: string;
  /** Total samples; half normal, half sparse (`num_samples // 2` each). Scaden CLI default 1000. */
  nSamples?: number;
  /** Cells per sample (`--cells`, default 100). */
  nCells?: number;
  seed?: number;
}

/** Scaden CLI defaults (`scaden simulate`). */
export const SCADEN_SIMULATION_DEFAULTS = { nSamples: 1000, nCells: 100 } as const;

/**
 * Simulates Scaden training pseudobulks from a labelled single-cell reference.
 *
 * @param ref cells x genes raw counts (select the genes first: the output is dense nSamples x nGenes).
 * @returns summed counts (nSamples x genes, Float32) and continuous fractions (nSamples x types).
 * @throws InputError `E_LABELS` with fewer than 2 cell types; `E_OPTION` for a non-positive size.
 * @example
 * const sim = simulateScadenPseudobulks(ref, { labelsKey: 'cell_type', nSamples: 1000, nCells: 100, seed: 0 });
 * sim.X.rows; // 1000 (500 normal, then 500 sparse)
 */
export function simulateScadenPseudobulks(ref: Dataset, opts: ScadenSimulationOptions): SimulatedTrainingSet {
  const nSamples = opts.nSamples ?? SCADEN_SIMULATION_DEFAULTS.nSamples;
  const nCells = opts.nCells ?? SCADEN_SIMULATION_DEFAULTS.nCells;
  checkPositiveInt('nSamples', nSamples, 2);
  checkPositiveInt('nCells', nCells, 1);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const cells = groupCellsByType(ref, opts.labelsKey, opts.layer);
  const { cellTypes } = cells;
  const C = cellTypes.length;
  const G = cells.counts.cols;
  const half = Math.floor(nSamples / 2);
  const total = 2 * half;
  const X = new Float32Array(total * G);
  const F = new Float64Array(total * C);
  const acc = new Float64Array(G);
  const avail = new Int32Array(C);
  const u = new Float64Array(C);
  const nPerType = new Int32Array(C);
  const report = throttledProgress(opts.onProgress, 'simulate', total, 'scaden');
  for (let s = 0; s < total; s++) {
    if ((s & 63) === 0) throwIfAborted(opts.signal);
    const sparse = s >= half;
    let nAvail = C;
    if (sparse) {
      // np.random.randint(1, C) -> [1, C-1]; then choice(C, no_keep, replace=False).
      nAvail = 1 + rng.int(C - 1);
      avail.set(rng.sampleWithoutReplacement(C, nAvail));
    } else {
      for (let c = 0; c < C; c++) avail[c] = c;
    }
    let sum = 0;
    for (let k = 0; k < nAvail; k++) {
      const v = rng.uniform();
      u[k] = v;
      sum += v;
    }
    for (let k = 0; k < nAvail; k++) {
      const f = (u[k] as number) / sum;
      F[s * C + (avail[k] as number)] = f;
      nPerType[k] = Math.trunc(f * nCells); // Python int(): truncation
    }
    sumSampledCells(cells, avail, nAvail, nPerType, rng, acc, X.subarray(s * G, (s + 1) * G));
    report(s + 1);
  }
  return simulatedTrainingSet(ref, cellTypes, total, X, F, seed);
}

/** Typed error for an option that must be an integer >= min. */
export function checkPositiveInt(field: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new InputError(`${field} must be an integer >= ${min}`, { code: 'E_OPTION', field, got: v, expected: `integer >= ${min}` });
  }
}
