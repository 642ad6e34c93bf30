/**
 * Dirichlet pseudobulks from labelled single cells, the MixupVI/PyDeconv benchmark simulator
 * (PyDeconv `benchmark/utils/generate_data.py`, `create_dirichlet_pseudobulk_dataset`; paper
 * Appendix B). See `specs/pseudobulk-and-metrics.md` §1 for the algorithm and its source disagreements.
 *
 * Per sample i: proportions P_i ~ Dir(alpha), integer cell counts k_ic = round_half_even(P_ic * n_i),
 * ground truth f_ic = k_ic / sum_c k_ic (recomputed from the integers, so it matches the mixture
 * exactly), then k_ic cells of type c are drawn without replacement (with replacement only when
 * k_ic exceeds the type's population) and aggregated: `raw_counts` = X = mean of raw counts,
 * `relative_counts` = mean of per-cell counts/total*1e4, `counts_sum` = sum of raw counts.
 */
import { InputError } from '../core/errors.js';
import { LAYERS, RELATIVE_COUNTS_TARGET } from '../core/keys.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { Frame } from '../data/frame.js';
import { gatherSumRows, type Matrix, toRowMajor } from '../data/matrix.js';
import type { CsrMatrix } from '../data/sparse.js';
import { DEFAULT_MEMORY_BYTES } from '../io/memory-budget.js';
import type { RowBlockSource } from '../io/row-blocks.js';
import { assertCounts } from '../io/validate.js';
import { groupByCode } from './split.js';

/** Options of {@link simulatePseudobulks}. */
export interface PseudobulkOptions extends LongRunOptions {
  /** obs column with the cell-type labels. */
  labelsKey: string;
  /** Number of pseudobulk samples (default 400, the paper's). */
  nSamples?: number;
  /** Cells per pseudobulk: a fixed number (default 100) or drawn per sample, UniformInt[min, max] inclusive. */
  nCells?: number | { min: number; max: number };
  /**
   * Dirichlet prior, one value per cell type in the order of `cellTypes` of the result (types by
   * descending cell count), or one number for all (default 1: flat on the simplex).
   */
  priorAlphas?: number | readonly number[];
  /**
   * false (default): P ~ Dir(prior), a flat prior as the issue asks. true: PyDeconv's "posterior"
   * P ~ Dir(prior + likelihood), with `likelihood` below.
   */
  posterior?: boolean;
  /**
   * Posterior likelihood term: 'fractions' = N_c / N (what PyDeconv's code does, default) or
   * 'counts' = N_c (the conjugate update the paper's Appendix B writes; very concentrated).
   */
  likelihood?: 'fractions' | 'counts';
  /** 'mean' (default, PyDeconv) or 'sum' over the sampled cells for `raw_counts`/X and `relative_counts`. */
  aggregation?: 'mean' | 'sum';
  /** Layer of `cells` with raw counts (default `raw_counts` when present, else X). */
  countsLayer?: string;
  /** Seed of every random step. */
  seed?: number;
  /** Prefix of the sample names (default 'sample_': sample_0, sample_1, ... as PyDeconv). */
  samplePrefix?: string;
  /**
   * Memory budget in bytes for the simulated layers (default {@link DEFAULT_MEMORY_BYTES}): more
   * samples than fit is an `E_SIM_TOO_LARGE` before any work, not an allocation failure.
   */
  memoryBytes?: number;
  /**
   * Read the counts from this source, block by block, instead of `cells`' matrices (which may then
   * be an empty placeholder of the right shape: `cells` still gives labels and names). One pass
   * over the source; memory is the outputs plus one block. Picks and truth are those of the
   * in-memory path for the same seed; raw sums are identical, relative counts agree to rounding.
   */
  rows?: RowBlockSource;
  /** Rows per block read from `rows` (default 4096). */
  blockRows?: number;
}

/** Bytes per sample and gene of the outputs: raw, relative and summed float64 layers. */
const BYTES_PER_VALUE = 3 * 8;

/**
 * Throws when `nSamples` x `nGenes` outputs do not fit the budget (or a JavaScript typed array).
 *
 * @throws {@link InputError} `E_SIM_TOO_LARGE`, naming the need, the limit and the largest n that fits.
 */
export function checkSimulationSize(nSamples: number, nGenes: number, memoryBytes = DEFAULT_MEMORY_BYTES): void {
  const need = nSamples * Math.max(1, nGenes) * BYTES_PER_VALUE;
  // One layer is one Float64Array: at most 2^32 - 1 elements (V8's limit), whatever the budget.
  const maxByArray = Math.floor((2 ** 32 - 1) / Math.max(1, nGenes));
  const maxByBudget = Math.floor(memoryBytes / (Math.max(1, nGenes) * BYTES_PER_VALUE));
  const maxN = Math.min(maxByArray, maxByBudget, 2 ** 31 - 1);
  if (nSamples <= maxN) return;
  const gb = (b: number) => `${(b / 1e9).toLocaleString('en-US', { maximumFractionDigits: 1 })} GB`;
  throw new InputError(
    `${nSamples.toLocaleString('en-US')} pseudobulks x ${nGenes.toLocaleString('en-US')} genes need ${gb(need)}, above the limit of ${maxN.toLocaleString('en-US')} samples`,
    {
      code: 'E_SIM_TOO_LARGE',
      field: 'nSamples',
      got: nSamples,
      expected: `<= ${maxN} (memory budget ${gb(memoryBytes)}${maxByArray < maxByBudget ? '; one typed array holds at most 2^32 - 1 values' : ''})`,
      hint: 'Simulate fewer samples per run (several runs with different seeds), or raise the budget with --memory',
    },
  );
}

/** The ground truth of a simulation. */
export interface PseudobulkTruth {
  /** Cell types, by descending cell count in the input (ties by name): the column order below. */
  cellTypes: string[];
  /** nSamples x nTypes, rows sum to 1 (all-zero for a sample that received no cell). */
  proportions: DenseMatrix<Float64Array>;
  /** nSamples x nTypes row-major integer cell counts k_ic. */
  cellCounts: Int32Array;
  /** Per sample, sum_c k_ic (can differ from the requested n because of rounding). */
  nCells: Int32Array;
}

/** Result of {@link simulatePseudobulks}. */
export interface PseudobulkSimulation {
  /** nSamples x genes; X = raw_counts, plus relative_counts and counts_sum layers; obs `n_cells`. */
  bulk: Dataset;
  truth: PseudobulkTruth;
  /** The cells (row indices into the input) mixed into each sample: CSR-like indptr + indices. */
  cellIndices: { indptr: Int32Array; indices: Int32Array };
  /** Dirichlet concentration used, in `truth.cellTypes` order. */
  alphas: Float64Array;
  seed: number;
}

/** numpy's `round` (round half to even), for non-negative and negative values alike. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Cell types by descending count (pandas `value_counts`), ties by name for determinism. */
export function typesByCount(codes: Int32Array, categories: string[]): { order: number[]; counts: Int32Array } {
  const counts = new Int32Array(categories.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c >= 0) counts[c] = (counts[c] as number) + 1;
  }
  const order = categories
    .map((_, c) => c)
    .filter((c) => (counts[c] as number) > 0)
    .sort((a, b) => (counts[b] as number) - (counts[a] as number) || (categories[a] as string).localeCompare(categories[b] as string));
  return { order, counts };
}

/** Per-cell relative counts (counts / total * 1e4), computed once; zero-count cells stay zero. */
export function relativeCounts(m: DenseMatrix | CsrMatrix): DenseMatrix | CsrMatrix {
  const totals = m.rowSums();
  const f = new Float64Array(totals.length);
  for (let i = 0; i < f.length; i++) f[i] = (totals[i] as number) > 0 ? RELATIVE_COUNTS_TARGET / (totals[i] as number) : 0;
  if (m.kind === 'csr') return m.scaleRows(f);
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    const r = m.row(i);
    const s = f[i] as number;
    const base = i * m.cols;
    for (let j = 0; j < m.cols; j++) out[base + j] = (r[j] as number) * s;
  }
  return new DenseMatrix(m.rows, m.cols, out);
}

/**
 * Simulates Dirichlet pseudobulks from labelled cells (typically the test half of a split).
 *
 * Random streams are forked by concern (`dirichlet`, `n-cells`, `cells`), so e.g. switching the
 * number of cells per sample does not change the drawn proportions. Same seed gives the same bytes.
 *
 * @param cells - cells x genes; raw counts in `countsLayer` (dense or CSR/CSC; CSR is fastest).
 *   Per-cell relative counts are always computed from these counts (counts / cell total * 1e4 over the
 *   genes present, as PyDeconv normalises after its gene filter), so a stale `relative_counts` layer is ignored.
 * @returns the pseudobulk Dataset (samples x genes) and the ground truth.
 * @throws {@link InputError} `E_NO_COLUMN`/`E_LABELS_NUMERIC` for a bad label column, `E_SIM_OPTION` for
 *   invalid numbers, `E_SIM_TOO_LARGE` for outputs above the memory budget, `E_NONFINITE` /
 *   `E_NEGATIVE_COUNTS` for counts that are NaN, infinite or negative, `E_PRIOR_ALPHAS` for a prior of the wrong length or non-positive values.
 * @example
 * const sim = simulatePseudobulks(test, { labelsKey: 'cell_type', nSamples: 400, nCells: 100, seed: 0 });
 * sim.bulk.layer('relative_counts'); // 400 x genes
 * sim.truth.proportions;            // 400 x types
 */
export function simulatePseudobulks(cells: Dataset, opts: PseudobulkOptions): PseudobulkSimulation {
  const nSamples = opts.nSamples ?? 400;
  checkInt('nSamples', nSamples, 1);
  const nCellsOpt = opts.nCells ?? 100;
  if (typeof nCellsOpt === 'number') checkInt('nCells', nCellsOpt, 1);
  else {
    checkInt('nCells.min', nCellsOpt.min, 1);
    checkInt('nCells.max', nCellsOpt.max, nCellsOpt.min);
  }
  const aggregation = opts.aggregation ?? 'mean';
  if (aggregation !== 'mean' && aggregation !== 'sum') {
    throw new InputError('unknown aggregation', {
      code: 'E_SIM_OPTION',
      field: 'aggregation',
      got: aggregation,
      expected: "'mean' or 'sum'",
    });
  }
  const seed = opts.seed ?? 0;
  const { codes, categories } = cells.labels(opts.labelsKey);
  const { order, counts } = typesByCount(codes, categories);
  if (order.length === 0) {
    throw new InputError('no labelled cells to simulate from', {
      code: 'E_TOO_FEW_CELLS',
      field: opts.labelsKey,
      hint: 'Pass cells with labels',
    });
  }
  const cellTypes = order.map((c) => categories[c] as string);
  const nTypes = cellTypes.length;
  const members = groupByCode(codes, categories.length);
  const pops = order.map((c) => members[c] as Int32Array);
  const alphas = concentration(opts, order, counts, cellTypes);

  const countsName = opts.countsLayer ?? (cells.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : 'X');
  checkSimulationSize(nSamples, cells.nVars, opts.memoryBytes);
  const countsField = countsName === 'X' ? 'X' : `layers/${countsName}`;
  const streamed = opts.rows;
  const countsMatrix = streamed ? undefined : (cells.layer(countsName) as Matrix);
  // Pseudobulks are sums of counts: NaN or negative values would silently poison every sample.
  if (countsMatrix) assertCounts(countsMatrix, undefined, { field: countsField });
  const raw = countsMatrix ? toRowMajor(countsMatrix) : undefined;
  // Per-cell scale to relative counts; the CSR kernel below applies it on the fly (one pass for both sums).
  const totals = raw ? raw.rowSums() : new Float64Array(0);
  const scale = new Float64Array(totals.length);
  for (let i = 0; i < scale.length; i++) scale[i] = (totals[i] as number) > 0 ? RELATIVE_COUNTS_TARGET / (totals[i] as number) : 0;
  const relDense = raw?.kind === 'dense' ? relativeCounts(raw) : undefined;

  const rng = new Rng(seed);
  const rngP = rng.fork('dirichlet');
  const rngN = rng.fork('n-cells');
  const rngCells = rng.fork('cells');

  // Proportions, cell counts and truth first (cheap), then the gathers.
  const k = new Int32Array(nSamples * nTypes);
  const nCells = new Int32Array(nSamples);
  const truth = new Float64Array(nSamples * nTypes);
  const p = new Float64Array(nTypes);
  for (let i = 0; i < nSamples; i++) {
    rngP.dirichlet(alphas, p);
    const n = typeof nCellsOpt === 'number' ? nCellsOpt : nCellsOpt.min + rngN.int(nCellsOpt.max - nCellsOpt.min + 1);
    let total = 0;
    for (let c = 0; c < nTypes; c++) {
      const kc = roundHalfEven((p[c] as number) * n);
      k[i * nTypes + c] = kc;
      total += kc;
    }
    nCells[i] = total;
    if (total > 0) for (let c = 0; c < nTypes; c++) truth[i * nTypes + c] = (k[i * nTypes + c] as number) / total;
  }

  const indptr = new Int32Array(nSamples + 1);
  for (let i = 0; i < nSamples; i++) indptr[i + 1] = (indptr[i] as number) + (nCells[i] as number);
  const indices = new Int32Array(indptr[nSamples] as number);
  const G = cells.nVars;
  const rawOut = new Float64Array(nSamples * G);
  const relOut = new Float64Array(nSamples * G);
  const sumOut = new Float64Array(nSamples * G);
  const tick = throttledProgress(opts.onProgress, 'simulate', nSamples);
  for (let i = 0; i < nSamples; i++) {
    throwIfAborted(opts.signal);
    let pos = indptr[i] as number;
    for (let c = 0; c < nTypes; c++) {
      const kc = k[i * nTypes + c] as number;
      if (kc === 0) continue;
      const pop = pops[c] as Int32Array;
      const pick = kc > pop.length ? rngCells.sampleWithReplacement(pop.length, kc) : rngCells.sampleWithoutReplacement(pop.length, kc);
      for (let t = 0; t < kc; t++) indices[pos++] = pop[pick[t] as number] as number;
    }
    if (!raw) {
      tick(i + 1);
      continue; // gathered below, in one pass over the source
    }
    const idx = indices.subarray(indptr[i] as number, indptr[i + 1] as number);
    const sumRow = sumOut.subarray(i * G, (i + 1) * G);
    const relRow = relOut.subarray(i * G, (i + 1) * G);
    const rawRow = rawOut.subarray(i * G, (i + 1) * G);
    if (raw.kind === 'csr') gatherSumRowsScaled(raw, idx, scale, sumRow, relRow);
    else {
      gatherSumRows(raw, idx, sumRow);
      gatherSumRows(relDense as DenseMatrix, idx, relRow);
    }
    const n = idx.length;
    if (aggregation === 'mean') {
      const inv = n > 0 ? 1 / n : 0;
      for (let j = 0; j < G; j++) {
        rawRow[j] = (sumRow[j] as number) * inv;
        relRow[j] = (relRow[j] as number) * inv;
      }
    } else {
      rawRow.set(sumRow);
    }
    tick(i + 1);
  }

  if (streamed) {
    gatherFromBlocks(streamed, opts.blockRows ?? 4096, indptr, indices, G, sumOut, relOut, countsField, opts.signal);
    for (let i = 0; i < nSamples; i++) {
      const n = (indptr[i + 1] as number) - (indptr[i] as number);
      const inv = aggregation === 'mean' && n > 0 ? 1 / n : aggregation === 'mean' ? 0 : 1;
      for (let j = i * G; j < (i + 1) * G; j++) {
        rawOut[j] = (sumOut[j] as number) * inv;
        relOut[j] = (relOut[j] as number) * inv;
      }
    }
  }

  const prefix = opts.samplePrefix ?? 'sample_';
  const obsNames = Array.from({ length: nSamples }, (_, i) => `${prefix}${i}`);
  const obs = new Frame(nSamples, { n_cells: { kind: 'numeric', values: Float64Array.from(nCells) } });
  const rawM = new DenseMatrix(nSamples, G, rawOut);
  const bulk = new Dataset({
    X: rawM,
    obsNames,
    varNames: cells.varNames,
    obs,
    var: cells.var,
    layers: {
      [LAYERS.rawCounts]: rawM,
      [LAYERS.relativeCounts]: new DenseMatrix(nSamples, G, relOut),
      [LAYERS.countsSum]: new DenseMatrix(nSamples, G, sumOut),
    },
    uns: {
      simulation: {
        simulator: 'dirichlet',
        seed,
        nSamples,
        nCells: typeof nCellsOpt === 'number' ? nCellsOpt : [nCellsOpt.min, nCellsOpt.max],
        posterior: opts.posterior ?? false,
        likelihood: opts.likelihood ?? 'fractions',
        aggregation,
        cellTypes,
        alphas: Array.from(alphas),
      },
    },
  });
  return {
    bulk,
    truth: { cellTypes, proportions: new DenseMatrix(nSamples, nTypes, truth), cellCounts: k, nCells },
    cellIndices: { indptr, indices },
    alphas,
    seed,
  };
}

/**
 * The streamed gather: inverts the picks (cell -> samples, with repeats), then reads the source
 * once in row blocks and adds each picked row to its samples' sums (raw and relative).
 */
function gatherFromBlocks(
  source: RowBlockSource,
  blockRows: number,
  indptr: Int32Array,
  indices: Int32Array,
  G: number,
  sumOut: Float64Array,
  relOut: Float64Array,
  field: string,
  signal?: AbortSignal,
): void {
  const nRows = source.nRows;
  const nSamples = indptr.length - 1;
  const cellPtr = new Int32Array(nRows + 1);
  for (let q = 0; q < indices.length; q++) cellPtr[(indices[q] as number) + 1] = (cellPtr[(indices[q] as number) + 1] as number) + 1;
  for (let c = 0; c < nRows; c++) cellPtr[c + 1] = (cellPtr[c + 1] as number) + (cellPtr[c] as number);
  const fill = cellPtr.slice(0, nRows);
  const cellSamples = new Int32Array(indices.length);
  for (let i = 0; i < nSamples; i++)
    for (let q = indptr[i] as number; q < (indptr[i + 1] as number); q++) {
      const c = indices[q] as number;
      cellSamples[fill[c] as number] = i;
      fill[c] = (fill[c] as number) + 1;
    }
  for (let start = 0; start < nRows; start += blockRows) {
    throwIfAborted(signal);
    const end = Math.min(nRows, start + blockRows);
    // Skip blocks no sample picked from.
    if (cellPtr[end] === cellPtr[start]) continue;
    const block = source.readRows(start, end);
    assertCounts(block, undefined, { field: `${field} (rows ${start}..${end - 1})` });
    const csr = block.kind === 'csr' ? block : undefined;
    for (let r = 0; r < end - start; r++) {
      const c = start + r;
      const a = cellPtr[c] as number;
      const b = cellPtr[c + 1] as number;
      if (a === b) continue;
      let p0: number;
      let p1: number;
      if (csr) {
        p0 = csr.indptr[r] as number;
        p1 = csr.indptr[r + 1] as number;
      } else {
        p0 = r * G;
        p1 = (r + 1) * G;
      }
      let total = 0;
      for (let p = p0; p < p1; p++) total += block.data[p] as number;
      const f = total > 0 ? RELATIVE_COUNTS_TARGET / total : 0;
      for (let q = a; q < b; q++) {
        const base = (cellSamples[q] as number) * G;
        for (let p = p0; p < p1; p++) {
          const j = base + (csr ? (csr.indices[p] as number) : p - p0);
          const v = block.data[p] as number;
          sumOut[j] = (sumOut[j] as number) + v;
          relOut[j] = (relOut[j] as number) + v * f;
        }
      }
    }
  }
}

/**
 * Pseudobulk kernel on CSR: `sum += row` and `rel += row * scale[row]` over the chosen rows (repeats
 * count again), one pass over their stored values. `sum`/`rel` must be zeroed by the caller.
 */
function gatherSumRowsScaled(m: CsrMatrix, idx: Int32Array, scale: Float64Array, sum: Float64Array, rel: Float64Array): void {
  const { indptr, indices, data } = m;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k] as number;
    const f = scale[i] as number;
    const b = indptr[i + 1] as number;
    for (let p = indptr[i] as number; p < b; p++) {
      const j = indices[p] as number;
      const v = data[p] as number;
      sum[j] = (sum[j] as number) + v;
      rel[j] = (rel[j] as number) + v * f;
    }
  }
}

/** alpha = prior (flat by default), plus the likelihood term in the posterior variant. */
function concentration(opts: PseudobulkOptions, order: number[], counts: Int32Array, cellTypes: string[]): Float64Array {
  const nTypes = order.length;
  const prior = opts.priorAlphas ?? 1;
  const alphas = new Float64Array(nTypes);
  if (typeof prior === 'number') alphas.fill(prior);
  else {
    if (prior.length !== nTypes) {
      throw new InputError('priorAlphas must have one value per cell type', {
        code: 'E_PRIOR_ALPHAS',
        field: 'priorAlphas',
        got: prior.length,
        expected: `${nTypes} values, in this order: ${cellTypes.join(', ')}`,
      });
    }
    for (let c = 0; c < nTypes; c++) alphas[c] = prior[c] as number;
  }
  if (opts.posterior) {
    let labelled = 0;
    for (const c of order) labelled += counts[c] as number;
    for (let t = 0; t < nTypes; t++) {
      const nc = counts[order[t] as number] as number;
      alphas[t] = (alphas[t] as number) + ((opts.likelihood ?? 'fractions') === 'counts' ? nc : nc / labelled);
    }
  }
  for (let c = 0; c < nTypes; c++) {
    const a = alphas[c] as number;
    if (!(a > 0) || !Number.isFinite(a)) {
      throw new InputError('Dirichlet concentrations must be positive and finite', {
        code: 'E_PRIOR_ALPHAS',
        field: `priorAlphas[${c}] (${cellTypes[c]})`,
        got: a,
        expected: '> 0',
      });
    }
  }
  return alphas;
}

function checkInt(field: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new InputError('invalid simulation option', { code: 'E_SIM_OPTION', field, got: v, expected: `an integer >= ${min}` });
  }
}
