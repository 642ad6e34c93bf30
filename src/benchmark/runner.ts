/**
 * The benchmark pipeline (MixupVI paper §3.1 / Appendix E; PyDeconv `benchmark/run_benchmark.py`):
 * split a labelled reference into train/test, and for every granularity, every number of cells
 * per pseudobulk and every method, fit the method on the train cells and score its predictions on
 * Dirichlet pseudobulks simulated from the test cells.
 *
 * Methods come only from the registry (one interface, no per-method branches). Every finished
 * (method x granularity x n_cells) cell is recorded in a state file in `outDir`, keyed by the seed and
 * a hash of the settings, so an interrupted run re-started with the same arguments skips it.
 * `results.csv` depends only on the inputs and the seed (no timings), so a re-run gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { columnAsStrings } from '../data/frame.js';
import { writeFileAtomic } from '../io/atomic.js';
import { getMethod } from '../methods/registry.js';
import { type GranularityMap, identityGranularity, validateGranularity } from './granularity.js';
import {
  type BenchmarkExecutor,
  type BenchmarkJob,
  type CellFailure,
  type CellSettings,
  type CellState,
  inProcessExecutor,
  methodSettingsHash,
  type TruthState,
} from './jobs.js';
import { CELLTYPE_METRICS, cellTypeMetrics, r2Flat, SAMPLE_METRICS, sampleMetrics, summarize } from './metrics.js';
import { writePredictions } from './predictions-csv.js';
import { type QuickSettings, quickSettings } from './quick-settings.js';
import type { ReportInput } from './report.js';
import type { CoverageRow, SummaryRow, TimingRow } from './result-types.js';
import type { TrainingCurve } from './training-curve.js';

export { alignToTruth, GROUP_KEY } from './jobs.js';
/** State file name inside `outDir`. */
export const STATE_FILE = 'benchmark-state.json';
const STATE_VERSION = 1;

/** Options of {@link runBenchmark}. */
export interface BenchmarkOptions extends LongRunOptions {
  /** Labelled single-cell reference, cells x genes, raw counts in X or the `raw_counts` layer. */
  reference: Dataset;
  /** obs column with the (finest) cell-type labels. */
  labelsKey: string;
  /** Granularities to score (default: the labels as they are, named 'fine'). */
  granularities?: GranularityMap[];
  /** Registered method names, in report order. */
  methods: string[];
  /** Pseudobulks per setting (default 400, the paper's). */
  nSamples?: number;
  /** Cells per pseudobulk of the main setting (boxplots, table; default 100). */
  nCells?: number;
  /** Extra cells-per-pseudobulk values for the sweep (the main `nCells` is always included). */
  cellsGrid?: number[];
  /** Seed of the split, the simulations and the methods (default 0). */
  seed?: number;
  /** Output directory (created when missing). */
  outDir: string;
  /** Use each method's `quickOptions` (fewer epochs etc.), for the demo and smoke runs. */
  quick?: boolean;
  /** Per-method option overrides, by method name. */
  methodOptions?: Record<string, Record<string, unknown>>;
  /** Train fraction of the split (default 0.5). */
  trainFraction?: number;
  /** Split by this obs column (donor, batch) instead of by cell. */
  groupKey?: string;
  /** Simulation variants (see `simulatePseudobulks`; defaults: flat prior, mean aggregation). */
  simulation?: { posterior?: boolean; likelihood?: 'fractions' | 'counts'; aggregation?: 'mean' | 'sum' };
  /** Genes with fewer total counts are dropped before the split (PyDeconv `filter_genes(min_counts=3)`). */
  minGeneCounts?: number;
  /** Method shown in the report's predicted-vs-true scatter (default: best median Pearson). */
  reportMethod?: string;
  /** Free text for the report: data name, command line. */
  metadata?: { data?: string; command?: string };
  /** Re-use finished cells from the state file (default true). */
  resume?: boolean;
  /** Called as soon as a method fails (the run goes on); the failures are also returned. */
  onFailure?: (f: BenchmarkFailure) => void;
  /**
   * Ask every method for 90% intervals (`deconvolve` option `intervals: true`: MixupVI's posterior
   * draws, the signature methods' gene bootstrap); the report shows them and their coverage.
   */
  intervals?: boolean;
  /** Significant digits of the numbers in the CSV files (default 6). */
  precision?: number;
  /** Where the cells are computed: in this process (default) or on a job queue (`benchmark/queue`). */
  executor?: BenchmarkExecutor;
}

export type { CoverageRow, SummaryRow, TimingRow } from './result-types.js';

/** A method run that threw; the other methods still run. */
export type BenchmarkFailure = CellFailure;

/** What {@link runBenchmark} returns. */
export interface BenchmarkResult {
  outDir: string;
  files: {
    results: string;
    resultsByCellType: string;
    summaryCsv: string;
    summaryJson: string;
    timings: string;
    report: string;
    state: string;
  };
  summary: SummaryRow[];
  timings: TimingRow[];
  failures: BenchmarkFailure[];
  /** Cells computed in this run and cells taken from the state file. */
  computed: number;
  resumed: number;
  /** The method shown in the report's scatter. */
  reportMethod?: string;
  /** Per granularity: the directory holding truth.csv and one <method>.csv of predictions (main n_cells). */
  predictions: Record<string, string>;
  /** The quick settings this run used (empty unless `quick`). */
  quickSettings: QuickSettings[];
  /** Per method x granularity: share of true proportions inside the method's intervals (when it gave any). */
  coverage: CoverageRow[];
  nCellsMain: number;
  grid: number[];
  granularities: string[];
}

interface StateFile {
  version: number;
  seed: number;
  settingsHash: string;
  truths: Record<string, TruthState>;
  cells: Record<string, CellState>;
  /** Training curves of the fits, by `method|granularity`. */
  curves?: Record<string, TrainingCurve>;
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

function mapHash(g: GranularityMap): string {
  return sha(JSON.stringify(Object.entries(g.map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/**
 * Runs the benchmark and writes `results.csv`, `results_by_cell_type.csv`, `summary.csv`,
 * `summary.json`, `timings.json`, `report.html` and the resumable state file into `outDir`.
 *
 * @param opts - see {@link BenchmarkOptions}.
 * @returns the summary, timings, failures and file paths.
 * @throws {@link InputError} `E_NO_COLUMN` (labels column missing), `E_TOO_FEW_CELLS`,
 *   `E_GRANULARITY_UNCOVERED`, `E_UNKNOWN_METHOD`, `E_BENCH_OPTION`; {@link AbortError} when cancelled.
 *   A method that throws is recorded in `failures` and the run goes on.
 * @example
 * import '../methods/all-methods.js';
 * const res = await runBenchmark({ reference, labelsKey: 'cell_type', methods: ['nnls', 'dwls'], outDir: 'bench-out', seed: 0 });
 * res.summary.filter((r) => r.metric === 'pearson'); // median per method
 */
export async function runBenchmark(opts: BenchmarkOptions): Promise<BenchmarkResult> {
  const seed = opts.seed ?? 0;
  const nSamples = opts.nSamples ?? 400;
  const nMain = opts.nCells ?? 100;
  checkPositiveInt('nSamples', nSamples);
  checkPositiveInt('nCells', nMain);
  for (const n of opts.cellsGrid ?? []) checkPositiveInt('cellsGrid', n);
  const grid = [...new Set([nMain, ...(opts.cellsGrid ?? [])])].sort((a, b) => a - b);
  if (opts.methods.length === 0) {
    throw new InputError('no methods to benchmark', {
      code: 'E_BENCH_OPTION',
      field: 'methods',
      hint: "Pass method names, e.g. --methods nnls,dwls ('celldeconv methods' lists them)",
    });
  }
  const specs = opts.methods.map((m) => getMethod(m));
  const labels = columnAsStrings(opts.reference.obs.get(opts.labelsKey));
  const granularities = opts.granularities ?? [identityGranularity([...new Set(labels)].sort())];
  const gNames = granularities.map((g) => g.name);
  if (new Set(gNames).size !== gNames.length) {
    throw new InputError('granularity names must be unique', { code: 'E_BENCH_OPTION', field: 'granularities', got: gNames });
  }
  for (const g of granularities) validateGranularity(g, labels);

  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const files = {
    results: join(outDir, 'results.csv'),
    resultsByCellType: join(outDir, 'results_by_cell_type.csv'),
    summaryCsv: join(outDir, 'summary.csv'),
    summaryJson: join(outDir, 'summary.json'),
    timings: join(outDir, 'timings.json'),
    report: join(outDir, 'report.html'),
    state: join(outDir, STATE_FILE),
  };

  const settings = {
    version: STATE_VERSION,
    reference: fingerprint(opts.reference, opts.labelsKey),
    labelsKey: opts.labelsKey,
    nSamples,
    trainFraction: opts.trainFraction ?? 0.5,
    groupKey: opts.groupKey ?? null,
    simulation: opts.simulation ?? {},
    minGeneCounts: opts.minGeneCounts ?? 3,
    quick: opts.quick ?? false,
    methodOptions: opts.methodOptions ?? {},
    ...(opts.intervals ? { intervals: true } : {}),
  };
  const settingsHash = sha(JSON.stringify(settings));
  let state: StateFile = { version: STATE_VERSION, seed, settingsHash, truths: {}, cells: {} };
  if ((opts.resume ?? true) && existsSync(files.state)) {
    try {
      const old = JSON.parse(readFileSync(files.state, 'utf8')) as StateFile;
      if (old.version === STATE_VERSION && old.seed === seed && old.settingsHash === settingsHash) state = old;
    } catch {
      // A corrupt state file only costs a recomputation.
    }
  }
  const saveState = () => writeFileAtomic(files.state, JSON.stringify(state));

  // A method's settings are part of its cell key: changing its defaults (or quick settings) recomputes it.
  const specHash = new Map(specs.map((s) => [s.name, methodSettingsHash(s, opts.quick ?? false)]));
  const cellKey = (method: string, g: GranularityMap, n: number) => `${method}:${specHash.get(method)}|${g.name}:${mapHash(g)}|${n}`;
  const truthKey = (g: GranularityMap, n: number) => `${g.name}:${mapHash(g)}|${n}`;
  const totalCells = specs.length * granularities.length * grid.length;
  let computed = 0;
  let resumed = 0;
  const failures: BenchmarkFailure[] = [];

  // The grid as a job list (granularity, then n_cells, then method: neighbours share a fit), minus
  // the cells the state file already holds; an executor computes them, here or on a job queue.
  const jobs: BenchmarkJob[] = [];
  for (const g of granularities) {
    for (const n of grid) {
      for (const spec of specs) {
        const key = cellKey(spec.name, g, n);
        if (state.cells[key]) {
          resumed++;
          continue;
        }
        const label = `${spec.name} [${g.name}] n=${n} (${resumed + jobs.length + 1}/${totalCells})`;
        jobs.push({ key, truthKey: truthKey(g, n), method: spec.name, granularity: g, nCells: n, label });
      }
    }
  }
  const cellSettings: CellSettings = {
    seed,
    labelsKey: opts.labelsKey,
    nSamples,
    trainFraction: opts.trainFraction,
    groupKey: opts.groupKey,
    simulation: opts.simulation,
    minGeneCounts: opts.minGeneCounts ?? 3,
    quick: opts.quick ?? false,
    methodOptions: opts.methodOptions,
    ...(opts.intervals ? { intervals: true } : {}),
  };
  const failedFits = new Set<string>();
  if (jobs.length > 0) {
    await (opts.executor ?? inProcessExecutor).run(jobs, {
      reference: opts.reference,
      settings: cellSettings,
      settingsHash,
      outDir,
      signal: opts.signal,
      onProgress: opts.onProgress,
      onOutcome: (o) => {
        state.truths[o.truthKey] = o.truth;
        if (o.curve) (state.curves ??= {})[`${o.curve.method}|${o.curve.granularity}`] = o.curve;
        if (o.cell) {
          state.cells[o.key] = o.cell;
          saveState();
          computed++;
        }
        // A fit failure is reported once per method x granularity (queue workers may each meet it).
        const f = o.failure;
        if (f && !(f.stage === 'fit' && failedFits.has(`${f.method}|${f.granularity}`))) {
          if (f.stage === 'fit') failedFits.add(`${f.method}|${f.granularity}`);
          failures.push(f);
          opts.onFailure?.(f);
        }
      },
    });
  }
  saveState();
  return writeOutputs(opts, state, {
    specs: specs.map((s) => s.name),
    quickSettings: opts.quick ? quickSettings(specs, opts.methodOptions) : [],
    granularities,
    grid,
    nMain,
    seed,
    files,
    failures,
    computed,
    resumed,
    cellKey,
    truthKey,
    outDir,
  });
}

interface OutputContext {
  specs: string[];
  quickSettings: QuickSettings[];
  granularities: GranularityMap[];
  grid: number[];
  nMain: number;
  seed: number;
  files: BenchmarkResult['files'];
  failures: BenchmarkFailure[];
  computed: number;
  resumed: number;
  outDir: string;
  cellKey: (method: string, g: GranularityMap, n: number) => string;
  truthKey: (g: GranularityMap, n: number) => string;
}

/**
 * Formats a number for the CSV files with `digits` significant digits (then the shortest form of
 * that value: 0.1 not 0.100000), so bytes are stable and files stay readable.
 */
export function formatCsvNumber(v: number, digits = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v) || v === 0) return String(v);
  return String(Number(v.toPrecision(digits)));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function writeOutputs(opts: BenchmarkOptions, state: StateFile, ctx: OutputContext): Promise<BenchmarkResult> {
  const digits = opts.precision ?? 6;
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) {
    throw new InputError('precision must be an integer from 1 to 17 (significant digits)', {
      code: 'E_BENCH_OPTION',
      field: 'precision',
      got: digits,
      expected: 'e.g. 6',
    });
  }
  const num = (v: number) => formatCsvNumber(v, digits);
  const scatters: NonNullable<ReportInput['scatters']> = [];
  const cellTypeRows: NonNullable<ReportInput['cellTypes']> = [];
  const coverage: CoverageRow[] = [];
  const results: string[] = ['method,granularity,n_cells,sample,metric,value'];
  const byType: string[] = ['method,granularity,n_cells,cell_type,metric,value'];
  const summary: SummaryRow[] = [];
  const timings: TimingRow[] = [];
  const boxRows: ReportInput['samples'] = [];
  let scatter: ReportInput['scatter'];
  const medianPearson = new Map<string, number>();
  for (const method of ctx.specs) {
    for (const g of ctx.granularities) {
      const timing: TimingRow = { method, granularity: g.name, fitSeconds: 0, deconvolveSeconds: {} };
      let any = false;
      for (const n of ctx.grid) {
        const cell = state.cells[ctx.cellKey(method, g, n)];
        const tr = state.truths[ctx.truthKey(g, n)];
        if (!cell || !tr) continue;
        any = true;
        timing.fitSeconds = cell.fitSeconds;
        timing.deconvolveSeconds[String(n)] = cell.deconvolveSeconds;
        const K = tr.cellTypes.length;
        const M = tr.sampleNames.length;
        const truth = new DenseMatrix(M, K, Float64Array.from(tr.proportions));
        const pred = new DenseMatrix(M, K, Float64Array.from(cell.proportions));
        const sm = sampleMetrics(truth, pred);
        const prefix = `${csvCell(method)},${csvCell(g.name)},${n}`;
        for (let i = 0; i < M; i++) {
          const sample = csvCell(tr.sampleNames[i] as string);
          for (const m of SAMPLE_METRICS) results.push(`${prefix},${sample},${m},${num(sm[m][i] as number)}`);
        }
        for (const m of SAMPLE_METRICS) {
          const s = summarize(sm[m]);
          summary.push({ method, granularity: g.name, nCells: n, metric: m, ...s });
          if (m === 'pearson' && n === ctx.nMain) medianPearson.set(`${method}|${g.name}`, s.median);
        }
        const ct = cellTypeMetrics(truth, pred);
        for (let k = 0; k < K; k++) {
          for (const m of CELLTYPE_METRICS) byType.push(`${prefix},${csvCell(tr.cellTypes[k] as string)},${m},${num(ct[m][k] as number)}`);
          if (n === ctx.nMain) {
            for (const m of CELLTYPE_METRICS)
              cellTypeRows.push({ method, granularity: g.name, cellType: tr.cellTypes[k] as string, metric: m, value: ct[m][k] as number });
          }
        }
        if (n === ctx.nMain) {
          const lower = cell.lower ? new DenseMatrix(M, K, Float64Array.from(cell.lower)) : undefined;
          const upper = cell.upper ? new DenseMatrix(M, K, Float64Array.from(cell.upper)) : undefined;
          scatters.push({ method, granularity: g.name, cellTypes: tr.cellTypes, sampleNames: tr.sampleNames, truth, pred, lower, upper });
          if (lower && upper) coverage.push({ method, granularity: g.name, level: 0.9, ...intervalCoverage(truth, lower, upper) });
        }
        for (const m of CELLTYPE_METRICS)
          summary.push({ method, granularity: g.name, nCells: n, metric: `celltype_${m}`, ...summarize(ct[m]) });
        const flat = r2Flat(truth, pred);
        summary.push({ method, granularity: g.name, nCells: n, metric: 'r2_flat', ...summarize([flat]) });
        if (n === ctx.nMain) {
          for (let i = 0; i < M; i++) {
            boxRows.push({ method, granularity: g.name, metric: 'pearson', value: sm.pearson[i] as number });
            boxRows.push({ method, granularity: g.name, metric: 'mse', value: sm.mse[i] as number });
          }
        }
      }
      if (any) timings.push(timing);
    }
  }
  // Scatter: the chosen (or best) method at the granularity with the most cell types, main n.
  const finest = [...ctx.granularities].sort((a, b) => new Set(Object.values(b.map)).size - new Set(Object.values(a.map)).size)[0];
  let reportMethod = opts.reportMethod;
  if (finest && reportMethod === undefined) {
    let best = Number.NEGATIVE_INFINITY;
    for (const m of ctx.specs) {
      const v = medianPearson.get(`${m}|${finest.name}`);
      if (v !== undefined && v > best) {
        best = v;
        reportMethod = m;
      }
    }
  }
  if (finest && reportMethod !== undefined) {
    const cell = state.cells[ctx.cellKey(reportMethod, finest, ctx.nMain)];
    const tr = state.truths[ctx.truthKey(finest, ctx.nMain)];
    if (cell && tr) {
      scatter = {
        method: reportMethod,
        granularity: finest.name,
        nCells: ctx.nMain,
        cellTypes: tr.cellTypes,
        truth: new DenseMatrix(tr.sampleNames.length, tr.cellTypes.length, Float64Array.from(tr.proportions)),
        pred: new DenseMatrix(tr.sampleNames.length, tr.cellTypes.length, Float64Array.from(cell.proportions)),
      };
    }
  }

  const predictionFiles = writePredictions(
    ctx.outDir,
    ctx.granularities.map((g) => g.name),
    scatters,
    num,
  );
  writeFileAtomic(ctx.files.results, `${results.join('\n')}\n`);
  writeFileAtomic(ctx.files.resultsByCellType, `${byType.join('\n')}\n`);
  const sCols = ['n', 'nExcluded', 'mean', 'median', 'q1', 'q3', 'iqr', 'min', 'max'] as const;
  const summaryCsv = [
    'method,granularity,n_cells,metric,n,n_excluded,mean,median,q1,q3,iqr,min,max',
    ...summary.map((r) => [csvCell(r.method), csvCell(r.granularity), r.nCells, r.metric, ...sCols.map((c) => num(r[c]))].join(',')),
  ];
  writeFileAtomic(ctx.files.summaryCsv, `${summaryCsv.join('\n')}\n`);
  const settingsOut = {
    seed: ctx.seed,
    labelsKey: opts.labelsKey,
    methods: ctx.specs,
    granularities: ctx.granularities.map((g) => ({ name: g.name, groups: [...new Set(Object.values(g.map))] })),
    nSamples: opts.nSamples ?? 400,
    nCells: ctx.nMain,
    cellsGrid: ctx.grid,
    quick: opts.quick ?? false,
    trainFraction: opts.trainFraction ?? 0.5,
    groupKey: opts.groupKey ?? null,
    simulation: { posterior: false, likelihood: 'fractions', aggregation: 'mean', ...(opts.simulation ?? {}) },
    intervals: opts.intervals ?? false,
    precision: digits,
  };
  writeFileAtomic(
    ctx.files.summaryJson,
    `${JSON.stringify({ settings: settingsOut, rows: summary.map((r) => ({ ...r, ...Object.fromEntries(sCols.map((c) => [c, Number.isNaN(r[c]) ? null : r[c]])) })), failures: ctx.failures, quickSettings: ctx.quickSettings, coverage }, null, 1)}\n`,
  );
  writeFileAtomic(ctx.files.timings, `${JSON.stringify({ seed: ctx.seed, unit: 'seconds', rows: timings }, null, 1)}\n`);

  // The report (and vega) load only here: importing the runner stays cheap.
  const { renderReport } = await import('./report.js');
  const html = await renderReport({
    title: `celldeconv benchmark${opts.metadata?.data ? `: ${opts.metadata.data}` : ''}`,
    metadata: {
      data: opts.metadata?.data ?? `${opts.reference.nObs} cells x ${opts.reference.nVars} genes`,
      command: opts.metadata?.command ?? '',
      seed: String(ctx.seed),
      settings: JSON.stringify(settingsOut),
    },
    methods: ctx.specs,
    granularities: ctx.granularities.map((g) => g.name),
    nCellsMain: ctx.nMain,
    grid: ctx.grid,
    samples: boxRows,
    summary,
    timings,
    scatter,
    scatters,
    cellTypes: cellTypeRows,
    curves: Object.values(state.curves ?? {}).filter(
      (c) => ctx.specs.includes(c.method) && ctx.granularities.some((g) => g.name === c.granularity),
    ),
    coverage,
    quickSettings: ctx.quickSettings,
    failures: ctx.failures,
  });
  writeFileAtomic(ctx.files.report, html);
  return {
    outDir: ctx.outDir,
    files: ctx.files,
    summary,
    timings,
    failures: ctx.failures,
    computed: ctx.computed,
    resumed: ctx.resumed,
    reportMethod: scatter?.method,
    quickSettings: ctx.quickSettings,
    coverage,
    predictions: predictionFiles,
    nCellsMain: ctx.nMain,
    grid: ctx.grid,
    granularities: ctx.granularities.map((g) => g.name),
  };
}

/** Share of true proportions inside [lower, upper] and the mean width of the intervals. */
export function intervalCoverage(truth: DenseMatrix, lower: DenseMatrix, upper: DenseMatrix): { coverage: number; meanWidth: number } {
  let inside = 0;
  let width = 0;
  const n = truth.rows * truth.cols;
  for (let i = 0; i < truth.rows; i++) {
    for (let k = 0; k < truth.cols; k++) {
      const t = truth.get(i, k);
      const lo = lower.get(i, k);
      const hi = upper.get(i, k);
      // A small tolerance: the bounds went through the state file as float64 (exact) but a true 0 may be predicted as -1e-17.
      if (t >= lo - 1e-12 && t <= hi + 1e-12) inside++;
      width += hi - lo;
    }
  }
  return { coverage: n > 0 ? inside / n : Number.NaN, meanWidth: n > 0 ? width / n : Number.NaN };
}

/** Cheap identity of a reference: shape, a hash of the names and the label counts. */
function fingerprint(ds: Dataset, labelsKey: string): string {
  const labels = columnAsStrings(ds.obs.get(labelsKey));
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return sha(JSON.stringify([ds.nObs, ds.nVars, sha(ds.obsNames.join('\n')), sha(ds.varNames.join('\n')), [...counts.entries()].sort()]));
}

function checkPositiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new InputError('must be a positive integer', { code: 'E_BENCH_OPTION', field, got: v, expected: 'an integer >= 1, e.g. 100' });
  }
}
