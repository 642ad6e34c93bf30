/** Shared helpers of the neural-engine tests: run a suite on every installed backend. */
import * as tf from '@tensorflow/tfjs-core';
import { availableBackends, initBackend } from '../../src/nn/backend.js';

let cached: string[] | undefined;

/** Backends installed here (tfjs-node when present, wasm, cpu). */
export async function backendsUnderTest(): Promise<string[]> {
  cached ??= await availableBackends();
  return cached;
}

/** Switches to `name` and returns the tensor count to compare against after the test. */
export async function useBackend(name: string): Promise<number> {
  await initBackend(name);
  return tf.memory().numTensors;
}

/** Max relative error |a-b| / max(|b|, floor). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs((a[i] as number) - (b[i] as number)) / Math.max(Math.abs(b[i] as number), floor);
    if (e > m || Number.isNaN(e)) m = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return m;
}
