/**
 * The one-group training loop used by the deconvolution networks (one Adam over one list of
 * variables, KL warm-up from `klWarmup`). A thin wrapper over the general loop of training.ts, kept
 * for its callers; new models use {@link train} with parameter groups directly.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions } from './adam.js';
import { linearWarmup } from './schedules.js';
import { type TrainHistory, type TrainOptions, train } from './training.js';

export type { EarlyStopping, EpochRecord, LossOutput, StepContext, TrainHistory } from './training.js';

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
  return linearWarmup(warmup)(epoch, 0);
}

/** Options of {@link trainLoop}: those of {@link train} with one group instead of `groups`. */
export interface TrainLoopOptions<B> extends Omit<TrainOptions<B>, 'groups' | 'klWeight'> {
  /** Variables the optimiser updates. */
  variables: tf.Variable[];
  /** Adam settings (scvi-tools defaults when absent). */
  optimizer?: AdamOptions;
  /** KL warm-up (default: none, weight 1). */
  klWarmup?: { nEpochs?: number; min?: number; max?: number };
}

/** Name of the single parameter group of {@link trainLoop} (checkpoints key optimiser states by it). */
export const SINGLE_GROUP = 'params';

/**
 * Runs the training loop with one parameter group and returns the history.
 *
 * @throws see {@link train}.
 */
export async function trainLoop<B>(opts: TrainLoopOptions<B>): Promise<TrainHistory> {
  const { variables, optimizer, klWarmup, ...rest } = opts;
  return train<B>({ ...rest, groups: [{ name: SINGLE_GROUP, variables, optimizer }], klWeight: linearWarmup(klWarmup) });
}
