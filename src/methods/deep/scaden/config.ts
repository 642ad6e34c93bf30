/**
 * Scaden's options, published defaults, quick settings and option schema. Free of TensorFlow.js, so
 * registering the method (and `celldeconv train scaden --help`) loads no model code.
 */
import type { OptionSchema } from '../../option-schema.js';
import { TRAINING_DATA_SCHEMA } from '../common-baselines/options.js';
import type { TrainingDataOptions } from '../common-baselines/pipeline.js';
import type { SCADEN_MEMBERS } from './module.js';

/** Name, description and paper of the method (shared by the registry entry and the model). */
export const SCADEN_INFO = {
  name: 'scaden',
  description: 'Scaden: ensemble of 3 MLPs trained on simulated pseudobulks (log2 + min-max inputs, MSE)',
  reference: 'Menden et al. 2020, Sci. Adv. 6:eaba2619',
};

export type ScadenMemberName = keyof typeof SCADEN_MEMBERS;

/** Options of Scaden (all have published defaults, see {@link SCADEN_DEFAULTS}). */
export interface ScadenOptions extends TrainingDataOptions {
  /** Adam steps per member (Scaden CLI `--steps` 5000). */
  steps: number;
  batchSize: number;
  lr: number;
  /** Members of the ensemble (default all three). */
  members: ScadenMemberName[];
  /** Train the members on worker threads ('auto': when at least 2 cores). */
  parallel: 'auto' | 'workers' | 'sequential';
  /** tfjs backend ('wasm', 'cpu', 'tensorflow'); default: the active one, else auto. */
  backend?: string;
}

/** Published defaults [SC]. */
export const SCADEN_DEFAULTS: ScadenOptions = {
  trainingData: 'simulated',
  simulator: 'scaden',
  nSamples: 1000,
  nCells: 100,
  nGenes: 2500,
  steps: 5000,
  batchSize: 128,
  lr: 1e-4,
  members: ['m256', 'm512', 'm1024'],
  parallel: 'auto',
};

/**
 * Demo / quick-benchmark settings: 250 genes and 500 steps per member instead of 2,500 and 5,000
 * (about a minute on PBMC3k on an idle 2-core machine, members on 2 worker threads). Trade-off: the
 * members are under-trained (their loss is still falling at 500 steps), so quick results understate
 * Scaden; 250 genes also generalise better than 2,500 on a reference as small as PBMC3k
 * (docs/BENCHMARKS.md, "Deep baselines").
 */
export const SCADEN_QUICK: Partial<ScadenOptions> = { nGenes: 250, steps: 500 };

/** Type, range and help of every Scaden option. */
export const SCADEN_SCHEMA: OptionSchema<ScadenOptions> = {
  ...TRAINING_DATA_SCHEMA,
  steps: { type: 'integer', min: 1, help: 'Adam steps per ensemble member (Scaden --steps)' },
  batchSize: { type: 'integer', min: 1, help: 'Minibatch size' },
  lr: { type: 'number', gt: 0, help: 'Adam learning rate' },
  members: { type: 'string-list', values: ['m256', 'm512', 'm1024'], help: 'Ensemble members to train' },
  parallel: { type: 'enum', values: ['auto', 'workers', 'sequential'], help: "Train members on worker threads ('auto': with 2+ cores)" },
  backend: {
    type: 'enum',
    values: ['auto', 'wasm', 'cpu', 'tensorflow'],
    optional: true,
    flag: false,
    help: 'tfjs backend (the train command sets it from --backend)',
  },
};
