/**
 * `celldeconv benchmark`: split a labelled reference, fit every chosen method on the train half and
 * score it on Dirichlet pseudobulks from the test half, at one or more granularities and numbers of
 * cells per pseudobulk. Writes results, summaries, timings and report.html into --out.
 */
import '../../methods/all-methods.js';
import { bundledGranularityPath, type GranularityMap, readGranularityMap } from '../../benchmark/granularity.js';
import { quickSettings, quickSettingsLines } from '../../benchmark/quick-settings.js';
import { type BenchmarkFailure, type BenchmarkOptions, type BenchmarkResult, runBenchmark } from '../../benchmark/runner.js';
import { checkOptions, schemaOf } from '../../methods/option-schema.js';
import { getMethod, listMethods } from '../../methods/registry.js';
import { optBool, optIntList, optList, optNumber, optString, reqString, UsageError } from '../args.js';
import type { CommandContext, CommandSpec, OptionSpec } from '../command.js';
import type { Output } from '../output.js';
import { loadReference, REFERENCE_OPTIONS, referenceOptions } from '../reference.js';

/** The command line as typed (for the report), rebuilt from the parsed options. */
export function commandLine(name: string, values: Record<string, unknown>): string {
  const parts = ['celldeconv', name];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === false || ['json', 'quiet', 'debug', 'help'].includes(k)) continue;
    for (const x of Array.isArray(v) ? v : [v]) parts.push(x === true ? `--${k}` : `--${k} ${String(x)}`);
  }
  return parts.join(' ');
}

/** Resolves `--granularity` items: bundled map names (e.g. pbmc3k-coarse) or file paths. */
export function resolveGranularities(items: string[] | undefined): GranularityMap[] | undefined {
  if (!items || items.length === 0) return undefined;
  return items.map((it) => readGranularityMap(bundledGranularityPath(it) ?? it));
}

/** The bundled PBMC3k maps used by `demo` and by `benchmark --reference pbmc3k` without --granularity. */
export function pbmc3kGranularities(): GranularityMap[] {
  return resolveGranularities(['pbmc3k-coarse', 'pbmc3k-fine']) as GranularityMap[];
}

/** The summary table: methods x granularity at the main n_cells (median Pearson, median MSE, time). */
export function summaryTable(res: BenchmarkResult): string[] {
  const rows: string[][] = [['method', 'granularity', 'median r', 'IQR r', 'median MSE', 'time (s)']];
  for (const g of res.granularities) {
    const methods = [...new Set(res.summary.map((r) => r.method))];
    for (const m of methods) {
      const p = res.summary.find((r) => r.method === m && r.granularity === g && r.nCells === res.nCellsMain && r.metric === 'pearson');
      const e = res.summary.find((r) => r.method === m && r.granularity === g && r.nCells === res.nCellsMain && r.metric === 'mse');
      const t = res.timings.find((r) => r.method === m && r.granularity === g);
      if (!p || !e) continue;
      const time = t ? t.fitSeconds + (t.deconvolveSeconds[String(res.nCellsMain)] ?? 0) : Number.NaN;
      rows.push([m, g, p.median.toFixed(3), p.iqr.toFixed(3), e.median.toExponential(2), time.toFixed(1)]);
    }
  }
  // Failed runs get a row too (a method that never fitted has no summary at all).
  const failedRows: string[] = [];
  for (const f of res.failures) {
    const key = `${f.method}|${f.granularity}`;
    if (failedRows.includes(key)) continue;
    failedRows.push(key);
    rows.push([f.method, f.granularity, `FAILED at ${f.stage}${f.nCells ? ` (n=${f.nCells})` : ''}: ${f.code ?? 'error'}`, '', '', '']);
  }
  const w = rows[0]?.map((_, j) => Math.max(...rows.map((r) => (r[j] as string).length))) ?? [];
  return rows.map((r) =>
    r[2]?.startsWith('FAILED')
      ? `${(r[0] as string).padEnd(w[0] as number)}  ${(r[1] as string).padEnd(w[1] as number)}  ${r[2]}`
      : r.map((c, j) => (j < 2 ? c.padEnd(w[j] as number) : c.padStart(w[j] as number))).join('  '),
  );
}

/** Runs the benchmark with CLI progress and prints the table, failures and the report path. */
export async function runAndReport(
  out: Output,
  signal: AbortSignal,
  opts: Omit<BenchmarkOptions, 'onProgress' | 'signal'>,
  strict = false,
): Promise<number> {
  const t0 = Date.now();
  // Say it before minutes of training, and again under the table: quick scores are not published scores.
  const quick = opts.quick ? quickSettingsLines(quickSettingsOf(opts)) : [];
  for (const line of quick) out.info(line);
  const warn = (f: BenchmarkFailure) =>
    out.error(`warning: ${f.method} [${f.granularity}${f.nCells ? `, n=${f.nCells}` : ''}] failed at ${f.stage}: ${f.message}`);
  const res = await runBenchmark({ ...opts, onProgress: out.progress(), onFailure: warn, signal });
  out.result({
    outDir: res.outDir,
    files: res.files,
    summary: res.summary.filter((r) => r.metric === 'pearson' || r.metric === 'mse'),
    timings: res.timings,
    failures: res.failures,
    quickSettings: res.quickSettings,
    coverage: res.coverage,
    predictions: res.predictions,
    computed: res.computed,
    resumed: res.resumed,
  });
  out.print(`Summary (${res.nCellsMain} cells per pseudobulk, ${opts.nSamples ?? 400} pseudobulks, seed ${opts.seed ?? 0}):`);
  for (const line of summaryTable(res)) out.print(`  ${line}`);
  if (quick.length > 0) {
    out.print('');
    for (const line of quickSettingsLines(res.quickSettings)) out.print(line);
  }
  if (res.coverage.length > 0) {
    out.print('Interval coverage (share of true proportions inside the 90% intervals; nominal 0.90):');
    for (const c of res.coverage)
      out.print(`  ${c.method.padEnd(10)} ${c.granularity.padEnd(8)} ${c.coverage.toFixed(3)}  (mean width ${c.meanWidth.toFixed(4)})`);
  }
  if (res.resumed > 0)
    out.info(`${res.resumed} method x setting cells taken from the state file in ${res.outDir} (same seed and settings)`);
  if (res.failures.length > 0) {
    out.error(
      `warning: ${res.failures.length} method run(s) failed (in the table and the report)${strict ? '; --strict: exit code 1' : '; the others completed (exit code 0; --strict makes failures an error)'}`,
    );
  }
  out.print(`Report: ${res.files.report}`);
  out.print(`Results: ${res.files.results} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const preds = Object.values(res.predictions);
  if (preds.length > 0) out.print(`Predictions: ${preds.join(', ')} (truth.csv and one CSV per method)`);
  // Failures are exit 1 only with --strict, or when nothing at all was scored.
  return res.failures.length > 0 && (strict || res.summary.length === 0) ? 1 : 0;
}

function quickSettingsOf(opts: Pick<BenchmarkOptions, 'methods' | 'methodOptions'>) {
  return quickSettings(
    opts.methods.map((m) => getMethod(m)),
    opts.methodOptions,
  );
}

/** Options shared by `benchmark` and `demo`. */
export const RUN_OPTIONS: Record<string, OptionSpec> = {
  seed: { type: 'string', description: 'Seed of the split, simulations and methods', default: '0', valueName: 'N' },
  quick: { type: 'boolean', description: "Use each method's quick settings (fewer epochs...)" },
  fresh: { type: 'boolean', description: 'Ignore the state file in --out and recompute everything' },
  'report-method': { type: 'string', description: 'Method shown in the predicted-vs-true scatter (default: best)', valueName: 'NAME' },
  strict: { type: 'boolean', description: 'Exit with code 1 when any method fails (default: 0 when the others completed)' },
  intervals: {
    type: 'boolean',
    description:
      '90% intervals for every method that has them (gene bootstrap for signature methods, posterior draws for MixupVI), with coverage',
  },
  precision: { type: 'string', description: 'Significant digits of the numbers in the CSV files', default: '6', valueName: 'N' },
  set: {
    type: 'string',
    multiple: true,
    description: 'Method option override, repeatable (e.g. --set mixupvi.epochs=50)',
    valueName: 'M.KEY=VALUE',
  },
};

/** Parses repeated `--set method.key=value` into per-method option overrides (numbers, booleans, JSON). */
export function parseSetOptions(items: string[] | undefined): Record<string, Record<string, unknown>> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const it of items) {
    const m = /^([^.=\s]+)\.([^=\s]+)=(.*)$/.exec(it);
    if (!m) throw new UsageError('invalid value', 'set', it, 'METHOD.KEY=VALUE, e.g. mixupvi.epochs=50');
    const [, method, key, raw] = m as unknown as [string, string, string, string];
    let v: unknown = raw;
    if (raw === 'true' || raw === 'false') v = raw === 'true';
    else if (raw.trim() !== '' && Number.isFinite(Number(raw))) v = Number(raw);
    else if (/^[[{]/.test(raw)) {
      try {
        v = JSON.parse(raw);
      } catch {
        throw new UsageError('invalid JSON value', 'set', it, 'valid JSON after =, e.g. mixupvi.hidden=[128,64]');
      }
    }
    out[method] = { ...(out[method] ?? {}), [key]: v };
  }
  return out;
}

/**
 * Checks, before any work, that every method exists and that each `--set METHOD.KEY=VALUE` names a
 * chosen method and one of its options with a valid value.
 *
 * @throws InputError `E_UNKNOWN_METHOD` (with the nearest name) or `E_OPTION`; {@link UsageError}
 *   for options of a method that is not run.
 */
export function checkMethodOptions(methods: string[], methodOptions: Record<string, Record<string, unknown>> | undefined): void {
  for (const m of methods) getMethod(m);
  for (const [m, o] of Object.entries(methodOptions ?? {})) {
    if (!methods.includes(m)) {
      throw new UsageError(`options given for method '${m}', which is not run`, 'set', m, `one of ${methods.join(', ')}`);
    }
    checkOptions(m, schemaOf(getMethod(m)), o);
  }
}

function parseMethods(ctx: CommandContext): string[] {
  const methods = optList(ctx.args, 'methods');
  if (!methods || methods.length === 0 || (methods.length === 1 && methods[0] === 'all')) {
    const all = listMethods();
    if (all.length === 0) throw new UsageError('no methods are registered', 'methods', undefined, undefined, 'This build has no methods');
    return all;
  }
  return methods;
}

export const benchmarkCommand: CommandSpec = {
  name: 'benchmark',
  summary: 'Benchmark methods on pseudobulks simulated from held-out cells of a labelled reference',
  details: [
    'Examples:',
    '  celldeconv benchmark --reference pbmc3k --methods nnls,dwls --out bench-pbmc',
    '  celldeconv benchmark --reference ref.h5ad --labels cell_type --granularity coarse.json,fine.json \\',
    '      --methods all --n 400 --cells 100 --cells-grid 10,25,50,100,250,500,1000 --seed 0 --out bench',
    'Re-running with the same --out, seed and settings skips the method x setting cells already done.',
    'With --queue redis://HOST:PORT each cell becomes a job for `celldeconv worker` processes (any machines that',
    'reach Redis and see --out at the same path); results are identical to a run without --queue.',
  ].join('\n'),
  options: {
    ...REFERENCE_OPTIONS,
    granularity: {
      type: 'string',
      description: 'Granularity maps (JSON/CSV files or bundled names), comma-separated',
      valueName: 'MAP[,MAP2]',
    },
    methods: { type: 'string', short: 'm', description: "Methods, comma-separated, or 'all'", default: 'all', valueName: 'LIST' },
    n: { type: 'string', description: 'Pseudobulks per setting', default: '400', valueName: 'N' },
    cells: { type: 'string', description: 'Cells per pseudobulk (main setting)', default: '100', valueName: 'N' },
    'cells-grid': { type: 'string', description: 'More cells-per-pseudobulk values, e.g. 10,25,50,100,250', valueName: 'LIST' },
    group: { type: 'string', description: 'Split by this obs column (donor, batch) instead of by cell', valueName: 'COLUMN' },
    'train-fraction': { type: 'string', description: 'Fraction of cells used to fit the methods', default: '0.5', valueName: 'F' },
    out: { type: 'string', short: 'o', description: 'Output directory', valueName: 'DIR' },
    ...RUN_OPTIONS,
    queue: { type: 'string', description: 'Run the cells on a job queue for `celldeconv worker`s', valueName: 'redis://HOST:PORT' },
    'queue-name': { type: 'string', description: 'Queue name (with --queue)', default: 'celldeconv-benchmark', valueName: 'NAME' },
  },
  async run(ctx) {
    const { args, out, signal } = ctx;
    const { refName, labelsKey } = referenceOptions(args);
    const outDir = reqString(args, 'out', 'Pass --out DIR for the results and the report');
    const methods = parseMethods(ctx);
    const methodOptions = parseSetOptions(args.values.set as string[] | undefined);
    checkMethodOptions(methods, methodOptions);
    const opts = {
      methods,
      nSamples: optNumber(args, 'n', 400, { integer: true, min: 1 }),
      nCells: optNumber(args, 'cells', 100, { integer: true, min: 1 }),
      cellsGrid: optIntList(args, 'cells-grid', 1),
      seed: optNumber(args, 'seed', 0, { integer: true }),
      trainFraction: optNumber(args, 'train-fraction', 0.5, { min: 0.01, max: 0.99 }),
    };
    const granularities = resolveGranularities(optList(args, 'granularity')) ?? (refName === 'pbmc3k' ? pbmc3kGranularities() : undefined);
    const queueUrl = optString(args, 'queue');
    let executor: BenchmarkOptions['executor'];
    if (queueUrl !== undefined) {
      // bullmq is loaded only with --queue (and by the worker command).
      const [{ queueExecutor }, { locateReference }, { checkQueueUrl, redactUrl }] = await Promise.all([
        import('../../benchmark/queue/executor.js'),
        import('../../benchmark/queue/inputs.js'),
        import('../../benchmark/queue/connection.js'),
      ]);
      checkQueueUrl(queueUrl);
      executor = queueExecutor({
        url: queueUrl,
        name: optString(args, 'queue-name'),
        reference: locateReference(refName, refName === 'pbmc3k'),
      });
      out.info(`cells go to the job queue at ${redactUrl(queueUrl)}; start workers with: celldeconv worker --queue URL`);
    }
    out.info(`reading ${refName} ...`);
    const reference = await loadReference(refName, signal);
    return runAndReport(
      out,
      signal,
      {
        executor,
        reference,
        labelsKey,
        granularities,
        ...opts,
        groupKey: optString(args, 'group'),
        outDir,
        quick: optBool(args, 'quick'),
        resume: !optBool(args, 'fresh'),
        reportMethod: optString(args, 'report-method'),
        intervals: optBool(args, 'intervals'),
        precision: optNumber(args, 'precision', 6, { integer: true, min: 1, max: 17 }),
        methodOptions,
        metadata: { data: refName, command: commandLine('benchmark', args.values) },
      },
      optBool(args, 'strict'),
    );
  },
};
