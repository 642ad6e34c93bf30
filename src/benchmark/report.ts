/**
 * The benchmark's self-contained HTML report: Vega-Lite specs compiled with `vega-lite`, rendered
 * to SVG in Node with `vega` (headless View, renderer 'none'), and inlined. The page has no script
 * and loads nothing, so it opens offline and shows the same figures in every browser.
 *
 * Figures follow the MixupVI paper (Fig. 4): per-method boxplots of per-sample Pearson and MSE per
 * granularity, mean Pearson against cells per pseudobulk, a table of medians, and predicted vs
 * true proportions per cell type for one method.
 */
import { readFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DenseMatrix } from '../data/dense.js';
import type { BenchmarkFailure, SummaryRow, TimingRow } from './result-types.js';

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
  failures: BenchmarkFailure[];
  /** Fixed date string (tests); default now, ISO 8601. */
  date?: string;
}

const FONT = 'Helvetica, Arial, sans-serif';

/** Renders one Vega-Lite spec to an SVG string. */
export async function vegaLiteToSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
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

const config = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

function boxplotSpec(
  values: ReportInput['samples'],
  metric: string,
  title: string,
  methods: string[],
  granularities: string[],
): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    config,
    data: { values: values.filter((r) => r.metric === metric && Number.isFinite(r.value)) },
    mark: { type: 'boxplot', extent: 1.5, size: 14 },
    encoding: {
      column: { field: 'granularity', type: 'nominal', sort: granularities, title: 'granularity' },
      x: { field: 'method', type: 'nominal', sort: methods, title: null, axis: { labelAngle: -40 } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric === 'mse' ? 'MSE per sample' : 'Pearson r per sample',
        scale: { zero: false },
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
  if (input.scatter) {
    figures.push({
      id: 'scatter',
      caption: `Each point is one pseudobulk; dashed line: predicted = true. Method: ${input.scatter.method}.`,
      svg: await vegaLiteToSvg(scatterSpec(input.scatter)),
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
</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
<p class="note">Methods were fitted on the train half of the reference and scored on Dirichlet pseudobulks simulated from the held-out
test cells (${esc(String(input.nCellsMain))} cells per pseudobulk unless stated). Per-sample Pearson r and MSE compare the true
and predicted proportions of one pseudobulk (MixupVI paper, Appendix D); medians are over pseudobulks.</p>
<section><h2>Medians per method and granularity</h2>${mediansTable(input)}</section>
${failures}
<section><h2>Figures</h2>
${figs}
</section>
<section><h2>Run</h2><table class="meta">${metaRows}</table></section>
</body>
</html>
`;
}
