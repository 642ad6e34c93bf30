import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import '../../src/nn/gradients.js';
import { backendsUnderTest, useBackend } from './helpers.js';

/**
 * Central finite differences of a scalar function of one tensor, evaluated in float32 with step h,
 * against tf.grad. Tolerance is loose because of float32 forward evaluations.
 */
function checkGrad(name: string, f: (x: tf.Tensor) => tf.Tensor, x0: number[], shape: number[], h = 1e-2, tol = 2e-2): void {
  const x = tf.tensor(x0, shape);
  const g = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x);
  const ga = g.dataSync();
  for (let i = 0; i < x0.length; i++) {
    const p = [...x0];
    const m = [...x0];
    p[i]! += h;
    m[i]! -= h;
    const fp = tf.tidy(() => tf.sum(f(tf.tensor(p, shape))).dataSync()[0]!);
    const fm = tf.tidy(() => tf.sum(f(tf.tensor(m, shape))).dataSync()[0]!);
    const fd = (fp - fm) / (2 * h);
    const err = Math.abs(fd - ga[i]!) / Math.max(1, Math.abs(fd));
    assert.ok(err < tol, `${name}: d/dx[${i}] analytic ${ga[i]} vs finite difference ${fd}`);
  }
  tf.dispose([x, g]);
}

const backends = await backendsUnderTest();
const rng = new Rng(11);
const xs = Array.from({ length: 6 }, () => rng.normal() * 0.8 + 0.1);
const pos = xs.map((v) => Math.abs(v) + 0.5);
const c23 = tf.tensor2d(
  Array.from({ length: 6 }, () => rng.normal()),
  [2, 3],
);
const row3 = tf.tensor1d([0.3, -1.2, 2.0]);
const col2 = tf.tensor2d([0.7, -0.4], [2, 1]);
const w = (t: tf.Tensor) =>
  tf.mul(
    t,
    tf.tensor(
      xs.map((_, i) => i + 1),
      t.shape,
    ),
  );

const cases: [string, (x: tf.Tensor) => tf.Tensor, number[]?][] = [
  ['Add broadcast row', (x) => w(tf.add(x, row3))],
  ['Add broadcast (b side)', (x) => w(tf.add(c23, tf.reshape(tf.sum(x, 0), [3])))],
  ['Sub broadcast col', (x) => w(tf.sub(col2, x))],
  ['Multiply', (x) => w(tf.mul(x, c23))],
  ['Multiply self', (x) => tf.mul(x, x)],
  ['RealDiv', (x) => w(tf.div(c23, x)), pos],
  ['RealDiv numerator', (x) => w(tf.div(x, row3))],
  ['Maximum', (x) => w(tf.maximum(x, 0.2))],
  ['Minimum', (x) => w(tf.minimum(x, 0.2))],
  ['SquaredDifference', (x) => w(tf.squaredDifference(x, c23))],
  ['Pow', (x) => w(tf.pow(x, 2.5)), pos],
  ['Pow exponent', (x) => w(tf.pow(tf.fill([2, 3], 1.7), x))],
  ['AddN', (x) => w(tf.addN([x, tf.mul(x, 2), c23]))],
  ['Abs', (x) => w(tf.abs(x))],
  ['Exp', (x) => w(tf.exp(x))],
  ['Expm1', (x) => w(tf.expm1(x))],
  ['Log', (x) => w(tf.log(x)), pos],
  ['Log1p', (x) => w(tf.log1p(x)), pos],
  ['Neg', (x) => w(tf.neg(x))],
  ['Reciprocal', (x) => w(tf.reciprocal(x)), pos],
  ['Relu', (x) => w(tf.relu(x))],
  ['Rsqrt', (x) => w(tf.rsqrt(x)), pos],
  ['Sqrt', (x) => w(tf.sqrt(x)), pos],
  ['Square', (x) => w(tf.square(x))],
  ['Softplus', (x) => w(tf.softplus(x))],
  ['LeakyRelu', (x) => w(tf.leakyRelu(x, 0.1))],
  ['Selu', (x) => w(tf.selu(x))],
  ['Elu', (x) => w(tf.elu(x))],
  ['Sigmoid', (x) => w(tf.sigmoid(x))],
  ['Tanh', (x) => w(tf.tanh(x))],
  ['ClipByValue', (x) => w(tf.clipByValue(x, -0.3, 0.5))],
  ['Reshape', (x) => w(tf.reshape(tf.reshape(x, [3, 2]), [2, 3]))],
  ['Transpose', (x) => tf.mul(tf.transpose(x), tf.transpose(c23))],
  ['Slice', (x) => tf.mul(tf.slice(x, [0, 1], [2, 2]), tf.tensor2d([1, 2, 3, 4], [2, 2]))],
  ['Concat', (x) => tf.mul(tf.concat([x, tf.square(x)], 1), tf.mul(tf.ones([2, 6]), tf.range(0, 6)))],
  ['Stack', (x) => tf.mul(tf.stack([x, tf.exp(x)]), tf.reshape(tf.range(0, 12), [2, 2, 3]))],
  ['Gather', (x) => tf.mul(tf.gather(x, tf.tensor1d([2, 0, 2], 'int32'), 1), tf.reshape(tf.range(1, 7), [2, 3]))],
  ['Gather rows', (x) => tf.mul(tf.gather(x, tf.tensor1d([1, 1, 0], 'int32')), tf.reshape(tf.range(1, 10), [3, 3]))],
  ['BroadcastTo', (x) => tf.mul(tf.broadcastTo(tf.reshape(tf.sum(x, 0), [1, 3]), [4, 3]), tf.reshape(tf.range(0, 12), [4, 3]))],
  ['Tile', (x) => tf.mul(tf.tile(x, [2, 1]), tf.reshape(tf.range(0, 12), [4, 3]))],
  ['Sum axis', (x) => tf.mul(tf.sum(x, 1), tf.tensor1d([1, -2]))],
  ['Sum keepDims', (x) => tf.mul(tf.sum(x, 0, true), tf.tensor2d([[1, -2, 3]]))],
  ['Mean', (x) => tf.mul(tf.mean(x, 1), tf.tensor1d([1, -2]))],
  ['Max', (x) => tf.mul(tf.max(x, 1), tf.tensor1d([1, -2]))],
  ['Min', (x) => tf.mul(tf.min(x, 0), tf.tensor1d([1, -2, 3]))],
  ['Softmax', (x) => w(tf.softmax(x))],
  ['LogSoftmax', (x) => w(tf.logSoftmax(x))],
  ['logSumExp', (x) => tf.mul(tf.logSumExp(x, 1), tf.tensor1d([1, -2]))],
  ['Where', (x) => w(tf.where(tf.greater(c23, 0), tf.exp(x), tf.square(x)))],
  ['MatMul', (x) => tf.matMul(x, tf.transpose(c23))],
  ['MatMul transposeB', (x) => tf.matMul(x, c23, false, true)],
  ['MatMul transposeA', (x) => tf.matMul(x, c23, true, false)],
  ['MatMul both', (x) => tf.matMul(c23, x, true, false)],
];

for (const be of backends) {
  describe(`registered gradients vs finite differences [${be}]`, () => {
    for (const [name, f, x0] of cases) {
      test(name, async () => {
        const n0 = await useBackend(be);
        checkGrad(name, f, x0 ?? xs, [2, 3]);
        assert.equal(tf.memory().numTensors, n0, 'no tensor leak');
      });
    }
  });
}
