/**
 * Everything the CLI prints goes through here: results to stdout, progress bars and notices to
 * stderr (bars only on a TTY, so pipes and CI logs stay clean).
 */
import type { ProgressEvent } from '../core/progress.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /**
   * Without a terminal (CI logs, `| tee`), a status line of the running step is printed at least
   * this often (default 30 s), so a long fit never looks hung.
   */
  heartbeatMs?: number;
}

/** A running step as last reported: the event and when its stage/label started. */
interface ActiveStep {
  e: ProgressEvent;
  started: number;
  updated: number;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private barActive = false;
  private readonly started = new Map<string, number>();
  /** Per stage/label: the `step/total` of its last event when that event was a done event. */
  private readonly finished = new Map<string, string>();
  private readonly heartbeatMs: number;
  /** Non-TTY: steps that started and have not reported done, for the heartbeat line. */
  private readonly active = new Map<string, ActiveStep>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastLine = 0;

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.quiet = o.quiet;
    this.debug = o.debug;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
    this.heartbeatMs = o.heartbeatMs ?? 30_000;
  }

  /** A result line on stdout (suppressed in --json mode, where `result` is used instead). */
  print(text: string): void {
    if (this.json) return;
    this.clearBar();
    this.stdout.write(`${text}\n`);
  }

  /** The machine-readable result (printed only in --json mode). */
  result(value: unknown): void {
    if (!this.json) return;
    this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** A notice on stderr (not in --quiet mode). */
  info(text: string): void {
    if (this.quiet) return;
    this.clearBar();
    this.stderr.write(`${text}\n`);
  }

  /** An error line on stderr, always. */
  error(text: string): void {
    this.clearBar();
    this.stderr.write(`${text}\n`);
  }

  /**
   * A progress callback that draws a bar on a TTY and logs stage timings otherwise.
   *
   * A done event that repeats the previous event of the same stage/label (same step and total) is
   * ignored: some trainers report their last step both from the loop and once more at the end, which
   * would print "done in 0.0 s" a second time.
   */
  progress(): (e: ProgressEvent) => void {
    return (e) => {
      const key = `${e.stage}:${e.label ?? ''}`;
      const done = e.total !== undefined && e.step >= e.total;
      const mark = `${e.step}/${e.total}`;
      if (done && this.finished.get(key) === mark) return;
      if (done) this.finished.set(key, mark);
      else this.finished.delete(key);
      if (!this.started.has(key)) this.started.set(key, Date.now());
      if (this.quiet) return;
      if (this.stderr.isTTY) {
        this.stderr.write(`\r${renderBar(e, this.stderr.columns ?? 80, Date.now() - (this.started.get(key) ?? Date.now()))}\x1b[K`);
        this.barActive = true;
        if (done) this.clearBar(true);
      } else if (done) {
        const ms = Date.now() - (this.started.get(key) ?? Date.now());
        this.stderr.write(`${e.stage}${e.label ? ` ${e.label}` : ''}: done in ${(ms / 1000).toFixed(1)} s\n`);
        this.active.delete(key);
        if (this.active.size === 0) this.stopHeartbeat();
      } else {
        const now = Date.now();
        this.active.set(key, { e, started: this.started.get(key) ?? now, updated: now });
        this.startHeartbeat();
        // Synchronous work (a solver loop) starves the timer: its own events carry the line then.
        this.beat();
      }
      if (done) this.started.delete(key);
    };
  }

  /** Ends the heartbeat timer (the CLI calls it when a command returns). */
  close(): void {
    this.stopHeartbeat();
    this.active.clear();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    if (this.active.size <= 1) this.lastLine = Date.now();
    // Checks 10x per period so a line is never more than 1.1 periods apart; unref: never keeps the process alive.
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.floor(this.heartbeatMs / 10)));
    this.heartbeat.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Prints the most recently updated running step, once per period. */
  private beat(): void {
    const now = Date.now();
    if (now - this.lastLine < this.heartbeatMs) return;
    let latest: ActiveStep | undefined;
    for (const a of this.active.values()) if (!latest || a.updated >= latest.updated) latest = a;
    if (!latest) {
      this.stopHeartbeat();
      return;
    }
    this.lastLine = now;
    this.stderr.write(`${statusLine(latest.e, now - latest.started)}\n`);
  }

  private clearBar(keep = false): void {
    if (!this.barActive) return;
    this.stderr.write(keep ? '\n' : '\r\x1b[K');
    this.barActive = false;
  }
}

/** "train mixupvi [=====>    ] 50/100 12.3s loss=1.23" */
export function renderBar(e: ProgressEvent, columns: number, elapsedMs: number): string {
  const head = `${e.stage}${e.label ? ` ${e.label}` : ''}`;
  const metrics = e.metrics
    ? Object.entries(e.metrics)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(' ')
    : '';
  const time = `${(elapsedMs / 1000).toFixed(1)}s`;
  if (e.total === undefined || e.total <= 0) return `${head} ${e.step} ${time} ${metrics}`.trimEnd();
  const frac = Math.min(1, e.step / e.total);
  const width = Math.max(10, Math.min(30, columns - head.length - metrics.length - 30));
  const filled = Math.round(frac * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
  return `${head} [${bar}] ${e.step}/${e.total} ${time} ${metrics}`.trimEnd();
}

/** "train mixupvi: 45% (900/2000), 1m05s elapsed, about 1m20s left" (the heartbeat line without a terminal). */
export function statusLine(e: ProgressEvent, elapsedMs: number): string {
  const head = `${e.stage}${e.label ? ` ${e.label}` : ''}`;
  const elapsed = `${formatDuration(elapsedMs)} elapsed`;
  if (e.total === undefined || e.total <= 0) return `${head}: step ${e.step}, ${elapsed}, no estimate (total unknown)`;
  const frac = Math.min(1, Math.max(0, e.step / e.total));
  // A linear estimate from the steps so far; none before the first step is done.
  const left = frac > 0 ? `about ${formatDuration((elapsedMs * (1 - frac)) / frac)} left` : 'no estimate yet';
  return `${head}: ${(100 * frac).toFixed(0)}% (${e.step}/${e.total}), ${elapsed}, ${left}`;
}

/** 65000 -> "1m05s"; 4000 -> "4s"; 3.7e6 -> "1h01m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 1 ? 3 : 2);
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}
