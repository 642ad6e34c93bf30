/** Signature matrices: the container, the builder from a labelled reference, CSV I/O, and the statistics they use. */
export * from './build-signature.js';
export * from './kappa.js';
export * from './multitest.js';
export * from './normal.js';
export * from './signature.js';
export * from './signature-csv.js';
export * from './student-t.js';
export * from './wilcoxon.js';
