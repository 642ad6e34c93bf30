/**
 * The report functions of the public API, loading `report.ts` (and with it vega and vega-lite, about
 * 300 modules) on the first call instead of at `import 'celldeconv'`.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportInput } from './report.js';

/** See `renderReport` in report.ts: the self-contained HTML report of a benchmark. */
export async function renderReport(input: ReportInput): Promise<string> {
  return (await import('./report.js')).renderReport(input);
}

/** See `vegaLiteToSvg` in report.ts: a Vega-Lite spec rendered to SVG on the server. */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  return (await import('./report.js')).vegaLiteToSvg(spec);
}
