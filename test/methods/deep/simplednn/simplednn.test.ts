import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../../src/core/rng.js';
import { pairedBulkDataset, pairedFromPseudoDonors } from '../../../../src/methods/deep/paired/paired-data.js';
import { SIMPLEDNN_DEFAULTS, SIMPLEDNN_SPACE, searchConfigs, simplednn } from '../../../../src/methods/deep/simplednn/model.js';
import { initBackend } from '../../../../src/nn/backend.js';
import { syntheticCells } from '../../../benchmark/synthetic.js';

test('search configurations: grid = full product, random = distinct subset, none = given config', () => {
  const base = { ...SIMPLEDNN_DEFAULTS };
  const grid = searchConfigs({ ...base, search: 'grid' }, new Rng(0));
  assert.equal(grid.length, SIMPLEDNN_SPACE.hidden.length * SIMPLEDNN_SPACE.dropout.length * SIMPLEDNN_SPACE.lr.length);
  const rnd = searchConfigs({ ...base, search: 'random', nTrials: 5 }, new Rng(1));
  assert.equal(rnd.length, 5);
  assert.equal(new Set(rnd.map((c) => JSON.stringify(c))).size, 5);
  assert.deepEqual(searchConfigs({ ...base, search: 'random', nTrials: 5 }, new Rng(1)), rnd);
  for (const c of rnd) assert.equal(c.dropout.length, c.hidden.length);
  assert.deepEqual(searchConfigs({ ...base, search: 'none', hidden: [8], dropout: [0.2], lr: 0.01 }, new Rng(0)), [
    { hidden: [8], dropout: [0.2], lr: 0.01 },
  ]);
  assert.throws(() => searchConfigs({ ...base, search: 'bogus' as 'grid' }, new Rng(0)), { code: 'E_OPTION' });
});

test('SimpleDNN: search on paired PBMC-like pseudo-donors, split by patient, chosen config reported, save/load', async () => {
  await initBackend('wasm');
  const { ds } = syntheticCells([80, 60, 40], 20, 8);
  const { paired } = pairedFromPseudoDonors(ds, { labelsKey: 'cell_type', nDonors: 12, seed: 1 });
  const before = tf.memory().numTensors;
  const f = await simplednn.fit(null, {
    seed: 4,
    options: {
      trainingData: 'paired',
      paired,
      nAug: 5,
      augRatio: 0.8,
      search: 'random',
      nTrials: 2,
      epochs: 4,
      patience: 2,
      space: { hidden: [[16], [16, 8]], dropout: [0, 0.1], lr: [1e-3] },
    },
  });
  const h = f.toJSON().history as { trials: { valMse: number }[]; nValidation: number; nTrain: number; bestValMse: number };
  assert.equal(h.trials.length, 2);
  assert.equal(h.nValidation % 5, 0, 'validation holds whole patients (5 copies each)');
  assert.equal(h.nTrain + h.nValidation, 60);
  assert.equal(h.bestValMse, Math.min(...h.trials.map((t) => t.valMse)));
  const chosen = f.toJSON().chosen as { hidden: number[] };
  assert.ok([1, 2].includes(chosen.hidden.length));
  const bulk = pairedBulkDataset(paired);
  const r = await f.deconvolve(bulk);
  assert.deepEqual(r.cellTypes, paired.cellTypes);
  for (let i = 0; i < r.proportions.rows; i++) assert.ok(Math.abs(r.proportions.row(i).reduce((a, b) => a + b, 0) - 1) < 1e-6);
  const dir = mkdtempSync(join(tmpdir(), 'sdnn-'));
  try {
    await f.save?.(dir);
    const l = await simplednn.load?.(dir);
    assert.ok(l);
    assert.deepEqual((await l.deconvolve(bulk)).proportions.data, r.proportions.data);
    (l as unknown as { dispose(): void }).dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  (f as unknown as { dispose(): void }).dispose();
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(simplednn.fit(null, { options: { trainingData: 'paired', paired } }), { code: 'E_AUG_REQUIRED' });
});
