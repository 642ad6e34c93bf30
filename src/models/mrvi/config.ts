/**
 * MrVI defaults, with their sources: [P] the seed paper (Boyeau, Hong et al., Suppl. A), [SCVI]
 * scvi-tools' current MrVI where the seed is silent.
 */

/** Options of {@link trainMrvi}. */
export interface MrviOptions {
  /** Dimension of u and z [P Suppl. A: L = 10]. */
  latent: number;
  /** Encoder hidden width [SCVI: 128]. */
  hidden: number;
  /** Encoder hidden layers [SCVI: 2]. */
  layers: number;
  /** Dropout on C_b z [P Suppl. A names it, no rate; ours: 0.1]. */
  siteDropout: number;
  /** Maximum epochs [SCVI: 100]. */
  epochs: number;
  /** Minibatch size [P Suppl. A: 256]. */
  batchSize: number;
  /** Adam learning rate [P: not given; 1e-3]. */
  lr: number;
  /** Fraction of cells used for training, the rest validate [SCVI: 0.9]. */
  trainSize: number;
  /** Early stopping patience on the validation ELBO, 0 = off [SCVI: 15]. */
  earlyStoppingPatience: number;
  /** KL warm-up epochs, 0 = none [P: none mentioned; SCVI: 20]. */
  klWarmupEpochs: number;
  /** Highly variable genes used (seurat_v3 on counts), 0 = all genes [ours: 2000]. */
  nHvg: number;
  /** Save a checkpoint every N epochs into `checkpointDir` (0 = never). */
  checkpointEvery: number;
  /** Where checkpoints go (a model directory, overwritten each time). */
  checkpointDir?: string;
}

/** Published defaults (see field comments for sources). */
export const MRVI_DEFAULTS: MrviOptions = {
  latent: 10,
  hidden: 128,
  layers: 2,
  siteDropout: 0.1,
  epochs: 100,
  batchSize: 256,
  lr: 1e-3,
  trainSize: 0.9,
  earlyStoppingPatience: 15,
  klWarmupEpochs: 0,
  nHvg: 2000,
  checkpointEvery: 0,
};

/** Minimum and maximum number of samples the model is designed for (the S = 32–500; 2 works). */
export const MRVI_MIN_SAMPLES = 2;
