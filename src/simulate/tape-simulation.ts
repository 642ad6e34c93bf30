/**
 * TAPE's training-data simulator (Chen & Wang 2022; `poseidonchan/TAPE`, `TAPE/simulation.py`
 * `generate_simulated_data`), as specified in pseudobulk-and-metrics.md §2.
 *
 * P ~ Dir(1) per sample (samplenum = 5000); if `sparse` (default), the first int(0.5·samplenum)
 * samples get int(0.5·C) random types set to 0 and are renormalised; cell counts = floor(n·P) with
 * n = 500; labels are RECOMPUTED from the integer counts (counts / Σ counts); cells are drawn WITH
 * replacement and their raw counts SUMMED. This is also how Owkin trained Scaden (through
 * `TAPE.deconvolution.ScadenDeconvolution`), hence the "500 cells" quoted in the MixupVI paper.
 */
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { checkPositiveInt, groupCellsByType, type SimulatedTrainingSet } from './scaden-simulation.js';
import { simulatedTrainingSet, sumSampledCells } from './training-simulation.js';

/** Options of {@link simulateTapePseudobulks}. */
export interface TapeSimulationOptions extends LongRunOptions {
  labelsKey: string;
  /** Layer with raw counts (default X). */
  layer?: string;
  /** Number of samples (`samplenum`, default 5000). */
  nSamples?: number;
  /** Cells per sample (`n`, default 500). */
  nCells?: number;
  /** Zero half of the types in the first half of the samples (default true). */
  sparse?: boolean;
  /** Fraction of samples made sparse (`sparse_prob`, default 0.5). */
  sparseProb?: number;
  seed?: number;
}

/** TAPE defaults (`generate_simulated_data`). */
export const TAPE_SIMULATION_DEFAULTS = { nSamples: 5000, nCells: 500, sparse: true, sparseProb: 0.5 } as const;

/**
 * Simulates TAPE training pseudobulks from a labelled single-cell reference.
 *
 * @param ref cells x genes raw counts (select genes first: the output is dense nSamples x nGenes).
 * @returns summed counts (nSamples x genes, Float32) and recomputed fractions (nSamples x types).
 * @throws InputError `E_LABELS` with fewer than 2 cell types; `E_OPTION` for bad sizes.
 * @example
 * const sim = simulateTapePseudobulks(ref, { labelsKey: 'cell_type', seed: 0 }); // 5000 x genes, 500 cells each
 */
export function simulateTapePseudobulks(ref: Dataset, opts: TapeSimulationOptions): SimulatedTrainingSet {
  const nSamples = opts.nSamples ?? TAPE_SIMULATION_DEFAULTS.nSamples;
  const nCells = opts.nCells ?? TAPE_SIMULATION_DEFAULTS.nCells;
  const sparse = opts.sparse ?? TAPE_SIMULATION_DEFAULTS.sparse;
  const sparseProb = opts.sparseProb ?? TAPE_SIMULATION_DEFAULTS.sparseProb;
  checkPositiveInt('nSamples', nSamples, 1);
  checkPositiveInt('nCells', nCells, 1);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  const cells = groupCellsByType(ref, opts.labelsKey, opts.layer);
  const { cellTypes } = cells;
  const C = cellTypes.length;
  const G = cells.counts.cols;
  const ones = new Float64Array(C).fill(1);
  // All proportions are drawn first, then sparsified, then cells sampled: the same order as TAPE.
  const P = new Float64Array(nSamples * C);
  const p = new Float64Array(C);
  for (let s = 0; s < nSamples; s++) {
    rng.dirichlet(ones, p);
    P.set(p, s * C);
  }
  if (sparse) {
    const nSparse = Math.trunc(sparseProb * nSamples);
    const nZero = Math.trunc(0.5 * C);
    for (let s = 0; s < nSparse; s++) {
      const zero = rng.sampleWithoutReplacement(C, nZero);
      for (let k = 0; k < nZero; k++) P[s * C + (zero[k] as number)] = 0;
      let sum = 0;
      for (let c = 0; c < C; c++) sum += P[s * C + c] as number;
      // Σ > 0 always: at most half the types are zeroed and a Dirichlet draw has no exact zeros
      // except through underflow; guard anyway so a degenerate row cannot become NaN.
      if (sum > 0) for (let c = 0; c < C; c++) P[s * C + c] = (P[s * C + c] as number) / sum;
    }
  }
  const X = new Float32Array(nSamples * G);
  const F = new Float64Array(nSamples * C);
  const acc = new Float64Array(G);
  const k = new Int32Array(C);
  const allTypes = Int32Array.from({ length: C }, (_, c) => c);
  const report = throttledProgress(opts.onProgress, 'simulate', nSamples, 'tape');
  for (let s = 0; s < nSamples; s++) {
    if ((s & 63) === 0) throwIfAborted(opts.signal);
    let total = 0;
    for (let c = 0; c < C; c++) {
      k[c] = Math.floor(nCells * (P[s * C + c] as number));
      total += k[c] as number;
    }
    for (let c = 0; c < C; c++) F[s * C + c] = total > 0 ? (k[c] as number) / total : 0;
    sumSampledCells(cells, allTypes, C, k, rng, acc, X.subarray(s * G, (s + 1) * G));
    report(s + 1);
  }
  return simulatedTrainingSet(ref, cellTypes, nSamples, X, F, seed);
}
