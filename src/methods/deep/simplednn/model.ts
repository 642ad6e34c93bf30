/**
 * SimpleDNN (seed 001 §5): a configurable MLP from (selected) bulk genes to a softmax over cell
 * types, trained with Adam on MSE (Scaden's loss), with a hyper-parameter search over depth/widths,
 * dropout and learning rate (random or grid), a validation split and early stopping. Registered as
 * method `simplednn` (kind 'trained', bulk layer `counts_sum`).
 *
 * The seed publishes no final hyper-parameters, so the search space below is ours (documented):
 * hidden ∈ {[256,128], [512,256], [256,128,64], [512,256,128]}, dropout ∈ {0, 0.1, 0.3} (same
 * rate after every hidden layer), lr ∈ {1e-4, 3e-4, 1e-3}. Inputs: Scaden's log2 + per-sample
 * min–max (or raw with `scaling: 'none'`); features: the top `nGenes` variable genes.
 * Splits: by patient for paired data (all augmented copies of a patient on one side), by sample
 * for simulated pseudobulks.
 */
import { InputError } from '../../../core/errors.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import { splitPatients } from '../../../simulate/paired-augmentation.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from '../../types.js';
import {
  baselineManifest,
  baselineSpec,
  baselineTrainingSet,
  ensureBackend,
  loadSingleModel,
  resolveBaselineOptions,
  saveSingleModel,
} from '../common-baselines/fitted.js';
import { logMinMax } from '../common-baselines/log-min-max.js';
import { checkMlpConfig, Mlp, type MlpConfig } from '../common-baselines/mlp.js';
import { type MlpTrainData, predictMlp, trainMlpEpochs } from '../common-baselines/mlp-train.js';
import { alignBulk, makeResult, toFloat32 } from '../common-baselines/pipeline.js';
import {
  SIMPLEDNN_DEFAULTS,
  SIMPLEDNN_INFO,
  SIMPLEDNN_QUICK,
  SIMPLEDNN_SCHEMA,
  type SimpleDnnConfig,
  type SimpleDnnOptions,
} from './config.js';

export {
  type SearchSpace,
  SIMPLEDNN_DEFAULTS,
  SIMPLEDNN_QUICK,
  SIMPLEDNN_SPACE,
  type SimpleDnnConfig,
  type SimpleDnnOptions,
} from './config.js';

/** The configurations a search evaluates, in order. */
export function searchConfigs(
  o: Pick<SimpleDnnOptions, 'search' | 'nTrials' | 'space' | 'hidden' | 'dropout' | 'lr'>,
  rng: Rng,
): SimpleDnnConfig[] {
  if (o.search === 'none') return [{ hidden: [...o.hidden], dropout: [...o.dropout], lr: o.lr }];
  const grid: SimpleDnnConfig[] = [];
  for (const h of o.space.hidden)
    for (const d of o.space.dropout) for (const lr of o.space.lr) grid.push({ hidden: [...h], dropout: h.map(() => d), lr });
  if (grid.length === 0) throw new InputError('the search space is empty', { code: 'E_OPTION', field: 'space' });
  if (o.search === 'grid') return grid;
  if (o.search !== 'random') {
    throw new InputError(`unknown search '${o.search}'`, {
      code: 'E_OPTION',
      field: 'search',
      got: o.search,
      expected: "'random', 'grid' or 'none'",
    });
  }
  const k = Math.min(Math.max(1, Math.floor(o.nTrials)), grid.length);
  return Array.from(rng.sampleWithoutReplacement(grid.length, k), (i) => grid[i] as SimpleDnnConfig);
}

/** One trial's outcome. */
export interface TrialRecord extends SimpleDnnConfig {
  valMse: number;
  bestEpoch: number;
  epochsRun: number;
  seconds: number;
}

/** A trained SimpleDNN. */
export class SimpleDnnFitted implements Fitted {
  readonly method = 'simplednn';
  constructor(
    readonly genes: readonly string[],
    readonly cellTypes: readonly string[],
    readonly mlp: Mlp,
    readonly chosen: SimpleDnnConfig,
    readonly config: SimpleDnnOptions,
    readonly seed: number,
    readonly history: Record<string, unknown>,
  ) {}

  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    const aligned = alignBulk(bulk, this.genes, opts);
    const X = this.config.scaling === 'none' ? toFloat32(aligned.X) : logMinMax(aligned.X);
    const p = predictMlp(this.mlp, X);
    return makeResult(this.method, p, bulk, this.cellTypes, aligned, this.seed, { chosen: this.chosen });
  }

  toJSON(): FittedManifest {
    return baselineManifest(this, this.config, { chosen: this.chosen });
  }

  async save(dir: string): Promise<void> {
    await saveSingleModel(dir, this, this.mlp);
  }

  dispose(): void {
    this.mlp.dispose();
  }
}

function resolveOptions(opts: FitOptions<SimpleDnnOptions>): SimpleDnnOptions {
  const o = resolveBaselineOptions(SIMPLEDNN_DEFAULTS, opts.options, [
    'nTrials',
    'lr',
    'batchSize',
    'epochs',
    'patience',
    'validationFraction',
    'nSamples',
    'nCells',
    'nGenes',
  ]);
  for (const k of ['hidden', 'dropout'] as const) {
    const v = o[k] as unknown;
    if (typeof v === 'string') o[k] = v.split(',').map(Number);
  }
  if (o.search === 'none') checkMlpConfig({ hidden: o.hidden, dropout: o.dropout });
  if (!(o.validationFraction > 0 && o.validationFraction < 1)) {
    throw new InputError('validationFraction must be in (0, 1)', {
      code: 'E_OPTION',
      field: 'validationFraction',
      got: o.validationFraction,
    });
  }
  return o;
}

function rowsOf(data: MlpTrainData, idx: ArrayLike<number>): MlpTrainData {
  return { X: data.X.selectRows(idx), Y: data.Y.selectRows(idx) };
}

/**
 * Trains SimpleDNN with a hyper-parameter search; the best trial (lowest validation MSE, weights of
 * its best epoch) is kept. The chosen configuration and all trials are in the manifest/history.
 *
 * @throws InputError for bad options or data; AbortError on `signal`.
 * @example
 * const f = await simplednn.fit(cells, { labelsKey: 'cell_type', seed: 0, options: { search: 'random', nTrials: 4 } });
 * f.toJSON().chosen; // { hidden: [...], dropout: [...], lr }
 */
async function fitSimpleDnn(ref: Dataset | null, opts: FitOptions<SimpleDnnOptions>): Promise<SimpleDnnFitted> {
  const o = resolveOptions(opts);
  const seed = opts.seed ?? 0;
  await ensureBackend(o.backend);
  const rng = new Rng(seed);
  const raw = await baselineTrainingSet(ref, o, opts, seed);
  const data: MlpTrainData = { X: o.scaling === 'none' ? toFloat32(raw.X) : logMinMax(raw.X), Y: toFloat32(raw.Y) };
  let trainIdx: Int32Array;
  let valIdx: Int32Array;
  if (raw.patient) {
    const nPatients = Math.max(...raw.patient) + 1;
    const split = splitPatients(nPatients, { validation: o.validationFraction }, rng.fork('split'));
    const valSet = new Set(split.validation);
    const tr: number[] = [];
    const va: number[] = [];
    raw.patient.forEach((p, i) => {
      (valSet.has(p) ? va : tr).push(i);
    });
    trainIdx = Int32Array.from(tr);
    valIdx = Int32Array.from(va);
  } else {
    const perm = rng.fork('split').permutation(data.X.rows);
    const nVal = Math.max(1, Math.round(o.validationFraction * data.X.rows));
    valIdx = perm.slice(0, nVal).sort();
    trainIdx = perm.slice(nVal).sort();
  }
  if (trainIdx.length === 0 || valIdx.length === 0) {
    throw new InputError('not enough samples (or patients) for a validation split', {
      code: 'E_TOO_FEW_SAMPLES',
      got: data.X.rows,
      hint: 'Use more samples / patients or a different validationFraction',
    });
  }
  const train = rowsOf(data, trainIdx);
  const val = rowsOf(data, valIdx);
  const configs = searchConfigs(o, rng.fork('search'));
  const trials: TrialRecord[] = [];
  let best: { mlp: Mlp; cfg: SimpleDnnConfig; val: number } | undefined;
  const t0 = performance.now();
  for (let t = 0; t < configs.length; t++) {
    const cfg = configs[t] as SimpleDnnConfig;
    const trialRng = rng.fork(`trial${t}`);
    const mlpCfg: MlpConfig = { hidden: cfg.hidden, dropout: cfg.dropout, init: 'glorot' };
    const mlp = new Mlp('mlp', data.X.cols, data.Y.cols, mlpCfg, trialRng.fork('init'));
    const ts = performance.now();
    let r: Awaited<ReturnType<typeof trainMlpEpochs>>;
    try {
      r = await trainMlpEpochs(mlp, train, val, {
        epochs: o.epochs,
        patience: o.patience,
        batchSize: o.batchSize,
        lr: cfg.lr,
        rng: trialRng.fork('train'),
        signal: opts.signal,
        onProgress: opts.onProgress ? (e) => opts.onProgress?.({ ...e, label: `simplednn trial ${t + 1}/${configs.length}` }) : undefined,
      });
    } catch (e) {
      mlp.dispose();
      best?.mlp.dispose();
      throw e;
    }
    trials.push({
      ...cfg,
      valMse: r.bestValMse,
      bestEpoch: r.bestEpoch,
      epochsRun: r.history.epochs.length,
      seconds: (performance.now() - ts) / 1000,
    });
    if (!best || r.bestValMse < best.val) {
      best?.mlp.dispose();
      best = { mlp, cfg, val: r.bestValMse };
    } else {
      mlp.dispose();
    }
  }
  const b = best as { mlp: Mlp; cfg: SimpleDnnConfig; val: number };
  return new SimpleDnnFitted(raw.genes, raw.cellTypes, b.mlp, b.cfg, o, seed, {
    trainingSet: raw.description,
    nTrain: trainIdx.length,
    nValidation: valIdx.length,
    trials,
    bestValMse: b.val,
    trainSeconds: (performance.now() - t0) / 1000,
  });
}

/** Loads a saved SimpleDNN (JSON manifest + float32 weights; no code is evaluated). */
async function loadSimpleDnn(dir: string): Promise<SimpleDnnFitted> {
  const { manifest, model, seed, history } = await loadSingleModel(dir, 'simplednn', (m) => {
    const chosen = m.chosen as SimpleDnnConfig;
    return new Mlp(
      'mlp',
      m.genes.length,
      m.cellTypes.length,
      { hidden: chosen.hidden, dropout: chosen.dropout, init: 'glorot' },
      new Rng(0),
    );
  });
  const config = { ...SIMPLEDNN_DEFAULTS, ...((manifest.config ?? {}) as Partial<SimpleDnnOptions>) };
  return new SimpleDnnFitted(manifest.genes, manifest.cellTypes, model, manifest.chosen as SimpleDnnConfig, config, seed, history);
}

/** Registry entry of SimpleDNN. */
export const simplednn: MethodSpec<SimpleDnnOptions> = baselineSpec({
  ...SIMPLEDNN_INFO,
  defaults: SIMPLEDNN_DEFAULTS,
  quickOptions: SIMPLEDNN_QUICK,
  options: SIMPLEDNN_SCHEMA,
  fit: fitSimpleDnn,
  load: loadSimpleDnn,
});
