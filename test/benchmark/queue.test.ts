/**
 * The queue path end to end, against a real redis-server started here (127.0.0.1, a free port): a
 * benchmark with --queue is computed by two `celldeconv worker` child processes, one of which is
 * killed (SIGKILL) in the middle of a job; the other takes the job over once its lock expires, and
 * the sweep's results are byte-identical to the in-process run; an unreachable input is retried and
 * then fails the sweep with a typed error. Skipped, with the reason, only when
 * no redis-server can be started.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { contentHash } from '../../src/benchmark/queue/inputs.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { cli } from '../helpers/cli.js';
import { startRedis, type TestRedis } from './queue/redis.js';
import { registerSlowMethod, SLOW_METHOD } from './queue/slow-method.js';
import { syntheticCells } from './synthetic.js';

registerSlowMethod();
const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-queue-'));
const ref = join(tmp, 'ref.h5ad');
let redis: TestRedis | undefined;
let skipReason: string | undefined;
const children: ChildProcess[] = [];

before(async () => {
  const r = await startRedis();
  if ('skip' in r) skipReason = r.skip;
  else redis = r;
  await writeH5ad(ref, syntheticCells([40, 30, 20], 60, 3).ds);
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface WorkerChild {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

function startWorker(url: string, queueName: string): WorkerChild {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'test/benchmark/queue/worker-child.ts'),
      'worker',
      '--queue',
      url,
      '--queue-name',
      queueName,
      '--lock-seconds',
      '2',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(proc);
  let text = '';
  proc.stdout?.on('data', (c) => {
    text += String(c);
  });
  proc.stderr?.on('data', (c) => {
    text += String(c);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, log: () => text, exited };
}

const sweep = [
  '--labels',
  'cell_type',
  '--methods',
  `nnls,ols,${SLOW_METHOD}`,
  '--n',
  '20',
  '--cells',
  '30',
  '--cells-grid',
  '10',
  '--seed',
  '7',
];

test('benchmark --queue with two workers, one killed mid-job, gives the in-process results', { timeout: 180_000 }, async (t) => {
  if (!redis) {
    t.skip(`no redis-server: ${skipReason}`);
    return;
  }
  const local = join(tmp, 'local');
  const r0 = await cli(['benchmark', '--reference', ref, ...sweep, '--out', local]);
  assert.equal(r0.code, 0, r0.err);

  const queueName = `test-${process.pid}`;
  const workers = [startWorker(redis.url, queueName), startWorker(redis.url, queueName)];
  // Kill the first worker that starts a slow cell, while it is waiting inside the job.
  let killed: { index: number; label: string } | undefined;
  const watch = setInterval(() => {
    if (killed) return;
    workers.forEach((w, index) => {
      const m = new RegExp(`start (${SLOW_METHOD} \\[[^\\]]+\\] n=\\d+ \\(\\d+/\\d+\\))`).exec(w.log());
      if (m && !killed) {
        w.proc.kill('SIGKILL');
        killed = { index, label: m[1] as string };
      }
    });
  }, 20);
  const shared = join(tmp, 'shared');
  let r1: Awaited<ReturnType<typeof cli>>;
  try {
    r1 = await cli(['benchmark', '--reference', ref, ...sweep, '--out', shared, '--queue', redis.url, '--queue-name', queueName]);
  } finally {
    clearInterval(watch);
  }
  const logs = workers.map((w) => w.log()).join('\n----\n');
  assert.equal(r1.code, 0, `${r1.err}\n${logs}`);
  assert.ok(killed, `no worker was killed mid-job:\n${logs}`);
  const survivor = workers[1 - killed.index] as WorkerChild;
  assert.equal(await workers[killed.index]?.exited, null, 'the killed worker died by the signal');
  // The survivor took the killed worker's job over after its lock expired.
  assert.ok(survivor.log().includes(`start ${killed.label}`), survivor.log());
  assert.ok(survivor.log().includes(`done ${killed.label}`), survivor.log());

  for (const f of ['results.csv', 'results_by_cell_type.csv', 'summary.csv']) {
    assert.equal(readFileSync(join(shared, f), 'utf8'), readFileSync(join(local, f), 'utf8'), `${f} differs from the in-process run`);
  }
  // Every cell's outcome was also written to the shared directory, and the reference staged by hash.
  assert.equal(readdirSync(join(shared, 'cells')).filter((f) => f.endsWith('.json')).length, 6);
  assert.ok(existsSync(join(shared, 'inputs', `${contentHash(ref)}.h5ad`)));
  assert.match(r1.err, /benchmark nnls \[fine\] n=10 \(1\/6\): done/);

  // A re-run with the same arguments takes everything from the state file (no job is queued).
  const r2 = await cli(['benchmark', '--reference', ref, ...sweep, '--out', shared, '--queue', redis.url, '--queue-name', queueName]);
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.err, /6 method x setting cells taken from the state file/);

  // Ctrl-C stops the surviving worker cleanly.
  survivor.proc.kill('SIGINT');
  assert.equal(await survivor.exited, 0, survivor.log());
  assert.match(survivor.log(), /worker: \d+ job\(s\) done, 0 failed/);
});

test('benchmark --queue with an unreachable server or a bad URL fails with a typed error', async () => {
  const bad = await cli(['benchmark', '--reference', ref, ...sweep, '--out', join(tmp, 'x'), '--queue', 'http://127.0.0.1:1']);
  assert.equal(bad.code, 3, bad.err);
  assert.match(bad.err, /E_QUEUE_URL.*redis:\/\/HOST:PORT/);
  const down = await cli(['benchmark', '--reference', ref, ...sweep, '--out', join(tmp, 'y'), '--queue', 'redis://127.0.0.1:1']);
  assert.equal(down.code, 3, down.err);
  assert.match(down.err, /E_QUEUE_CONNECT.*cannot reach the Redis server.*redis-server/);
});

test('bullmq and ioredis are imported only dynamically (start-up and library import stay free of them)', () => {
  const src = join(root, 'src');
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const offenders = files.filter((f) =>
    /^\s*(import|export)\s[^;]*from\s+['"](bullmq|ioredis)['"]/m.test(readFileSync(join(src, f), 'utf8')),
  );
  assert.deepEqual(offenders, []);
  const dynamic = files.filter((f) => /import\(['"](bullmq|ioredis)['"]\)/.test(readFileSync(join(src, f), 'utf8')));
  assert.deepEqual(dynamic.sort(), [join('benchmark', 'queue', 'connection.ts')]);
});

test('a job whose reference no worker can reach is retried, then fails the sweep with E_QUEUE_JOB', { timeout: 60_000 }, async (t) => {
  if (!redis) {
    t.skip(`no redis-server: ${skipReason}`);
    return;
  }
  const { copyFileSync, unlinkSync } = await import('node:fs');
  const { readH5ad } = await import('../../src/io/h5ad/read.js');
  const { runBenchmark } = await import('../../src/benchmark/runner.js');
  const { queueExecutor } = await import('../../src/benchmark/queue/executor.js');
  const { locateReference } = await import('../../src/benchmark/queue/inputs.js');
  const { runQueueWorker } = await import('../../src/benchmark/queue/worker.js');
  const gone = join(tmp, 'gone.h5ad');
  copyFileSync(ref, gone);
  const reference = await readH5ad(gone);
  const locator = locateReference(gone, false);
  unlinkSync(gone); // not staged either: no worker can load it
  const name = `test-fail-${process.pid}`;
  const stop = new AbortController();
  const log: string[] = [];
  const worker = runQueueWorker({
    url: redis.url,
    name,
    loadReference: (p) => readH5ad(p),
    signal: stop.signal,
    onLog: (l) => log.push(l),
  });
  try {
    await assert.rejects(
      runBenchmark({
        reference,
        labelsKey: 'cell_type',
        methods: ['nnls'],
        nSamples: 10,
        nCells: 20,
        outDir: join(tmp, 'fail-out'),
        executor: queueExecutor({ url: redis.url, name, reference: locator, stageInputs: false, attempts: 2, backoffMs: 50 }),
      }),
      (e: unknown) =>
        (e as { code?: string }).code === 'E_QUEUE_JOB' &&
        /1 of 1 benchmark job\(s\) failed on the queue after 2 attempts/.test((e as Error).message) &&
        /not reachable from this worker/.test((e as Error).message),
    );
  } finally {
    stop.abort();
  }
  assert.deepEqual(await worker, { completed: 0, failed: 2 });
  assert.equal(log.filter((l) => l.startsWith('failed nnls [fine] n=20')).length, 2, log.join('\n'));
});
