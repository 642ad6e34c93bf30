/**
 * Type, range and help of every MixupVI / scVI option (defaults and sources: config.ts). Free of
 * TensorFlow.js, so registering the methods (and `celldeconv train mixupvi --help`) loads no model.
 */
import type { OptionSchema } from '../../option-schema.js';
import type { MixupVIOptions } from './config.js';

export const MIXUPVI_SCHEMA: OptionSchema<MixupVIOptions> = {
  nHvg: { type: 'integer', min: 0, flag: 'hvg', help: 'Highly variable input genes (seurat_v3 on raw counts); 0 = all genes' },
  latent: { type: 'integer', min: 1, help: 'Latent dimension (must exceed the number of cell types)' },
  hidden: { type: 'integer', min: 1, help: 'Hidden units of the encoder and decoder layer' },
  dropout: { type: 'number', min: 0, lt: 1, help: 'Encoder dropout' },
  likelihood: { type: 'enum', values: ['zinb', 'nb'], help: 'Cell likelihood' },
  mixupPenalty: { type: 'enum', values: ['l2', 'kl', 'none'], help: "Mixup penalty ('none' = scVI)" },
  batchSize: { type: 'integer', min: 1, help: 'Cells per minibatch' },
  nPseudobulks: { type: 'integer', min: 1, help: 'Pseudobulks per minibatch' },
  nCellsPerPseudobulk: { type: 'integer', min: 1, help: 'Cells per pseudobulk (capped at the batch size)' },
  pseudobulkSampling: {
    type: 'enum',
    values: ['uniform-in-batch', 'dirichlet-per-pseudobulk'],
    help: "How pseudobulk members are drawn: the fork's uniform-in-batch, or Dir(1) proportions per pseudobulk",
  },
  epochs: { type: 'integer', min: 1, help: 'Training epochs' },
  trainSize: { type: 'number', gt: 0, max: 1, help: 'Fraction of cells used for training (the rest validates)' },
  lr: { type: 'number', gt: 0, help: 'Adam learning rate' },
  weightDecay: { type: 'number', min: 0, help: 'Adam L2 weight decay' },
  eps: { type: 'number', gt: 0, help: 'Adam epsilon' },
  nEpochsKlWarmup: { type: 'integer', min: 0, help: 'KL warm-up epochs, weight min(1, epoch/n); 0 = none' },
  pseudobulkReconWeight: { type: 'number', min: 0, help: 'Weight of the pseudobulk reconstruction term (0 = the paper)' },
  signatureType: {
    type: 'enum',
    values: ['pre_encoded', 'post_inference'],
    help: "Latent signature: encode each type's mean counts, or average its cells' codes",
  },
  fitIntercept: { type: 'boolean', help: 'Add an intercept to the latent NNLS' },
  intervalSamples: { type: 'integer', min: 0, help: 'Posterior samples for proportion intervals (0 = none)' },
  intervalLevel: { type: 'number', gt: 0, lt: 1, help: 'Central interval mass (0.9 = 5% and 95% quantiles)' },
  earlyStoppingPatience: { type: 'integer', min: 0, help: 'Stop after this many epochs without a better validation ELBO (0 = off)' },
  minCellsPerType: { type: 'integer', min: 0, help: 'Minimum training cells of a type (below: error naming it)' },
  backend: {
    type: 'enum',
    values: ['auto', 'tensorflow', 'wasm', 'cpu'],
    flag: false,
    help: 'tfjs backend (the train command sets it from --backend)',
  },
  init: { type: 'enum', values: ['torch', 'glorot', 'he'], help: 'Weight initialisation (torch = PyTorch default, as scvi-tools)' },
  validationBatches: { type: 'integer', min: 0, help: 'Validation batches scored after each epoch (ELBO, rho, d)' },
  shards: { type: 'integer', min: 1, help: 'Data-parallel parts per minibatch (the result depends on it)' },
  workers: { type: 'integer', min: 0, help: 'Threads computing shards; 0 = automatic (does not change the result)' },
};
