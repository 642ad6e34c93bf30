import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { adjustedRandIndex } from '../../../src/benchmark/clustering.js';
import { DgdModel } from '../../../src/models/dgd/model.js';
import { initBackend } from '../../../src/nn/backend.js';
import { twoClusterNb } from './toy.js';

const dir = mkdtempSync(join(tmpdir(), 'dgd-model-'));
const OPTS = { epochs: 60, batchSize: 32, components: 2, validationFraction: 0.1 };
let model: DgdModel;
const toy = twoClusterNb();

before(async () => {
  await initBackend('wasm');
  model = await DgdModel.train(toy.ds, {}, { seed: 7, options: OPTS });
});
after(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('toy 2-cluster NB data: GMM clusters of the representations recover the clusters (ARI > 0.9)', () => {
  const lat = model.latent();
  const idx = toy.ds.obsIndex();
  const truth = lat.obsNames.map((n) => toy.truth[idx.get(n)!]!);
  const clusters = model.cluster(lat.z);
  const ari = adjustedRandIndex(truth, clusters);
  assert.ok(ari > 0.9, `ARI ${ari}`);
  // Training decreased the loss.
  const h = model.history.epochs;
  assert.ok(h.at(-1)!.train.loss < h[0]!.train.loss);
  assert.ok(h.at(-1)!.val !== undefined);
});

test('representation optimiser steps exactly once per epoch', () => {
  assert.equal(model.history.representationSteps, OPTS.epochs);
  // 144 training cells in batches of 32: 5 decoder/GMM steps per epoch.
  assert.equal(model.history.steps, OPTS.epochs * 5);
});

test('new-cell inference on training cells returns their z (decoder and GMM frozen)', async () => {
  const lat = model.latent();
  const nTrain = lat.isValidation.indexOf(1);
  const names = lat.obsNames.slice(0, 40);
  const sub = toy.ds.selectObs(names.map((n) => toy.ds.obsIndex().get(n)!));
  const L = model.options.latent;
  const before = model.gmmParams();
  const emb = await model.embed(sub, { options: { inferEpochs: 400 } });
  // Decoder/GMM untouched.
  assert.deepEqual(model.gmmParams().mean, before.mean);
  let err = 0;
  let spread = 0;
  for (let i = 0; i < names.length; i++) {
    for (let d = 0; d < L; d++) {
      err += (emb.z[i * L + d]! - lat.z[i * L + d]!) ** 2;
      spread += (lat.z[i * L + d]! - lat.z[((i + 1) % nTrain) * L + d]!) ** 2;
    }
  }
  const rel = Math.sqrt(err / spread);
  assert.ok(rel < 0.25, `relative distance ${rel}`);
  assert.deepEqual(Array.from(emb.clusters), Array.from(model.cluster(lat.z.subarray(0, names.length * L))));
  // Inferred z fits the cells at least as well as a component mean would.
  assert.ok(emb.logLik.every((v) => Number.isFinite(v) && v < 0));
});

test('select-first variant gives valid representations and clusters', async () => {
  const sub = toy.ds.selectObs([0, 1, 2, 3, 4, 5]);
  const emb = await model.embed(sub, { options: { selectBeforeTraining: true } });
  assert.equal(emb.z.length, 6 * model.options.latent);
  const ari = adjustedRandIndex(Array.from(toy.truth.subarray(0, 6)), emb.clusters);
  assert.ok(ari > 0.9, `ARI ${ari}`);
});

test('save/load round trip is bit-identical; wrong-sized weights -> typed error, nothing loaded', async () => {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await model.save(a);
  const n0 = tf.memory().numTensors;
  const loaded = await DgdModel.load(a);
  await loaded.save(b);
  assert.ok(readFileSync(join(a, 'weights.bin')).equals(readFileSync(join(b, 'weights.bin'))));
  assert.deepEqual(loaded.latent().z, model.latent().z);
  const sub = toy.ds.selectObs([10, 11, 12]);
  const e1 = await model.embed(sub);
  const e2 = await loaded.embed(sub);
  assert.deepEqual(e1.z, e2.z);
  loaded.dispose();
  assert.equal(tf.memory().numTensors, n0);
  // Edit the manifest: a latent size the weights do not have.
  const { saveModelDir, loadModelDir } = await import('../../../src/io/model-dir.js');
  const { manifest, weights } = await loadModelDir(a);
  const bad = join(dir, 'bad');
  const { weights: _w, format: _f, version: _v, createdAt: _c, libraries: _l, ...rest } = manifest;
  await saveModelDir(bad, { ...rest, config: { ...(manifest.config as object), latent: 5 } }, weights);
  await assert.rejects(
    DgdModel.load(bad),
    (e: Error & { code?: string }) => e.code === 'E_MODEL_WEIGHTS' && /representations\.train/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, n0);
});

test('same seed -> same weights (bit-identical); another seed -> different', async () => {
  const o = { ...OPTS, epochs: 3 };
  const m1 = await DgdModel.train(toy.ds, {}, { seed: 3, options: o });
  const m2 = await DgdModel.train(toy.ds, {}, { seed: 3, options: o });
  const m3 = await DgdModel.train(toy.ds, {}, { seed: 4, options: o });
  const w = (m: DgdModel) => Array.from(m.weights().values()).flatMap((x) => Array.from(x.data));
  assert.deepEqual(w(m1), w(m2));
  assert.notDeepEqual(w(m1), w(m3));
  for (const m of [m1, m2, m3]) m.dispose();
});

test('generate: counts with the model genes, per-component draws, deterministic by seed', async () => {
  const g1 = await model.generate(50, { seed: 2 });
  const g2 = await model.generate(50, { seed: 2 });
  assert.equal(g1.counts.rows, 50);
  assert.equal(g1.counts.cols, model.genes.length);
  assert.deepEqual(g1.counts.data, g2.counts.data);
  const c0 = await model.generate(40, { seed: 1, component: 0 });
  assert.ok(c0.components.every((k) => k === 0));
  // Generated cells of component k are assigned back to k when embedded.
  const { Dataset } = await import('../../../src/data/dataset.js');
  const ds = new Dataset({ X: c0.counts, varNames: [...model.genes] });
  const emb = await model.embed(ds);
  const agree = emb.clusters.filter((k) => k === 0).length / 40;
  assert.ok(agree > 0.9, `agreement ${agree}`);
});

test('supervised variant: each class owns its component', async () => {
  const m = await DgdModel.train(toy.ds, { labelsKey: 'cell_type' }, { seed: 1, options: { epochs: 60, batchSize: 32, supervised: true } });
  assert.equal(m.options.components, 2);
  const lat = m.latent();
  const idx = toy.ds.obsIndex();
  const truth = lat.obsNames.map((n) => toy.truth[idx.get(n)!]!);
  const cl = m.cluster(lat.z);
  const acc = cl.filter((k, i) => k === truth[i]).length / cl.length;
  assert.ok(acc > 0.9, `accuracy ${acc}`);
  m.dispose();
});
