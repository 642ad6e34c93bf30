/**
 * A small pool of step workers (step-worker.ts) for data-parallel MixupVI training: weights go through
 * one SharedArrayBuffer written by the main thread before each step; each worker computes the gradients
 * of one shard. Workers are started with tsx's loader when running from TypeScript sources (tests,
 * `npm run celldeconv`), as the Scaden ensemble does.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../../core/errors.js';
import type { VaeConfig } from './module.js';
import type { ShardInput, ShardResult } from './shards.js';

function spawn(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./step-worker.js', import.meta.url));
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./step-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, {
    eval: true,
  });
}

/** Worker threads that compute shard gradients. */
export class StepWorkerPool {
  private readonly workers: Worker[];
  private readonly weights: Float32Array;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: ShardResult) => void; reject: (e: Error) => void }>();

  private constructor(workers: Worker[], weights: Float32Array) {
    this.workers = workers;
    this.weights = weights;
    for (const w of workers) {
      w.on(
        'message',
        (m: { type: string; id?: number; loss?: number; terms?: Record<string, number>; grads?: Float32Array[]; message?: string }) => {
          if (m.id === undefined) return;
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          if (m.type === 'result') p.resolve({ loss: m.loss as number, terms: m.terms ?? {}, grads: m.grads ?? [] });
          else p.reject(new BackendError('a training worker failed', { code: 'E_WORKER', got: m.message?.split('\n')[0] }));
        },
      );
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    }
  }

  /**
   * Starts `n` workers with a copy of the network.
   *
   * @param nParams - Total number of float parameters (size of the shared weights buffer).
   */
  static async create(n: number, config: VaeConfig, backend: string, nParams: number): Promise<StepWorkerPool> {
    const sab = new SharedArrayBuffer(nParams * 4);
    const workers = Array.from({ length: n }, spawn);
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              const onMsg = (m: { type: string; message?: string }) => {
                if (m.type === 'ready') {
                  w.off('message', onMsg);
                  resolve();
                } else if (m.type === 'error')
                  reject(new BackendError('a training worker failed to start', { code: 'E_WORKER', got: m.message }));
              };
              w.on('message', onMsg);
              w.once('error', reject);
              w.postMessage({ type: 'init', config, backend, weights: sab });
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new StepWorkerPool(workers, new Float32Array(sab));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Copies the current values of `vars` (in order) into the shared weights buffer. */
  writeWeights(vars: tf.Variable[]): void {
    let off = 0;
    for (const v of vars) {
      this.weights.set(v.dataSync() as Float32Array, off);
      off += v.size;
    }
  }

  /** Gradients of `shard` computed by worker `k`. */
  run(k: number, shard: ShardInput): Promise<ShardResult> {
    const id = this.nextId++;
    const w = this.workers[k % this.workers.length] as Worker;
    return new Promise<ShardResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ type: 'step', id, shard }, [shard.x.buffer as ArrayBuffer]);
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
