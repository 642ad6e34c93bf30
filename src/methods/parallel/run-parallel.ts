/**
 * Solving independent bulk samples on worker threads (`node:worker_threads`).
 *
 * Each worker imports the solver module itself (by URL and export name), runs `prepare` once and
 * `solve` on its contiguous block of samples. Because `solve` is a pure function of
 * `(prepared, y)`, the bytes are identical to the single-thread path.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AbortError } from '../../core/errors.js';

/** Total estimated work (flops) below which one thread is used: worker start-up (~50-300 ms) would not pay off. */
export const PARALLEL_MIN_FLOPS = 3e8;
/** Same threshold when running from TypeScript sources (tsx): each worker then compiles the modules again (~1 s). */
export const PARALLEL_MIN_FLOPS_TSX = 1e9;

/** Where a worker finds the solver. */
export interface WorkerSolverLocation {
  module: string;
  exportName: string;
}

/** A batch of samples for {@link solveSamplesInWorkers}. */
export interface ParallelJob {
  location: WorkerSolverLocation;
  /** genes x types, row-major. */
  S: Float64Array;
  nGenes: number;
  nTypes: number;
  /** Method options (structured-cloneable). */
  options: unknown;
  seed: number;
  /** All samples x nGenes, row-major; only `rows` are solved. */
  Y: Float64Array;
  rows: Int32Array;
  threads: number;
  extraKeys: readonly string[];
  signal?: AbortSignal;
  /** Called with the number of samples done so far. */
  onDone?: (done: number) => void;
}

/** Per-row results, in the order of `job.rows`. */
export interface ParallelResult {
  raw: Float64Array;
  iterations: Int32Array;
  converged: Uint8Array;
  extra: Record<string, Float64Array>;
}

/** Message a worker posts back. */
export interface WorkerMessage {
  type: 'progress' | 'done' | 'error';
  done?: number;
  raw?: Float64Array;
  iterations?: Int32Array;
  converged?: Uint8Array;
  extra?: Record<string, Float64Array>;
  error?: { name: string; message: string; code?: string };
}

/**
 * How many threads to use: `requested` 1 = this thread; >= 2 = that many workers (at most one
 * per sample); 0 = two workers when the machine has 2+ cores and the work is large enough.
 */
export function chooseThreads(requested: number, nSamples: number, costPerSample: number, canUseWorkers: boolean): number {
  if (!canUseWorkers || requested === 1 || nSamples < 2) return 1;
  if (requested >= 2) return Math.min(Math.floor(requested), nSamples);
  if (availableParallelism() < 2 || nSamples < 8) return 1;
  const min = import.meta.url.endsWith('.ts') ? PARALLEL_MIN_FLOPS_TSX : PARALLEL_MIN_FLOPS;
  return nSamples * costPerSample >= min ? 2 : 1;
}

/**
 * The worker entry. From dist it is plain JS. Under tsx (running from src/*.ts) `--import tsx` in a
 * worker's execArgv is not honoured by every Node 20 release, so a tiny eval'd bootstrap registers
 * tsx's ESM loader in the worker and then imports the TypeScript entry.
 */
function createWorker(workerData: unknown, transferList: ArrayBuffer[]): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  if (!isTs) return new Worker(new URL('./solve-worker.js', import.meta.url), { workerData, transferList });
  const entry = new URL('./solve-worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

/**
 * Solves `job.rows` on `job.threads` workers, each taking a contiguous block.
 *
 * @throws AbortError when `job.signal` aborts (workers are terminated); the worker's error otherwise.
 */
export async function solveSamplesInWorkers(job: ParallelJob): Promise<ParallelResult> {
  const n = job.rows.length;
  const C = job.nTypes;
  const G = job.nGenes;
  const T = Math.max(1, Math.min(job.threads, n));
  const out: ParallelResult = {
    raw: new Float64Array(n * C),
    iterations: new Int32Array(n),
    converged: new Uint8Array(n),
    extra: Object.fromEntries(job.extraKeys.map((k) => [k, new Float64Array(n)])),
  };
  const workers: Worker[] = [];
  const doneBy = new Array<number>(T).fill(0);
  const report = () => job.onDone?.(doneBy.reduce((a, b) => a + b, 0));
  const tasks: Promise<void>[] = [];
  for (let t = 0; t < T; t++) {
    const start = Math.floor((t * n) / T);
    const end = Math.floor(((t + 1) * n) / T);
    const Yc = new Float64Array((end - start) * G);
    for (let k = start; k < end; k++) {
      const i = job.rows[k]!;
      Yc.set(job.Y.subarray(i * G, (i + 1) * G), (k - start) * G);
    }
    const w = createWorker(
      {
        location: job.location,
        S: job.S,
        nGenes: G,
        nTypes: C,
        options: job.options,
        seed: job.seed,
        Y: Yc,
        nRows: end - start,
        rows: job.rows.slice(start, end),
        extraKeys: job.extraKeys,
      },
      [Yc.buffer],
    );
    workers.push(w);
    tasks.push(
      new Promise<void>((resolve, reject) => {
        let finished = false;
        w.on('message', (m: WorkerMessage) => {
          if (m.type === 'progress') {
            doneBy[t] = m.done ?? 0;
            report();
          } else if (m.type === 'done') {
            finished = true;
            out.raw.set(m.raw!, start * C);
            out.iterations.set(m.iterations!, start);
            out.converged.set(m.converged!, start);
            for (const k of job.extraKeys) out.extra[k]!.set(m.extra![k]!, start);
            doneBy[t] = end - start;
            report();
            resolve();
          } else {
            finished = true;
            const e = new Error(m.error?.message ?? 'worker failed');
            e.name = m.error?.name ?? 'Error';
            reject(e);
          }
        });
        w.on('error', (e) => {
          finished = true;
          reject(e);
        });
        w.on('exit', (code) => {
          if (!finished) reject(job.signal?.aborted ? new AbortError() : new Error(`solver worker exited with code ${code}`));
        });
      }),
    );
  }
  const onAbort = () => {
    for (const w of workers) void w.terminate();
  };
  job.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(tasks);
  } catch (e) {
    for (const w of workers) void w.terminate();
    if (job.signal?.aborted) throw new AbortError();
    throw e;
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
  }
  for (const w of workers) void w.terminate();
  return out;
}
