/** Preprocessing: filters, normalisation, log, highly variable genes, gene matching, aggregation. */
export * from './aggregate.js';
export * from './bulk-genes.js';
export * from './filter.js';
export * from './genes.js';
export * from './hvg.js';
export * from './loess.js';
export * from './matrix-stats.js';
export * from './mrna-fractions.js';
export * from './normalize.js';
export * from './platform-correction.js';
export * from './units.js';
