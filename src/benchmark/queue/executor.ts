/**
 * The queue executor of the benchmark runner: enqueues one BullMQ job per grid cell and collects the
 * outcomes that `celldeconv worker` processes (on any number of machines) return.
 *
 * Retries: a job that throws is retried (`attempts`, exponential back-off); a worker that dies
 * mid-job loses its lock, and another worker takes the job over after the lock expires. Jobs have
 * stable ids (see `jobIdOf`), so a coordinator restarted with the same arguments re-attaches to the
 * jobs still queued and picks up the results of those already done; a job that failed for good in an
 * earlier run is queued again.
 */
import { AbortError, InputError } from '../../core/errors.js';
import type { ProgressEvent } from '../../core/progress.js';
import { getMethod } from '../../methods/registry.js';
import type { BenchmarkExecutor, BenchmarkJob, CellOutcome, ExecutorContext } from '../jobs.js';
import { methodSettingsHash } from '../jobs.js';
import { connectionOptions, DEFAULT_QUEUE_NAME, loadBullmq, pingRedis, type QueueConnection, redactUrl } from './connection.js';
import { type ReferenceLocator, stageReference } from './inputs.js';
import { jobIdOf, QUEUE_PROTOCOL, type QueueJobData, runIdOf } from './protocol.js';

/** Options of {@link queueExecutor}. */
export interface QueueExecutorOptions extends QueueConnection {
  /** The benchmark's reference, as workers will find it (see `locateReference`). */
  reference: ReferenceLocator;
  /** Tries per job before it fails for good (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled at each retry (default 2000). */
  backoffMs?: number;
  /** Copy (or link) the reference into `<out>/inputs/` for workers without the original path (default true). */
  stageInputs?: boolean;
}

/**
 * A {@link BenchmarkExecutor} that runs the jobs on a BullMQ queue in Redis.
 *
 * @throws {@link InputError} `E_QUEUE_URL`, `E_QUEUE_CONNECT` (from `run`), `E_QUEUE_JOB` when jobs
 *   failed for good (after the other jobs finished; their results are kept for a re-run);
 *   {@link AbortError} when cancelled (queued jobs stay on the queue for a re-run to pick up).
 * @example
 * const executor = queueExecutor({ url: 'redis://127.0.0.1:6379', reference: locateReference('ref.h5ad', false) });
 * await runBenchmark({ reference, labelsKey: 'cell_type', methods: ['nnls'], outDir: '/shared/bench', executor });
 */
export function queueExecutor(opts: QueueExecutorOptions): BenchmarkExecutor {
  return { run: (jobs, ctx) => runOnQueue(opts, jobs, ctx) };
}

async function runOnQueue(opts: QueueExecutorOptions, jobs: readonly BenchmarkJob[], ctx: ExecutorContext): Promise<void> {
  await pingRedis(opts.url);
  const bq = await loadBullmq();
  const name = opts.name ?? DEFAULT_QUEUE_NAME;
  const emit = (e: ProgressEvent) => ctx.onProgress?.(e);
  if (opts.stageInputs ?? true) stageReference(opts.reference, ctx.outDir);
  const runId = runIdOf(ctx.settingsHash, ctx.settings.seed);
  const quick = ctx.settings.quick;
  const byId = new Map<string, BenchmarkJob>();
  for (const job of jobs) byId.set(jobIdOf(runId, opts.reference, job.key), job);

  const queue = new bq.Queue<QueueJobData, CellOutcome>(name, { connection: connectionOptions(opts.url) });
  const events = new bq.QueueEvents(name, { connection: connectionOptions(opts.url) });
  const finished = new Set<string>();
  const failed: { job: BenchmarkJob; reason: string }[] = [];
  let settle: (() => void) | undefined;
  const allDone = new Promise<void>((r) => {
    settle = r;
  });
  const finish = (id: string, outcome: CellOutcome | undefined, reason?: string) => {
    const job = byId.get(id);
    if (!job || finished.has(id)) return;
    finished.add(id);
    if (outcome) {
      ctx.onOutcome(outcome);
      if (outcome.cell || outcome.failure?.stage === 'deconvolve') emit({ stage: 'benchmark', step: 1, total: 1, label: job.label });
    } else failed.push({ job, reason: reason ?? 'failed' });
    emit({ stage: 'queue', step: finished.size, total: byId.size, label: name });
    if (finished.size === byId.size) settle?.();
  };
  const onAbort = () => settle?.();
  try {
    // Listen before adding, so that no completion can be missed; then look at jobs that finished earlier.
    events.on('active', ({ jobId }) => {
      const job = byId.get(jobId);
      if (job && !finished.has(jobId)) emit({ stage: 'benchmark', step: 0, total: 1, label: job.label });
    });
    events.on('progress', ({ jobId, data }) => {
      if (byId.has(jobId) && data && typeof data === 'object' && 'stage' in data) emit(data as unknown as ProgressEvent);
    });
    events.on('completed', ({ jobId, returnvalue }) => finish(jobId, returnvalue as unknown as CellOutcome));
    events.on('failed', ({ jobId, failedReason }) => finish(jobId, undefined, failedReason));
    await events.waitUntilReady();
    const attempts = opts.attempts ?? 3;
    await queue.addBulk(
      [...byId.entries()].map(([jobId, job]) => ({
        name: `${job.method} [${job.granularity.name}] n=${job.nCells}`,
        data: {
          protocol: QUEUE_PROTOCOL,
          runId,
          reference: opts.reference,
          settings: ctx.settings,
          job,
          methodHash: methodSettingsHash(getMethod(job.method), quick),
          outDir: ctx.outDir,
        },
        opts: {
          jobId,
          attempts,
          backoff: { type: 'exponential', delay: opts.backoffMs ?? 2000 },
          // Results stay a week, so a restarted coordinator collects them without recomputing.
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
    for (const id of byId.keys()) {
      const j = await queue.getJob(id);
      if (!j) continue;
      const state = await j.getState();
      if (state === 'completed') finish(id, j.returnvalue);
      else if (state === 'failed') await j.retry('failed'); // failed for good in an earlier run: try again
    }
    emit({ stage: 'queue', step: finished.size, total: byId.size, label: name });
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    await allDone;
    if (ctx.signal?.aborted) throw new AbortError();
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
    await events.close();
    await queue.close();
  }
  if (failed.length > 0) {
    throw new InputError(`${failed.length} of ${byId.size} benchmark job(s) failed on the queue after ${opts.attempts ?? 3} attempts`, {
      code: 'E_QUEUE_JOB',
      field: 'queue',
      got: failed.slice(0, 3).map((f) => `${f.job.label}: ${f.reason}`),
      hint: `The finished cells are saved; fix the cause (see the workers' output) and run the same command again (queue '${name}' at ${redactUrl(opts.url)})`,
    });
  }
}
