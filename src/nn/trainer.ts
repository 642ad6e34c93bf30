/**
 * The shared training loop of every deep model (scvi-tools' TrainingPlan + TrainRunner, without the
 * mixin stack): epochs of mini-batches, Adam, KL warm-up, per-epoch validation, early stopping,
 * progress events with the loss terms, cancellation through an AbortSignal.
 *
 * Memory: each step runs inside `tf.tidy` (through `tf.variableGrads`), and batch tensors are
 * disposed by the loop, so `tf.memory().numTensors` after `train` equals its value before plus the
 * model's own variables (tested).
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import { InputError } from '../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Adam, type AdamOptions } from './adam.js';

/** What a loss function returns: the scalar to minimise and named terms to report. */
export interface LossOutput {
  /** Scalar loss (the gradient is taken of it). */
  loss: tf.Scalar;
  /** Named scalars for progress and history (e.g. reconstruction, kl, mixup). */
  terms: Record<string, tf.Scalar>;
}

/** Context passed to a loss function. */
export interface StepContext {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based global step (number of optimiser updates so far). */
  step: number;
  /** KL weight for this epoch (warm-up schedule). */
  klWeight: number;
  /** True during training steps, false during validation (dropout off). */
  training: boolean;
}

/**
 * KL warm-up as in scvi-tools' TrainingPlan: weight = min(1, epoch / nEpochsKlWarmup) (epoch 0-based,
 * updated per epoch); `nEpochsKlWarmup` ≤ 0 or undefined → always `max`.
 *
 * @example
 * ```ts
 * klWeightAt(99, { nEpochs: 400 }); // 0.2475
 * ```
 */
export function klWeightAt(epoch: number, warmup?: { nEpochs?: number; min?: number; max?: number }): number {
  const max = warmup?.max ?? 1;
  const min = warmup?.min ?? 0;
  const n = warmup?.nEpochs;
  if (!n || n <= 0) return max;
  return Math.min(max, min + ((max - min) * epoch) / n);
}

/** Early stopping on a validation (or training) metric. */
export interface EarlyStopping {
  /** Metric name, e.g. 'val_loss' or 'loss'. Validation metrics are prefixed `val_`. */
  monitor: string;
  /** Epochs without improvement before stopping (scvi-tools default 45). */
  patience: number;
  /** Minimum change counted as an improvement (default 0). */
  minDelta?: number;
  /** 'min' (default) or 'max'. */
  mode?: 'min' | 'max';
}

/** One epoch of the training history. */
export interface EpochRecord {
  epoch: number;
  /** Mean of each loss term over the epoch's training batches (and 'loss'). */
  train: Record<string, number>;
  /** Validation metrics (as returned by `validate`), when run. */
  val?: Record<string, number>;
  klWeight: number;
  seconds: number;
}

/** The full history, saved in model manifests. */
export interface TrainHistory {
  epochs: EpochRecord[];
  steps: number;
  stoppedEarly: boolean;
  /** Samples processed per second over the run (when the loop knows batch sizes). */
  samplesPerSecond?: number;
}

/** Options of {@link trainLoop}. `B` is whatever the model's batches are. */
export interface TrainLoopOptions<B> extends LongRunOptions {
  /** Number of epochs (≥ 1). */
  epochs: number;
  /** Variables the optimiser updates. */
  variables: tf.Variable[];
  /** Adam settings (scvi-tools defaults when absent). */
  optimizer?: AdamOptions;
  /** The batches of one epoch; called once per epoch. */
  trainBatches: (epoch: number) => Iterable<B>;
  /** Number of batches per epoch, for progress totals (optional). */
  batchesPerEpoch?: number;
  /** Samples in a batch, for throughput (optional). */
  batchSize?: (b: B) => number;
  /** Loss of one batch. Called synchronously inside `tf.variableGrads` (so inside a tidy). */
  loss?: (batch: B, ctx: StepContext) => LossOutput;
  /**
   * Alternative to `loss` for data-parallel training: computes the loss value, its named terms and the
   * gradients (aligned with `variables`; the loop applies and disposes them), e.g. by averaging
   * gradients computed by worker threads on parts of the batch.
   */
  computeGradients?: (batch: B, ctx: StepContext) => Promise<{ loss: number; terms: Record<string, number>; grads: tf.Tensor[] }>;
  /** Frees a batch's tensors after its step. */
  disposeBatch?: (b: B) => void;
  /** Validation after each epoch; returns named numbers (prefixed `val_` in events and early stopping). */
  validate?: (ctx: StepContext) => Record<string, number> | Promise<Record<string, number>>;
  /** KL warm-up (default: none, weight 1). */
  klWarmup?: { nEpochs?: number; min?: number; max?: number };
  /** Early stopping (default: off). */
  earlyStopping?: EarlyStopping;
  /** Called after each epoch with its record (e.g. for logging). */
  onEpochEnd?: (rec: EpochRecord) => void;
}

/**
 * Runs the training loop and returns the history. The variables are updated in place.
 *
 * @throws {@link InputError} for `epochs < 1`; {@link AbortError} when `signal` aborts (checked
 *   between steps; the variables keep their last values).
 */
export async function trainLoop<B>(opts: TrainLoopOptions<B>): Promise<TrainHistory> {
  if (!(opts.epochs >= 1) || !Number.isInteger(opts.epochs)) {
    throw new InputError('epochs must be a positive integer', { code: 'E_EPOCHS', field: 'epochs', got: opts.epochs, expected: '>= 1' });
  }
  const optimizer = new Adam(opts.variables, opts.optimizer);
  const history: TrainHistory = { epochs: [], steps: 0, stoppedEarly: false };
  const total = opts.batchesPerEpoch !== undefined ? opts.batchesPerEpoch * opts.epochs : undefined;
  const report = throttledProgress(opts.onProgress, 'train', total, undefined, 200);
  const es = opts.earlyStopping;
  let best = Number.NaN;
  let bad = 0;
  let samples = 0;
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const te = performance.now();
      const klWeight = klWeightAt(epoch, opts.klWarmup);
      const sums: Record<string, number> = {};
      let nb = 0;
      for (const batch of opts.trainBatches(epoch)) {
        const ctx: StepContext = { epoch, step: history.steps, klWeight, training: true };
        let terms: Record<string, tf.Scalar> = {};
        try {
          // Inside the try so that the batch already produced is disposed on abort.
          throwIfAborted(opts.signal);
          let lossVal: number;
          const metrics: Record<string, number> = {};
          if (opts.computeGradients) {
            const r = await opts.computeGradients(batch, ctx);
            optimizer.apply(r.grads);
            tf.dispose(r.grads);
            lossVal = r.loss;
            Object.assign(metrics, r.terms);
          } else {
            const lossFn = opts.loss;
            if (!lossFn) throw new Error('trainLoop needs loss or computeGradients');
            const { value, grads } = tf.variableGrads(() => {
              const out = lossFn(batch, ctx);
              // Keep the terms past the gradient's tidy; they are disposed right after reading.
              // (cloned: a term may be the loss tensor itself, which variableGrads hands back separately).
              terms = {};
              for (const [k, v] of Object.entries(out.terms)) terms[k] = tf.keep(tf.clone(v));
              return out.loss;
            }, opts.variables);
            optimizer.apply(grads);
            lossVal = (await value.data())[0] as number;
            value.dispose();
            tf.dispose(grads);
            for (const [k, v] of Object.entries(terms)) metrics[k] = (await v.data())[0] as number;
          }
          sums.loss = (sums.loss ?? 0) + lossVal;
          for (const [k, x] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + x;
          metrics.loss = lossVal;
          if (!Number.isFinite(lossVal)) {
            throw new InputError('training loss became non-finite', {
              code: 'E_NAN_LOSS',
              got: lossVal,
              field: `epoch ${epoch}, step ${history.steps}`,
              hint: 'Check the input for NaN/negative counts, or lower the learning rate',
            });
          }
          nb++;
          history.steps++;
          if (opts.batchSize) samples += opts.batchSize(batch);
          // The last step's event comes with the epoch summary below (one 'done' per run).
          // Throughput since the start, in rows (cells) per second: epoch time must stay linear in cells.
          if (opts.batchSize) metrics['cells/s'] = samples / Math.max(1e-9, (performance.now() - t0) / 1000);
          if (total === undefined || history.steps < total) report(history.steps, { epoch, ...metrics });
        } finally {
          tf.dispose(Object.values(terms));
          opts.disposeBatch?.(batch);
        }
        // Let timers and signal handlers run between steps.
        await new Promise<void>((r) => setImmediate(r));
      }
      const train: Record<string, number> = {};
      for (const [k, v] of Object.entries(sums)) train[k] = nb > 0 ? v / nb : Number.NaN;
      const rec: EpochRecord = { epoch, train, klWeight, seconds: 0 };
      if (opts.validate) {
        throwIfAborted(opts.signal);
        rec.val = await opts.validate({ epoch, step: history.steps, klWeight, training: false });
      }
      rec.seconds = (performance.now() - te) / 1000;
      history.epochs.push(rec);
      opts.onEpochEnd?.(rec);
      const epochMetrics: Record<string, number> = { epoch, ...train };
      if (opts.batchSize) epochMetrics['cells/s'] = samples / Math.max(1e-9, (performance.now() - t0) / 1000);
      if (rec.val) for (const [k, v] of Object.entries(rec.val)) epochMetrics[`val_${k}`] = v;
      opts.onProgress?.({ stage: 'train', step: history.steps, total, metrics: epochMetrics });
      if (es) {
        const v = epochMetrics[es.monitor];
        if (v !== undefined && Number.isFinite(v)) {
          const sign = es.mode === 'max' ? -1 : 1;
          if (Number.isNaN(best) || sign * (v - best) < -(es.minDelta ?? 0)) {
            best = v;
            bad = 0;
          } else if (++bad >= es.patience) {
            history.stoppedEarly = true;
            break;
          }
        }
      }
    }
  } finally {
    optimizer.dispose();
  }
  const secs = (performance.now() - t0) / 1000;
  if (opts.batchSize && secs > 0) history.samplesPerSecond = samples / secs;
  return history;
}
