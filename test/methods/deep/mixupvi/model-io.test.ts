import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { FormatError, InputError, NotFittedError } from '../../../../src/core/errors.js';
import { Rng } from '../../../../src/core/rng.js';
import { assignWeights, loadModelDir, saveModelDir, variablesToWeights } from '../../../../src/methods/deep/model-io.js';
import { initBackend } from '../../../../src/nn/backend.js';
import { Dense } from '../../../../src/nn/dense.js';

const root = mkdtempSync(join(tmpdir(), 'celldeconv-modelio-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('save -> load round trip restores weights bit for bit and the manifest', async () => {
  await initBackend('cpu');
  const n0 = tf.memory().numTensors;
  const a = new Dense('enc', 4, 3, new Rng(1));
  const dir = join(root, 'm1');
  const written = await saveModelDir(
    dir,
    { method: 'toy', genes: ['g1', 'g2'], cellTypes: ['A', 'B'], config: { latent: 3 }, seed: 5, history: { epochs: [] } },
    variablesToWeights(a.params()),
  );
  const { manifest, weights } = await loadModelDir(dir, 'toy');
  assert.deepEqual(manifest.genes, ['g1', 'g2']);
  assert.equal(manifest.seed, 5);
  assert.equal(manifest.weights.sha256, written.weights.sha256);
  assert.ok(manifest.libraries['@tensorflow/tfjs-core']);
  const b = new Dense('enc', 4, 3, new Rng(2));
  assert.notDeepEqual([...b.w.dataSync()], [...a.w.dataSync()]);
  assignWeights(b.params(), weights);
  assert.deepEqual([...b.w.dataSync()], [...a.w.dataSync()]);
  assert.deepEqual([...b.b.dataSync()], [...a.b.dataSync()]);
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, n0);
});

test('typed errors: missing dir/files, corrupt weights, wrong method, shape mismatch', async () => {
  await initBackend('cpu');
  await assert.rejects(loadModelDir(join(root, 'nope')), (e: unknown) => e instanceof NotFittedError && e.code === 'E_MODEL_MISSING');
  const dir = join(root, 'm2');
  const w = new Map([['x', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }]]);
  await saveModelDir(dir, { method: 'toy', genes: ['g'], cellTypes: ['A'] }, w);
  await assert.rejects(loadModelDir(dir, ['mixupvi', 'scvi']), (e: unknown) => e instanceof InputError && e.code === 'E_MODEL_METHOD');
  // Flip one byte of the weights: checksum error.
  const wPath = join(dir, 'weights.bin');
  const bytes = readFileSync(wPath);
  bytes[3] = (bytes[3] as number) ^ 0xff;
  writeFileSync(wPath, bytes);
  await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof FormatError && e.code === 'E_MODEL_CHECKSUM');
  // Truncated weights: size error.
  writeFileSync(wPath, bytes.subarray(0, 8));
  await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof FormatError && e.code === 'E_MODEL_WEIGHTS');
  unlinkSync(wPath);
  await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof NotFittedError && /weights\.bin/.test((e as Error).message));
  writeFileSync(join(dir, 'manifest.json'), '{not json');
  await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof FormatError && e.code === 'E_MODEL_MANIFEST');
  await assert.rejects(
    saveModelDir(join(root, 'm3'), { method: 'toy', genes: [], cellTypes: [] }, { x: { shape: [3], data: new Float32Array(2) } }),
    (e: unknown) => e instanceof InputError && e.code === 'E_WEIGHT_SHAPE',
  );
  const d = new Dense('enc', 2, 2, new Rng(1));
  assert.throws(
    () => assignWeights(d.params(), new Map([['enc.weight', { shape: [3, 2], data: new Float32Array(6) }]])),
    (e: unknown) => e instanceof FormatError && e.code === 'E_MODEL_WEIGHTS',
  );
  d.dispose();
});
