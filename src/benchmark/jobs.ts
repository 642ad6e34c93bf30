/**
 * One benchmark grid cell as a job: (method x granularity x cells-per-pseudobulk) for one reference,
 * seed and settings. {@link CellComputer} computes cells; the same code runs in the in-process pool
 * and in a queue worker on another machine, so a cell's result depends only on the job, never on
 * where or in which order it ran (every random stream is forked from the seed by name).
 *
 * A computer caches what neighbouring cells share: the prepared split, the current granularity's
 * train/test sets and simulations, and its fits (a method is fitted once per granularity). Moving to
 * another granularity releases the previous one's fits, so memory stays bounded however long the grid.
 */
import { createHash } from 'node:crypto';
import { AbortError, CelldeconvError, InputError } from '../core/errors.js';
import { LAYERS } from '../core/keys.js';
import type { ProgressEvent } from '../core/progress.js';
import { throwIfAborted } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { getMethod } from '../methods/registry.js';
import type { Fitted, MethodSpec } from '../methods/types.js';
import { preprocessScrna } from '../preprocess/normalize.js';
import { simulatePseudobulks } from '../simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../simulate/split.js';
import { applyGranularity, type GranularityMap } from './granularity.js';
import type { BenchmarkFailure } from './result-types.js';
import { CurveRecorder, type TrainingCurve } from './training-curve.js';

/** obs column the runner writes the (grouped) labels to. */
export const GROUP_KEY = 'celldeconv_group';

/** What a cell's computation depends on besides the reference and the cell itself (JSON-serialisable). */
export interface CellSettings {
  seed: number;
  labelsKey: string;
  nSamples: number;
  trainFraction?: number;
  groupKey?: string;
  simulation?: { posterior?: boolean; likelihood?: 'fractions' | 'counts'; aggregation?: 'mean' | 'sum' };
  minGeneCounts: number;
  quick: boolean;
  methodOptions?: Record<string, Record<string, unknown>>;
  /** Ask every method for 90% intervals (`deconvolve` option `intervals: true`). */
  intervals?: boolean;
}

/** One cell of the grid to compute. */
export interface BenchmarkJob {
  /** State-file key of the cell (method, its settings hash, granularity, map hash, n). */
  key: string;
  /** State-file key of the simulated truth this cell is scored against. */
  truthKey: string;
  method: string;
  granularity: GranularityMap;
  nCells: number;
  /** Progress label, e.g. "nnls [fine] n=100 (3/12)". */
  label: string;
}

/** A finished cell, as the state file stores it. */
export interface CellState {
  method: string;
  granularity: string;
  nCells: number;
  /** samples x truth cell types, row-major, aligned to the truth's column order. */
  proportions: number[];
  fitSeconds: number;
  deconvolveSeconds: number;
  warnings: number;
  /** Interval bounds aligned like `proportions`, when the method gave them. */
  lower?: number[];
  upper?: number[];
}

/** The simulated truth of one granularity x n_cells setting. */
export interface TruthState {
  cellTypes: string[];
  sampleNames: string[];
  proportions: number[];
}

/** A method run that threw; the other methods still run (the row type the report shows). */
export type CellFailure = BenchmarkFailure;

/** What computing one job gives: the truth, and either the cell or a failure (or neither: fit failed earlier). */
export interface CellOutcome {
  key: string;
  truthKey: string;
  truth: TruthState;
  cell?: CellState;
  failure?: CellFailure;
  /** The training curve of the fit, when this job fitted the method and it reported epochs. */
  curve?: TrainingCurve;
}

/**
 * Hash of the method settings that enter a cell key (defaults, quick settings, bulk layer): changing a
 * method's defaults recomputes its cells, and a queue worker with other defaults refuses the job.
 */
export function methodSettingsHash(spec: MethodSpec, quick: boolean): string {
  const settings = {
    d: spec.defaults,
    q: quick ? (spec.quickOptions ?? null) : null,
    l: spec.bulkLayer ?? null,
    ...(spec.benchmarkOptions ? { b: spec.benchmarkOptions } : {}),
  };
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

/**
 * Computes cells of one benchmark (one reference, seed and settings), caching what cells share.
 * Not re-entrant: compute one job at a time.
 */
export class CellComputer {
  private readonly root: Rng;
  private split: { train: Dataset; test: Dataset } | undefined;
  private current: { g: GranularityMap; train: Dataset; test: Dataset } | undefined;
  private readonly sims = new Map<number, ReturnType<typeof simulatePseudobulks>>();
  private readonly fits = new Map<string, { fitted: Fitted | null; seconds: number }>();

  constructor(
    private readonly reference: Dataset,
    private readonly settings: CellSettings,
  ) {
    this.root = new Rng(settings.seed);
  }

  /**
   * Computes one cell: prepares and splits the reference (once), simulates the pseudobulks of its
   * setting (once per granularity x n), fits the method (once per granularity) and deconvolves.
   * A method that throws gives an outcome with `failure`; a fit failure is reported by the first
   * cell of that method and granularity, later cells give neither cell nor failure.
   *
   * @throws {@link AbortError} when `signal` aborts; typed input errors of the simulation.
   */
  async compute(job: BenchmarkJob, opts: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void } = {}): Promise<CellOutcome> {
    const s = this.settings;
    const emit = (e: ProgressEvent) => opts.onProgress?.(e);
    throwIfAborted(opts.signal);
    const spec = getMethod(job.method);
    const g = job.granularity;
    const n = job.nCells;
    if (!this.split) {
      emit({ stage: 'prepare', step: 0, total: 1, label: 'filter genes, normalise, split' });
      const countsLayer = this.reference.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : undefined;
      const { dataset: prepared } = preprocessScrna(this.reference, { layer: countsLayer, minCounts: s.minGeneCounts });
      this.split = splitTrainTest(prepared, {
        labelsKey: s.labelsKey,
        trainFraction: s.trainFraction,
        groupKey: s.groupKey,
        seed: this.root.fork('split').seed,
      });
      emit({ stage: 'prepare', step: 1, total: 1, label: 'filter genes, normalise, split' });
    }
    if (!this.current || this.current.g.name !== g.name || JSON.stringify(this.current.g.map) !== JSON.stringify(g.map)) {
      this.releaseGranularity();
      this.current = {
        g,
        train: applyGranularity(this.split.train, s.labelsKey, g, GROUP_KEY),
        test: applyGranularity(this.split.test, s.labelsKey, g, GROUP_KEY),
      };
    }
    const { train, test } = this.current;
    let sim = this.sims.get(n);
    if (!sim) {
      const simLabel = `${g.name} n=${n}`;
      sim = simulatePseudobulks(test, {
        labelsKey: GROUP_KEY,
        nSamples: s.nSamples,
        nCells: n,
        seed: this.root.fork(`simulate|${g.name}|${n}`).seed,
        posterior: s.simulation?.posterior,
        likelihood: s.simulation?.likelihood,
        aggregation: s.simulation?.aggregation,
        signal: opts.signal,
        onProgress: (e) => emit({ ...e, label: simLabel }),
      });
      this.sims.set(n, sim);
    }
    const truth = sim.truth;
    const out: CellOutcome = {
      key: job.key,
      truthKey: job.truthKey,
      truth: { cellTypes: truth.cellTypes, sampleNames: sim.bulk.obsNames, proportions: Array.from(truth.proportions.data) },
    };
    const forward = (e: ProgressEvent) => emit({ ...e, label: `${spec.name} [${g.name}]${e.label ? ` ${e.label}` : ''}` });
    let fit = this.fits.get(spec.name);
    if (fit?.fitted === null) return out; // fit failed at this granularity; reported once
    if (fit === undefined) {
      const t0 = performance.now();
      const curve = new CurveRecorder();
      try {
        const fitted = await spec.fit(train, {
          labelsKey: GROUP_KEY,
          layer: LAYERS.rawCounts,
          seed: this.root.fork(`fit|${spec.name}|${g.name}`).seed,
          options: {
            ...(spec.benchmarkOptions ?? {}),
            ...(s.quick ? (spec.quickOptions ?? {}) : {}),
            ...(s.methodOptions?.[spec.name] ?? {}),
          },
          signal: opts.signal,
          onProgress: (e) => {
            curve.record(e);
            forward(e);
          },
        });
        fit = { fitted, seconds: (performance.now() - t0) / 1000 };
        this.fits.set(spec.name, fit);
        const points = curve.points();
        if (points.length > 0) out.curve = { method: spec.name, granularity: g.name, points };
      } catch (e) {
        if (e instanceof AbortError) throw e;
        this.fits.set(spec.name, { fitted: null, seconds: 0 });
        out.failure = { method: spec.name, granularity: g.name, stage: 'fit', ...describeError(e) };
        return out;
      }
    }
    const fitted = fit.fitted as Fitted;
    const t1 = performance.now();
    try {
      const res = await fitted.deconvolve(sim.bulk, {
        ...(spec.bulkLayer ? { layer: spec.bulkLayer } : {}),
        seed: this.root.fork(`deconvolve|${spec.name}|${g.name}|${n}`).seed,
        ...(s.intervals ? { options: { intervals: true } } : {}),
        signal: opts.signal,
        onProgress: forward,
      });
      const seconds = (performance.now() - t1) / 1000;
      const aligned = alignToTruth(res.proportions, res.cellTypes, truth.cellTypes, spec.name);
      // Bounds are reordered like the proportions but not renormalised (they are not proportions of one sample).
      const bounds =
        res.lower && res.upper
          ? {
              lower: Array.from(alignToTruth(res.lower, res.cellTypes, truth.cellTypes, spec.name, false).data),
              upper: Array.from(alignToTruth(res.upper, res.cellTypes, truth.cellTypes, spec.name, false).data),
            }
          : {};
      out.cell = {
        method: spec.name,
        granularity: g.name,
        nCells: n,
        proportions: Array.from(aligned.data),
        fitSeconds: fit.seconds,
        deconvolveSeconds: seconds,
        warnings: res.diagnostics.warnings.length,
        ...bounds,
      };
    } catch (e) {
      if (e instanceof AbortError) throw e;
      out.failure = { method: spec.name, granularity: g.name, nCells: n, stage: 'deconvolve', ...describeError(e) };
    }
    return out;
  }

  /** Frees the current granularity's fits (tfjs tensors, when they offer a dispose()) and simulations. */
  releaseGranularity(): void {
    for (const f of this.fits.values()) (f.fitted as (Fitted & { dispose?: () => void }) | null)?.dispose?.();
    this.fits.clear();
    this.sims.clear();
    this.current = undefined;
  }
}

/**
 * Runs jobs one after another in this process (the default executor): start/end progress events
 * per cell, and the granularity's fits are released as soon as its last cell is done.
 */
export async function runJobsInProcess(
  computer: CellComputer,
  jobs: readonly BenchmarkJob[],
  opts: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void; onOutcome: (o: CellOutcome) => void },
): Promise<void> {
  const emit = (e: ProgressEvent) => opts.onProgress?.(e);
  for (const job of jobs) {
    // One start/end pair per cell (the CLI prints "benchmark nnls [fine] n=100 (3/12): done in 1.2 s").
    emit({ stage: 'benchmark', step: 0, total: 1, label: job.label });
    const o = await computer.compute(job, opts);
    opts.onOutcome(o);
    if (o.cell || o.failure?.stage === 'deconvolve') emit({ stage: 'benchmark', step: 1, total: 1, label: job.label });
  }
  computer.releaseGranularity();
}

/**
 * Reorders predicted columns to the truth's cell types (by name) and renormalises rows to sum 1
 * (PyDeconv's benchmark calls models with ratio=False; MSE needs proportions).
 */
export function alignToTruth(
  pred: DenseMatrix,
  predTypes: readonly string[],
  truthTypes: readonly string[],
  method: string,
  renormalise = true,
): DenseMatrix<Float64Array> {
  const idx = truthTypes.map((t) => predTypes.indexOf(t));
  const missing = truthTypes.filter((_, k) => (idx[k] as number) < 0);
  if (missing.length > 0) {
    throw new InputError(`method '${method}' returned different cell types than the pseudobulks`, {
      code: 'E_CELLTYPE_MISMATCH',
      got: predTypes,
      expected: truthTypes,
      hint: 'The method must predict the labels it was fitted on',
    });
  }
  const M = pred.rows;
  const K = truthTypes.length;
  const out = new Float64Array(M * K);
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = pred.get(i, idx[k] as number);
      out[i * K + k] = v;
      s += v;
    }
    if (renormalise && s > 0 && Math.abs(s - 1) > 1e-9) for (let k = 0; k < K; k++) out[i * K + k] = (out[i * K + k] as number) / s;
  }
  return new DenseMatrix(M, K, out);
}

/** The code and message of an error, for a failure record. */
export function describeError(e: unknown): { code?: string; message: string } {
  if (e instanceof CelldeconvError) return { code: e.code, message: e.message };
  return { message: (e as Error)?.message ?? String(e) };
}

/** What an executor is given besides the jobs. */
export interface ExecutorContext {
  reference: Dataset;
  settings: CellSettings;
  /** Hash of every setting that changes results (with the seed, it names the run). */
  settingsHash: string;
  /** The benchmark's output directory. */
  outDir: string;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Called once per finished job, in any order. */
  onOutcome: (o: CellOutcome) => void;
}

/** Computes a job list somewhere: in this process, or on workers behind a job queue. */
export interface BenchmarkExecutor {
  run(jobs: readonly BenchmarkJob[], ctx: ExecutorContext): Promise<void>;
}

/** The embedded executor: every job in this process, in order. */
export const inProcessExecutor: BenchmarkExecutor = {
  run: (jobs, ctx) => runJobsInProcess(new CellComputer(ctx.reference, ctx.settings), jobs, ctx),
};
