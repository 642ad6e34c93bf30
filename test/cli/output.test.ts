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
