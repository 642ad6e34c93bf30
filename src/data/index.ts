export * from './dataset.js';
export * from './dense.js';
export * from './frame.js';
export * from './matrix.js';
export * from './sparse.js';
