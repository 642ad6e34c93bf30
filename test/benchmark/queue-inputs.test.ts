/** How queue workers find the reference: content hashes, staging under <out>/inputs, and refusal of other content. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkQueueUrl, redactUrl } from '../../src/benchmark/queue/connection.js';
import { contentHash, locateReference, resolveReference, stageReference } from '../../src/benchmark/queue/inputs.js';
import { jobIdOf } from '../../src/benchmark/queue/protocol.js';
import { InputError } from '../../src/core/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-queue-inputs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a file is hashed as sha256 of its bytes; a directory by its file names and bytes', () => {
  const f = join(tmp, 'ref.h5ad');
  writeFileSync(f, 'abc');
  assert.equal(contentHash(f), createHash('sha256').update('abc').digest('hex'));
  const d = join(tmp, 'tenx');
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'matrix.mtx'), 'm');
  writeFileSync(join(d, 'sub', 'genes.tsv'), 'g');
  const h1 = contentHash(d);
  writeFileSync(join(d, 'sub', 'genes.tsv'), 'G');
  assert.notEqual(contentHash(d), h1, 'a changed file changes the hash');
});

test('a staged reference is found by hash when the original path is missing here; other content is refused', () => {
  const f = join(tmp, 'a.h5ad');
  writeFileSync(f, 'reference bytes');
  const loc = locateReference(f, false);
  assert.equal(loc.stagedName, `${contentHash(f)}.h5ad`);
  const out = join(tmp, 'out');
  assert.equal(resolveReference(loc, out), f, 'the original path wins when it has the content');
  stageReference(loc, out);
  const staged = join(out, 'inputs', loc.stagedName as string);
  assert.equal(readFileSync(staged, 'utf8'), 'reference bytes');
  stageReference(loc, out); // idempotent
  // Another machine: the original path holds other bytes (or nothing) -> the staged copy.
  writeFileSync(f, 'edited since');
  assert.equal(resolveReference(loc, out), staged);
  rmSync(staged);
  assert.throws(
    () => resolveReference(loc, out),
    (e: unknown) =>
      e instanceof InputError && e.code === 'E_QUEUE_INPUT' && /a\.h5ad/.test(e.message) && /Mount the benchmark --out/.test(e.message),
  );
  assert.deepEqual(locateReference('pbmc3k', true), { name: 'pbmc3k', bundled: true });
  assert.equal(resolveReference({ name: 'pbmc3k', bundled: true }, out), 'pbmc3k');
  assert.throws(
    () => locateReference(join(tmp, 'missing.h5ad'), false),
    (e: unknown) => (e as InputError).code === 'E_FILE_NOT_FOUND',
  );
  assert.ok(statSync(out).isDirectory());
});

test('queue URLs: redis:// or rediss:// only, passwords hidden in messages; job ids are stable', () => {
  assert.equal(checkQueueUrl('redis://127.0.0.1:6379').port, '6379');
  assert.equal(checkQueueUrl('rediss://h:1').hostname, 'h');
  for (const bad of ['http://h:1', '127.0.0.1:6379', 'redis://']) {
    assert.throws(
      () => checkQueueUrl(bad),
      (e: unknown) => (e as InputError).code === 'E_QUEUE_URL',
      bad,
    );
  }
  assert.equal(redactUrl('redis://:s3cret@h:1'), 'redis://:***@h:1');
  const loc = { name: 'r', bundled: false, sha256: 'ab' };
  assert.equal(jobIdOf('run', loc, 'nnls:x|fine:y|100'), jobIdOf('run', loc, 'nnls:x|fine:y|100'));
  assert.notEqual(jobIdOf('run', loc, 'nnls:x|fine:y|100'), jobIdOf('run', { ...loc, sha256: 'cd' }, 'nnls:x|fine:y|100'));
  assert.match(jobIdOf('run', loc, 'k'), /^cell-[0-9a-f]{32}$/);
});
