/**
 * MixupVI / scVI options with their published defaults.
 *
 * Sources (see ../shared/specs/mixupvi.md): [P] the MixupVI paper (App. E), [FORK] owkin/deepdeconv-fork
 * (training code of the paper), [PYD] owkin/PyDeconv (shipped models), [SCVI] scvi-tools defaults.
 * Where they disagree the spec picks one; the choice is noted per field.
 */
import { InputError } from '../../../core/errors.js';
import type { VaeTrainOptions } from '../../../models/scvi/config.js';

/**
 * Options of MixupVI and scVI (scVI = MixupVI with `mixupPenalty: 'none'`): the VAE training options of
 * models/scvi (their MixupVI sources are noted on {@link MIXUPVI_DEFAULTS}) plus the deconvolution ones.
 */
export interface MixupVIOptions extends VaeTrainOptions {
  /** Latent signature: 'pre_encoded' (encode each type's mean counts) or 'post_inference' (mean of the cells' codes). */
  signatureType: 'pre_encoded' | 'post_inference';
  /** Add an intercept to the latent NNLS (FORK benchmark used one; PYD does not). */
  fitIntercept: boolean;
  /** Posterior samples for proportion intervals at deconvolution (0 = no intervals). */
  intervalSamples: number;
  /** Central interval mass (default 0.9 → 5% and 95% quantiles). */
  intervalLevel: number;
}

/** Published defaults (MixupVI, granularity 2 of the paper). */
export const MIXUPVI_DEFAULTS: MixupVIOptions = {
  /** Highly variable genes used as input (seurat_v3 on raw counts) [P App. E: 2500]; 0 = all genes. */
  nHvg: 2500,
  /** Latent dimension d [P App. E: 30 for 9 types, 10 for 5 types; FORK 30]. Must exceed the number of cell types [P §4.1]. */
  latent: 30,
  /** Hidden units of the encoder/decoder layer [P, FORK, PYD: 512]. */
  hidden: 512,
  /** Encoder dropout [FORK, PYD: 0.1]. */
  dropout: 0.1,
  /** Cell likelihood [P, FORK: ZINB]. */
  likelihood: 'zinb',
  /** Mixup penalty: 'l2' [FORK default], 'kl', or 'none' (= scVI). */
  mixupPenalty: 'l2',
  /** Cells per minibatch [P: 2048; FORK constant 1024]. */
  batchSize: 2048,
  /** Pseudobulks per minibatch M [P, FORK: 100]. */
  nPseudobulks: 100,
  /** Cells per pseudobulk [P: 100; FORK constant 256]; capped at the batch size. */
  nCellsPerPseudobulk: 100,
  /**
   * How pseudobulk members are drawn: 'uniform-in-batch' (FORK: uniform with replacement from the
   * Dirichlet-composed batch, the same index pattern every batch) or 'dirichlet-per-pseudobulk'
   * ([P Fig. 1]: proportions ~ Dir(1) per pseudobulk, then cells of each type from the batch).
   */
  pseudobulkSampling: 'uniform-in-batch',
  /** Epochs [P, FORK: 100]. */
  epochs: 100,
  /** Fraction of cells used for training; the rest is the validation set [P, FORK: 0.7]. */
  trainSize: 0.7,
  /** Adam learning rate [SCVI TrainingPlan: 1e-3]. */
  lr: 1e-3,
  /** Adam L2 weight decay [SCVI: 1e-6]. */
  weightDecay: 1e-6,
  /** Adam eps [SCVI: 0.01]. */
  eps: 0.01,
  /** KL warm-up epochs, weight = min(1, epoch/n) [SCVI: 400, so 0.2475 at epoch 99]; 0 = no warm-up. */
  nEpochsKlWarmup: 400,
  /** Weight of the pseudobulk NB reconstruction term (0 = FORK code and [P] Eq. 2). */
  pseudobulkReconWeight: 0,
  signatureType: 'pre_encoded',
  fitIntercept: false,
  intervalSamples: 100,
  intervalLevel: 0.9,
  /** Stop when the validation ELBO has not improved for this many epochs (0 = off, the paper's setting). */
  earlyStoppingPatience: 0,
  /** Minimum cells of a type in the training set (below: error naming the type). */
  minCellsPerType: 10,
  /** tfjs backend (default: auto = tfjs-node if installed, else wasm). */
  backend: 'auto',
  /** Weight initialisation (PyTorch default, as scvi-tools). */
  init: 'torch',
  /** Validation batches (each with its pseudobulks) scored after each epoch for ELBO, rho and d. */
  validationBatches: 2,
  /**
   * Parts each minibatch is split into for data-parallel training (interleaved cells, pseudobulks drawn
   * within each part, loss = mean over parts). 1 = the fork's exact batch-level pseudobulks. The result
   * depends on `shards`, never on `workers`.
   */
  shards: 2,
  /** Threads computing shards (main + workers); 0 = automatic (min(shards, cores)). */
  workers: 0,
};

/** scVI: the same VAE without the mixup penalty (the paper's baseline in Table 1). */
export const SCVI_DEFAULTS: MixupVIOptions = { ...MIXUPVI_DEFAULTS, mixupPenalty: 'none' };

/**
 * Demo/quick settings (`celldeconv demo`, `--quick`): about 1-2 minutes of training per model on the demo's
 * ~1,300 PBMC3k training cells (923 after the 0.7 split) on a loaded 2-core machine (~25 CPU s).
 * Chosen by `npm run bench -- mixupvi-pbmc3k` (docs/BENCHMARKS.md, "Published settings re-run and quick
 * settings"): on the demo protocol (fine labels, 100 Dirichlet pseudobulks of 100 test cells) MixupVI's
 * median Pearson went 0.33 (1,000 HVGs, batch 512: 50 steps) → 0.43 (batch 128: 200 steps, about the same
 * CPU) → 0.63 (500 HVGs) → 0.76 (and the post-inference latent signature). Why: with so few cells, more
 * and smaller steps beat big batches; 1,000+ genes let the networks fit noise of ~900 cells (250 genes lose
 * the rarer types' markers); and after so little training the mean of each type's cell codes (which the
 * mixup penalty makes linear) is a better latent signature than the code of each type's mean counts
 * (pure-type pseudobulks lie far from the mixed pseudobulks the penalty was trained on). Dirichlet
 * per-pseudobulk sampling did not help (0.56). Still below the linear methods (nnls 0.93). KL warm-up is
 * scaled to 100 epochs to keep the paper's ratio epochs/warm-up = 1/4. scVI uses the same settings (only
 * the penalty differs) so the comparison stays fair.
 */
export const MIXUPVI_QUICK: Partial<MixupVIOptions> = {
  nHvg: 500,
  hidden: 256,
  batchSize: 128,
  nCellsPerPseudobulk: 50,
  epochs: 25,
  nEpochsKlWarmup: 100,
  signatureType: 'post_inference',
  intervalSamples: 30,
  // The demo's PBMC3k train half has 16 DC and 7 platelet cells (5 after the 0.7 split); rare types
  // are drawn with replacement into the mixup pseudobulks.
  minCellsPerType: 2,
};

const ENUMS: Partial<Record<keyof MixupVIOptions, readonly string[]>> = {
  likelihood: ['zinb', 'nb'],
  mixupPenalty: ['l2', 'kl', 'none'],
  pseudobulkSampling: ['uniform-in-batch', 'dirichlet-per-pseudobulk'],
  signatureType: ['pre_encoded', 'post_inference'],
  backend: ['auto', 'tensorflow', 'wasm', 'cpu'],
  init: ['torch', 'glorot', 'he'],
};

const INTS: (keyof MixupVIOptions)[] = [
  'nHvg',
  'latent',
  'hidden',
  'batchSize',
  'nPseudobulks',
  'nCellsPerPseudobulk',
  'epochs',
  'nEpochsKlWarmup',
  'intervalSamples',
  'earlyStoppingPatience',
  'minCellsPerType',
  'validationBatches',
  'shards',
  'workers',
];

/**
 * Merges user options over defaults and validates them (CLI strings are coerced to numbers/booleans).
 *
 * @throws {@link InputError} `E_OPTION` naming the option, the value and what is allowed.
 */
export function resolveOptions(base: MixupVIOptions, user: Record<string, unknown> = {}): MixupVIOptions {
  const o: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(user)) {
    if (v === undefined) continue;
    if (!(k in base)) {
      throw new InputError(`unknown MixupVI option '${k}'`, {
        code: 'E_OPTION',
        field: k,
        expected: `one of ${Object.keys(base).join(', ')}`,
      });
    }
    const def = (base as unknown as Record<string, unknown>)[k];
    if (typeof def === 'number' && typeof v === 'string') o[k] = Number(v);
    else if (typeof def === 'boolean' && typeof v === 'string') o[k] = v === 'true' || v === '1';
    else o[k] = v;
  }
  const r = o as unknown as MixupVIOptions;
  const bad = (field: string, got: unknown, expected: string) =>
    new InputError(`invalid value for option '${field}'`, { code: 'E_OPTION', field, got, expected });
  for (const [k, allowed] of Object.entries(ENUMS)) {
    if (!allowed?.includes(String(r[k as keyof MixupVIOptions])))
      throw bad(k, r[k as keyof MixupVIOptions], `one of ${allowed?.join(', ')}`);
  }
  for (const k of INTS) {
    const v = r[k] as number;
    if (!Number.isInteger(v) || v < 0) throw bad(k, v, 'a non-negative integer');
  }
  for (const k of ['latent', 'hidden', 'batchSize', 'nPseudobulks', 'nCellsPerPseudobulk', 'epochs', 'shards'] as const) {
    if (r[k] < 1) throw bad(k, r[k], 'an integer >= 1');
  }
  if (!(r.dropout >= 0 && r.dropout < 1)) throw bad('dropout', r.dropout, 'a number in [0, 1)');
  if (!(r.trainSize > 0 && r.trainSize <= 1)) throw bad('trainSize', r.trainSize, 'a number in (0, 1]');
  if (!(r.lr > 0)) throw bad('lr', r.lr, 'a positive number');
  if (!(r.weightDecay >= 0)) throw bad('weightDecay', r.weightDecay, 'a number >= 0');
  if (!(r.eps > 0)) throw bad('eps', r.eps, 'a positive number');
  if (!(r.pseudobulkReconWeight >= 0)) throw bad('pseudobulkReconWeight', r.pseudobulkReconWeight, 'a number >= 0');
  if (!(r.intervalLevel > 0 && r.intervalLevel < 1)) throw bad('intervalLevel', r.intervalLevel, 'a number in (0, 1)');
  if (typeof r.fitIntercept !== 'boolean') throw bad('fitIntercept', r.fitIntercept, 'true or false');
  return r;
}
