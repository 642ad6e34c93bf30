/**
 * celldeconv public API: re-exports only. Namespaces follow the folders in src/.
 *
 * Importing the package registers every built-in method (the one side effect), so that
 * `getMethod('nnls')` works without further set-up. Deep methods load TensorFlow.js lazily.
 */
import './methods/all-methods.js';

export * as benchmark from './benchmark/index.js';
export type { DiagnosticWarning } from './core/diagnostics.js';
export * from './core/errors.js';
export { LAYERS, RELATIVE_COUNTS_TARGET } from './core/keys.js';
export type { LongRunOptions, ProgressEvent } from './core/progress.js';
export { Rng } from './core/rng.js';
export * from './data/index.js';
export { datasets, pbmc3kPath } from './datasets/index.js';
export * as io from './io/index.js';
export { readBulk, readDataset, writeDataset } from './io/index.js';
export * as linalg from './linalg/index.js';
export { alignGenes, type GeneAlignment } from './methods/align-genes.js';
export { type BulkInputContract, withBulkInput } from './methods/bulk-input.js';
export type { BulkInputOptions, PlatformCorrection } from './methods/bulk-input-options.js';
export { allMethods, getMethod, listMethods, registerMethod } from './methods/registry.js';
export type { SampleOutcome, SignatureMethodBaseOptions, SignatureMethodDefinition, SignatureSolver } from './methods/signature-method.js';
export { defineSignatureMethod, formatOutputRow, validateSignatureMatrix } from './methods/signature-method.js';
export type * from './methods/types.js';
export * as preprocess from './preprocess/index.js';
export type { BuildSignatureOptions, DeTable, SignatureBuildResult } from './signature/build-signature.js';
export { buildSignature, buildSignatureDetailed } from './signature/build-signature.js';
export { Signature } from './signature/signature.js';
export { readSignatureCsv, writeSignatureCsv } from './signature/signature-csv.js';
export type { PseudobulkOptions, PseudobulkSimulation, PseudobulkTruth, SplitOptions, TrainTestSplit } from './simulate/index.js';
export { simulatePseudobulks, splitTrainTest } from './simulate/index.js';
