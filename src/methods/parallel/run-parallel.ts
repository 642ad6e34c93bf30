/**
 * Solving independent bulk samples on worker threads (`node:worker_threads`).
 *
 * Each worker imports the solver module itself (by URL and export name), runs `prepare` once and
 * `solve` on its contiguous block of samples. Because `solve` is a pure function of
 * `(prepared, y)`, the bytes are identical to the single-thread path.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AbortError, InputError } from '../../core/errors.js';

/** Total estimated work (flops) below which one thread is used: worker start-up (~50-300 ms) would not pay off. */
export const PARALLEL_MIN_FLOPS = 3e8;
/** Same threshold when running from TypeScript sources (tsx): each worker then compiles the modules again (~1 s). */
export const PARALLEL_MIN_FLOPS_TSX = 1e9;
/** Threshold when two pooled workers are already running (no start-up to pay). */
export const PARALLEL_MIN_FLOPS_WARM = 3e7;

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
  /** The job this message answers. */
  id: number;
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
  // Workers already started (pooled) cost only the message round trip.
  const warm = pool.length - busy.size >= 2;
  const min = warm ? PARALLEL_MIN_FLOPS_WARM : import.meta.url.endsWith('.ts') ? PARALLEL_MIN_FLOPS_TSX : PARALLEL_MIN_FLOPS;
  return nSamples * costPerSample >= min ? 2 : 1;
}

/**
 * The worker entry. From dist it is plain JS. Under tsx (running from src/*.ts) `--import tsx` in a
 * worker's execArgv is not honoured by every Node 20 release, so a tiny eval'd bootstrap registers
 * tsx's ESM loader in the worker and then imports the TypeScript entry.
 */
function createWorker(): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  if (!isTs) return new Worker(new URL('./solve-worker.js', import.meta.url));
  const entry = new URL('./solve-worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

/**
 * A small pool of solver workers kept for the life of the process: starting a worker costs tens of
 * milliseconds from dist and about a second under tsx, so repeated calls (`--method all`, the
 * benchmark, many bulks) pay it once. Idle workers are unref'd and never keep the process alive.
 */
const pool: Worker[] = [];
const busy = new Set<Worker>();
let nextJobId = 1;

function acquire(n: number): Worker[] {
  const got: Worker[] = [];
  for (const w of pool) {
    if (got.length === n) break;
    if (!busy.has(w)) got.push(w);
  }
  while (got.length < n) {
    const w = createWorker();
    w.on('error', () => discard(w));
    w.on('exit', () => discard(w));
    pool.push(w);
    got.push(w);
  }
  for (const w of got) {
    busy.add(w);
    w.ref();
  }
  return got;
}

function release(w: Worker): void {
  busy.delete(w);
  w.unref();
}

function discard(w: Worker): void {
  busy.delete(w);
  const i = pool.indexOf(w);
  if (i >= 0) pool.splice(i, 1);
}

/** Terminates the pooled workers (tests, or a host that wants its threads back now). */
export async function shutdownSolverPool(): Promise<void> {
  const ws = pool.splice(0, pool.length);
  busy.clear();
  await Promise.all(ws.map((w) => w.terminate()));
}

/**
 * Solves `job.rows` on `job.threads` pooled workers, each taking a contiguous block.
 *
 * @throws AbortError when `job.signal` aborts (the busy workers are terminated); the worker's error otherwise.
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
  const workers = acquire(T);
  const doneBy = new Array<number>(T).fill(0);
  const report = () => job.onDone?.(doneBy.reduce((a, b) => a + b, 0));
  const tasks: Promise<void>[] = [];
  const cleanups: (() => void)[] = [];
  for (let t = 0; t < T; t++) {
    const start = Math.floor((t * n) / T);
    const end = Math.floor(((t + 1) * n) / T);
    const Yc = new Float64Array((end - start) * G);
    for (let k = start; k < end; k++) {
      const i = job.rows[k]!;
      Yc.set(job.Y.subarray(i * G, (i + 1) * G), (k - start) * G);
    }
    const w = workers[t]!;
    const id = nextJobId++;
    tasks.push(
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: WorkerMessage) => {
          if (m.id !== id) return;
          if (m.type === 'progress') {
            doneBy[t] = m.done ?? 0;
            report();
          } else if (m.type === 'done') {
            out.raw.set(m.raw!, start * C);
            out.iterations.set(m.iterations!, start);
            out.converged.set(m.converged!, start);
            for (const k of job.extraKeys) out.extra[k]!.set(m.extra![k]!, start);
            doneBy[t] = end - start;
            report();
            resolve();
          } else if (m.error?.code) {
            // A typed error from the solver (e.g. a bad per-sample option): keep its code.
            reject(new InputError(m.error.message, { code: m.error.code }));
          } else {
            const e = new Error(m.error?.message ?? 'worker failed');
            e.name = m.error?.name ?? 'Error';
            reject(e);
          }
        };
        const onError = (e: Error) => reject(e);
        const onExit = (code: number) =>
          reject(job.signal?.aborted ? new AbortError() : new Error(`solver worker exited with code ${code}`));
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
      }),
    );
    w.postMessage(
      {
        type: 'job',
        id,
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
  }
  const onAbort = () => {
    for (const w of workers) void w.terminate();
  };
  job.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(tasks);
  } catch (e) {
    // A failed or cancelled worker may be mid-job: do not reuse any of this call's workers.
    for (const w of workers) {
      discard(w);
      void w.terminate();
    }
    if (job.signal?.aborted) throw new AbortError();
    throw e;
  } finally {
    job.signal?.removeEventListener('abort', onAbort);
    for (const c of cleanups) c();
  }
  for (const w of workers) release(w);
  return out;
}
