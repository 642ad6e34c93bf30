/**
 * `celldeconv worker`: computes benchmark cells from a job queue (`celldeconv benchmark --queue`),
 * on this or any other machine that reaches the Redis server, until Ctrl-C (the current cell goes
 * back to the queue) or `--max-jobs`.
 */
import '../../methods/all-methods.js';
import { optNumber, optString, reqString } from '../args.js';
import type { CommandSpec } from '../command.js';
import { loadReference } from '../reference.js';

export const workerCommand: CommandSpec = {
  name: 'worker',
  summary: 'Compute benchmark cells from a job queue (see benchmark --queue)',
  details: [
    'Examples:',
    '  celldeconv worker --queue redis://10.0.0.5:6379',
    '  celldeconv worker --queue redis://127.0.0.1:6379 --max-jobs 10',
    'Run any number of workers, on any machines that reach the Redis server and see the benchmark',
    '--out directory at the same path (the reference is read from its path, or from <out>/inputs/<sha256>,',
    'and checked by content hash). Ctrl-C hands the current cell back to the queue.',
  ].join('\n'),
  options: {
    queue: { type: 'string', description: 'Redis URL of the job queue', valueName: 'redis://HOST:PORT' },
    'queue-name': { type: 'string', description: 'Queue name', default: 'celldeconv-benchmark', valueName: 'NAME' },
    'lock-seconds': {
      type: 'string',
      description: 'Job lock; a dead worker loses its job to another after this long',
      default: '60',
      valueName: 'S',
    },
    'max-jobs': { type: 'string', description: 'Stop after this many jobs (default: until Ctrl-C)', valueName: 'N' },
  },
  async run({ args, out, signal }) {
    const url = reqString(args, 'queue', 'Pass --queue redis://HOST:PORT (the URL given to benchmark --queue)');
    const maxJobs = optString(args, 'max-jobs') === undefined ? undefined : optNumber(args, 'max-jobs', 1, { integer: true, min: 1 });
    // bullmq is loaded only here and by benchmark --queue.
    const { runQueueWorker } = await import('../../benchmark/queue/worker.js');
    const summary = await runQueueWorker({
      url,
      name: optString(args, 'queue-name'),
      lockSeconds: optNumber(args, 'lock-seconds', 60, { min: 1 }),
      maxJobs,
      signal,
      loadReference,
      onProgress: out.progress(),
      onLog: (line) => out.info(line),
    });
    out.result(summary);
    out.print(`worker: ${summary.completed} job(s) done, ${summary.failed} failed`);
    return 0;
  },
};
