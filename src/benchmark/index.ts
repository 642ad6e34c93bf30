/** Benchmarking: metrics, granularity maps, the runner and its HTML report. */
export * from './granularity.js';
export * from './metrics.js';
export { type ReportInput, renderReport, vegaLiteToSvg } from './report.js';
export * from './runner.js';
