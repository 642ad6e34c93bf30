/**
 * Options of the scVI-family training (models/scvi/train.ts) and scVI's published defaults.
 *
 * Sources: [SCVI] scvi-tools (`SCVI.__init__`, `VAE`, `TrainingPlan`, `DataSplitter`); [P] the MixupVI
 * paper, App. E; [FORK] owkin/deepdeconv-fork. MixupVI's defaults are in models/mixupvi/config.ts.
 */
import type { BackendChoice } from '../../nn/backend.js';
import type { InitScheme } from '../../nn/dense.js';

/** Training options of scVI and MixupVI (the deconvolution options live in methods/deep/mixupvi/config.ts). */
export interface VaeTrainOptions {
  /** Highly variable genes used as input (seurat_v3 on raw counts); 0 = all genes. */
  nHvg: number;
  /** Latent dimension d. */
  latent: number;
  /** Hidden units of the encoder/decoder layer. */
  hidden: number;
  /** Encoder dropout. */
  dropout: number;
  /** Cell likelihood. */
  likelihood: 'zinb' | 'nb';
  /** Mixup penalty: 'l2', 'kl', or 'none' (scVI). */
  mixupPenalty: 'l2' | 'kl' | 'none';
  /** Cells per minibatch. */
  batchSize: number;
  /** Pseudobulks per minibatch M (MixupVI's penalty; scVI monitors ρ on them). */
  nPseudobulks: number;
  /** Cells per pseudobulk; capped at the batch size. */
  nCellsPerPseudobulk: number;
  /** How pseudobulk members are drawn (see models/scvi/batching.ts). */
  pseudobulkSampling: 'uniform-in-batch' | 'dirichlet-per-pseudobulk';
  epochs: number;
  /** Fraction of cells used for training; the rest is the validation set. */
  trainSize: number;
  lr: number;
  weightDecay: number;
  eps: number;
  /** KL warm-up epochs, weight = min(1, epoch/n); 0 = no warm-up. */
  nEpochsKlWarmup: number;
  /** Weight of MixupVI's pseudobulk NB reconstruction term. */
  pseudobulkReconWeight: number;
  /** Stop when the validation ELBO has not improved for this many epochs (0 = off). */
  earlyStoppingPatience: number;
  /** Minimum cells of a type in the training set. */
  minCellsPerType: number;
  backend: BackendChoice;
  init: InitScheme;
  /** Validation batches scored after each epoch. */
  validationBatches: number;
  /** Parts each minibatch is split into for data-parallel training (the result depends on it). */
  shards: number;
  /** Threads computing shards; 0 = automatic (the result does not depend on it). */
  workers: number;
}

/**
 * scVI as published in scvi-tools: n_hidden 128, n_latent 10, one layer, dropout 0.1, ZINB, gene
 * dispersion [SCVI `SCVI.__init__`]; Adam lr 1e-3, weight_decay 1e-6, eps 0.01, KL warm-up 400 epochs
 * [SCVI `TrainingPlan`]; train_size 0.9, batch_size 128 [SCVI `DataSplitter`, `train`]; max_epochs
 * min(round(20000 / n_cells · 400), 400) [SCVI `get_max_epochs_heuristic`] — here a fixed 400, set
 * `epochs` for large data. The MixupVI paper's scVI baseline uses MixupVI's settings instead
 * (methods/deep/mixupvi/config.ts `SCVI_DEFAULTS`).
 */
export const SCVI_MODEL_DEFAULTS: VaeTrainOptions = {
  nHvg: 0,
  latent: 10,
  hidden: 128,
  dropout: 0.1,
  likelihood: 'zinb',
  mixupPenalty: 'none',
  batchSize: 128,
  nPseudobulks: 0,
  nCellsPerPseudobulk: 100,
  pseudobulkSampling: 'uniform-in-batch',
  epochs: 400,
  trainSize: 0.9,
  lr: 1e-3,
  weightDecay: 1e-6,
  eps: 0.01,
  nEpochsKlWarmup: 400,
  pseudobulkReconWeight: 0,
  earlyStoppingPatience: 0,
  minCellsPerType: 0,
  backend: 'auto',
  init: 'torch',
  validationBatches: 2,
  shards: 1,
  workers: 0,
};
