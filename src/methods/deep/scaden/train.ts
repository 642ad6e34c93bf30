/** Moved to common-baselines/mlp-train.ts (SimpleDNN trains the same MLP); re-exported for existing importers. */
export * from '../common-baselines/mlp-train.js';
