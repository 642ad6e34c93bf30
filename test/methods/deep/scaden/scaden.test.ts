import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../../src/core/rng.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { applyInputLayer } from '../../../../src/methods/deep/common-baselines/input-layer.js';
import { scaden } from '../../../../src/methods/deep/scaden/model.js';
import { Mlp, mseLoss, SCADEN_MEMBERS } from '../../../../src/methods/deep/scaden/module.js';
import { predictMlp } from '../../../../src/methods/deep/scaden/train.js';
import { initBackend } from '../../../../src/nn/backend.js';
import { Dense } from '../../../../src/nn/dense.js';
import { simulatePseudobulks } from '../../../../src/simulate/dirichlet-pseudobulk.js';
import { syntheticCells } from '../../../benchmark/synthetic.js';

const ref = JSON.parse(readFileSync(new URL('../../../fixtures/deep-baselines/reference.json', import.meta.url), 'utf8'));

test('Scaden member forward pass and MSE match the numpy reference (Keras layout)', async () => {
  await initBackend('wasm');
  const R = ref.scaden_forward;
  const G = R.x[0].length;
  const C = R.y[0].length;
  const mlp = new Mlp('t', G, C, { hidden: R.hidden, dropout: R.hidden.map(() => 0.5) }, new Rng(0));
  const layers = [...mlp.layers, mlp.out];
  layers.forEach((l, k) => {
    l.w.assign(tf.tensor2d(R.weights[k]));
    l.b.assign(tf.tensor1d(R.biases[k]));
  });
  const x = new DenseMatrix(R.x.length, G, Float32Array.from(R.x.flat()));
  const p = predictMlp(mlp, x); // dropout off at inference
  R.softmax.flat().forEach((v: number, i: number) => {
    assert.ok(Math.abs((p[i] as number) - v) < 1e-5, `softmax ${i}`);
  });
  const mse = tf.tidy(() => mseLoss(tf.tensor2d(R.softmax), tf.tensor2d(R.y)).dataSync()[0] as number);
  assert.ok(Math.abs(mse - R.mse) < 1e-6);
  // Hand-computed: mean of squared differences over all 4 entries.
  const tiny = tf.tidy(() => mseLoss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[1, 0]])).dataSync()[0]);
  assert.ok(Math.abs((tiny as number) - 0.25) < 1e-7);
  mlp.dispose();
});

test('Scaden members have the published widths and dropout rates', () => {
  assert.deepEqual(SCADEN_MEMBERS.m256.hidden, [256, 128, 64, 32]);
  assert.deepEqual(SCADEN_MEMBERS.m512.dropout, [0, 0.3, 0.2, 0.1]);
  assert.deepEqual(SCADEN_MEMBERS.m1024.hidden, [1024, 512, 256, 128]);
  assert.deepEqual(SCADEN_MEMBERS.m1024.dropout, [0, 0.6, 0.3, 0.1]);
  assert.equal(scaden.defaults.steps, 5000);
  assert.equal(scaden.defaults.lr, 1e-4);
  assert.equal(scaden.defaults.batchSize, 128);
  assert.equal(scaden.bulkLayer, 'counts_sum');
  assert.equal(scaden.kind, 'trained');
});

test('Scaden: tiny 2-member ensemble trains, rows sum to 1, seeded, save/load round trip, no tensor leaks', async () => {
  await initBackend('wasm');
  const { ds } = syntheticCells([40, 30, 20], 24, 4);
  const before = tf.memory().numTensors;
  const opts = {
    labelsKey: 'cell_type',
    seed: 3,
    options: { steps: 25, nSamples: 100, batchSize: 32, members: ['m256' as const, 'm512' as const], parallel: 'sequential' as const },
  };
  const a = await scaden.fit(ds, opts);
  const b = await scaden.fit(ds, opts);
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 6, seed: 1 });
  const ra = await a.deconvolve(sim.bulk);
  const rb = await b.deconvolve(sim.bulk);
  assert.deepEqual(ra.proportions.data, rb.proportions.data, 'same seed, same bytes');
  assert.equal(ra.proportions.rows, 6);
  assert.deepEqual(ra.cellTypes, ['T0', 'T1', 'T2']);
  for (let i = 0; i < 6; i++) {
    const s = ra.proportions.row(i).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(s - 1) < 1e-6);
  }
  const dir = mkdtempSync(join(tmpdir(), 'scaden-'));
  try {
    await a.save?.(dir);
    const loaded = await scaden.load?.(join(dir));
    assert.ok(loaded);
    const rl = await loaded.deconvolve(sim.bulk);
    assert.deepEqual(rl.proportions.data, ra.proportions.data);
    assert.deepEqual(loaded.genes, a.genes);
    (loaded as unknown as { dispose(): void }).dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  (a as unknown as { dispose(): void }).dispose();
  (b as unknown as { dispose(): void }).dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left after dispose');
});

test('Scaden: worker threads give the same weights as sequential training', async () => {
  await initBackend('wasm');
  const { ds } = syntheticCells([30, 20], 16, 5);
  const base = {
    labelsKey: 'cell_type',
    seed: 9,
    options: { steps: 20, nSamples: 60, batchSize: 16, members: ['m256' as const, 'm512' as const] },
  };
  const s = await scaden.fit(ds, { ...base, options: { ...base.options, parallel: 'sequential' } });
  const w = await scaden.fit(ds, { ...base, options: { ...base.options, parallel: 'workers' } });
  assert.equal((w.toJSON().history as { workers: number }).workers, 2);
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 4, seed: 1 });
  assert.deepEqual((await s.deconvolve(sim.bulk)).proportions.data, (await w.deconvolve(sim.bulk)).proportions.data);
  (s as unknown as { dispose(): void }).dispose();
  (w as unknown as { dispose(): void }).dispose();
});

test('Scaden: typed errors (unknown member, missing genes, no reference)', async () => {
  const { ds } = syntheticCells([10, 10], 8, 5);
  await assert.rejects(scaden.fit(ds, { labelsKey: 'cell_type', options: { members: ['m99' as 'm256'] } }), { code: 'E_OPTION' });
  await assert.rejects(scaden.fit(null, { labelsKey: 'cell_type' }), { code: 'E_NO_REFERENCE' });
  const f = await scaden.fit(ds, {
    labelsKey: 'cell_type',
    options: { steps: 2, nSamples: 10, members: ['m256'], parallel: 'sequential' },
  });
  const other = ds.selectVars([0, 1]); // 2 of 8 genes
  await assert.rejects(f.deconvolve(other), { code: 'E_GENE_OVERLAP' });
  (f as unknown as { dispose(): void }).dispose();
});

test('input layer: weight gradient equals the plain matMul gradient (no input gradient computed)', async () => {
  await initBackend('wasm');
  const layer = new Dense('g', 5, 3, new Rng(2));
  const x = tf.randomNormal([4, 5], 0, 1, 'float32', 7) as tf.Tensor2D;
  const w8 = tf.randomNormal([4, 3], 0, 1, 'float32', 8);
  const ours = tf.variableGrads(
    () => tf.sum(tf.mul(tf.relu(applyInputLayer(layer, tf.mul(x, 2) as tf.Tensor2D)), w8)) as tf.Scalar,
    [layer.w, layer.b],
  );
  const plain = tf.variableGrads(
    () => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(tf.mul(x, 2) as tf.Tensor2D, layer.w), layer.b)), w8)) as tf.Scalar,
    [layer.w, layer.b],
  );
  for (const v of [layer.w, layer.b]) {
    const a = ours.grads[v.name]?.dataSync() as Float32Array;
    const b = plain.grads[v.name]?.dataSync() as Float32Array;
    b.forEach((q, i) => {
      assert.ok(Math.abs((a[i] as number) - q) < 1e-5);
    });
  }
  assert.ok(Math.abs((ours.value.dataSync()[0] as number) - (plain.value.dataSync()[0] as number)) < 1e-5);
  tf.dispose([x, w8, ours.value, plain.value, ...Object.values(ours.grads), ...Object.values(plain.grads)]);
  layer.dispose();
});
