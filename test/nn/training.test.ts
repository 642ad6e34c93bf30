import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { AbortError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Adam, ownedVariable } from '../../src/nn/adam.js';
import { initBackend } from '../../src/nn/backend.js';
import { EmbeddingTable, RowAdam } from '../../src/nn/modules/embedding-table.js';
import { linearWarmup, stepDecay } from '../../src/nn/schedules.js';
import { type LoopState, type ParamGroup, type TrainOptions, train } from '../../src/nn/training.js';

/**
 * A toy decoder-only model (DGD-like): x_i ≈ W · rep_i. The representation of each cell is a row of
 * a table; the decoder W is a dense variable.
 */
const N = 12;
const D = 3;
const G = 4;
function toyData(): Float32Array {
  const rng = new Rng(9);
  return Float32Array.from({ length: N * G }, () => rng.normal());
}
type Batch = { rows: Int32Array; x: tf.Tensor2D };
const batchesOf = (x: Float32Array) =>
  function* (): Generator<Batch> {
    for (const rows of [Int32Array.of(0, 2, 4, 6, 8, 10), Int32Array.of(1, 3, 5, 7, 9, 11)]) {
      yield {
        rows,
        x: tf.tensor2d(
          Array.from(rows).flatMap((i) => Array.from(x.subarray(i * G, (i + 1) * G))),
          [rows.length, G],
        ),
      };
    }
  };

function toyModel(seed: number) {
  const rng = new Rng(seed);
  const W = ownedVariable(
    tf.tensor2d(
      Float32Array.from({ length: D * G }, () => rng.normal() * 0.3),
      [D, G],
    ),
    true,
    `W${seed}-${Math.random()}`,
  );
  const table = EmbeddingTable.normal('rep', N, D, rng.fork('rep'), 0.5);
  return { W, table };
}

function toyOptions(m: ReturnType<typeof toyModel>, x: Float32Array, epochs: number, repEvery: 'batch' | 'epoch'): TrainOptions<Batch> {
  return {
    epochs,
    groups: [
      { name: 'decoder', variables: [m.W], optimizer: { lr: 0.05 }, lr: stepDecay(0.05, 2, 0.5) },
      { name: 'rep', table: m.table, rows: (b) => b.rows, optimizer: { lr: 0.1, weightDecay: 0 }, stepEvery: repEvery },
    ],
    trainBatches: batchesOf(x),
    disposeBatch: (b) => b.x.dispose(),
    loss: (b, ctx) => {
      const z = ctx.rows?.rep as tf.Tensor2D;
      const loss = tf.mean(tf.square(tf.sub(tf.matMul(z, m.W), b.x))) as tf.Scalar;
      return { loss, terms: {} };
    },
    klWeight: linearWarmup({ nEpochs: 2 }),
  };
}

test('row-sparse table: one step touches only the batch rows and matches dense Adam on them', async () => {
  await initBackend('cpu');
  const table = EmbeddingTable.normal('t', 6, 2, new Rng(1));
  const before = Float32Array.from(table.data);
  const opt = new RowAdam(table, { lr: 0.1, weightDecay: 0 });
  const dense = ownedVariable(tf.tensor2d(before, [6, 2]), true, 'dense-ref');
  const adam = new Adam([dense], { lr: 0.1, weightDecay: 0 });
  const rows = Int32Array.of(1, 4, 1); // row 1 twice: its gradients add up
  const target = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  const v = table.gather(rows);
  const g1 = tf.variableGrads(() => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar, [v]);
  opt.apply(rows, g1.grads[v.name]!.dataSync());
  const g2 = tf.variableGrads(() => tf.sum(tf.square(tf.sub(tf.gather(dense, tf.tensor1d(rows, 'int32')), target))) as tf.Scalar, [dense]);
  adam.apply(g2.grads);
  const ref = dense.dataSync();
  for (let k = 0; k < 12; k++) {
    const row = Math.floor(k / 2);
    if (row === 1 || row === 4) assert.ok(Math.abs(table.data[k]! - ref[k]!) < 1e-6, `row ${row}`);
    else assert.equal(table.data[k], before[k], `row ${row} untouched`);
  }
  tf.dispose([v, target, dense, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
  adam.dispose();
});

test('per-epoch row group = plain Adam on the table with gradients summed over the epoch; frozen group stays', async () => {
  await initBackend('cpu');
  const x = toyData();
  const a = toyModel(3);
  const frozenBefore = a.W.dataSync().slice();
  const o = toyOptions(a, x, 3, 'epoch');
  (o.groups[0] as ParamGroup<Batch>).frozen = true;
  await train(o);
  assert.deepEqual(a.W.dataSync(), frozenBefore, 'frozen decoder unchanged');
  // Reference: the table as one tf.Variable, gathered per batch, Adam once per epoch on the sum.
  const b = toyModel(3);
  const T = ownedVariable(tf.tensor2d(Float32Array.from(b.table.data), [N, D]), true, `T-${Math.random()}`);
  const adam = new Adam([T], { lr: 0.1, weightDecay: 0 });
  for (let e = 0; e < 3; e++) {
    let acc = tf.zeros([N, D]);
    for (const bt of batchesOf(x)()) {
      const { grads, value } = tf.variableGrads(
        () => tf.mean(tf.square(tf.sub(tf.matMul(tf.gather(T, tf.tensor1d(bt.rows, 'int32')), b.W), bt.x))) as tf.Scalar,
        [T],
      );
      const next = tf.add(acc, grads[T.name]!);
      acc.dispose();
      acc = next;
      tf.dispose([value, bt.x, ...Object.values(grads)]);
    }
    adam.apply([acc]);
    acc.dispose();
  }
  const ref = T.dataSync();
  for (let k = 0; k < N * D; k++) assert.ok(Math.abs(a.table.data[k]! - ref[k]!) < 1e-5, `entry ${k}: ${a.table.data[k]} vs ${ref[k]}`);
  adam.dispose();
  tf.dispose([T, a.W, b.W]);
});

for (const every of ['batch', 'epoch'] as const) {
  test(`checkpoint after epoch 2 + resume = uninterrupted run, bit for bit (rows step per ${every})`, async () => {
    await initBackend('cpu');
    const x = toyData();
    const n0 = tf.memory().numTensors;
    const full = toyModel(5);
    const hFull = await train(toyOptions(full, x, 4, every));
    // Interrupted run: stop after 2 epochs with a checkpoint; a fresh model restores it and goes on.
    const part = toyModel(5);
    let saved: { state: LoopState; W: Float32Array; table: Float32Array } | undefined;
    const ac = new AbortController();
    await assert.rejects(
      train({
        ...toyOptions(part, x, 4, every),
        signal: ac.signal,
        checkpoint: {
          every: 2,
          save: (state) => {
            saved ??= { state, W: part.W.dataSync().slice() as Float32Array, table: Float32Array.from(part.table.data) };
            ac.abort(); // interrupted right after the first checkpoint
          },
        },
      }),
      AbortError,
    );
    assert.ok(saved);
    assert.equal(saved.state.nextEpoch, 2);
    const resumed = toyModel(77); // different init: everything must come from the checkpoint
    tf.tidy(() => resumed.W.assign(tf.tensor2d(saved!.W, [D, G])));
    resumed.table.data.set(saved.table);
    const hRes = await train({ ...toyOptions(resumed, x, 4, every), resume: saved.state });
    assert.deepEqual(resumed.W.dataSync(), full.W.dataSync());
    assert.deepEqual(resumed.table.data, full.table.data);
    assert.equal(hRes.steps, hFull.steps);
    assert.deepEqual(
      hRes.epochs.map((e) => e.train.loss),
      hFull.epochs.map((e) => e.train.loss),
    );
    tf.dispose([full.W, part.W, resumed.W]);
    assert.equal(tf.memory().numTensors, n0, 'no tensors left behind');
  });
}
