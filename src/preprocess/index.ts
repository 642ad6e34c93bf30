/** Preprocessing: filters, normalisation, log, highly variable genes, gene matching, aggregation. */
export * from './aggregate.js';
export * from './filter.js';
export * from './genes.js';
export * from './hvg.js';
export * from './loess.js';
export * from './matrix-stats.js';
export * from './normalize.js';
