/**
 * SimpleDNN's options, defaults, quick settings and option schema. Free of TensorFlow.js, so
 * registering the method (and `celldeconv train simplednn --help`) loads no model code.
 */
import type { OptionSchema } from '../../option-schema.js';
import { TRAINING_DATA_SCHEMA } from '../common-baselines/options.js';
import type { TrainingDataOptions } from '../common-baselines/pipeline.js';

/** Name, description and source of the method (shared by the registry entry and the model). */
export const SIMPLEDNN_INFO = {
  name: 'simplednn',
  description: 'SimpleDNN: configurable MLP with hyper-parameter search (random/grid, validation split, early stopping)',
  reference: 'seed 001 (Scaden vs SimpleDNN on paired bulk/scRNA data)',
};

/** One point of the search space. */
export interface SimpleDnnConfig {
  hidden: number[];
  /** One rate per hidden layer. */
  dropout: number[];
  lr: number;
}

/** The search space (ours; the seed gives none). */
export interface SearchSpace {
  hidden: number[][];
  /** Rates applied after every hidden layer. */
  dropout: number[];
  lr: number[];
}

export interface SimpleDnnOptions extends TrainingDataOptions {
  /** 'random' (default): `nTrials` configurations drawn from the grid; 'grid': all; 'none': `hidden`/`dropout`/`lr`. */
  search: 'random' | 'grid' | 'none';
  nTrials: number;
  space: SearchSpace;
  /** Configuration used when search = 'none'. */
  hidden: number[];
  dropout: number[];
  lr: number;
  batchSize: number;
  /** Maximum epochs per trial. */
  epochs: number;
  /** Early-stopping patience (epochs without a better validation MSE). */
  patience: number;
  /** Fraction of samples (or patients, with paired data) held out for validation. */
  validationFraction: number;
  /** Input scaling: Scaden's log2 + per-sample min–max (default) or none. */
  scaling: 'logminmax' | 'none';
  backend?: string;
}

export const SIMPLEDNN_SPACE: SearchSpace = {
  hidden: [
    [256, 128],
    [512, 256],
    [256, 128, 64],
    [512, 256, 128],
  ],
  dropout: [0, 0.1, 0.3],
  lr: [1e-4, 3e-4, 1e-3],
};

/** Defaults (training data as Scaden's: 1,000 Scaden-simulated samples of 100 cells, 2,500 HVGs). */
export const SIMPLEDNN_DEFAULTS: SimpleDnnOptions = {
  trainingData: 'simulated',
  simulator: 'scaden',
  nSamples: 1000,
  nCells: 100,
  nGenes: 2500,
  search: 'random',
  nTrials: 6,
  space: SIMPLEDNN_SPACE,
  hidden: [256, 128],
  dropout: [0.1, 0.1],
  lr: 1e-3,
  batchSize: 128,
  epochs: 60,
  patience: 8,
  validationFraction: 0.2,
  scaling: 'logminmax',
};

/**
 * Demo / quick-benchmark settings: 3 trials of at most 15 epochs on 250 genes. Trade-off: a
 * narrower search that may miss the best configuration; each trial still stops early.
 */
export const SIMPLEDNN_QUICK: Partial<SimpleDnnOptions> = { nTrials: 3, epochs: 15, patience: 4, nGenes: 250 };

/** Type, range and help of every SimpleDNN option. */
export const SIMPLEDNN_SCHEMA: OptionSchema<SimpleDnnOptions> = {
  ...TRAINING_DATA_SCHEMA,
  search: {
    type: 'enum',
    values: ['random', 'grid', 'none'],
    help: "Hyper-parameter search: 'random' (nTrials draws), 'grid' (all), 'none' (hidden/dropout/lr)",
  },
  nTrials: { type: 'integer', min: 1, help: 'Configurations tried by the random search' },
  space: { type: 'json', help: 'Search space {"hidden": [[...]], "dropout": [...], "lr": [...]}' },
  hidden: { type: 'integer-list', min: 1, help: "Hidden widths used when search = 'none'" },
  dropout: { type: 'number-list', min: 0, lt: 1, help: "Dropout rate per hidden layer when search = 'none'" },
  lr: { type: 'number', gt: 0, help: "Adam learning rate when search = 'none'" },
  batchSize: { type: 'integer', min: 1, help: 'Minibatch size' },
  epochs: { type: 'integer', min: 1, help: 'Maximum epochs per trial' },
  patience: { type: 'integer', min: 1, help: 'Early-stopping patience (epochs without a better validation MSE)' },
  validationFraction: { type: 'number', gt: 0, lt: 1, help: 'Fraction of samples (or patients) held out for validation' },
  scaling: { type: 'enum', values: ['logminmax', 'none'], help: "Input scaling: Scaden's log2 + per-sample min-max, or none" },
  backend: {
    type: 'enum',
    values: ['auto', 'wasm', 'cpu', 'tensorflow'],
    optional: true,
    flag: false,
    help: 'tfjs backend (the train command sets it from --backend)',
  },
};
