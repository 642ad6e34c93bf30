/**
 * Training Scaden's three ensemble members, sequentially on the main thread or in parallel on
 * worker threads (one member per worker; the largest member first). Each member is seeded from the
 * run's seed and its name only, so both ways give the same weights.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AbortError, CelldeconvError } from '../../../core/errors.js';
import type { LongRunOptions } from '../../../core/progress.js';
import { Rng } from '../../../core/rng.js';
import type { DenseMatrix } from '../../../data/dense.js';
import { backendInfo } from '../../../nn/backend.js';
import type { TrainHistory } from '../../../nn/trainer.js';
import { Mlp, type MlpConfig } from '../common-baselines/mlp.js';
import { trainMlpSteps } from '../common-baselines/mlp-train.js';
import { variablesToWeights, type WeightArray } from '../model-io.js';

/** One member's training job (plain data: it crosses the worker boundary). */
export interface MemberTask {
  member: string;
  config: MlpConfig;
  rows: number;
  cols: number;
  nTypes: number;
  X: Float32Array;
  Y: Float32Array;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  backend?: string;
}

/** A trained member: its weights and history. */
export interface MemberResult {
  weights: [string, WeightArray][];
  history: TrainHistory;
  seconds: number;
}

/** The stream of member `name` for run seed `seed` (the same on any thread). */
export function memberRng(seed: number, name: string): Rng {
  return new Rng(seed).fork(`scaden.${name}`);
}

/** Trains one member in this thread. */
export async function trainMember(
  task: MemberTask,
  data: { X: DenseMatrix<Float32Array>; Y: DenseMatrix<Float32Array> },
  onStep?: (step: number) => void,
  signal?: AbortSignal,
): Promise<MemberResult> {
  const t0 = performance.now();
  const rng = memberRng(task.seed, task.member);
  const mlp = new Mlp(task.member, task.cols, task.nTypes, task.config, rng.fork('init'));
  try {
    const history = await trainMlpSteps(mlp, data, {
      steps: task.steps,
      batchSize: task.batchSize,
      lr: task.lr,
      rng: rng.fork('train'),
      signal,
      onProgress: onStep ? (e) => onStep(e.step) : undefined,
    });
    return { weights: [...variablesToWeights(mlp.params()).entries()], history, seconds: (performance.now() - t0) / 1000 };
  } finally {
    mlp.dispose();
  }
}

/**
 * Starts a training worker. From compiled JS it runs `train-worker.js`; when running the TypeScript
 * sources through tsx (tests, `npm run celldeconv`), the worker first registers tsx's ESM loader,
 * because a worker does not inherit the parent's `--import tsx` hooks.
 */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./train-worker.js', import.meta.url));
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./train-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, {
    eval: true,
  });
}

/** Relative cost of a member per step (multiply-adds of its layers), to schedule the largest first. */
function cost(task: MemberTask): number {
  let fan = task.cols;
  let c = 0;
  for (const h of task.config.hidden) {
    c += fan * h;
    fan = h;
  }
  return c + fan * task.nTypes;
}

/**
 * Trains the members, in parallel worker threads when `parallel` is 'workers' (or 'auto' with at
 * least 2 cores), else one after the other.
 *
 * @returns the members' results in task order, and whether workers were used.
 * @throws AbortError when `signal` aborts; CelldeconvError `E_WORKER` when a worker fails.
 */
export async function trainMembers(
  tasks: MemberTask[],
  data: { X: DenseMatrix<Float32Array>; Y: DenseMatrix<Float32Array> },
  parallel: 'auto' | 'workers' | 'sequential',
  opts: LongRunOptions = {},
): Promise<{ results: MemberResult[]; workers: number }> {
  const total = tasks.reduce((a, t) => a + t.steps, 0);
  const done = new Map<string, number>();
  const report = () => {
    let s = 0;
    for (const v of done.values()) s += v;
    opts.onProgress?.({ stage: 'train', step: s, total, label: 'scaden' });
  };
  const nWorkers = parallel === 'sequential' ? 0 : Math.min(tasks.length, Math.max(parallel === 'workers' ? 2 : 1, availableParallelism()));
  if (nWorkers < 2) {
    const results: MemberResult[] = [];
    for (const t of tasks) {
      results.push(
        await trainMember(
          t,
          data,
          (step) => {
            done.set(t.member, step);
            report();
          },
          opts.signal,
        ),
      );
    }
    return { results, workers: 0 };
  }
  const backend = tasks[0]?.backend ?? backendInfo()?.name;
  const order = tasks.map((_, i) => i).sort((a, b) => cost(tasks[b] as MemberTask) - cost(tasks[a] as MemberTask));
  const results: (MemberResult | undefined)[] = new Array(tasks.length);
  let next = 0;
  const workers: Worker[] = [];
  let failed: unknown;
  const onAbort = () => {
    failed = new AbortError();
    for (const w of workers) void w.terminate();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw new AbortError();
    await Promise.all(
      Array.from({ length: nWorkers }, async () => {
        const w = spawnWorker();
        workers.push(w);
        try {
          while (next < order.length && failed === undefined) {
            const i = order[next++] as number;
            const t = { ...(tasks[i] as MemberTask), backend };
            results[i] = await new Promise<MemberResult>((resolve, reject) => {
              const onMsg = (m: { type: string; step?: number; message?: string; code?: string } & Partial<MemberResult>) => {
                if (m.type === 'progress') {
                  done.set(t.member, m.step ?? 0);
                  report();
                } else if (m.type === 'done') {
                  w.off('message', onMsg);
                  resolve({
                    weights: m.weights as [string, WeightArray][],
                    history: m.history as TrainHistory,
                    seconds: m.seconds as number,
                  });
                } else if (m.type === 'error') {
                  w.off('message', onMsg);
                  reject(
                    new CelldeconvError(`Scaden member ${t.member} failed in its worker: ${m.message}`, { code: m.code ?? 'E_WORKER' }),
                  );
                }
              };
              w.on('message', onMsg);
              w.once('error', reject);
              w.once('exit', (code) => reject(failed ?? new CelldeconvError(`worker exited with code ${code}`, { code: 'E_WORKER' })));
              // Copies X and Y into the worker (structured clone); the main thread keeps its own.
              w.postMessage(t);
            });
          }
        } finally {
          await w.terminate();
        }
      }),
    );
  } catch (e) {
    throw failed ?? e;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (failed) throw failed;
  return { results: results as MemberResult[], workers: nWorkers };
}
