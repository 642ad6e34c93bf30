/** Shared by the CLI tests: capture a command's stdout/stderr, and run `celldeconv` in-process. */
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

/** A writable stream that keeps what is written; `text()` returns it all so far. */
export function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Runs `celldeconv ...argv` in-process: the exit code and everything printed to stdout and stderr. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = capture();
  const e = capture();
  const code = await runCli(argv, { stdout: o.stream, stderr: e.stream });
  return { code, out: o.text(), err: e.text() };
}
