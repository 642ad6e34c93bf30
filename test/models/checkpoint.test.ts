import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import { readCheckpoint, writeCheckpoint } from '../../src/models/scvi/checkpoint.js';
import { ownedVariable } from '../../src/nn/adam.js';
import { initBackend } from '../../src/nn/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('checkpoint round trip: weights, Adam moments, RNG streams (with a cached normal), NaN in history; other runs refused', async () => {
  await initBackend('cpu');
  const w = ownedVariable(tf.tensor2d([1, 2, 3, 4], [2, 2]), true, `ck-w-${Math.random()}`);
  const rng = new Rng(3);
  rng.normal(); // leaves a cached second deviate: the snapshot must keep it
  const key = { model: 'toy', seed: 3 };
  const state = {
    nextEpoch: 2,
    history: { epochs: [{ epoch: 0, train: { loss: 1 }, val: { d: Number.NaN }, klWeight: 0, seconds: 1 }], steps: 4, stoppedEarly: false },
    earlyStopping: { best: Number.NaN, bad: 0 },
    optimizers: { params: { step: 4, m: [Float32Array.of(0.1, 0.2, 0.3, 0.4)], v: [Float32Array.of(1, 2, 3, 4)] } },
  };
  writeCheckpoint(dir, key, state, [['w', w]], { steps: rng });
  const expected = [rng.normal(), rng.nextUint32()];
  writeCheckpoint(dir, key, { ...state, nextEpoch: 3 }, [['w', w]], { steps: new Rng(3) });
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.bin')),
    ['checkpoint-3.bin'],
    'older binaries removed',
  );
  // Back to the first checkpoint's content for the round trip.
  writeCheckpoint(dir, key, state, [['w', w]], {
    steps: (() => {
      const r = new Rng(3);
      r.normal();
      return r;
    })(),
  });
  w.assign(tf.zeros([2, 2]));
  const r2 = new Rng(99);
  const s = await readCheckpoint(dir, key, [['w', w]], { steps: r2 });
  assert.deepEqual(Array.from(w.dataSync()), [1, 2, 3, 4]);
  assert.deepEqual([r2.normal(), r2.nextUint32()], expected);
  assert.equal(s.nextEpoch, 2);
  assert.ok(Number.isNaN(s.earlyStopping.best));
  assert.ok(Number.isNaN(s.history.epochs[0]?.val?.d as number));
  assert.deepEqual(
    Array.from((s.optimizers.params as { m: Float32Array[] }).m[0] as Float32Array),
    Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4)),
  );
  await assert.rejects(readCheckpoint(dir, { ...key, seed: 4 }, [['w', w]], { steps: r2 }), {
    code: 'E_CHECKPOINT',
    message: /another run/,
  });
  writeFileSync(join(dir, 'checkpoint.json'), '{broken');
  await assert.rejects(readCheckpoint(dir, key, [['w', w]], { steps: r2 }), { code: 'E_CHECKPOINT' });
  await assert.rejects(readCheckpoint(join(dir, 'nothing'), key, [['w', w]], { steps: r2 }), { code: 'E_CHECKPOINT' });
  w.dispose();
});
