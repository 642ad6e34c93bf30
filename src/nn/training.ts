/**
 * The general training loop of every network (scvi-tools' TrainingPlan + TrainRunner, without the
 * mixin stack): epochs of mini-batches over parameter groups, each with its own Adam, learning-rate
 * schedule, frozen flag and stepping rule (per batch, or once per epoch with the gradients summed
 * over the epoch, as DGD does for its per-cell representations); a KL-weight schedule; per-epoch
 * validation; early stopping; progress events; checkpoints every N epochs and resumption from one;
 * cancellation through an AbortSignal.
 *
 * Parameter groups are dense (`variables`, tf.Variables) or row-sparse (`table`, an
 * {@link EmbeddingTable}): for a row group the loop gathers the batch's rows into a small variable
 * before the step (the loss reads it from `ctx.rows[group.name]`) and scatters its gradient back to
 * those rows only.
 *
 * Memory: each step runs inside `tf.variableGrads` (a tidy) and batch tensors are disposed by the
 * loop, so the tensor count after `train` equals the one before plus the model's own variables.
 *
 * @example
 * ```ts
 * const history = await train({
 *   epochs: 50,
 *   groups: [
 *     { name: 'decoder', variables: decoder.variables(), optimizer: { lr: 1e-3 } },
 *     { name: 'rep', table: reps, rows: (b) => b.cells, optimizer: { lr: 1e-2 }, stepEvery: 'epoch' },
 *   ],
 *   trainBatches: () => batches,
 *   loss: (b, ctx) => model.loss(b, ctx.rows.rep, ctx),
 *   checkpoint: { every: 5, save: (state) => writeCheckpoint(dir, state) },
 * });
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import { InputError } from '../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Adam, type AdamOptions, type AdamState } from './adam.js';
import { type EmbeddingTable, RowAdam, type RowAdamState } from './modules/embedding-table.js';
import { constant, type Schedule } from './schedules.js';

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
  /** 0-based global step (number of batches trained so far). */
  step: number;
  /** KL weight for this epoch (the `klWeight` schedule; 1 without one). */
  klWeight: number;
  /** True during training steps, false during validation (dropout off). */
  training: boolean;
  /** The batch's rows of each row-sparse group, by group name (`[batch, dim]`). */
  rows?: Record<string, tf.Tensor2D>;
}

/** How often a group's optimiser steps. */
export type StepEvery = 'batch' | 'epoch';

interface GroupCommon {
  /** Unique name (keys checkpoints and `ctx.rows`). */
  name: string;
  /** Adam settings (scvi-tools defaults when absent). */
  optimizer?: AdamOptions;
  /** Learning rate per epoch/step (overrides `optimizer.lr`). */
  lr?: Schedule;
  /** Frozen: no gradient is taken and the values stay as they are (e.g. DGD's decoder on new cells). */
  frozen?: boolean;
  /** 'batch' (default): one step per batch. 'epoch': gradients summed over the epoch, one step at its end. */
  stepEvery?: StepEvery;
}

/** A group of tf.Variables. */
export interface DenseGroup extends GroupCommon {
  variables: tf.Variable[];
}

/** A row-sparse group: the rows `rows(batch)` of an embedding table are trained at each step. */
export interface RowGroup<B> extends GroupCommon {
  table: EmbeddingTable;
  rows: (batch: B) => ArrayLike<number>;
}

export type ParamGroup<B> = DenseGroup | RowGroup<B>;

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

/** Everything the loop needs to continue a run exactly (the model adds its weights and RNG states). */
export interface LoopState {
  /** First epoch still to run. */
  nextEpoch: number;
  history: TrainHistory;
  earlyStopping: { best: number; bad: number };
  /** Optimiser state of each group, by group name. */
  optimizers: Record<string, AdamState | RowAdamState>;
}

/** A hook called after each epoch; `stop()` ends training after this epoch. */
export interface TrainCallback {
  onEpochEnd?(rec: EpochRecord, control: { stop(): void }): void | Promise<void>;
}

/** Options of {@link train}. `B` is whatever the model's batches are. */
export interface TrainOptions<B> extends LongRunOptions {
  /** Number of epochs (≥ 1), counting those of a resumed run. */
  epochs: number;
  groups: ParamGroup<B>[];
  /** The batches of one epoch; called once per epoch. */
  trainBatches: (epoch: number) => Iterable<B>;
  /** Number of batches per epoch, for progress totals (optional). */
  batchesPerEpoch?: number;
  /** Samples in a batch, for throughput (optional). */
  batchSize?: (b: B) => number;
  /** Loss of one batch. Called synchronously inside `tf.variableGrads` (so inside a tidy). */
  loss?: (batch: B, ctx: StepContext) => LossOutput;
  /**
   * Alternative to `loss` for data-parallel training (dense groups only): the loss value, its named
   * terms and the gradients aligned with the non-frozen groups' variables in group order (the loop
   * applies and disposes them).
   */
  computeGradients?: (batch: B, ctx: StepContext) => Promise<{ loss: number; terms: Record<string, number>; grads: tf.Tensor[] }>;
  /** Frees a batch's tensors after its step. */
  disposeBatch?: (b: B) => void;
  /** Validation after each epoch; returns named numbers (prefixed `val_` in events and early stopping). */
  validate?: (ctx: StepContext) => Record<string, number> | Promise<Record<string, number>>;
  /** KL weight per epoch (default: 1 throughout). */
  klWeight?: Schedule;
  /** Early stopping (default: off). */
  earlyStopping?: EarlyStopping;
  /** Called after each epoch with its record (e.g. for logging). */
  onEpochEnd?: (rec: EpochRecord) => void;
  callbacks?: TrainCallback[];
  /** Save a checkpoint after every `every`-th epoch (1-based count: epochs every, 2·every, ...). */
  checkpoint?: { every: number; save: (state: LoopState) => void | Promise<void> };
  /** Continue from a checkpoint's state (the caller has restored the weights and RNG streams). */
  resume?: LoopState;
}

type Optim = { kind: 'dense'; opt: Adam; acc?: tf.Variable[] } | { kind: 'rows'; opt: RowAdam; acc?: Float64Array; touched?: Uint8Array };

/**
 * Runs the training loop and returns the history. The variables and tables are updated in place.
 *
 * @throws {@link InputError} `E_EPOCHS` for `epochs < 1`, `E_NAN_LOSS` when the loss becomes
 *   non-finite; {@link AbortError} when `signal` aborts (checked between steps; the parameters keep
 *   their last values, the last checkpoint stays valid).
 */
export async function train<B>(opts: TrainOptions<B>): Promise<TrainHistory> {
  if (!(opts.epochs >= 1) || !Number.isInteger(opts.epochs)) {
    throw new InputError('epochs must be a positive integer', { code: 'E_EPOCHS', field: 'epochs', got: opts.epochs, expected: '>= 1' });
  }
  const names = new Set<string>();
  for (const g of opts.groups) {
    if (names.has(g.name)) throw new Error(`duplicate parameter group '${g.name}'`);
    names.add(g.name);
  }
  const optims: Optim[] = opts.groups.map((g) => {
    const perEpoch = g.stepEvery === 'epoch';
    if ('table' in g) {
      const n = g.table.data.length;
      return {
        kind: 'rows',
        opt: new RowAdam(g.table, g.optimizer),
        acc: perEpoch ? new Float64Array(n) : undefined,
        touched: perEpoch ? new Uint8Array(g.table.rows) : undefined,
      };
    }
    return {
      kind: 'dense',
      opt: new Adam(g.variables, g.optimizer),
      acc: perEpoch && !g.frozen ? g.variables.map((v) => tf.variable(tf.zerosLike(v), false)) : undefined,
    };
  });
  const r = opts.resume;
  if (r) {
    opts.groups.forEach((g, i) => {
      const s = r.optimizers[g.name];
      if (!s) throw new InputError(`checkpoint has no optimiser state for group '${g.name}'`, { code: 'E_CHECKPOINT', field: g.name });
      const o = optims[i] as Optim;
      if (o.kind === 'dense') o.opt.importState(s as AdamState);
      else o.opt.importState(s as RowAdamState);
    });
  }
  const history: TrainHistory = r
    ? { epochs: [...r.history.epochs], steps: r.history.steps, stoppedEarly: false }
    : { epochs: [], steps: 0, stoppedEarly: false };
  const klSchedule = opts.klWeight ?? constant(1);
  const total = opts.batchesPerEpoch !== undefined ? opts.batchesPerEpoch * opts.epochs : undefined;
  const report = throttledProgress(opts.onProgress, 'train', total, undefined, 200);
  const es = opts.earlyStopping;
  let best = r ? r.earlyStopping.best : Number.NaN;
  let bad = r ? r.earlyStopping.bad : 0;
  let samples = 0;
  const denseTrainable = opts.groups.flatMap((g) => ('table' in g || g.frozen ? [] : g.variables));
  const lrOf = (g: ParamGroup<B>, o: Optim, epoch: number) => (g.lr ? g.lr(epoch, history.steps) : o.opt.opts.lr);
  const t0 = performance.now();
  const stopRequested = { value: false };
  try {
    for (let epoch = r ? r.nextEpoch : 0; epoch < opts.epochs; epoch++) {
      const te = performance.now();
      const klWeight = klSchedule(epoch, history.steps);
      const sums: Record<string, number> = {};
      let nb = 0;
      for (const batch of opts.trainBatches(epoch)) {
        const ctx: StepContext = { epoch, step: history.steps, klWeight, training: true };
        let terms: Record<string, tf.Scalar> = {};
        const rowVars: (tf.Variable | undefined)[] = [];
        const rowIdx: (ArrayLike<number> | undefined)[] = [];
        try {
          // Inside the try so that the batch already produced is disposed on abort.
          throwIfAborted(opts.signal);
          let lossVal: number;
          const metrics: Record<string, number> = {};
          opts.groups.forEach((g, i) => {
            if (!('table' in g)) return;
            const idx = g.rows(batch);
            rowIdx[i] = idx;
            const v = g.table.gather(idx, !g.frozen);
            rowVars[i] = v;
            ctx.rows ??= {};
            ctx.rows[g.name] = v;
          });
          let grads: tf.NamedTensorMap | tf.Tensor[];
          if (opts.computeGradients) {
            if (rowVars.some((v) => v)) throw new Error('computeGradients does not support row-sparse groups');
            const res = await opts.computeGradients(batch, ctx);
            grads = res.grads;
            lossVal = res.loss;
            Object.assign(metrics, res.terms);
          } else {
            const lossFn = opts.loss;
            if (!lossFn) throw new Error('train needs loss or computeGradients');
            const list = [...denseTrainable, ...rowVars.filter((v): v is tf.Variable => v?.trainable === true)];
            const out = tf.variableGrads(() => {
              const o = lossFn(batch, ctx);
              // Keep the terms past the gradient's tidy; they are disposed right after reading.
              // (cloned: a term may be the loss tensor itself, which variableGrads hands back separately).
              terms = {};
              for (const [k, v] of Object.entries(o.terms)) terms[k] = tf.keep(tf.clone(v));
              return o.loss;
            }, list);
            grads = out.grads;
            lossVal = (await out.value.data())[0] as number;
            out.value.dispose();
          }
          try {
            await applyStep(opts.groups, optims, grads, rowVars, rowIdx, (g, o) => lrOf(g, o, epoch));
          } finally {
            tf.dispose(Array.isArray(grads) ? grads : Object.values(grads));
          }
          for (const [k, v] of Object.entries(terms)) metrics[k] = (await v.data())[0] as number;
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
          if (total === undefined || history.steps < total) report(history.steps, { epoch, ...metrics });
        } finally {
          tf.dispose(Object.values(terms));
          tf.dispose(rowVars.filter((v): v is tf.Variable => v !== undefined));
          opts.disposeBatch?.(batch);
        }
        // Let timers and signal handlers run between steps.
        await new Promise<void>((res) => setImmediate(res));
      }
      // Groups stepping once per epoch: one update with the gradients summed over the epoch.
      opts.groups.forEach((g, i) => {
        if (g.stepEvery !== 'epoch' || g.frozen) return;
        const o = optims[i] as Optim;
        const lr = lrOf(g, o, epoch);
        if (o.kind === 'dense' && o.acc) {
          o.opt.apply(o.acc, lr);
          for (const a of o.acc) a.assign(tf.zerosLike(a));
        } else if (o.kind === 'rows' && o.acc && o.touched) {
          o.opt.applyDense(o.acc, o.touched, lr);
          o.acc.fill(0);
          o.touched.fill(0);
        }
      });
      const trainRec: Record<string, number> = {};
      for (const [k, v] of Object.entries(sums)) trainRec[k] = nb > 0 ? v / nb : Number.NaN;
      const rec: EpochRecord = { epoch, train: trainRec, klWeight, seconds: 0 };
      if (opts.validate) {
        throwIfAborted(opts.signal);
        rec.val = await opts.validate({ epoch, step: history.steps, klWeight, training: false });
      }
      rec.seconds = (performance.now() - te) / 1000;
      history.epochs.push(rec);
      opts.onEpochEnd?.(rec);
      for (const cb of opts.callbacks ?? [])
        await cb.onEpochEnd?.(rec, {
          stop: () => {
            stopRequested.value = true;
          },
        });
      const epochMetrics: Record<string, number> = { epoch, ...trainRec };
      if (rec.val) for (const [k, v] of Object.entries(rec.val)) epochMetrics[`val_${k}`] = v;
      opts.onProgress?.({ stage: 'train', step: history.steps, total, metrics: epochMetrics });
      let stop = stopRequested.value;
      if (es) {
        const v = epochMetrics[es.monitor];
        if (v !== undefined && Number.isFinite(v)) {
          const sign = es.mode === 'max' ? -1 : 1;
          if (Number.isNaN(best) || sign * (v - best) < -(es.minDelta ?? 0)) {
            best = v;
            bad = 0;
          } else if (++bad >= es.patience) {
            history.stoppedEarly = true;
            stop = true;
          }
        }
      }
      if (opts.checkpoint && (epoch + 1) % opts.checkpoint.every === 0) {
        await opts.checkpoint.save({
          nextEpoch: stop ? opts.epochs : epoch + 1,
          history: { ...history, epochs: [...history.epochs] },
          earlyStopping: { best, bad },
          optimizers: Object.fromEntries(opts.groups.map((g, i) => [g.name, (optims[i] as Optim).opt.exportState()])),
        });
      }
      if (stop) break;
    }
  } finally {
    for (const o of optims) {
      if (o.kind === 'dense') {
        o.opt.dispose();
        if (o.acc) tf.dispose(o.acc);
      }
    }
  }
  const secs = (performance.now() - t0) / 1000;
  if (opts.batchSize && secs > 0) history.samplesPerSecond = samples / secs;
  return history;
}

/** Applies (or accumulates, for per-epoch groups) one batch's gradients to every non-frozen group. */
async function applyStep<B>(
  groups: ParamGroup<B>[],
  optims: Optim[],
  grads: tf.NamedTensorMap | tf.Tensor[],
  rowVars: (tf.Variable | undefined)[],
  rowIdx: (ArrayLike<number> | undefined)[],
  lrOf: (g: ParamGroup<B>, o: Optim) => number,
): Promise<void> {
  let k = 0; // position in an array of gradients (computeGradients: dense groups in order)
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as ParamGroup<B>;
    const o = optims[i] as Optim;
    if (g.frozen) continue;
    if (o.kind === 'dense' && !('table' in g)) {
      const gs = Array.isArray(grads) ? g.variables.map(() => grads[k++]) : g.variables.map((v) => grads[v.name]);
      if (o.acc) {
        tf.tidy(() => {
          gs.forEach((gr, j) => {
            const a = (o.acc as tf.Variable[])[j] as tf.Variable;
            if (gr) a.assign(tf.add(a, gr));
          });
        });
      } else {
        o.opt.apply(gs, lrOf(g, o));
      }
    } else if (o.kind === 'rows') {
      const v = rowVars[i] as tf.Variable;
      const gr = Array.isArray(grads) ? undefined : grads[v.name];
      if (!gr) continue;
      const data = (await gr.data()) as Float32Array;
      const idx = rowIdx[i] as ArrayLike<number>;
      if (o.acc && o.touched) {
        const D = o.opt.table.dim;
        for (let r = 0; r < idx.length; r++) {
          const row = idx[r] as number;
          o.touched[row] = 1;
          for (let d = 0; d < D; d++) o.acc[row * D + d]! += data[r * D + d] as number;
        }
      } else {
        o.opt.apply(idx, data, lrOf(g, o));
      }
    }
  }
}
