/**
 * Scaden's network (Menden et al. 2020): three MLP ensemble members (the shared MLP lives in
 * common-baselines/mlp.ts, SimpleDNN uses it too). Re-exports the MLP for existing importers.
 */
import type { MlpConfig } from '../common-baselines/mlp.js';

export { checkMlpConfig, Mlp, type MlpConfig, mseLoss } from '../common-baselines/mlp.js';

/** The three Scaden members [SC architectures.py]: widths and dropout rates. */
export const SCADEN_MEMBERS: Readonly<Record<'m256' | 'm512' | 'm1024', MlpConfig>> = {
  m256: { hidden: [256, 128, 64, 32], dropout: [0, 0, 0, 0], init: 'glorot' },
  m512: { hidden: [512, 256, 128, 64], dropout: [0, 0.3, 0.2, 0.1], init: 'glorot' },
  m1024: { hidden: [1024, 512, 256, 128], dropout: [0, 0.6, 0.3, 0.1], init: 'glorot' },
};
