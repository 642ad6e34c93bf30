/**
 * Worker-thread entry of data-parallel scVI/MixupVI training (see shards.ts): holds its own tfjs backend and
 * a copy of the network; per step it reads the current weights from shared memory, computes one
 * shard's gradients and sends them back.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.js';
import { initBackend } from '../../nn/backend.js';
// MixupVAE with mixupPenalty 'none' is scVI exactly, so one class serves both models.
import { MixupVAE } from '../mixupvi/module.js';
import type { VaeConfig } from './module.js';
import { type ShardInput, shardGradients } from './shards.js';

/** Messages from the main thread. */
export type StepWorkerRequest =
  | { type: 'init'; config: VaeConfig; backend: string; weights: SharedArrayBuffer }
  | { type: 'step'; id: number; shard: ShardInput };

let vae: MixupVAE | undefined;
let weights: Float32Array | undefined;

function loadWeights(): void {
  if (!vae || !weights) return;
  let off = 0;
  for (const v of vae.variables()) {
    const t = tf.tensor(weights.subarray(off, off + v.size), v.shape, 'float32');
    v.assign(t);
    t.dispose();
    off += v.size;
  }
}

parentPort?.on('message', async (m: StepWorkerRequest) => {
  try {
    if (m.type === 'init') {
      await initBackend(m.backend);
      vae = new MixupVAE(m.config, new Rng(0));
      weights = new Float32Array(m.weights);
      parentPort?.postMessage({ type: 'ready' });
      return;
    }
    if (!vae) throw new Error('step before init');
    loadWeights();
    const r = shardGradients(vae, m.shard);
    parentPort?.postMessage(
      { type: 'result', id: m.id, loss: r.loss, terms: r.terms, grads: r.grads },
      r.grads.map((g) => g.buffer as ArrayBuffer),
    );
  } catch (e) {
    parentPort?.postMessage({ type: 'error', id: (m as { id?: number }).id, message: (e as Error)?.stack ?? String(e) });
  }
});
