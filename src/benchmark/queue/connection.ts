/**
 * The Redis connection of the job queue (BullMQ). bullmq and ioredis are imported here, lazily, only
 * when `--queue` or `celldeconv worker` is used, so the CLI and the library start without them.
 */
import { InputError } from '../../core/errors.js';

/** Default queue name (several sweeps may share it: job ids include the run's settings hash). */
export const DEFAULT_QUEUE_NAME = 'celldeconv-benchmark';

/** What the queue code needs to reach Redis. */
export interface QueueConnection {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  url: string;
  /** Queue name (default {@link DEFAULT_QUEUE_NAME}). */
  name?: string;
}

/**
 * Checks a queue URL.
 *
 * @throws {@link InputError} `E_QUEUE_URL` unless it is `redis://` or `rediss://` with a host.
 */
export function checkQueueUrl(url: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') {
    throw new InputError('not a Redis URL', {
      code: 'E_QUEUE_URL',
      field: 'queue',
      got: url,
      expected: 'redis://HOST:PORT (or rediss:// for TLS), e.g. redis://127.0.0.1:6379',
    });
  }
  return u;
}

/** The bullmq module, loaded on first use. */
export type Bullmq = typeof import('bullmq');

let bullmq: Promise<Bullmq> | undefined;

/** Imports bullmq (once). */
export function loadBullmq(): Promise<Bullmq> {
  bullmq ??= import('bullmq').catch((e: unknown) => {
    bullmq = undefined;
    throw missingDependency('bullmq', e);
  });
  return bullmq;
}

function missingDependency(name: string, cause: unknown): InputError {
  return new InputError(`the job queue needs the '${name}' package, which is not installed`, {
    code: 'E_QUEUE_DEPENDENCY',
    got: (cause as Error)?.message ?? String(cause),
    hint: "Run 'npm install' in the celldeconv directory (bullmq and ioredis are regular dependencies)",
    cause,
  });
}

/** bullmq connection options for a URL (ioredis parses it). */
export function connectionOptions(url: string, forWorker = false): { url: string; maxRetriesPerRequest?: null } {
  // Workers hold blocking connections: BullMQ needs maxRetriesPerRequest null there.
  return forWorker ? { url, maxRetriesPerRequest: null } : { url };
}

/**
 * Connects once and sends PING, so that an unreachable server is a clear error instead of
 * ioredis' endless reconnection attempts.
 *
 * @throws {@link InputError} `E_QUEUE_CONNECT` naming the URL and the reason.
 */
export async function pingRedis(url: string, timeoutMs = 5000): Promise<void> {
  checkQueueUrl(url);
  const { Redis } = await import('ioredis').catch((e: unknown) => {
    throw missingDependency('ioredis', e);
  });
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  client.on('error', () => {}); // reported through the rejected connect/ping below
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new InputError('cannot reach the Redis server of the job queue', {
      code: 'E_QUEUE_CONNECT',
      field: 'queue',
      got: `${redactUrl(url)}: ${(e as Error)?.message ?? String(e)}`,
      hint: 'Start redis-server (e.g. redis-server --bind 127.0.0.1 --port 6379) or fix --queue HOST:PORT',
      cause: e,
    });
  } finally {
    client.disconnect();
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
