/**
 * TAPE (Chen & Wang 2022): an autoencoder whose encoder predicts proportions and whose linear,
 * bias-free decoder is a signature matrix, plus the adaptive stage that fits the decoder and the
 * encoder to the target bulks. Registered as method `tape` (kind 'trained', bulk layer `counts_sum`).
 *
 * Defaults [TAPE `train.py`, `simulation.py`, `utils.py`]: 5,000 TAPE-simulated pseudobulks of 500
 * cells, TAPE's 98% variance filter on the training genes, ln(x+1) + per-sample min–max, loss
 * L1(z, y) + L1(x̂, x), Adam lr 1e-4 (PyTorch ε 1e-8), batch 128, 128 epochs; prediction with the
 * adaptive stage ("overall" mode) of 3 rounds × 300 decoder + 300 encoder steps on all bulks at once,
 * as `predict()` calls it (the function defaults, 5 × 10, are what PyDeconv uses: `adaptiveParity:
 * 'pydeconv'` switches to those, with un-normalised ReLU(z) as the anchor).
 * Genes before the variance filter: 2,500 HVGs of the reference (MixupVI benchmark [P App. E]).
 * TAPE also filters the TEST genes by variance and intersects; with a fit that does not see the
 * bulk we keep the training genes and fill missing bulk genes with 0 (reported).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../../core/errors.js';
import { throttledProgress, throwIfAborted } from '../../../core/progress.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import { Adam } from '../../../nn/adam.js';
import { epochBatches, tensorBatch } from '../../../nn/sampler.js';
import { type TrainHistory, trainLoop } from '../../../nn/trainer.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from '../../types.js';
import {
  baselineManifest,
  baselineSpec,
  baselineTrainingSet,
  ensureBackend,
  loadSingleModel,
  resolveBaselineOptions,
  saveSingleModel,
  stripUndefined,
} from '../common-baselines/fitted.js';
import { alignBulk, makeResult, numOption, toFloat32 } from '../common-baselines/pipeline.js';
import { assignWeights, variablesToWeights } from '../model-io.js';
import { TAPE_DEFAULTS, TAPE_INFO, TAPE_QUICK, TAPE_SCHEMA, type TapeOptions } from './config.js';
import { l1Loss, TapeAutoEncoder, tapeLoss } from './module.js';
import { tapeScale, tapeVarianceFilter } from './preprocess.js';

export { TAPE_DEFAULTS, TAPE_QUICK, type TapeOptions } from './config.js';

/** Result of the adaptive stage. */
export interface AdaptiveResult {
  /** samples x C proportions after adaptation (test mode). */
  pred: Float32Array;
  /** samples x C proportions before adaptation (the anchor, normalised). */
  before: Float32Array;
  /** C x G adapted signature. */
  sig: Float32Array;
  /** L1 reconstruction loss after each step. */
  loss: number[];
}

/** Copies an autoencoder's weights into a fresh one (the adaptive stage works on a copy). */
function cloneModel(m: TapeAutoEncoder): TapeAutoEncoder {
  const c = new TapeAutoEncoder(m.nGenes, m.nTypes, new Rng(0), m.arch);
  assignWeights(c.params(), variablesToWeights(m.params()));
  return c;
}

/**
 * TAPE's adaptive stage ("overall" mode) on a COPY of `model` [TAPE `adaptive_stage`]: all bulk
 * samples form one batch; each round runs `steps` decoder updates (loss L1(x̂, x) + L1(Sig, Sig₀))
 * then `steps` encoder updates (loss L1(z₀, z) + L1(x̂, x)), each with two Adam optimisers (lr 1e-4).
 * Dropout is on, and TAPE re-seeds before every step, so every step uses the same dropout masks.
 *
 * @param x samples x G preprocessed bulks (Float32).
 * @returns adapted proportions and signature; with steps = 0 the original predictions.
 */
export async function adaptiveStage(
  model: TapeAutoEncoder,
  x: DenseMatrix<Float32Array>,
  opts: {
    steps: number;
    iters: number;
    lr?: number;
    parity?: 'tape' | 'pydeconv';
    seed?: number;
    signal?: AbortSignal;
    onStep?: (s: number) => void;
  },
): Promise<AdaptiveResult> {
  const m = cloneModel(model);
  const xt = tf.tensor2d(x.data, [x.rows, x.cols]);
  const maskSeed = opts.seed ?? 0;
  const before = tf.tidy(() => m.forward(xt, 'test').z);
  const anchor = opts.parity === 'pydeconv' ? tf.tidy(() => tf.relu(m.encode(xt))) : tf.clone(before);
  const sig0 = tf.tidy(() => m.sigmatrix());
  const dec = m.decoderParams().map(([, v]) => v);
  const enc = m.encoderParams().map(([, v]) => v);
  const optD = new Adam(dec, { lr: opts.lr ?? 1e-4, eps: 1e-8, weightDecay: 0 });
  const optE = new Adam(enc, { lr: opts.lr ?? 1e-4, eps: 1e-8, weightDecay: 0 });
  const loss: number[] = [];
  let step = 0;
  try {
    for (let k = 0; k < opts.iters; k++) {
      for (let phase = 0; phase < 2; phase++) {
        const vars = phase === 0 ? dec : enc;
        const opt = phase === 0 ? optD : optE;
        for (let i = 0; i < opts.steps; i++) {
          throwIfAborted(opts.signal);
          let rec: tf.Scalar | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const out = m.forward(xt, 'train', new Rng(maskSeed));
            const r = l1Loss(out.recon, xt);
            rec = tf.keep(r);
            return tf.add(r, phase === 0 ? l1Loss(out.sig, sig0) : l1Loss(anchor, out.z)) as tf.Scalar;
          }, vars);
          opt.apply(grads);
          tf.dispose([value, ...Object.values(grads)]);
          loss.push(((await (rec as tf.Scalar).data())[0] as number) ?? Number.NaN);
          rec?.dispose();
          opts.onStep?.(++step);
          await new Promise<void>((r) => setImmediate(r));
        }
      }
    }
    const final = tf.tidy(() => {
      const out = m.forward(xt, 'test');
      return [out.z, out.sig] as const;
    });
    const pred = final[0].dataSync() as Float32Array;
    const sig = final[1].dataSync() as Float32Array;
    const b = before.dataSync() as Float32Array;
    tf.dispose([...final]);
    return { pred: Float32Array.from(pred), before: Float32Array.from(b), sig: Float32Array.from(sig), loss };
  } finally {
    optD.dispose();
    optE.dispose();
    tf.dispose([xt, before, anchor, sig0]);
    m.dispose();
  }
}

/** A trained TAPE model. */
export class TapeFitted implements Fitted {
  readonly method = 'tape';
  constructor(
    readonly genes: readonly string[],
    readonly cellTypes: readonly string[],
    readonly model: TapeAutoEncoder,
    readonly config: TapeOptions,
    readonly seed: number,
    readonly history: Record<string, unknown>,
  ) {}

  /**
   * Proportions of each bulk sample, with the adaptive stage unless `options.adaptive` is false
   * (`opts.options` may override adaptive, adaptiveSteps, adaptiveIters, adaptiveParity;
   * `returnSignature: true` puts the adapted C x G signature in `diagnostics.extra.signature`).
   */
  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    const o = { ...this.config, ...stripUndefined((opts.options ?? {}) as Partial<TapeOptions>) };
    const adaptive = o.adaptive === true || (o.adaptive as unknown) === 'true';
    const aligned = alignBulk(bulk, this.genes, opts);
    const X = tapeScale(aligned.X, o.scaler);
    if (!adaptive) {
      const z = tf.tidy(() => this.model.forward(tf.tensor2d(X.data, [X.rows, X.cols]), 'test').z);
      const p = Float32Array.from(z.dataSync() as Float32Array);
      z.dispose();
      return makeResult(this.method, p, bulk, this.cellTypes, aligned, this.seed, { adaptive: false });
    }
    const steps = numOption(o.adaptiveSteps, 'adaptiveSteps', 300);
    const iters = numOption(o.adaptiveIters, 'adaptiveIters', 3);
    const total = 2 * steps * iters;
    const report = throttledProgress(opts.onProgress, 'adapt', total, 'tape');
    const r = await adaptiveStage(this.model, X, { steps, iters, parity: o.adaptiveParity, signal: opts.signal, onStep: report });
    const extra: Record<string, unknown> = { adaptive: true, adaptiveSteps: steps, adaptiveIters: iters, finalReconL1: r.loss.at(-1) };
    if ((opts.options as { returnSignature?: boolean } | undefined)?.returnSignature) {
      extra.signature = new DenseMatrix(this.cellTypes.length, this.genes.length, Float64Array.from(r.sig));
    }
    return makeResult(this.method, r.pred, bulk, this.cellTypes, aligned, this.seed, extra);
  }

  toJSON(): FittedManifest {
    return baselineManifest(this, this.config);
  }

  async save(dir: string): Promise<void> {
    await saveSingleModel(dir, this, this.model);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function resolveOptions(opts: FitOptions<TapeOptions>): TapeOptions {
  const o = resolveBaselineOptions(TAPE_DEFAULTS, opts.options, [
    'epochs',
    'batchSize',
    'lr',
    'nSamples',
    'nCells',
    'nGenes',
    'varianceThreshold',
    'adaptiveSteps',
    'adaptiveIters',
  ]);
  if (typeof o.adaptive === 'string') o.adaptive = o.adaptive === 'true';
  if (!Number.isInteger(o.epochs) || o.epochs < 1)
    throw new InputError('epochs must be a positive integer', { code: 'E_OPTION', field: 'epochs', got: o.epochs });
  return o;
}

/**
 * Trains TAPE.
 *
 * @param ref labelled cells x genes raw counts, or null with paired training data.
 * @throws InputError for bad options or data; AbortError on `signal`.
 * @example
 * const fitted = await tape.fit(cells, { labelsKey: 'cell_type', seed: 0 });
 * const res = await fitted.deconvolve(bulk, { options: { adaptive: false } });
 */
async function fitTape(ref: Dataset | null, opts: FitOptions<TapeOptions>): Promise<TapeFitted> {
  const o = resolveOptions(opts);
  const seed = opts.seed ?? 0;
  await ensureBackend(o.backend);
  const rng = new Rng(seed);
  const t0 = performance.now();
  const raw = await baselineTrainingSet(ref, o, opts, seed);
  // TAPE's variance filter on the (simulated) training matrix, then ln + per-sample scaling.
  const keep = o.varianceThreshold < 1 ? tapeVarianceFilter(raw.X, o.varianceThreshold) : Int32Array.from(raw.genes, (_, j) => j);
  const X = tapeScale(raw.X.selectCols(keep), o.scaler);
  const genes = Array.from(keep, (j) => raw.genes[j] as string);
  const Y = toFloat32(raw.Y);
  const simSeconds = (performance.now() - t0) / 1000;
  const model = new TapeAutoEncoder(X.cols, Y.cols, rng.fork('init'), o.arch);
  const shuffle = rng.fork('shuffle');
  const dropRng = rng.fork('dropout');
  const n = X.rows;
  const bs = Math.min(o.batchSize, n);
  const xb = new Float32Array(bs * X.cols);
  const yb = new Float32Array(bs * Y.cols);
  type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };
  function* batches(): Generator<Batch> {
    // DataLoader(shuffle=True, drop_last=False).
    for (const idx of epochBatches(n, bs, shuffle)) yield tensorBatch(X, Y, idx, xb, yb);
  }
  const t1 = performance.now();
  let history: TrainHistory;
  try {
    history = await trainLoop<Batch>({
      epochs: o.epochs,
      variables: model.params().map(([, v]) => v),
      optimizer: { lr: o.lr, eps: 1e-8, weightDecay: 0 },
      trainBatches: () => batches(),
      batchesPerEpoch: Math.ceil(n / bs),
      batchSize: (b) => b.x.shape[0],
      loss: (b) => {
        const l = tapeLoss(model.forward(b.x, 'train', dropRng), b.x, b.y);
        return { loss: l.loss, terms: { prop: l.prop, recon: l.recon } };
      },
      disposeBatch: (b) => tf.dispose([b.x, b.y]),
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  const last = history.epochs.at(-1)?.train;
  return new TapeFitted(genes, raw.cellTypes, model, o, seed, {
    trainingSet: { ...raw.description, genesAfterVarianceFilter: genes.length },
    simulateSeconds: simSeconds,
    trainSeconds: (performance.now() - t1) / 1000,
    steps: history.steps,
    finalLoss: last?.loss,
    finalPropL1: last?.prop,
    finalReconL1: last?.recon,
  });
}

/** Loads a saved TAPE model (JSON manifest + float32 weights; no code is evaluated). */
async function loadTape(dir: string): Promise<TapeFitted> {
  let config = TAPE_DEFAULTS;
  const { manifest, model, seed, history } = await loadSingleModel(dir, 'tape', (m) => {
    config = { ...TAPE_DEFAULTS, ...((m.config ?? {}) as Partial<TapeOptions>) };
    return new TapeAutoEncoder(m.genes.length, m.cellTypes.length, new Rng(0), config.arch);
  });
  return new TapeFitted(manifest.genes, manifest.cellTypes, model, config, seed, history);
}

/** Registry entry of TAPE. */
export const tape: MethodSpec<TapeOptions> = baselineSpec({
  ...TAPE_INFO,
  defaults: TAPE_DEFAULTS,
  quickOptions: TAPE_QUICK,
  options: TAPE_SCHEMA,
  fit: fitTape,
  load: loadTape,
});
