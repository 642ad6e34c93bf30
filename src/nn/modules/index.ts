/** Reusable network blocks of the generative models (see docs/ARCHITECTURE.md). */
export * from './conditional-batch-norm.js';
export * from './embedding-table.js';
export * from './encoder.js';
export * from './priors.js';
export * from './scvi-decoder.js';
