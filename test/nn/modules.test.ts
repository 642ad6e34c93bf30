import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import { initBackend } from '../../src/nn/backend.js';
import { ConditionalBatchNorm } from '../../src/nn/modules/conditional-batch-norm.js';
import { Encoder, VAR_EPS } from '../../src/nn/modules/encoder.js';
import { GaussianMixturePrior, klNormal, klStandardNormal, logNormalDiag } from '../../src/nn/modules/priors.js';
import { ScviDecoder } from '../../src/nn/modules/scvi-decoder.js';

test('encoder: shapes, variance above var_eps, eval mode deterministic, scvi-tools names', async () => {
  await initBackend('cpu');
  const enc = new Encoder(
    { prefix: 'z_encoder', inputs: 7, hidden: [8, 6], latent: 3, dropout: 0.5, transform: 'log1p', init: 'torch' },
    new Rng(1),
  );
  const x = tf.tensor2d(
    Array.from({ length: 14 }, (_, k) => k % 5),
    [2, 7],
  );
  const a = enc.forward(x);
  const b = enc.forward(x);
  assert.deepEqual(a.qm.shape, [2, 3]);
  assert.deepEqual(a.qm.dataSync(), b.qm.dataSync());
  assert.ok(Array.from(a.qv.dataSync()).every((v) => v > VAR_EPS));
  assert.deepEqual(
    enc.params().map(([n]) => n),
    [
      'z_encoder.encoder.fc_layers.Layer 0.0.weight',
      'z_encoder.encoder.fc_layers.Layer 0.0.bias',
      'z_encoder.encoder.fc_layers.Layer 1.0.weight',
      'z_encoder.encoder.fc_layers.Layer 1.0.bias',
      'z_encoder.mean_encoder.weight',
      'z_encoder.mean_encoder.bias',
      'z_encoder.var_encoder.weight',
      'z_encoder.var_encoder.bias',
    ],
  );
  tf.dispose([x, a.qm, a.qv, b.qm, b.qv]);
  enc.dispose();
});

test('scVI decoder: mean rows sum to the observed library; NB when likelihood nb', async () => {
  await initBackend('cpu');
  const dec = new ScviDecoder({ latent: 3, hidden: [5], genes: 6, likelihood: 'zinb', init: 'torch' }, new Rng(2));
  const z = tf.tensor2d([0.1, -0.2, 0.3, 1, 0, -1], [2, 3]);
  const lib = tf.tensor2d([10, 250], [2, 1]);
  const p = dec.forward(z, lib);
  const sums = tf.sum(p.mu, 1).dataSync();
  assert.ok(Math.abs(sums[0]! - 10) < 1e-4 && Math.abs(sums[1]! - 250) < 1e-3);
  assert.deepEqual(p.piLogits?.shape, [2, 6]);
  assert.deepEqual(p.theta.shape, [6]);
  tf.dispose([z, lib, p.mu, p.theta, p.piLogits as tf.Tensor]);
  dec.dispose();
});

test('priors: KL and log densities match float64 formulas; mixture logProb = log Σ w_k N(z; m_k, v_k)', async () => {
  await initBackend('cpu');
  const qm = tf.tensor2d([0.5, -1], [1, 2]);
  const qv = tf.tensor2d([2, 0.5], [1, 2]);
  const kl = klStandardNormal(qm, qv).dataSync()[0]!;
  const want = 0.5 * (0.25 + 2 - 1 - Math.log(2)) + 0.5 * (1 + 0.5 - 1 - Math.log(0.5));
  assert.ok(Math.abs(kl - want) < 1e-6);
  assert.ok(Math.abs(klNormal(qm, qv, tf.zeros([1, 2]), tf.ones([1, 2])).dataSync()[0]! - want) < 1e-6);
  const lp = logNormalDiag(tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([0, 1], [1, 2]), tf.tensor2d([0, Math.log(4)], [1, 2])).dataSync()[0]!;
  const lpWant = -0.5 * (2 * Math.log(2 * Math.PI) + Math.log(4) + 1 + 1 / 4);
  assert.ok(Math.abs(lp - lpWant) < 1e-5);
  const gmm = new GaussianMixturePrior({ name: 'gmm', components: 3, dim: 2, covariance: 'diagonal' }, new Rng(4));
  gmm.logits.assign(tf.tensor1d([0.2, -0.5, 1]));
  gmm.logVar.assign(tf.tensor2d([0, 0.5, -0.3, 0.1, 1, -1], [3, 2]));
  const zz = [0.3, -0.7];
  const m = gmm.means.arraySync();
  const lv = gmm.logVar.arraySync();
  const lg = [0.2, -0.5, 1];
  const lse = Math.log(lg.reduce((a, b) => a + Math.exp(b), 0));
  let p = 0;
  for (let k = 0; k < 3; k++) {
    let l = Math.log(Math.exp(lg[k]!) / Math.exp(lse));
    for (let d = 0; d < 2; d++) l += -0.5 * (Math.log(2 * Math.PI) + lv[k]![d]! + (zz[d]! - m[k]![d]!) ** 2 / Math.exp(lv[k]![d]!));
    p += Math.exp(l);
  }
  const got = gmm.logProb(tf.tensor2d(zz, [1, 2])).dataSync()[0]!;
  assert.ok(Math.abs(got - Math.log(p)) < 1e-5, `${got} vs ${Math.log(p)}`);
  const r = Array.from(gmm.responsibilities(tf.tensor2d(zz, [1, 2])).dataSync());
  assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  // Gradients flow to every mixture parameter.
  const { grads } = tf.variableGrads(
    () => tf.neg(tf.sum(gmm.logProb(tf.tensor2d([zz, [1, 1]])))) as tf.Scalar,
    [gmm.means, gmm.logVar, gmm.logits],
  );
  assert.equal(Object.keys(grads).length, 3);
  gmm.dispose();
});

test('conditional batch norm: per-category scale/shift on batch-normalised input; running stats in eval', async () => {
  await initBackend('cpu');
  const cbn = new ConditionalBatchNorm({ name: 'cbn', features: 2, categories: 2 });
  cbn.gamma.assign(tf.tensor2d([1, 1, 2, 3], [2, 2]));
  cbn.beta.assign(tf.tensor2d([0, 0, 10, -10], [2, 2]));
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  const cats = tf.tensor1d([0, 1, 0, 1], 'int32');
  const y = cbn.apply(x, cats, true).arraySync();
  // Column 0: values 1,3,5,7, mean 4, var 5 (biased) -> x̂ = (x-4)/√(5+1e-5).
  const xh = (v: number) => (v - 4) / Math.sqrt(5 + 1e-5);
  assert.ok(Math.abs(y[0]![0]! - xh(1)) < 1e-5);
  assert.ok(Math.abs(y[1]![0]! - (2 * xh(3) + 10)) < 1e-5);
  // Running mean after one step: 0.9·0 + 0.1·mean.
  assert.ok(Math.abs(cbn.runningMean.dataSync()[0]! - 0.4) < 1e-6);
  const ev = cbn.apply(x, cats, false).dataSync();
  assert.ok(Number.isFinite(ev[0]!));
  const { grads } = tf.variableGrads(() => tf.sum(cbn.apply(x, cats, true)) as tf.Scalar, [cbn.gamma, cbn.beta]);
  assert.deepEqual(grads[cbn.beta.name]!.dataSync(), Float32Array.of(2, 2, 2, 2));
  cbn.dispose();
});
