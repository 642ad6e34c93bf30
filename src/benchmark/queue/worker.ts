/**
 * The queue worker behind `celldeconv worker`: takes benchmark cells from the BullMQ queue one at a
 * time, computes them with the same {@link CellComputer} as the in-process run, writes each outcome
 * atomically to `<out>/cells/<job id>.json` when the shared output directory is mounted here, and
 * returns it through Redis to the coordinator.
 *
 * A worker keeps the reference, split, simulations and fits of the sweep it is working on, so
 * consecutive cells of one granularity share a fit. It holds a lock on its job while computing; if
 * it dies, the lock expires after `lockSeconds` and another worker takes the job over.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { ProgressEvent } from '../../core/progress.js';
import type { Dataset } from '../../data/dataset.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { getMethod } from '../../methods/registry.js';
import { CellComputer, type CellOutcome, methodSettingsHash } from '../jobs.js';
import { connectionOptions, DEFAULT_QUEUE_NAME, loadBullmq, pingRedis, type QueueConnection } from './connection.js';
import { type ReferenceLocator, resolveReference } from './inputs.js';
import { CELLS_DIR, QUEUE_PROTOCOL, type QueueJobData } from './protocol.js';

/** Options of {@link runQueueWorker}. */
export interface QueueWorkerOptions extends QueueConnection {
  /** Reads a reference from a path (or a bundled name); the CLI passes its `loadReference`. */
  loadReference: (pathOrName: string, signal?: AbortSignal) => Promise<Dataset>;
  /**
   * Seconds a job's lock lasts without renewal (default 60). The lock is renewed while the worker's
   * event loop runs; a worker that dies (or blocks longer than this) loses the job to another worker.
   */
  lockSeconds?: number;
  /** Stop after this many jobs (default: run until `signal` aborts). */
  maxJobs?: number;
  /** Stops the worker: the current job goes back to the queue (no attempt used) and the call returns. */
  signal?: AbortSignal;
  /** Progress of the current job (also sent to the coordinator, at most twice a second). */
  onProgress?: (e: ProgressEvent) => void;
  /** One line per job started / finished, for the worker's log. */
  onLog?: (line: string) => void;
}

/** What {@link runQueueWorker} returns when it stops. */
export interface QueueWorkerSummary {
  completed: number;
  failed: number;
}

/**
 * Processes benchmark jobs until `signal` aborts (or `maxJobs` are done).
 *
 * @throws {@link InputError} `E_QUEUE_URL`, `E_QUEUE_CONNECT`. A job's own errors (`E_QUEUE_INPUT`
 *   when the reference is not reachable here, `E_QUEUE_VERSION` for another celldeconv version, a
 *   method's input errors) fail that job attempt; BullMQ retries it, possibly on another worker.
 * @example
 * await runQueueWorker({ url: 'redis://10.0.0.5:6379', loadReference, signal });
 */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerSummary> {
  await pingRedis(opts.url);
  const bq = await loadBullmq();
  const name = opts.name ?? DEFAULT_QUEUE_NAME;
  const log = (s: string) => opts.onLog?.(s);
  const lockMs = Math.max(1, opts.lockSeconds ?? 60) * 1000;
  let sweep: { key: string; computer: CellComputer } | undefined;
  const summary: QueueWorkerSummary = { completed: 0, failed: 0 };
  const stopping = new AbortController();
  const onAbort = () => stopping.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const computerFor = async (d: QueueJobData): Promise<CellComputer> => {
    const key = `${d.runId}|${d.reference.sha256 ?? d.reference.name}`;
    if (sweep?.key === key) return sweep.computer;
    sweep?.computer.releaseGranularity();
    sweep = undefined;
    const path = resolveReference(d.reference, d.outDir);
    log(`loading reference ${path}`);
    const reference = await opts.loadReference(path, stopping.signal);
    sweep = { key, computer: new CellComputer(reference, d.settings) };
    return sweep.computer;
  };

  const processor = async (
    job: { id?: string; data: QueueJobData; updateProgress(p: object): Promise<void>; moveToWait(token?: string): Promise<number> },
    token?: string,
  ): Promise<CellOutcome> => {
    const d = job.data;
    if (d.protocol !== QUEUE_PROTOCOL) {
      throw new InputError('job written by another celldeconv version', {
        code: 'E_QUEUE_VERSION',
        got: d.protocol,
        expected: QUEUE_PROTOCOL,
        hint: 'Run the same celldeconv version on the coordinator and every worker',
      });
    }
    const here = methodSettingsHash(getMethod(d.job.method), d.settings.quick);
    if (here !== d.methodHash) {
      throw new InputError(`method '${d.job.method}' has other default settings on this worker`, {
        code: 'E_QUEUE_VERSION',
        got: here,
        expected: d.methodHash,
        hint: 'Run the same celldeconv version on the coordinator and every worker',
      });
    }
    log(`start ${d.job.label}`);
    const t0 = Date.now();
    let lastSent = 0;
    const onProgress = (e: ProgressEvent) => {
      opts.onProgress?.(e);
      const now = Date.now();
      if (now - lastSent >= 500 || (e.total !== undefined && e.step >= e.total)) {
        lastSent = now;
        void job.updateProgress({ ...e }).catch(() => {});
      }
    };
    try {
      const computer = await computerFor(d);
      const outcome = await computer.compute(d.job, { signal: stopping.signal, onProgress });
      if (existsSync(d.outDir)) {
        // The shared output directory is mounted here: keep the outcome next to the results.
        mkdirSync(join(d.outDir, CELLS_DIR), { recursive: true });
        writeFileAtomic(join(d.outDir, CELLS_DIR, `${job.id}.json`), `${JSON.stringify(outcome)}\n`);
      }
      log(
        `done ${d.job.label} in ${((Date.now() - t0) / 1000).toFixed(1)} s${outcome.failure ? ` (method failed at ${outcome.failure.stage}: ${outcome.failure.message})` : ''}`,
      );
      return outcome;
    } catch (e) {
      if (stopping.signal.aborted) {
        // Stopped on purpose: hand the job back untouched instead of spending one of its attempts.
        await job.moveToWait(token);
        throw new bq.WaitingError();
      }
      throw e;
    }
  };

  const worker = new bq.Worker<QueueJobData, CellOutcome>(name, processor, {
    connection: connectionOptions(opts.url, true),
    concurrency: 1,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
    maxStalledCount: 2,
  });
  const done = new Promise<void>((resolve) => {
    const check = () => {
      if (opts.maxJobs !== undefined && summary.completed + summary.failed >= opts.maxJobs) stopping.abort();
    };
    worker.on('completed', () => {
      summary.completed++;
      check();
    });
    worker.on('failed', (job, err) => {
      if (err?.name === 'WaitingError') return;
      summary.failed++;
      log(`failed ${job?.data.job.label ?? job?.id}: ${err?.message}`);
      check();
    });
    stopping.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  worker.on('error', (e) => log(`queue error: ${e.message}`));
  log(`worker ${process.pid} waiting for jobs on queue '${name}'`);
  try {
    await done;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await worker.close();
    sweep?.computer.releaseGranularity();
  }
  return summary;
}

/** Re-exported for the CLI. */
export type { ReferenceLocator };
