/**
 * Inverted dropout whose mask is drawn in JavaScript from our seeded `Rng` and uploaded once.
 *
 * Why not `nn/dense.ts` `dropout`: that one draws the mask with `tf.randomUniform`, whose seeded
 * generator runs element by element in JS through seedrandom and costs ~7 ms for a 128 x 1024 mask
 * on wasm (measured), a third of a Scaden m1024 forward pass. xoshiro128** fills the same mask in
 * well under a millisecond. Same semantics: kept entries are scaled by 1/(1 − rate).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../core/rng.js';

/**
 * `x` with each entry zeroed with probability `rate`, the rest scaled by 1/(1 − rate).
 *
 * @param x any tensor (call inside a tidy / gradient scope; the mask is a constant).
 * @param rate drop probability in [0, 1); 0 returns `x` itself.
 * @param rng stream of the mask (advanced by x.size draws).
 */
export function rngDropout<T extends tf.Tensor>(x: T, rate: number, rng: Rng): T {
  if (rate <= 0) return x;
  const n = x.size;
  const mask = new Float32Array(n);
  const scale = 1 / (1 - rate);
  // One 32-bit draw per entry: P(u < rate) = rate up to 2^-32.
  const threshold = rate * 4294967296;
  for (let i = 0; i < n; i++) mask[i] = rng.nextUint32() >= threshold ? scale : 0;
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32')) as T;
}
