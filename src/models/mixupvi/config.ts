/**
 * MixupVI's published training defaults (the model; deconvolution options are the method's, in
 * methods/deep/mixupvi/config.ts).
 *
 * Sources (spec mixupvi.md): [P] the MixupVI paper, App. E; [FORK] owkin/deepdeconv-fork (training code
 * of the paper); [PYD] owkin/PyDeconv (shipped models); [SCVI] scvi-tools defaults.
 */
import type { VaeTrainOptions } from '../scvi/config.js';

/**
 * - nHvg 2500 HVGs [P App. E], latent 30 [P: 30 for 9 types; FORK], hidden 512, dropout 0.1, ZINB
 *   [P, FORK, PYD]; penalty 'l2' [FORK default];
 * - batch 2048 [P] (FORK constant 1024), 100 pseudobulks of 100 cells [P] (FORK: 256 cells), drawn
 *   uniformly in the Dirichlet-composed batch [FORK];
 * - 100 epochs, train_size 0.7 [P, FORK]; Adam lr 1e-3, weight decay 1e-6, eps 0.01, KL warm-up 400
 *   epochs [SCVI TrainingPlan, not overridden by the fork]; pseudobulk reconstruction weight 0 [FORK code, P Eq. 2].
 */
export const MIXUPVI_MODEL_DEFAULTS: VaeTrainOptions = {
  nHvg: 2500,
  latent: 30,
  hidden: 512,
  dropout: 0.1,
  likelihood: 'zinb',
  mixupPenalty: 'l2',
  batchSize: 2048,
  nPseudobulks: 100,
  nCellsPerPseudobulk: 100,
  pseudobulkSampling: 'uniform-in-batch',
  epochs: 100,
  trainSize: 0.7,
  lr: 1e-3,
  weightDecay: 1e-6,
  eps: 0.01,
  nEpochsKlWarmup: 400,
  pseudobulkReconWeight: 0,
  earlyStoppingPatience: 0,
  minCellsPerType: 10,
  backend: 'auto',
  init: 'torch',
  validationBatches: 2,
  shards: 2,
  workers: 0,
};
