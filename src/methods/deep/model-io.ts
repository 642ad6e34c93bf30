/** Moved to nn/model-io.ts (models use it too); re-exported for the deep methods. */
export * from '../../nn/model-io.js';
