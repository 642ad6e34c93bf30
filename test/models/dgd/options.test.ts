import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { DgdModel } from '../../../src/models/dgd/model.js';
import { initBackend } from '../../../src/nn/backend.js';
import { twoClusterNb } from './toy.js';

const dir = mkdtempSync(join(tmpdir(), 'dgd-opts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('checkpoints, max scaling + softplus, per-sample prior, early stopping; no tensor leak', async () => {
  await initBackend('wasm');
  const toy = twoClusterNb(40, 30, 9);
  const n0 = tf.memory().numTensors;
  const ck = join(dir, 'ck');
  const m = await DgdModel.train(
    toy.ds,
    {},
    {
      seed: 2,
      options: { epochs: 4, batchSize: 16, components: 2, checkpointEvery: 2, checkpointDir: ck, scaling: 'max', priorPerSample: true },
    },
  );
  assert.equal(m.decoder.config.activation, 'softplus');
  assert.ok(existsSync(join(ck, 'manifest.json')));
  const c = await DgdModel.load(ck);
  assert.equal(c.state.training.checkpointEpoch, 3);
  assert.equal(c.history.epochs.length, 4);
  c.dispose();
  const es = await DgdModel.train(
    toy.ds,
    {},
    {
      seed: 2,
      options: {
        epochs: 30,
        batchSize: 16,
        components: 2,
        earlyStopping: true,
        earlyStoppingStart: 0,
        earlyStoppingPatience: 1,
        lrSchedule: [[0.05, 0.5, 0.05]],
        lrScheduleEpochs: [0],
      },
    },
  );
  // With a patience of one epoch and large steps the validation loss stops improving early.
  assert.ok(es.history.stoppedEarly && es.history.epochs.length < 30, `epochs ${es.history.epochs.length}`);
  m.dispose();
  es.dispose();
  assert.equal(tf.memory().numTensors, n0);
});
