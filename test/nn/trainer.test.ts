import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { AbortError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { Rng } from '../../src/core/rng.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { batchTensor, gatherRowsF32, indexBatches } from '../../src/nn/batches.js';
import { Dense } from '../../src/nn/dense.js';
import { klWeightAt, type TrainLoopOptions, trainLoop } from '../../src/nn/trainer.js';
import { backendsUnderTest, useBackend } from './helpers.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor2D; n: number };

/** A tiny regression problem: y = X w* + noise, X sparse-ish. */
function problem(seed: number) {
  const rng = new Rng(seed);
  const n = 64;
  const p = 5;
  const X = new Float64Array(n * p);
  for (let i = 0; i < X.length; i++) X[i] = rng.uniform() < 0.5 ? 0 : rng.normal();
  const wStar = [1, -2, 0.5, 0, 3];
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += X[i * p + j]! * wStar[j]!;
    y[i] = s + 0.01 * rng.normal();
  }
  return { csr: CsrMatrix.fromDense(new DenseMatrix(n, p, X)), y, n, p };
}

async function fit(seed: number, epochs: number, extra: Partial<TrainLoopOptions<Batch>> = {}) {
  const { csr, y, n, p } = problem(1);
  const layer = new Dense('lin', p, 1, new Rng(seed));
  const order = new Int32Array(n).map((_, i) => i);
  let history: Awaited<ReturnType<typeof trainLoop>>;
  try {
    history = await trainLoop<Batch>({
      epochs,
      variables: layer.variables(),
      optimizer: { lr: 0.05 },
      batchesPerEpoch: 4,
      trainBatches: function* () {
        for (const idx of indexBatches(order, 16)) {
          yield {
            x: batchTensor(csr, idx),
            y: tf.tensor2d(
              Array.from(idx, (i) => y[i]!),
              [idx.length, 1],
            ),
            n: idx.length,
          };
        }
      },
      batchSize: (b) => b.n,
      loss: (b) => {
        const mse = tf.mean(tf.square(tf.sub(layer.apply(b.x), b.y))) as tf.Scalar;
        return { loss: mse, terms: { mse } };
      },
      disposeBatch: (b) => tf.dispose([b.x, b.y]),
      validate: () => ({ w0: layer.w.dataSync()[0]! }),
      ...extra,
    });
  } catch (e) {
    layer.dispose();
    throw e;
  }
  const w = [...layer.w.dataSync()];
  layer.dispose();
  return { history, w };
}

for (const be of await backendsUnderTest()) {
  describe(`trainLoop [${be}]`, () => {
    test('learns a linear map, records history, leaks no tensors, is deterministic', async () => {
      const n0 = await useBackend(be);
      const events: ProgressEvent[] = [];
      const a = await fit(3, 60, { onProgress: (e) => events.push(e) });
      assert.equal(tf.memory().numTensors, n0);
      assert.equal(a.history.epochs.length, 60);
      assert.equal(a.history.steps, 240);
      const first = a.history.epochs[0]!.train.mse!;
      const last = a.history.epochs[59]!.train.mse!;
      assert.ok(last < first / 20, `mse ${first} -> ${last}`);
      assert.ok(Math.abs(a.w[1]! + 2) < 0.2 && Math.abs(a.w[4]! - 3) < 0.2, `w ${a.w}`);
      assert.ok(events.some((e) => e.metrics?.val_w0 !== undefined));
      // Throughput (cells/s = rows of the batches per second) rides on every progress event, not in the history.
      const final = events[events.length - 1]!;
      assert.ok((final.metrics?.['cells/s'] ?? 0) > 0, JSON.stringify(final.metrics));
      assert.equal(a.history.epochs[0]!.train['cells/s'], undefined);
      const b = await fit(3, 60);
      assert.deepEqual(b.w, a.w);
    });

    test('early stopping and abort', async () => {
      const n0 = await useBackend(be);
      // lr 0 -> the monitored metric never improves -> stops after patience epochs.
      const es = await fit(3, 50, { optimizer: { lr: 0 }, earlyStopping: { monitor: 'loss', patience: 3 } });
      assert.equal(es.history.stoppedEarly, true);
      assert.equal(es.history.epochs.length, 4);
      const ctrl = new AbortController();
      ctrl.abort();
      await assert.rejects(fit(3, 5, { signal: ctrl.signal }), AbortError);
      assert.equal(tf.memory().numTensors, n0);
    });
  });
}

test('KL warm-up follows scvi-tools: min(1, epoch/400)', () => {
  assert.equal(klWeightAt(0, { nEpochs: 400 }), 0);
  assert.ok(Math.abs(klWeightAt(99, { nEpochs: 400 }) - 0.2475) < 1e-12);
  assert.equal(klWeightAt(500, { nEpochs: 400 }), 1);
  assert.equal(klWeightAt(3), 1);
});

test('gatherRowsF32 densifies chosen CSR rows (with a column map)', () => {
  const d = DenseMatrix.fromRows([
    [1, 0, 2],
    [0, 3, 0],
    [4, 0, 5],
  ]);
  const csr = CsrMatrix.fromDense(d);
  const out = new Float32Array(6);
  assert.deepEqual([...gatherRowsF32(csr, [2, 0], out)], [4, 0, 5, 1, 0, 2]);
  assert.deepEqual([...gatherRowsF32(d, [1], new Float32Array(3))], [0, 3, 0]);
  // column map: source col 2 -> out 0, col 0 -> out 1, col 1 dropped.
  assert.deepEqual([...gatherRowsF32(csr, [0, 2], new Float32Array(4), 2, Int32Array.from([1, -1, 0]))], [2, 1, 5, 4]);
});
