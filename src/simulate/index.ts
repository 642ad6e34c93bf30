/** Simulation of pseudobulks with known composition, and train/test splits of a reference. */

export * from './bulk-variants.js';
export * from './dirichlet-pseudobulk.js';
export * from './split.js';
