/**
 * A Redis server for a test: the one `.ci/run` started (CELLDECONV_TEST_REDIS) when it answers, else
 * a throw-away redis-server started here: 127.0.0.1 only, a free high port, no persistence, its own
 * temporary directory. Returns `{ skip }` with the reason when none can be started.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

function findRedisServer(): string | undefined {
  // CELLDECONV_REDIS_SERVER names the binary (set it to a missing path to see the skip).
  const given = process.env.CELLDECONV_REDIS_SERVER;
  if (given !== undefined) return existsSync(given) ? given : undefined;
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

/** True when a Redis server answers PING at `url` within two seconds. */
async function reachable(url: string): Promise<boolean> {
  const { pingRedis } = await import('../../../src/benchmark/queue/connection.js');
  try {
    await pingRedis(url, 2000);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis | { skip: string }> {
  // .ci/run starts one and names it here; each test uses its own queue name on it.
  const given = process.env.CELLDECONV_TEST_REDIS;
  if (given && (await reachable(given))) return { url: given, stop: async () => {} };
  const bin = findRedisServer();
  if (!bin) return { skip: 'redis-server not found (Debian package redis-server; .ci/run installs it)' };
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'celldeconv-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      const onData = (c: Buffer) => {
        log += String(c);
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(t);
          resolve(true);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
      child.once('error', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    };
    if (ready) return { url: `redis://127.0.0.1:${port}`, stop };
    await stop();
    if (attempt === 2) return { skip: `redis-server did not start: ${log.trim().split('\n').slice(-2).join(' ')}` };
  }
  return { skip: 'redis-server did not start' };
}
