/**
 * Options of the Deep Generative Decoder (scDGD / multiDGD) with their published defaults.
 *
 * Sources (../shared/specs/dgd.md): [TH] the DGD thesis (scDGD paper §2.1, multiDGD Methods §4.2),
 * [SC] the scDGD code (`dgd_train`, `GaussianMixture`, `NBLayer`), [MD] the multiDGD code. Where they
 * disagree the spec picks one; the choice is noted per field.
 */
import { InputError } from '../../core/errors.js';

/** How the per-cell scaling factor M_i is computed from the cell's counts. */
export type DgdScaling = 'sum' | 'max' | 'mean';
/** Output activation of the decoder (m̂ = activation(last layer)). */
export type DgdActivation = 'softmax' | 'sigmoid' | 'softplus';

/** Every option of the DGD model. */
export interface DgdOptions {
  /** Latent dimension L [TH, SC, MD: 20]. */
  latent: number;
  /** Hidden layer widths of the decoder [TH, SC: 100, 100, 100]. */
  hidden: number[];
  /**
   * GMM components K (≥ 1). 0 = one per label class when labels are given, else 1 [MD: K = 1 or the
   * number of label classes].
   */
  components: number;
  /** Components per label class in the supervised variant [SC `Ncpc`: 1]. */
  componentsPerClass: number;
  /** Supervised variant: a cell's log p(z) uses only its label's component(s) [TH §2.1.4]. */
  supervised: boolean;
  /**
   * Scaling factor M_i: 'sum' (library size, with softmax: [MD], and the thesis' conclusion; our
   * default), 'max' (largest count of the cell [TH §2.1.5, SC default]) or 'mean' (mean count).
   */
  scaling: DgdScaling;
  /** Output activation; default softmax for 'sum', softplus [SC] otherwise. */
  activation?: DgdActivation;
  /** Initial NB dispersion r (r = exp(log_r) + 1, so r_init > 1) [SC, MD: 2]. */
  rInit: number;
  /** Softball radius s of the prior on the means [TH, SC PBMC: 1; MD: 2]. */
  softballScale: number;
  /** Softball sharpness a [TH, SC: 1; MD: 5]. */
  softballSharpness: number;
  /** Dirichlet concentration α on the mixture weights [TH general: 1; SC PBMC: 2 (K = 9) or 1 (K = 18)]. */
  dirichletAlpha: number;
  /** Standard deviation of the Gaussian prior on each log-precision [SC `sd_init[1]`: 1]. Its mean is −2 log(0.2·s/K). */
  logbetaPriorSd: number;
  /**
   * How log P(φ) enters the minibatch loss: false (default) adds it once per minibatch scaled by B/N;
   * true adds it to every cell's log p(z) as the scDGD code does (effective weight N).
   */
  priorPerSample: boolean;
  /** Epochs [SC `dgd_train`: 500]. */
  epochs: number;
  /** Cells per minibatch [MD: 128]. */
  batchSize: number;
  /** Epochs at which the learning rates change [SC: 0, 300]. */
  lrScheduleEpochs: number[];
  /** [decoder, representations, GMM] learning rates from each schedule epoch [SC: (1e-3, 1e-2, 1e-2), (1e-4, 1e-2, 1e-2)]. */
  lrSchedule: [number, number, number][];
  /** Adam betas [SC, MD: (0.5, 0.7)]. */
  betas: [number, number];
  /** Adam (L2) weight decay of every group [SC, MD: 1e-4]. */
  weightDecay: number;
  /** Adam eps [PyTorch default 1e-8]. */
  adamEps: number;
  /**
   * Initial representations: 'zero' (all at the origin, scDGD) or 'component-mean' (supervised only:
   * each cell starts at its class's component mean; faster convergence for short runs).
   */
  initRepresentations: 'zero' | 'component-mean';
  /** Fraction of cells held out as validation cells (own representations, decoder frozen); 0 = none. */
  validationFraction: number;
  /** Early stopping on the validation loss (off by default, as [SC]; [MD] uses it). */
  earlyStopping: boolean;
  /** First epoch at which early stopping may stop [MD: 50]. */
  earlyStoppingStart: number;
  /** Epochs without improvement before stopping [MD: 10]. */
  earlyStoppingPatience: number;
  /** Keep only genes with a non-zero count in the training data [TH: no HVG step]. */
  dropZeroGenes: boolean;
  /** Restrict the genes to the top-N seurat_v3 highly variable genes (0 = no HVG step, the scDGD default; quick runs use 2,000). */
  nHvg: number;
  /** New cells: epochs of all K candidates before the choice [MD `resampling_epoch`: 5]. */
  inferResamplingEpochs: number;
  /** New cells: epochs of the chosen representation [TH, MD function default: 10]. */
  inferEpochs: number;
  /** New cells: learning rate of the representations [MD: 1e-2]. */
  inferLr: number;
  /** New cells: choose the best component mean by reconstruction BEFORE any training (the scDGD text), instead of after the candidate epochs. */
  selectBeforeTraining: boolean;
  /** Save a checkpoint model directory every N epochs (0 = never); needs `checkpointDir`. */
  checkpointEvery: number;
  /** Where checkpoints go (overwritten each time). */
  checkpointDir?: string;
}

/** Published defaults: scDGD code's optimiser and schedule, multiDGD's batch size, library-size scaling + softmax. */
export const DGD_DEFAULTS: DgdOptions = {
  latent: 20,
  hidden: [100, 100, 100],
  components: 0,
  componentsPerClass: 1,
  supervised: false,
  scaling: 'sum',
  rInit: 2,
  softballScale: 1,
  softballSharpness: 1,
  dirichletAlpha: 1,
  logbetaPriorSd: 1,
  priorPerSample: false,
  epochs: 500,
  batchSize: 128,
  lrScheduleEpochs: [0, 300],
  lrSchedule: [
    [1e-3, 1e-2, 1e-2],
    [1e-4, 1e-2, 1e-2],
  ],
  betas: [0.5, 0.7],
  weightDecay: 1e-4,
  adamEps: 1e-8,
  initRepresentations: 'zero',
  validationFraction: 0.1,
  earlyStopping: false,
  earlyStoppingStart: 50,
  earlyStoppingPatience: 10,
  dropZeroGenes: true,
  nHvg: 0,
  inferResamplingEpochs: 5,
  inferEpochs: 10,
  inferLr: 1e-2,
  selectBeforeTraining: false,
  checkpointEvery: 0,
};

/** The activation actually used (the default depends on the scaling). */
export function activationOf(o: Pick<DgdOptions, 'scaling' | 'activation'>): DgdActivation {
  return o.activation ?? (o.scaling === 'sum' ? 'softmax' : 'softplus');
}

function bad(field: string, got: unknown, expected: string, hint?: string): InputError {
  return new InputError(`invalid DGD option '${field}'`, {
    code: field === 'components' ? 'E_COMPONENTS' : 'E_OPTION',
    field,
    got,
    expected,
    hint,
  });
}

function num(v: unknown): number {
  return typeof v === 'string' ? Number(v) : (v as number);
}

/**
 * Merges user options over the defaults and checks them.
 *
 * @param user - Partial options (strings from `--set` are accepted for numbers and booleans).
 * @throws {@link InputError} `E_COMPONENTS` for K < 0 or not an integer (K = 0 means "from the labels");
 *   `E_OPTION` for any other invalid value or an unknown option name.
 * @example
 * ```ts
 * resolveDgdOptions({ epochs: 50, components: 2 }).latent; // 20
 * ```
 */
export function resolveDgdOptions(user: Record<string, unknown> = {}): DgdOptions {
  const o: Record<string, unknown> = { ...DGD_DEFAULTS };
  for (const [k, v] of Object.entries(user)) {
    if (v === undefined) continue;
    if (!(k in DGD_DEFAULTS) && k !== 'activation' && k !== 'checkpointDir') {
      throw bad(k, v, `one of ${[...Object.keys(DGD_DEFAULTS), 'activation', 'checkpointDir'].join(', ')}`, 'Check the option name');
    }
    const def = (DGD_DEFAULTS as unknown as Record<string, unknown>)[k];
    if (typeof def === 'number') o[k] = num(v);
    else if (typeof def === 'boolean') o[k] = v === true || v === 'true' || v === 1 || v === '1';
    else if (Array.isArray(def) && typeof v === 'string') o[k] = JSON.parse(v.trim().startsWith('[') ? v : `[${v}]`);
    else o[k] = v;
  }
  const r = o as unknown as DgdOptions;
  const posInt = (f: keyof DgdOptions, min = 1) => {
    const v = r[f] as number;
    if (!Number.isInteger(v) || v < min) throw bad(f, v, `an integer >= ${min}`);
  };
  if (!Number.isInteger(r.components) || r.components < 0) {
    throw bad('components', r.components, 'an integer K >= 1 (or 0: one per label class)', 'Pass --components K with K >= 1');
  }
  posInt('latent');
  posInt('componentsPerClass');
  posInt('epochs');
  posInt('batchSize');
  posInt('inferResamplingEpochs', 0);
  posInt('inferEpochs', 0);
  posInt('checkpointEvery', 0);
  posInt('nHvg', 0);
  posInt('earlyStoppingStart', 0);
  posInt('earlyStoppingPatience');
  if (!Array.isArray(r.hidden) || r.hidden.length === 0 || r.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw bad('hidden', r.hidden, 'a non-empty list of positive integers, e.g. [100,100,100]');
  }
  if (!['zero', 'component-mean'].includes(r.initRepresentations))
    throw bad('initRepresentations', r.initRepresentations, "'zero' or 'component-mean'");
  if (!['sum', 'max', 'mean'].includes(r.scaling)) throw bad('scaling', r.scaling, "'sum', 'max' or 'mean'");
  if (r.activation !== undefined && !['softmax', 'sigmoid', 'softplus'].includes(r.activation)) {
    throw bad('activation', r.activation, "'softmax', 'sigmoid' or 'softplus'");
  }
  if (!(r.rInit > 1)) throw bad('rInit', r.rInit, '> 1 (r = exp(log_r) + 1)');
  for (const f of ['softballScale', 'softballSharpness', 'dirichletAlpha', 'logbetaPriorSd', 'adamEps', 'inferLr'] as const) {
    if (!(r[f] > 0)) throw bad(f, r[f], '> 0');
  }
  if (!(r.weightDecay >= 0)) throw bad('weightDecay', r.weightDecay, '>= 0');
  if (!(r.validationFraction >= 0 && r.validationFraction < 1)) throw bad('validationFraction', r.validationFraction, 'in [0, 1)');
  if (!Array.isArray(r.betas) || r.betas.length !== 2 || !r.betas.every((b) => b >= 0 && b < 1))
    throw bad('betas', r.betas, 'two numbers in [0, 1)');
  const se = r.lrScheduleEpochs;
  const sl = r.lrSchedule;
  if (
    !Array.isArray(se) ||
    !Array.isArray(sl) ||
    se.length !== sl.length ||
    se.length === 0 ||
    se[0] !== 0 ||
    se.some((e, i) => !Number.isInteger(e) || (i > 0 && e <= (se[i - 1] as number))) ||
    sl.some((row) => !Array.isArray(row) || row.length !== 3 || row.some((x) => !(x > 0)))
  ) {
    throw bad(
      'lrSchedule',
      { lrScheduleEpochs: se, lrSchedule: sl },
      'increasing epochs starting at 0, one [decoder, representations, GMM] triple of positive rates each',
    );
  }
  return r;
}

/** The [decoder, representation, GMM] learning rates in force at `epoch` (0-based) and whether they change there. */
export function learningRatesAt(
  o: Pick<DgdOptions, 'lrScheduleEpochs' | 'lrSchedule'>,
  epoch: number,
): { rates: [number, number, number]; changes: boolean } {
  let k = 0;
  for (let i = 0; i < o.lrScheduleEpochs.length; i++) if ((o.lrScheduleEpochs[i] as number) <= epoch) k = i;
  return { rates: o.lrSchedule[k] as [number, number, number], changes: o.lrScheduleEpochs.includes(epoch) };
}
