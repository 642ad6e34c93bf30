/** Benchmarking: metrics, granularity maps, the runner and its HTML report. */
export * from './granularity.js';
export * from './metrics.js';
export type { ReportInput } from './report.js';
export { renderReport, vegaLiteToSvg } from './report-lazy.js';
export * from './runner.js';
