/**
 * The report's paper-style figures as Vega-Lite specs: predicted vs true for every method (small
 * multiples on shared axes, r and RMSE on each panel), a method x cell-type heatmap, fit and
 * deconvolution times, training curves, and intervals against the truth. Pure functions of the
 * data: `report.ts` renders them to SVG.
 */
import type * as vl from 'vega-lite';
import type { MethodPredictions } from './predictions-csv.js';
import type { TimingRow } from './result-types.js';
import type { TrainingCurve } from './training-curve.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Shared look (fonts, sizes). */
export const FIGURE_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

/** Pearson r and RMSE over all (sample, cell type) pairs of one panel. */
export function panelStats(p: MethodPredictions): { r: number; rmse: number } {
  let n = 0;
  let st = 0;
  let sp = 0;
  for (let i = 0; i < p.truth.rows; i++) {
    for (let k = 0; k < p.truth.cols; k++) {
      st += p.truth.get(i, k);
      sp += p.pred.get(i, k);
      n++;
    }
  }
  const mt = st / n;
  const mp = sp / n;
  let c = 0;
  let vt = 0;
  let vp = 0;
  let se = 0;
  for (let i = 0; i < p.truth.rows; i++) {
    for (let k = 0; k < p.truth.cols; k++) {
      const a = p.truth.get(i, k) - mt;
      const b = p.pred.get(i, k) - mp;
      c += a * b;
      vt += a * a;
      vp += b * b;
      se += (p.truth.get(i, k) - p.pred.get(i, k)) ** 2;
    }
  }
  return { r: vt > 0 && vp > 0 ? c / Math.sqrt(vt * vp) : Number.NaN, rmse: Math.sqrt(se / n) };
}

/** A y domain fitted to the data (5% padding), clamped to [lo, hi] when given. */
export function fittedDomain(values: readonly number[], clamp?: [number, number]): [number, number] | undefined {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return undefined;
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  const pad = Math.max((hi - lo) * 0.05, 1e-3);
  lo -= pad;
  hi += pad;
  if (clamp) {
    lo = Math.max(lo, clamp[0]);
    hi = Math.min(hi, clamp[1]);
  }
  return [lo, hi];
}

/**
 * Predicted vs true proportions, one panel per method at one granularity, all panels on the same
 * axes [0, max]; each panel says its r and RMSE (over all samples and cell types). At most
 * `maxSamples` pseudobulks are drawn per panel (the statistics use all).
 */
export function scatterGridSpec(
  preds: readonly MethodPredictions[],
  granularity: string,
  nCells: number,
  maxSamples = 200,
): vl.TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  let hi = 0;
  const methods = preds.map((p) => p.method);
  for (const p of preds) {
    const { r, rmse } = panelStats(p);
    const M = Math.min(p.truth.rows, maxSamples);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < p.truth.cols; k++) {
        const t = p.truth.get(i, k);
        const y = p.pred.get(i, k);
        hi = Math.max(hi, t, y);
        values.push({ method: p.method, kind: 'point', cell_type: p.cellTypes[k], truth: t, pred: y });
      }
    }
    values.push({ method: p.method, kind: 'label', label: `r = ${r.toFixed(3)}, RMSE = ${rmse.toFixed(3)}` });
  }
  hi = Math.min(1, Math.ceil(hi * 20) / 20 || 1);
  for (const m of methods) values.push({ method: m, kind: 'diag', truth: 0, pred: 0 }, { method: m, kind: 'diag', truth: hi, pred: hi });
  const x = { field: 'truth', type: 'quantitative', title: 'true proportion', scale: { domain: [0, hi] } };
  const y = { field: 'pred', type: 'quantitative', title: 'predicted', scale: { domain: [0, hi] } };
  return {
    $schema: SCHEMA,
    title: `Predicted vs true proportions, every method (${granularity}, ${nCells} cells per pseudobulk)`,
    config: FIGURE_CONFIG,
    data: { values },
    facet: { field: 'method', type: 'nominal', sort: methods, title: null },
    columns: Math.min(4, methods.length),
    spec: {
      width: 150,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'diag'" }],
          mark: { type: 'line', color: '#999', strokeDash: [4, 3], clip: true },
          encoding: { x, y },
        },
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'circle', size: 9, opacity: 0.45, clip: true },
          encoding: {
            x,
            y,
            color: { field: 'cell_type', type: 'nominal', title: 'cell type', scale: { scheme: 'tableau10' } },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'label'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 10.5, x: 4, y: 4 },
          encoding: { text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  } as unknown as vl.TopLevelSpec;
}

/** Method x cell type heatmap of per-cell-type Pearson r (across pseudobulks), one panel per granularity. */
export function cellTypeHeatmapSpec(
  rows: readonly { method: string; granularity: string; cellType: string; metric: string; value: number }[],
  methods: readonly string[],
  granularities: readonly string[],
  metric = 'pearson',
): vl.TopLevelSpec {
  const values = rows
    .filter((r) => r.metric === metric)
    .map((r) => ({
      method: r.method,
      granularity: r.granularity,
      cell_type: r.cellType,
      value: Number.isFinite(r.value) ? r.value : null,
      text: Number.isFinite(r.value) ? r.value.toFixed(2) : 'NaN',
    }));
  const finite = values.map((v) => v.value).filter((v): v is number => v !== null);
  const lo = Math.min(0, ...finite);
  return {
    $schema: SCHEMA,
    title: `Per-cell-type ${metric === 'pearson' ? 'Pearson r' : metric} across pseudobulks (results_by_cell_type.csv)`,
    config: FIGURE_CONFIG,
    data: { values },
    facet: { column: { field: 'granularity', type: 'nominal', sort: [...granularities], title: null } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: { step: 34 },
      height: { step: 22 },
      encoding: {
        x: { field: 'cell_type', type: 'nominal', title: null, axis: { labelAngle: -40 } },
        y: { field: 'method', type: 'nominal', sort: [...methods], title: null },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: {
              field: 'value',
              type: 'quantitative',
              title: metric === 'pearson' ? 'r' : metric,
              scale: { scheme: 'viridis', domain: [lo, 1] },
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            text: { field: 'text', type: 'nominal' },
            color: { condition: { test: `datum.value !== null && datum.value > ${(lo + 1) / 2}`, value: 'black' }, value: 'white' },
          },
        },
      ],
    },
  } as unknown as vl.TopLevelSpec;
}

/** Fit and deconvolution seconds per method (bars side by side, log axis), one panel per granularity. */
export function timingSpec(
  timings: readonly TimingRow[],
  methods: readonly string[],
  granularities: readonly string[],
  nCells: number,
): vl.TopLevelSpec {
  const values: { method: string; granularity: string; stage: string; seconds: number }[] = [];
  for (const t of timings) {
    values.push({ method: t.method, granularity: t.granularity, stage: 'fit', seconds: Math.max(t.fitSeconds, 1e-4) });
    const d = t.deconvolveSeconds[String(nCells)];
    if (d !== undefined) values.push({ method: t.method, granularity: t.granularity, stage: 'deconvolve', seconds: Math.max(d, 1e-4) });
  }
  // Bars on a log axis need a finite baseline: the decade below the fastest time.
  const secs = values.map((v) => v.seconds);
  const floor = 10 ** Math.floor(Math.log10(Math.min(...secs, 1)));
  const top = 10 ** Math.ceil(Math.log10(Math.max(...secs, floor * 10)));
  return {
    $schema: SCHEMA,
    title: `Time per method: fit and deconvolution (${nCells} cells per pseudobulk)`,
    config: FIGURE_CONFIG,
    data: { values },
    facet: { column: { field: 'granularity', type: 'nominal', sort: [...granularities], title: null } },
    spec: {
      width: 260,
      height: { step: 11 },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'method', type: 'nominal', sort: [...methods], title: null },
        yOffset: { field: 'stage', type: 'nominal', sort: ['fit', 'deconvolve'] },
        x: { field: 'seconds', type: 'quantitative', scale: { type: 'log', domain: [floor, top] }, title: 'seconds (log scale)' },
        x2: { datum: floor },
        color: { field: 'stage', type: 'nominal', sort: ['fit', 'deconvolve'], scale: { range: ['#4c78a8', '#f58518'] }, title: null },
        tooltip: [{ field: 'seconds', type: 'quantitative', format: '.3g' }],
      },
    },
  } as unknown as vl.TopLevelSpec;
}

/**
 * Training curves: for each fit (method at a granularity) a block of small panels, one per metric
 * it reported (loss terms, then val_*), each panel with its own y axis, one line per training series
 * (trial, member). Built as plain concatenated views: facets with independent scales over runs that
 * report different metrics mislabel the panels.
 */
export function curvesSpec(curves: readonly TrainingCurve[]): vl.TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  const blocks: Record<string, unknown>[] = [];
  const order = (a: string, b: string) =>
    Number(a.startsWith('val_')) - Number(b.startsWith('val_')) || (a === 'loss' ? -1 : b === 'loss' ? 1 : a < b ? -1 : 1);
  for (const c of curves) {
    const run = `${c.method} [${c.granularity}]`;
    const metrics = new Set<string>();
    for (const p of c.points) {
      for (const [metric, value] of Object.entries(p.metrics)) {
        metrics.add(metric);
        values.push({ run, series: p.series || c.method, epoch: p.epoch + 1, metric, value });
      }
    }
    const series = new Set(c.points.map((p) => p.series)).size;
    blocks.push({
      title: { text: `${run}${series > 1 ? ` (${series} runs)` : ''}`, anchor: 'start', fontSize: 12 },
      columns: 6,
      concat: [...metrics].sort(order).map((metric) => ({
        title: { text: metric, fontSize: 11, fontWeight: 'normal' },
        width: 120,
        height: 70,
        transform: [{ filter: `datum.run === ${JSON.stringify(run)} && datum.metric === ${JSON.stringify(metric)}` }],
        mark: { type: 'line', point: { size: 6 }, strokeWidth: 1.2 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: null, axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null, axis: { format: '.3~g', tickCount: 4 } },
          color: { field: 'series', type: 'nominal', legend: null },
        },
      })),
    });
  }
  return {
    $schema: SCHEMA,
    title: 'Training curves (mean per epoch; val_* on the validation set; x: epoch)',
    config: FIGURE_CONFIG,
    data: { values },
    vconcat: blocks,
  } as unknown as vl.TopLevelSpec;
}

/**
 * Intervals against the truth: for each method that gave intervals, the first `maxSamples`
 * pseudobulks' bars [lower, upper] at the true proportion, the prediction as a dot.
 */
export function intervalsSpec(preds: readonly MethodPredictions[], granularity: string, maxSamples = 25): vl.TopLevelSpec {
  const values: Record<string, unknown>[] = [];
  let hi = 0;
  for (const p of preds) {
    if (!p.lower || !p.upper) continue;
    const M = Math.min(p.truth.rows, maxSamples);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < p.truth.cols; k++) {
        const t = p.truth.get(i, k);
        const lo = p.lower.get(i, k);
        const up = p.upper.get(i, k);
        hi = Math.max(hi, t, up);
        values.push({
          method: p.method,
          cell_type: p.cellTypes[k],
          truth: t,
          pred: p.pred.get(i, k),
          lower: lo,
          upper: up,
          inside: t >= lo && t <= up,
        });
      }
    }
  }
  hi = Math.min(1, Math.ceil(hi * 20) / 20 || 1);
  const x = { field: 'truth', type: 'quantitative', title: 'true proportion', scale: { domain: [0, hi] } };
  return {
    $schema: SCHEMA,
    title: `90% intervals (5th-95th percentiles) against the truth (${granularity}, first ${maxSamples} pseudobulks)`,
    config: FIGURE_CONFIG,
    data: { values },
    facet: { field: 'method', type: 'nominal', title: null },
    columns: 4,
    spec: {
      width: 170,
      height: 170,
      layer: [
        {
          mark: { type: 'rule', opacity: 0.6, clip: true },
          encoding: {
            x,
            y: { field: 'lower', type: 'quantitative', title: 'predicted (interval)', scale: { domain: [0, hi] } },
            y2: { field: 'upper' },
            color: { field: 'cell_type', type: 'nominal', title: 'cell type', scale: { scheme: 'tableau10' } },
          },
        },
        {
          mark: { type: 'circle', size: 10, clip: true },
          encoding: {
            x,
            y: { field: 'pred', type: 'quantitative', scale: { domain: [0, hi] } },
            color: { field: 'cell_type', type: 'nominal' },
          },
        },
      ],
    },
  } as unknown as vl.TopLevelSpec;
}
