import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../../src/core/rng.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { adaptiveStage, tape } from '../../../../src/methods/deep/tape/model.js';
import { l1Loss, TapeAutoEncoder, tapeLoss } from '../../../../src/methods/deep/tape/module.js';
import { initBackend } from '../../../../src/nn/backend.js';
import { simulatePseudobulks } from '../../../../src/simulate/dirichlet-pseudobulk.js';
import { syntheticCells } from '../../../benchmark/synthetic.js';

const ref = JSON.parse(readFileSync(new URL('../../../fixtures/deep-baselines/reference.json', import.meta.url), 'utf8'));
const SMALL = { hidden: [16, 12, 8, 6], dropout: 0.5 };

function close(a: ArrayLike<number>, b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Loads the fixture's PyTorch-layout weights (out x in) into our in x out variables. */
function fixtureModel(): TapeAutoEncoder {
  const R = ref.tape_forward;
  const enc = R.encoder_sizes as number[];
  const m = new TapeAutoEncoder(enc[0] as number, enc[enc.length - 1] as number, new Rng(0), { hidden: enc.slice(1, -1), dropout: 0.5 });
  m.encoder.forEach((l, k) => {
    l.w.assign(tf.transpose(tf.tensor2d(R.enc_weights[k])));
    l.b.assign(tf.tensor1d(R.enc_biases[k]));
  });
  m.decoder.forEach((v, k) => {
    v.assign(tf.transpose(tf.tensor2d(R.dec_weights[k])));
  });
  return m;
}

test('TAPE forward (train and test mode), Sig and loss match the numpy reference', async () => {
  await initBackend('wasm');
  const R = ref.tape_forward;
  const m = fixtureModel();
  const x = tf.tensor2d(R.x);
  const y = tf.tensor2d(R.y);
  const train = m.forward(x, 'train'); // no dropout rng: dropout off
  close(train.sig.dataSync(), R.sig.flat(), 1e-5, 'sig');
  close(train.z.dataSync(), R.z_train.flat(), 1e-5, 'z_train');
  close(train.recon.dataSync(), R.recon_train.flat(), 1e-4, 'recon_train');
  const loss = tapeLoss(train, x, y);
  assert.ok(Math.abs((loss.loss.dataSync()[0] as number) - R.loss_train) < 1e-5);
  const test_ = m.forward(x, 'test');
  close(test_.z.dataSync(), R.z_test.flat(), 1e-5, 'z_test');
  const zt = test_.z.arraySync();
  for (const row of zt) {
    assert.ok(row.every((v) => v >= 0));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
  // Sig = ReLU(W0ᵀ…W4ᵀ) recomputed here by explicit matmuls of the PyTorch-layout weights.
  let s = tf.transpose(tf.tensor2d(R.dec_weights[0])) as tf.Tensor2D;
  for (let k = 1; k < 5; k++) s = tf.matMul(s, tf.transpose(tf.tensor2d(R.dec_weights[k])));
  close(m.sigmatrix().dataSync(), Array.from(tf.relu(s).dataSync()), 1e-5, 'explicit sig');
  // L1 by hand: mean(|[1, 2] - [0, 4]|) = 1.5.
  assert.ok(Math.abs((l1Loss(tf.tensor1d([1, 2]), tf.tensor1d([0, 4])).dataSync()[0] as number) - 1.5) < 1e-7);
  m.dispose();
});

test('TAPE adaptive stage: 0 steps returns the original predictions; steps change them; no leaks', async () => {
  await initBackend('wasm');
  const m = fixtureModel();
  const R = ref.tape_forward;
  const x = new DenseMatrix(R.x.length, R.x[0].length, Float32Array.from(R.x.flat()));
  const before = tf.memory().numTensors;
  const r0 = await adaptiveStage(m, x, { steps: 0, iters: 3 });
  close(r0.pred, R.z_test.flat(), 1e-5, 'pred');
  close(r0.sig, R.sig.flat(), 1e-5, 'sig');
  const r1 = await adaptiveStage(m, x, { steps: 5, iters: 2 });
  assert.equal(r1.loss.length, 20);
  assert.ok(r1.pred.some((v, i) => Math.abs(v - (r0.pred[i] as number)) > 1e-6));
  assert.equal(tf.memory().numTensors, before, 'the adaptive stage leaves no tensors behind');
  // The fitted model is untouched (the stage adapts a copy).
  close(tf.tidy(() => m.forward(tf.tensor2d(R.x), 'test').z).dataSync(), R.z_test.flat(), 1e-5, 'model unchanged');
  m.dispose();
});

test('TAPE: trains, non-negative rows summing to 1, adaptive on/off, seeded, save/load', async () => {
  await initBackend('wasm');
  const { ds } = syntheticCells([40, 30, 20], 30, 6);
  const opts = {
    labelsKey: 'cell_type',
    seed: 2,
    options: { nSamples: 200, nCells: 50, epochs: 3, batchSize: 32, arch: SMALL, adaptiveSteps: 3, adaptiveIters: 1 },
  };
  const before = tf.memory().numTensors;
  const a = await tape.fit(ds, opts);
  const b = await tape.fit(ds, opts);
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 5, seed: 1 });
  const ra = await a.deconvolve(sim.bulk);
  assert.deepEqual(ra.proportions.data, (await b.deconvolve(sim.bulk)).proportions.data);
  const rn = await a.deconvolve(sim.bulk, { options: { adaptive: false } });
  assert.equal((rn.diagnostics.extra as { adaptive: boolean }).adaptive, false);
  for (const r of [ra, rn]) {
    for (let i = 0; i < 5; i++) {
      const row = r.proportions.row(i);
      assert.ok(row.every((v) => v >= 0));
      assert.ok(Math.abs(row.reduce((p, q) => p + q, 0) - 1) < 1e-6);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tape-'));
  try {
    await a.save?.(dir);
    const l = await tape.load?.(dir);
    assert.ok(l);
    assert.deepEqual((await l.deconvolve(sim.bulk, { options: { adaptive: false } })).proportions.data, rn.proportions.data);
    assert.deepEqual((await l.deconvolve(sim.bulk)).proportions.data, ra.proportions.data);
    (l as unknown as { dispose(): void }).dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  (a as unknown as { dispose(): void }).dispose();
  (b as unknown as { dispose(): void }).dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tape.defaults.adaptiveSteps, 300);
  assert.equal(tape.defaults.adaptiveIters, 3);
  assert.equal(tape.defaults.nSamples, 5000);
  assert.equal(tape.defaults.nCells, 500);
});
