import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Output } from '../../src/cli/output.js';
import { capture } from '../helpers/cli.js';

function output(): { out: Output; err: () => string } {
  const e = capture();
  return { out: new Output({ json: false, quiet: false, debug: false, stdout: capture().stream, stderr: e.stream }), err: e.text };
}

test('progress: a repeated done event for the same stage/label prints one "done" line', () => {
  const { out, err } = output();
  const p = out.progress();
  p({ stage: 'train', label: 'scaden', step: 5, total: 10 });
  p({ stage: 'train', label: 'scaden', step: 10, total: 10 });
  p({ stage: 'train', label: 'scaden', step: 10, total: 10, metrics: { loss: 0.1 } });
  const lines = err().trim().split('\n');
  assert.equal(lines.length, 1, err());
  assert.match(lines[0] as string, /^train scaden: done in \d+\.\d s$/);
});

test('progress: other stages/labels and a new run of the same stage still report their own done line', () => {
  const { out, err } = output();
  const p = out.progress();
  p({ stage: 'train', label: 'a', step: 3, total: 3 });
  p({ stage: 'train', label: 'b', step: 3, total: 3 });
  p({ stage: 'simulate', label: 'a', step: 3, total: 3 });
  // A second run of train/a: its first event is not done, so its done event counts again.
  p({ stage: 'train', label: 'a', step: 1, total: 3 });
  p({ stage: 'train', label: 'a', step: 3, total: 3 });
  // A done event with another total is a different run too.
  p({ stage: 'train', label: 'a', step: 4, total: 4 });
  const lines = err().trim().split('\n');
  assert.deepEqual(
    lines.map((l) => l.replace(/ done in .*$/, '')),
    ['train a:', 'train b:', 'simulate a:', 'train a:', 'train a:'],
  );
});

test('progress: --quiet prints nothing; the TTY bar ends with one newline per finished stage', () => {
  const q = capture();
  const quiet = new Output({ json: false, quiet: true, debug: false, stdout: capture().stream, stderr: q.stream });
  quiet.progress()({ stage: 'train', step: 1, total: 1 });
  assert.equal(q.text(), '');
  const t = capture();
  const tty = Object.assign(t.stream, { isTTY: true, columns: 80 });
  const p = new Output({ json: false, quiet: false, debug: false, stdout: capture().stream, stderr: tty }).progress();
  p({ stage: 'train', step: 2, total: 2 });
  p({ stage: 'train', step: 2, total: 2 });
  assert.equal(t.text().split('\n').length - 1, 1, JSON.stringify(t.text()));
});

test('progress without a terminal: a status line (step, percent, elapsed, estimate) at least once per heartbeat period', async () => {
  const e = capture();
  const out = new Output({ json: false, quiet: false, debug: false, stdout: capture().stream, stderr: e.stream, heartbeatMs: 40 });
  const p = out.progress();
  p({ stage: 'train', label: 'mixupvi', step: 0, total: 200 });
  await new Promise((r) => setTimeout(r, 60));
  p({ stage: 'train', label: 'mixupvi', step: 50, total: 200 });
  // a long step with no events at all still gets its line
  await new Promise((r) => setTimeout(r, 130));
  const beats = e.text().trim().split('\n');
  assert.ok(beats.length >= 2, e.text());
  for (const l of beats) assert.match(l, /^train mixupvi: \d+% \(\d+\/200\), \d+s elapsed, (about \d+s left|no estimate yet)$/);
  assert.match(beats.at(-1) as string, /^train mixupvi: 25% \(50\/200\)/);
  p({ stage: 'train', label: 'mixupvi', step: 200, total: 200 });
  const n = e.text().split('\n').length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(e.text().split('\n').length, n, 'no heartbeat after the step is done');
  assert.match(e.text().trim().split('\n').at(-1) as string, /^train mixupvi: done in/);
  out.close();
});

test('statusLine: percent, elapsed and a linear estimate', async () => {
  const { statusLine, formatDuration } = await import('../../src/cli/output.js');
  assert.equal(statusLine({ stage: 'fit', label: 'x', step: 1, total: 4 }, 65000), 'fit x: 25% (1/4), 1m05s elapsed, about 3m15s left');
  assert.equal(statusLine({ stage: 'read', step: 7 }, 2000), 'read: step 7, 2s elapsed, no estimate (total unknown)');
  assert.equal(formatDuration(3_700_000), '1h01m');
});

test('progress without a terminal: synchronous work (no timer can fire) still gets its status lines from its own events', () => {
  const e = capture();
  const out = new Output({ json: false, quiet: false, debug: false, stdout: capture().stream, stderr: e.stream, heartbeatMs: 30 });
  const p = out.progress();
  const t0 = Date.now();
  let step = 0;
  // a busy loop of 100 ms reporting progress, as a solver does between samples
  while (Date.now() - t0 < 100) p({ stage: 'bootstrap', label: 'dwls', step: ++step, total: 1e9 });
  const lines = e.text().trim().split('\n');
  assert.ok(lines.length >= 2 && lines.length <= 5, e.text());
  for (const l of lines) assert.match(l, /^bootstrap dwls: 0% \(\d+\/1000000000\), 0s elapsed, about \S+ left$/);
  out.close();
});
