/**
 * Training loops for MLPs (Scaden members, SimpleDNN) on the shared trainer of `nn/trainer.ts`.
 *
 * - {@link trainMlpSteps}: Scaden's schedule [SC scaden.py]: a fixed number of Adam steps over
 *   batches of 128 drawn from `shuffle().repeat().batch(128)`, so batches run across epoch
 *   boundaries. Scaden shuffles with a 1,000-sample buffer; we shuffle the whole set each pass (the
 *   same thing for the CLI default of 1,000 simulated samples).
 * - {@link trainMlpEpochs}: epochs with a validation set and early stopping (SimpleDNN's search);
 *   the weights of the best validation epoch are restored at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LongRunOptions } from '../../../core/progress.js';
import type { Rng } from '../../../core/rng.js';
import type { DenseMatrix } from '../../../data/dense.js';
import { batchTensor } from '../../../nn/batches.js';
import { epochBatches, repeatedBatches } from '../../../nn/sampler.js';
import { type TrainHistory, trainLoop } from '../../../nn/trainer.js';
import { type Mlp, mseLoss } from './mlp.js';

/** Inputs (already preprocessed) and targets of a training set. */
export interface MlpTrainData {
  /** n x G preprocessed inputs. */
  X: DenseMatrix<Float32Array>;
  /** n x C target fractions. */
  Y: DenseMatrix<Float32Array>;
}

/** Adam settings shared by the MLP trainers (Keras defaults unless given). */
export interface MlpOptimOptions {
  /** Learning rate (Scaden 1e-4). */
  lr: number;
  /** Adam epsilon (Keras 1e-7). */
  eps?: number;
  batchSize: number;
}

interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/**
 * Trains `mlp` for `steps` Adam updates with MSE loss (Scaden's schedule).
 *
 * @param rng stream of the shuffling and the dropout masks (forked by name).
 * @returns the trainer's history (one "epoch" holding all steps).
 */
export async function trainMlpSteps(
  mlp: Mlp,
  data: MlpTrainData,
  opts: MlpOptimOptions & LongRunOptions & { steps: number; rng: Rng },
): Promise<TrainHistory> {
  const n = data.X.rows;
  const bs = Math.min(opts.batchSize, n);
  const order = repeatedBatches(n, bs, opts.rng.fork('shuffle'));
  const dropRng = opts.rng.fork('dropout');
  const xb = new Float32Array(bs * data.X.cols);
  const yb = new Float32Array(bs * data.Y.cols);
  function* batches(): Generator<Batch> {
    for (let s = 0; s < opts.steps; s++) {
      const idx = order.next().value as Int32Array;
      yield { x: batchTensor(data.X, idx, xb), y: batchTensor(data.Y, idx, yb) };
    }
  }
  return trainLoop<Batch>({
    epochs: 1,
    variables: mlp.variables(),
    optimizer: { lr: opts.lr, eps: opts.eps ?? 1e-7, weightDecay: 0 },
    trainBatches: () => batches(),
    batchesPerEpoch: opts.steps,
    batchSize: (b) => b.x.shape[0],
    loss: (b) => ({ loss: mseLoss(mlp.predict(b.x, dropRng), b.y), terms: {} }),
    disposeBatch: (b) => tf.dispose([b.x, b.y]),
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
}

/** Softmax predictions of `mlp` (dropout off) for n x G inputs, in chunks; returns n x C Float32. */
export function predictMlp(mlp: Mlp, X: DenseMatrix<Float32Array>, chunk = 512): Float32Array {
  const C = mlp.out.outputs;
  const out = new Float32Array(X.rows * C);
  for (let s = 0; s < X.rows; s += chunk) {
    const e = Math.min(X.rows, s + chunk);
    const p = tf.tidy(() => mlp.predict(tf.tensor2d(X.data.subarray(s * X.cols, e * X.cols), [e - s, X.cols])));
    out.set(p.dataSync() as Float32Array, s * C);
    p.dispose();
  }
  return out;
}

/** MSE of `mlp`'s predictions on a data set. */
export function evalMse(mlp: Mlp, data: MlpTrainData): number {
  const p = predictMlp(mlp, data.X);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += ((p[i] as number) - (data.Y.data[i] as number)) ** 2;
  return s / p.length;
}

/**
 * Trains `mlp` by epochs with MSE loss, validation MSE after each epoch, early stopping on it, and
 * restores the best epoch's weights.
 *
 * @returns history plus the best validation MSE and its epoch.
 */
export async function trainMlpEpochs(
  mlp: Mlp,
  train: MlpTrainData,
  validation: MlpTrainData,
  opts: MlpOptimOptions & LongRunOptions & { epochs: number; patience: number; rng: Rng },
): Promise<{ history: TrainHistory; bestValMse: number; bestEpoch: number }> {
  const n = train.X.rows;
  const bs = Math.min(opts.batchSize, n);
  const shuffle = opts.rng.fork('shuffle');
  const dropRng = opts.rng.fork('dropout');
  const xb = new Float32Array(bs * train.X.cols);
  const yb = new Float32Array(bs * train.Y.cols);
  let best = Number.POSITIVE_INFINITY;
  let bestEpoch = -1;
  let snapshot: Float32Array[] | null = null;
  const vars = mlp.variables();
  function* batches(): Generator<Batch> {
    for (const idx of epochBatches(n, bs, shuffle)) yield { x: batchTensor(train.X, idx, xb), y: batchTensor(train.Y, idx, yb) };
  }
  const history = await trainLoop<Batch>({
    epochs: opts.epochs,
    variables: vars,
    optimizer: { lr: opts.lr, eps: opts.eps ?? 1e-7, weightDecay: 0 },
    trainBatches: () => batches(),
    batchesPerEpoch: Math.ceil(n / bs),
    batchSize: (b) => b.x.shape[0],
    loss: (b) => ({ loss: mseLoss(mlp.predict(b.x, dropRng), b.y), terms: {} }),
    disposeBatch: (b) => tf.dispose([b.x, b.y]),
    validate: (ctx) => {
      const mse = evalMse(mlp, validation);
      if (mse < best) {
        best = mse;
        bestEpoch = ctx.epoch;
        snapshot = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
      }
      return { loss: mse };
    },
    earlyStopping: { monitor: 'val_loss', patience: opts.patience },
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  const snap = snapshot as Float32Array[] | null;
  if (snap) {
    vars.forEach((v, i) => {
      const t = tf.tensor(snap[i] as Float32Array, v.shape, 'float32');
      v.assign(t);
      t.dispose();
    });
  }
  return { history, bestValMse: best, bestEpoch };
}
