/**
 * TAPE's options, published defaults, quick settings and option schema. Free of TensorFlow.js, so
 * registering the method (and `celldeconv train tape --help`) loads no model code.
 */
import type { OptionSchema } from '../../option-schema.js';
import { TRAINING_DATA_SCHEMA } from '../common-baselines/options.js';
import type { TrainingDataOptions } from '../common-baselines/pipeline.js';
import type { TapeScaler } from './preprocess.js';

/** Name, description and paper of the method (shared by the registry entry and the model). */
export const TAPE_INFO = {
  name: 'tape',
  description: 'TAPE: autoencoder (encoder -> proportions, linear decoder = signature) with adaptive stage',
  reference: 'Chen & Wang 2022, Nat. Commun. 13:6735',
};

/** Widths of TAPE's hidden layers [TAPE model.py] and its dropout rate (PyTorch default 0.5). */
export const TAPE_ARCH = { hidden: [512, 256, 128, 64], dropout: 0.5 } as const;

/** Architecture (the widths are configurable for tests; defaults are TAPE's). */
export interface TapeArch {
  hidden: readonly number[];
  dropout: number;
}

/** TAPE options (defaults in {@link TAPE_DEFAULTS}). */
export interface TapeOptions extends TrainingDataOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  /** TAPE's `variance_threshold` on the training genes (0.98); 1 keeps all genes. */
  varianceThreshold: number;
  scaler: TapeScaler;
  /** Run the adaptive stage at prediction (TAPE `predict(adaptive=True)`). */
  adaptive: boolean;
  /** Decoder and encoder steps per round (TAPE predict(): 300). */
  adaptiveSteps: number;
  /** Rounds (TAPE predict(): 3). */
  adaptiveIters: number;
  /** 'tape' (default): normalised anchor; 'pydeconv': un-normalised ReLU(z) anchor (PyDeconv's deviation). */
  adaptiveParity: 'tape' | 'pydeconv';
  /** Architecture (tests shrink it; default TAPE's). */
  arch: TapeArch;
  backend?: string;
}

/** Published defaults [TAPE]. */
export const TAPE_DEFAULTS: TapeOptions = {
  trainingData: 'simulated',
  simulator: 'tape',
  nSamples: 5000,
  nCells: 500,
  nGenes: 2500,
  epochs: 128,
  batchSize: 128,
  lr: 1e-4,
  varianceThreshold: 0.98,
  scaler: 'mms',
  adaptive: true,
  adaptiveSteps: 300,
  adaptiveIters: 3,
  adaptiveParity: 'tape',
  arch: TAPE_ARCH,
};

/**
 * Demo / quick-benchmark settings: 2,000 simulated samples, 250 genes, 16 epochs (≈ 250 steps
 * instead of 5,000) and an adaptive stage of 3 × 30 steps. Trade-off: a far less converged encoder
 * (TAPE needs its full schedule on PBMC3k, docs/BENCHMARKS.md) and a lighter adaptation; the default
 * run takes ~20× longer.
 */
export const TAPE_QUICK: Partial<TapeOptions> = { nSamples: 2000, nGenes: 250, epochs: 16, adaptiveSteps: 30 };

/** Type, range and help of every TAPE option. */
export const TAPE_SCHEMA: OptionSchema<TapeOptions> = {
  ...TRAINING_DATA_SCHEMA,
  epochs: { type: 'integer', min: 1, help: 'Training epochs' },
  batchSize: { type: 'integer', min: 1, help: 'Minibatch size' },
  lr: { type: 'number', gt: 0, help: 'Adam learning rate' },
  varianceThreshold: { type: 'number', gt: 0, max: 1, help: "TAPE's variance_threshold on the training genes (1 keeps all)" },
  scaler: { type: 'enum', values: ['mms', 'ss'], help: 'Input scaling: min-max (mms) or standard (ss)' },
  adaptive: { type: 'boolean', help: 'Run the adaptive stage at prediction (TAPE predict(adaptive=True))' },
  adaptiveSteps: { type: 'integer', min: 1, help: 'Decoder and encoder steps per adaptive round' },
  adaptiveIters: { type: 'integer', min: 1, help: 'Adaptive rounds' },
  adaptiveParity: {
    type: 'enum',
    values: ['tape', 'pydeconv'],
    help: "Adaptive anchor: TAPE's normalised one, or PyDeconv's un-normalised ReLU(z)",
  },
  arch: { type: 'json', help: 'Architecture {"hidden": [widths], "dropout": rate} (tests shrink it)' },
  backend: {
    type: 'enum',
    values: ['auto', 'wasm', 'cpu', 'tensorflow'],
    optional: true,
    flag: false,
    help: 'tfjs backend (the train command sets it from --backend)',
  },
};
