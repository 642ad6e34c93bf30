/**
 * Schedules: a number as a function of the 0-based epoch (and the global step), used for learning
 * rates and for the KL weight of VAEs. The KL warm-up of scvi-tools is `linearWarmup`.
 */

/** A value per epoch and global step. */
export type Schedule = (epoch: number, step: number) => number;

/** The same value throughout. */
export function constant(value: number): Schedule {
  return () => value;
}

/**
 * scvi-tools' KL warm-up: min(max, min + (max − min)·epoch/nEpochs) per epoch (0-based); nEpochs ≤ 0 or
 * absent → always `max`.
 *
 * @example
 * ```ts
 * linearWarmup({ nEpochs: 400 })(99, 0); // 0.2475
 * ```
 */
export function linearWarmup(w?: { nEpochs?: number; min?: number; max?: number }): Schedule {
  const max = w?.max ?? 1;
  const min = w?.min ?? 0;
  const n = w?.nEpochs;
  return (epoch) => (!n || n <= 0 ? max : Math.min(max, min + ((max - min) * epoch) / n));
}

/** `base · gamma^floor(epoch / every)` (PyTorch `StepLR`). */
export function stepDecay(base: number, every: number, gamma: number): Schedule {
  return (epoch) => base * gamma ** Math.floor(epoch / every);
}
