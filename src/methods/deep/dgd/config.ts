/**
 * Options, defaults, quick settings and option schema of the `dgd` method, free of TensorFlow.js:
 * registering the method (and `celldeconv train dgd --help`) loads no model code. The model's own
 * options and their sources are in `src/models/dgd/config.ts`.
 */
import { DGD_DEFAULTS, type DgdOptions } from '../../../models/dgd/config.js';
import type { OptionSchema } from '../../option-schema.js';

/** Options of the `dgd` method: the model's, plus the bulk fit's. */
export interface DgdMethodOptions extends DgdOptions {
  /** Adam steps of the bulk fit per chunk of samples. */
  deconvIterations: number;
  /** Learning rate of the bulk fit. */
  deconvLr: number;
  /** Bulk samples fitted together. */
  deconvChunk: number;
}

export const DECONV_KEYS = ['deconvIterations', 'deconvLr', 'deconvChunk'] as const;

/**
 * Defaults: the model's (supervised, one component per type, representations started at their type's
 * component mean) and 300 Adam steps of lr 0.05 for the bulk fit (our choice; no published value).
 */
export const DGD_METHOD_DEFAULTS: DgdMethodOptions = {
  ...DGD_DEFAULTS,
  supervised: true,
  initRepresentations: 'component-mean',
  deconvIterations: 300,
  deconvLr: 0.05,
  deconvChunk: 8,
};

/** Demo/benchmark settings: 2,000 HVGs, 30 epochs, 100 bulk steps (minutes instead of hours on PBMC3k; lower accuracy). */
export const DGD_QUICK: Partial<DgdMethodOptions> = {
  nHvg: 2000,
  epochs: 30,
  lrScheduleEpochs: [0],
  lrSchedule: [[1e-3, 1e-2, 1e-2]],
  deconvIterations: 100,
  deconvChunk: 16,
};

/** Type, range and help of every `dgd` option (defaults and sources: models/dgd/config.ts and above). */
export const DGD_SCHEMA: OptionSchema<DgdMethodOptions> = {
  latent: { type: 'integer', min: 1, help: 'Latent dimension L of the representations' },
  hidden: { type: 'integer-list', min: 1, help: 'Hidden layer widths of the decoder, e.g. 100,100,100' },
  // No range here: the model's own check gives K < 0 its specific code (E_COMPONENTS) and hint.
  components: { type: 'integer', help: 'GMM components K (0 = one per label class, else 1)' },
  componentsPerClass: { type: 'integer', min: 1, help: 'Components per label class (supervised)' },
  supervised: { type: 'boolean', help: "A cell's prior uses only its label's components (needed to deconvolve)" },
  scaling: { type: 'enum', values: ['sum', 'max', 'mean'], help: 'Per-cell scaling factor: library size, max or mean count' },
  activation: {
    type: 'enum',
    values: ['softmax', 'sigmoid', 'softplus'],
    optional: true,
    help: "Decoder output activation (default softmax for scaling 'sum', else softplus)",
  },
  rInit: { type: 'number', gt: 1, help: 'Initial NB dispersion r' },
  softballScale: { type: 'number', gt: 0, help: 'Softball radius s of the prior on the component means' },
  softballSharpness: { type: 'number', gt: 0, help: 'Softball sharpness a' },
  dirichletAlpha: { type: 'number', gt: 0, help: 'Dirichlet concentration on the mixture weights' },
  logbetaPriorSd: { type: 'number', gt: 0, help: 'Standard deviation of the prior on each log-precision' },
  priorPerSample: { type: 'boolean', help: "Add log P(GMM) to every cell's loss as the scDGD code does (default: once per batch, scaled)" },
  epochs: { type: 'integer', min: 1, help: 'Training epochs' },
  batchSize: { type: 'integer', min: 1, help: 'Cells per minibatch' },
  lrScheduleEpochs: { type: 'integer-list', min: 0, help: 'Epochs at which the learning rates change, e.g. 0,300' },
  lrSchedule: { type: 'json', help: '[decoder, representations, GMM] learning rates per schedule epoch, e.g. [[1e-3,1e-2,1e-2]]' },
  betas: { type: 'number-list', min: 0, lt: 1, help: 'Adam betas, e.g. 0.5,0.7' },
  weightDecay: { type: 'number', min: 0, help: 'Adam (L2) weight decay of every group' },
  adamEps: { type: 'number', gt: 0, help: 'Adam epsilon' },
  initRepresentations: {
    type: 'enum',
    values: ['zero', 'component-mean'],
    help: 'Initial representations: origin, or their class component mean',
  },
  validationFraction: { type: 'number', min: 0, lt: 1, help: 'Fraction of cells held out for validation (0 = none)' },
  earlyStopping: { type: 'boolean', help: 'Stop on the validation loss' },
  earlyStoppingStart: { type: 'integer', min: 0, help: 'First epoch at which early stopping may stop' },
  earlyStoppingPatience: { type: 'integer', min: 1, help: 'Epochs without improvement before stopping' },
  dropZeroGenes: { type: 'boolean', help: 'Keep only genes with a non-zero count in the training cells' },
  nHvg: { type: 'integer', min: 0, flag: 'hvg', help: 'Top seurat_v3 highly variable genes (0 = all genes, the scDGD default)' },
  inferResamplingEpochs: { type: 'integer', min: 0, help: 'New cells: epochs of all K candidates before the choice' },
  inferEpochs: { type: 'integer', min: 0, help: 'New cells: epochs of the chosen representation' },
  inferLr: { type: 'number', gt: 0, help: 'New cells: learning rate of the representations' },
  selectBeforeTraining: { type: 'boolean', help: 'New cells: choose the component before any training (scDGD text)' },
  checkpointEvery: { type: 'integer', min: 0, help: 'Save a checkpoint every N epochs into checkpointDir (0 = never)' },
  checkpointDir: { type: 'string', optional: true, help: 'Directory of the checkpoints (overwritten each time)' },
  deconvIterations: { type: 'integer', min: 1, help: 'Adam steps of the bulk fit per chunk of samples' },
  deconvLr: { type: 'number', gt: 0, help: 'Learning rate of the bulk fit' },
  deconvChunk: { type: 'integer', min: 1, help: 'Bulk samples fitted together' },
};

/** Everything the registry shows of `dgd` before its model code loads (index.ts) and the spec shares (method.ts). */
export const DGD_INFO = {
  name: 'dgd',
  kind: 'trained' as const,
  description: 'DGD: supervised Deep Generative Decoder (GMM per cell type); NB fit of proportions + per-type profiles',
  reference: 'Schuster & Krogh 2023 (scDGD, Bioinformatics); multiDGD (Schuster et al. 2024)',
  defaults: DGD_METHOD_DEFAULTS,
  quickOptions: DGD_QUICK,
  options: DGD_SCHEMA,
  bulkLayer: 'counts_sum',
};
