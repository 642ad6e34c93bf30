import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { trainMixupVI } from '../../src/models/mixupvi/model.js';
import { SCVI_MODEL_DEFAULTS } from '../../src/models/scvi/config.js';
import { loadScvi, trainScvi } from '../../src/models/scvi/model.js';
import { initBackend } from '../../src/nn/backend.js';
import { syntheticCounts } from '../methods/deep/mixupvi/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-scvi-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tiny = { latent: 3, hidden: 8, batchSize: 32, epochs: 2, nEpochsKlWarmup: 0, validationBatches: 1, backend: 'wasm' as const };

test('models/scvi: train -> latent (cells x d) -> save -> load -> the same latent; data contract in the manifest', async () => {
  await initBackend('wasm');
  const ds = syntheticCounts({ nCells: 60, nGenes: 10, nTypes: 2 });
  const n0 = tf.memory().numTensors;
  const m = await trainScvi(ds, { labelsKey: 'cell_type' }, tiny, { seed: 2 });
  assert.equal(m.info.options.mixupPenalty, 'none');
  assert.equal(m.info.options.trainSize, SCVI_MODEL_DEFAULTS.trainSize, 'scvi-tools default split');
  assert.deepEqual(m.info.fields, { labelsKey: 'cell_type', layer: 'raw_counts' });
  assert.equal(m.info.history.epochs.length, 2);
  const z = await m.latent(ds);
  assert.deepEqual([z.rows, z.cols], [60, 3]);
  assert.ok(Array.from(z.data).every(Number.isFinite));
  await m.save(join(dir, 'scvi'), 'scvi');
  const { model: l, manifest } = await loadScvi(join(dir, 'scvi'), 'scvi', () => m.info.options);
  assert.deepEqual(manifest.fields, m.info.fields);
  assert.deepEqual((await l.latent(ds)).data, z.data);
  // MixupVI on the same data, same seed: another model (the penalty changes the weights).
  const mx = await trainMixupVI(
    ds,
    { labelsKey: 'cell_type' },
    { ...tiny, nPseudobulks: 4, nCellsPerPseudobulk: 8, shards: 1 },
    { seed: 2 },
  );
  assert.ok(Number.isFinite(mx.info.history.epochs[1]?.train.mixup as number));
  assert.notDeepEqual((await mx.latent(ds)).data, z.data);
  for (const x of [m, l, mx]) x.dispose();
  assert.equal(tf.memory().numTensors, n0, 'no tensors left');
});
