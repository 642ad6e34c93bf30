import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_DEFAULTS, Adam, ownedVariable } from '../../src/nn/adam.js';
import { backendsUnderTest, useBackend } from './helpers.js';

/** PyTorch's Adam (L2 weight decay in the gradient), in float64, for one parameter vector. */
function torchAdam(p0: number[], gradOf: (p: number[]) => number[], steps: number, o = ADAM_DEFAULTS): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    const g = gradOf(p).map((gi, i) => gi + o.weightDecay * p[i]!);
    for (let i = 0; i < p.length; i++) {
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! * g[i]!;
      const mh = m[i]! / (1 - o.beta1 ** t);
      const vh = v[i]! / (1 - o.beta2 ** t);
      p[i] = p[i]! - (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  }
  return p;
}

for (const be of await backendsUnderTest()) {
  describe(`Adam [${be}]`, () => {
    test('matches the PyTorch update rule (scvi defaults) on a quadratic', async () => {
      const n0 = await useBackend(be);
      const p0 = [1.5, -2, 0.25, 3];
      const target = [0.5, 0.5, -1, 2];
      const opts = { ...ADAM_DEFAULTS, lr: 0.05, weightDecay: 0.01 };
      const x = ownedVariable(tf.tensor1d(p0));
      const t = tf.tensor1d(target);
      const adam = new Adam([x], opts);
      for (let s = 0; s < 25; s++) {
        const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, t))), [x]);
        adam.apply(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
      const expected = torchAdam(p0, (p) => p.map((pi, i) => 2 * (pi - target[i]!)), 25, opts);
      const got = x.dataSync();
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-5, `${got[i]} vs ${expected[i]}`);
      adam.dispose();
      tf.dispose([x, t]);
      assert.equal(tf.memory().numTensors, n0);
    });
  });
}

test('defaults are the scvi-tools TrainingPlan ones', () => {
  assert.equal(ADAM_DEFAULTS.lr, 1e-3);
  assert.equal(ADAM_DEFAULTS.weightDecay, 1e-6);
  assert.equal(ADAM_DEFAULTS.eps, 0.01);
});
