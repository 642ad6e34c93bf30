import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { withAtomicOutput, writeFileAtomic } from '../../src/io/atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-atomic-'));

test('writeFileAtomic writes text and bytes, replacing the target', () => {
  const p = join(dir, 'a.txt');
  writeFileAtomic(p, 'hello');
  assert.equal(readFileSync(p, 'utf8'), 'hello');
  writeFileAtomic(p, new Uint8Array([65, 66]));
  assert.equal(readFileSync(p, 'utf8'), 'AB');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('missing parent directory gives a typed error with a hint', () => {
  const p = join(dir, 'nope', 'x.txt');
  assert.throws(
    () => writeFileAtomic(p, 'x'),
    (e: unknown) => e instanceof InputError && e.code === 'E_NO_PARENT_DIR' && /mkdir -p/.test(e.message),
  );
  return assert.rejects(
    withAtomicOutput(p, () => {}),
    (e: unknown) => e instanceof InputError && e.code === 'E_NO_PARENT_DIR',
  );
});

test('withAtomicOutput: failure leaves the existing target untouched and removes the temp file', async () => {
  const sub = join(dir, 'fail');
  mkdirSync(sub);
  const p = join(sub, 'out.bin');
  writeFileSync(p, 'original');
  await assert.rejects(
    withAtomicOutput(p, (tmp) => {
      writeFileSync(tmp, 'half');
      throw new Error('boom');
    }),
    (e: unknown) => e instanceof InputError && e.code === 'E_WRITE' && /boom/.test(e.message),
  );
  assert.equal(readFileSync(p, 'utf8'), 'original');
  assert.deepEqual(readdirSync(sub), ['out.bin']);
});

test('withAtomicOutput: success renames a file and a directory over existing ones', async () => {
  const p = join(dir, 'ok.txt');
  writeFileSync(p, 'old');
  const r = await withAtomicOutput(p, async (tmp) => {
    writeFileSync(tmp, 'new');
    return 42;
  });
  assert.equal(r, 42);
  assert.equal(readFileSync(p, 'utf8'), 'new');
  const d = join(dir, 'outdir');
  mkdirSync(d);
  writeFileSync(join(d, 'stale'), 'x');
  await withAtomicOutput(d, (tmp) => {
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'fresh'), 'y');
  });
  assert.deepEqual(readdirSync(d), ['fresh']);
  assert.ok(!existsSync(join(d, 'stale')));
});
