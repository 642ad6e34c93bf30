/**
 * The benchmark's self-contained HTML report: Vega-Lite specs compiled with `vega-lite`, rendered
 * to SVG in Node with `vega` (headless View, renderer 'none'), and inlined. The page has no script
 * and loads nothing, so it opens offline and shows the same figures in every browser.
 *
 * Figures follow the MixupVI paper (Fig. 4): per-method boxplots of per-sample Pearson (axis fitted
 * to the data) and MSE (log axis) per granularity, mean Pearson against cells per pseudobulk, a
 * table of medians (failed runs included), predicted vs true for every method, a method x cell-type
 * heatmap, fit and deconvolution times, training curves of the deep models, intervals and their
 * coverage. A quick run says so in the first paragraph, with each method's quick settings.
 */
import { readFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DenseMatrix } from '../data/dense.js';
import type { MethodPredictions } from './predictions-csv.js';
import { describeChanges, type QuickSettings, quickSettingsMeaning } from './quick-settings.js';
import {
  cellTypeHeatmapSpec,
  curvesSpec,
  FIGURE_CONFIG,
  fittedDomain,
  intervalsSpec,
  scatterGridSpec,
  timingSpec,
} from './report-figures.js';
import type { BenchmarkFailure, CoverageRow, SummaryRow, TimingRow } from './result-types.js';
import type { TrainingCurve } from './training-curve.js';

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  /** Run metadata shown as a table (data, command, seed, settings...). Versions and date are added. */
  metadata: Record<string, string>;
  methods: string[];
  granularities: string[];
  nCellsMain: number;
  grid: number[];
  /** Per-sample values at the main n_cells for the boxplots (metric 'pearson' or 'mse'). */
  samples: { method: string; granularity: string; metric: string; value: number }[];
  summary: SummaryRow[];
  timings: TimingRow[];
  scatter?: { method: string; granularity: string; nCells: number; cellTypes: readonly string[]; truth: DenseMatrix; pred: DenseMatrix };
  /** Every method's predictions at the main n_cells, per granularity (predicted-vs-true grid, intervals). */
  scatters?: MethodPredictions[];
  /** Per-cell-type metrics at the main n_cells (results_by_cell_type.csv), for the heatmap. */
  cellTypes?: { method: string; granularity: string; cellType: string; metric: string; value: number }[];
  /** Training curves of the fits (deep models). */
  curves?: TrainingCurve[];
  /** Interval coverage per method x granularity. */
  coverage?: CoverageRow[];
  /** Quick settings of this run (said in the first paragraph). */
  quickSettings?: QuickSettings[];
  failures: BenchmarkFailure[];
  /** Fixed date string (tests); default now, ISO 8601. */
  date?: string;
}

const FONT = 'Helvetica, Arial, sans-serif';

/**
 * Vega-Lite's logger without its note on faceted independent scales (it fires for every facet with
 * `resolve: independent` over one data set, which is what the panels here are), other warnings kept.
 */
interface VlLogger {
  level(): number | VlLogger;
  error(...args: unknown[]): VlLogger;
  warn(...args: unknown[]): VlLogger;
  info(): VlLogger;
  debug(): VlLogger;
}
const QUIET_LOGGER: VlLogger = {
  level() {
    return QUIET_LOGGER;
  },
  error(...args: unknown[]) {
    console.error(...args);
    return QUIET_LOGGER;
  },
  warn(...args: unknown[]) {
    if (!String(args[0]).includes('faceted independent scales')) console.warn('WARN', ...args);
    return QUIET_LOGGER;
  },
  info() {
    return QUIET_LOGGER;
  },
  debug() {
    return QUIET_LOGGER;
  },
};

/** Renders one Vega-Lite spec to an SVG string. */
export async function vegaLiteToSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec, { logger: QUIET_LOGGER as never }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A string usable in an element id. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number | undefined, digits = 3): string {
  if (v === undefined || Number.isNaN(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(digits);
}

function versions(): Record<string, string> {
  const read = (u: URL) => {
    try {
      return (JSON.parse(readFileSync(u, 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    celldeconv: read(new URL('../../package.json', import.meta.url)),
    node: process.version,
    vega: vega.version,
    'vega-lite': vl.version,
  };
}

const config = FIGURE_CONFIG;

function boxplotSpec(
  values: ReportInput['samples'],
  metric: string,
  title: string,
  methods: string[],
  granularities: string[],
): vl.TopLevelSpec {
  // MSE spans orders of magnitude between methods: log axis (zeros cannot be drawn there). Pearson:
  // an axis fitted to the data, so that differences near 1 are visible.
  const data = values.filter((r) => r.metric === metric && Number.isFinite(r.value) && (metric !== 'mse' || r.value > 0));
  const domain =
    metric === 'mse'
      ? undefined
      : fittedDomain(
          data.map((r) => r.value),
          [-1, 1],
        );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    config,
    data: { values: data },
    mark: { type: 'boxplot', extent: 1.5, size: 14 },
    encoding: {
      column: { field: 'granularity', type: 'nominal', sort: granularities, title: 'granularity' },
      x: { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelAngle: -40 } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric === 'mse' ? 'MSE per sample (log scale)' : 'Pearson r per sample',
        scale: metric === 'mse' ? { type: 'log' } : { zero: false, ...(domain ? { domain, nice: false } : {}) },
      },
      color: { field: 'method', type: 'nominal', sort: methods, legend: null, scale: { scheme: 'tableau20' } },
    },
    width: Math.max(160, 34 * methods.length),
    height: 240,
  } as vl.TopLevelSpec;
}

function linesSpec(summary: SummaryRow[], methods: string[], granularities: string[]): vl.TopLevelSpec {
  const values = summary
    .filter((r) => r.metric === 'pearson' && Number.isFinite(r.mean))
    .map((r) => ({ method: r.method, granularity: r.granularity, n_cells: r.nCells, mean_pearson: r.mean }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Mean per-sample Pearson vs cells per pseudobulk',
    config,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      column: { field: 'granularity', type: 'nominal', sort: granularities },
      x: { field: 'n_cells', type: 'quantitative', scale: { type: 'log' }, title: 'cells per pseudobulk' },
      y: { field: 'mean_pearson', type: 'quantitative', scale: { zero: false }, title: 'mean Pearson r' },
      color: { field: 'method', type: 'nominal', sort: methods, scale: { scheme: 'tableau20' } },
    },
    width: 300,
    height: 220,
  } as vl.TopLevelSpec;
}

function scatterSpec(s: NonNullable<ReportInput['scatter']>): vl.TopLevelSpec {
  const values: { cell_type: string; truth: number; pred: number; kind: string }[] = [];
  const M = s.truth.rows;
  s.cellTypes.forEach((ct, k) => {
    let hi = 0;
    for (let i = 0; i < M; i++) {
      const t = s.truth.get(i, k);
      const p = s.pred.get(i, k);
      hi = Math.max(hi, t, p);
      values.push({ cell_type: ct, truth: t, pred: p, kind: 'point' });
    }
    values.push({ cell_type: ct, truth: 0, pred: 0, kind: 'diag' }, { cell_type: ct, truth: hi, pred: hi, kind: 'diag' });
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Predicted vs true proportions: ${s.method} (${s.granularity}, ${s.nCells} cells per pseudobulk)`,
    config,
    data: { values },
    facet: { field: 'cell_type', type: 'nominal', sort: [...s.cellTypes], title: null },
    columns: 5,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'diag'" }],
          mark: { type: 'line', color: '#999', strokeDash: [4, 3] },
          encoding: { x: { field: 'truth', type: 'quantitative' }, y: { field: 'pred', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'circle', size: 10, opacity: 0.5 },
          encoding: {
            x: { field: 'truth', type: 'quantitative', title: 'true' },
            y: { field: 'pred', type: 'quantitative', title: 'predicted' },
          },
        },
      ],
    },
  } as vl.TopLevelSpec;
}

/** The table of medians: methods x granularity at the main n_cells. */
function mediansTable(input: ReportInput): string {
  const get = (m: string, g: string, metric: string) =>
    input.summary.find((r) => r.method === m && r.granularity === g && r.nCells === input.nCellsMain && r.metric === metric);
  const time = (m: string, g: string) => {
    const t = input.timings.find((r) => r.method === m && r.granularity === g);
    return t ? t.fitSeconds + (t.deconvolveSeconds[String(input.nCellsMain)] ?? 0) : undefined;
  };
  const head = `<tr><th>method</th><th>granularity</th><th>median Pearson</th><th>IQR Pearson</th><th>mean Pearson (d)</th><th>median MSE</th><th>IQR MSE</th><th>excluded (NaN r)</th><th>time (s)</th></tr>`;
  const rows: string[] = [];
  for (const g of input.granularities) {
    for (const m of input.methods) {
      const p = get(m, g, 'pearson');
      const e = get(m, g, 'mse');
      const failed = input.failures.filter((f) => f.method === m && f.granularity === g);
      if (failed.length > 0 && (!p || !e || failed.some((f) => f.stage === 'fit'))) {
        const f = failed[0] as BenchmarkFailure;
        rows.push(
          `<tr class="failed"><td>${esc(m)}</td><td>${esc(g)}</td><td colspan="7">FAILED at ${f.stage}${f.nCells ? ` (n=${f.nCells})` : ''}: ${f.code ? `${esc(f.code)} ` : ''}${esc(f.message)}</td></tr>`,
        );
        continue;
      }
      if (!p || !e) continue;
      rows.push(
        `<tr><td>${esc(m)}</td><td>${esc(g)}</td><td>${fmt(p.median)}</td><td>${fmt(p.iqr)}</td><td>${fmt(p.mean)}</td><td>${fmt(e.median, 5)}</td><td>${fmt(e.iqr, 5)}</td><td>${p.nExcluded}</td><td>${time(m, g)?.toFixed(2) ?? '–'}</td></tr>`,
      );
    }
  }
  return `<table class="medians">${head}${rows.join('')}</table>`;
}

/**
 * Builds the report page.
 * @returns a complete HTML document (UTF-8) with the figures inlined as SVG.
 * @example
 * writeFileAtomic('report.html', await renderReport(input));
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const figures: { id: string; caption: string; svg: string }[] = [];
  if (input.samples.length > 0) {
    figures.push({
      id: 'box-pearson',
      caption: `Per-sample Pearson correlation between true and predicted proportions (${input.nCellsMain} cells per pseudobulk). Higher is better.`,
      svg: await vegaLiteToSvg(boxplotSpec(input.samples, 'pearson', 'Per-sample Pearson r', input.methods, input.granularities)),
    });
    figures.push({
      id: 'box-mse',
      caption: `Per-sample mean squared error of the proportions (${input.nCellsMain} cells per pseudobulk). Lower is better.`,
      svg: await vegaLiteToSvg(boxplotSpec(input.samples, 'mse', 'Per-sample MSE', input.methods, input.granularities)),
    });
  }
  if (input.grid.length > 1 && input.summary.length > 0) {
    figures.push({
      id: 'lines-cells',
      caption: 'Mean per-sample Pearson against the number of cells per pseudobulk.',
      svg: await vegaLiteToSvg(linesSpec(input.summary, input.methods, input.granularities)),
    });
  }
  const scatters = input.scatters ?? [];
  for (const g of input.granularities) {
    const mine = scatters.filter((p) => p.granularity === g);
    if (mine.length === 0) continue;
    figures.push({
      id: `scatter-all-${slug(g)}`,
      caption: `Predicted vs true proportion for every method at granularity ${g} (${input.nCellsMain} cells per pseudobulk). Each point is one cell type in one pseudobulk (at most 200 pseudobulks drawn); colour: cell type; all panels share the axes; dashed line: predicted = true. r and RMSE in each panel are over all pseudobulks and cell types.`,
      svg: await vegaLiteToSvg(scatterGridSpec(mine, g, input.nCellsMain)),
    });
  }
  if (input.scatter) {
    figures.push({
      id: 'scatter',
      caption: `Per cell type, each point is one pseudobulk; dashed line: predicted = true. Method: ${input.scatter.method} (best median Pearson unless --report-method).`,
      svg: await vegaLiteToSvg(scatterSpec(input.scatter)),
    });
  }
  if ((input.cellTypes ?? []).some((r) => r.metric === 'pearson')) {
    figures.push({
      id: 'heatmap-celltype',
      caption: `Pearson r between true and predicted proportions of each cell type across the pseudobulks (${input.nCellsMain} cells per pseudobulk), from results_by_cell_type.csv (which also has RMSE, MSE and R²). Rare types with little variation are the hardest.`,
      svg: await vegaLiteToSvg(cellTypeHeatmapSpec(input.cellTypes ?? [], input.methods, input.granularities)),
    });
  }
  if (input.timings.length > 0) {
    figures.push({
      id: 'timings',
      caption: `Seconds to fit each method (train half of the reference; includes training for deep models) and to deconvolve the ${input.nCellsMain}-cell pseudobulks, log scale. Wall time on the machine in the Run table.`,
      svg: await vegaLiteToSvg(timingSpec(input.timings, input.methods, input.granularities, input.nCellsMain)),
    });
  }
  const curves = (input.curves ?? []).filter((c) => c.points.length > 0);
  if (curves.length > 0) {
    figures.push({
      id: 'training-curves',
      caption:
        'Training curves of the models that report per-epoch numbers: loss terms on the training data, val_* on the held-out validation set (val_rho: mean per-sample Pearson, val_d: mean per-sample distance of proportions, where the model reports them). A curve still falling at its last epoch means the model stopped before converging.',
      svg: await vegaLiteToSvg(curvesSpec(curves)),
    });
  }
  for (const g of input.granularities) {
    const withIv = scatters.filter((p) => p.granularity === g && p.lower && p.upper);
    if (withIv.length === 0) continue;
    figures.push({
      id: `intervals-${slug(g)}`,
      caption: `Each bar is one cell type in one pseudobulk: its 90% interval (5th to 95th percentile) placed at the true proportion; the dot is the prediction. A well calibrated method covers the truth (the bar crosses the diagonal) about 90% of the time; see the coverage table.`,
      svg: await vegaLiteToSvg(intervalsSpec(withIv, g)),
    });
  }
  const meta: Record<string, string> = { ...input.metadata, ...versions(), date: input.date ?? new Date().toISOString() };
  const metaRows = Object.entries(meta)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
    .join('');
  const failures = input.failures.length
    ? `<section><h2>Failed runs</h2><ul>${input.failures
        .map(
          (f) =>
            `<li><b>${esc(f.method)}</b> [${esc(f.granularity)}${f.nCells ? `, n=${f.nCells}` : ''}] ${f.stage}: ${esc(f.message)}</li>`,
        )
        .join('')}</ul></section>`
    : '';
  const quick = input.quickSettings ?? [];
  const quickNote =
    quick.length > 0
      ? `<section class="quick"><p class="warn"><b>Quick settings.</b> ${esc(quickSettingsMeaning(quick))}</p><ul>${quick
          .map((q) => `<li><b>${esc(q.method)}</b>: ${esc(describeChanges(q))}</li>`)
          .join('')}</ul></section>`
      : '';
  const coverage = (input.coverage ?? []).length
    ? `<section><h2>Interval coverage</h2><p class="note">Share of true proportions (all pseudobulks and cell types, ${input.nCellsMain} cells per pseudobulk) inside each method's 90% interval; nominal 0.90.</p><table class="medians"><tr><th>method</th><th>granularity</th><th>coverage</th><th>mean width</th></tr>${(
        input.coverage ?? []
      )
        .map(
          (c) =>
            `<tr><td>${esc(c.method)}</td><td>${esc(c.granularity)}</td><td>${fmt(c.coverage)}</td><td>${fmt(c.meanWidth, 4)}</td></tr>`,
        )
        .join('')}</table></section>`
    : '';
  const figs = figures.map((f) => `<figure id="${f.id}">${f.svg}<figcaption>${esc(f.caption)}</figcaption></figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
body { font-family: ${FONT}; margin: 24px auto; max-width: 1150px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
table.medians td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 16px 0; overflow-x: auto; } figcaption { font-size: 12px; color: #555; }
code { font-size: 12px; word-break: break-all; }
p.note { font-size: 13px; color: #444; }
p.warn { font-size: 14px; background: #fff4e0; border-left: 4px solid #e8a33d; padding: 8px 12px; margin: 0; }
section.quick ul { font-size: 13px; margin-top: 6px; }
tr.failed td { color: #a00; }
</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
${quickNote}
<p class="note">Methods were fitted on the train half of the reference and scored on Dirichlet pseudobulks simulated from the held-out
test cells (${esc(String(input.nCellsMain))} cells per pseudobulk unless stated). Per-sample Pearson r and MSE compare the true
and predicted proportions of one pseudobulk (MixupVI paper, Appendix D); medians are over pseudobulks.</p>
<section><h2>Medians per method and granularity</h2>${mediansTable(input)}</section>
${failures}
${coverage}
<section><h2>Figures</h2>
${figs}
</section>
<section><h2>Run</h2><table class="meta">${metaRows}</table></section>
</body>
</html>
`;
}
