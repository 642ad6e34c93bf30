/** Benchmarking: metrics, granularity maps, the runner and its HTML report. */
export * from './granularity.js';
export { type BenchmarkExecutor, type BenchmarkJob, CellComputer, type CellOutcome, inProcessExecutor } from './jobs.js';
export * from './metrics.js';
// The queue modules import bullmq only when a queue is used.
export { checkQueueUrl, DEFAULT_QUEUE_NAME } from './queue/connection.js';
export { type QueueExecutorOptions, queueExecutor } from './queue/executor.js';
export { contentHash, locateReference, type ReferenceLocator } from './queue/inputs.js';
export { type QueueWorkerOptions, runQueueWorker } from './queue/worker.js';
export type { ReportInput } from './report.js';
export { renderReport, vegaLiteToSvg } from './report-lazy.js';
export * from './runner.js';
