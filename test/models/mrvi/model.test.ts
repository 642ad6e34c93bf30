/**
 * MrVI model: the spec's synthetic recovery test (guided test on known sample effects), training on
 * a small simulated data set (seed determinism, save/load, checkpoints, tensor memory, recovery of
 * a planted sample grouping) and the typed errors of the data contract.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import { Dataset } from '../../../src/data/dataset.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../../src/data/frame.js';
import { DistanceAccumulator, type SampleEffects } from '../../../src/models/mrvi/distances.js';
import { flagRates, GuidedTest } from '../../../src/models/mrvi/guided.js';
import { MrviModel } from '../../../src/models/mrvi/model.js';
import { initBackend } from '../../../src/nn/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'mrvi-test-'));
before(async () => {
  await initBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('synthetic recovery: the guided test flags type-A cells and not type-B cells', () => {
  // z = u + A_s u + a_s with two sample groups: group 1's A_s scales u's first coordinate, which is
  // large only in type-A cells, so only type A's distances follow the grouping; a_s is small noise.
  const rng = new Rng(7);
  const S = 16;
  const L = 2;
  const A = new Float64Array(S * L * L);
  const a = new Float64Array(S * L);
  const group = Int32Array.from({ length: S }, (_, s) => (s < S / 2 ? 0 : 1));
  for (let s = 0; s < S; s++) {
    if (group[s] === 1) A[s * 4] = 1.5; // A_s[0, 0]
    a[s * 2] = 0.15 * rng.normal();
    a[s * 2 + 1] = 0.15 * rng.normal();
  }
  const eff: SampleEffects = { nSamples: S, latent: L, A, a };
  const n = 400;
  const u = new Float64Array(n * L);
  const type = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    type[i] = i % 2;
    u[i * 2] = type[i] === 0 ? 2 + 0.3 * rng.normal() : 0.05 * rng.normal();
    u[i * 2 + 1] = rng.normal();
  }
  const test = new GuidedTest(group, n);
  const acc = new DistanceAccumulator(eff, ['A', 'B']);
  acc.add(
    u,
    n,
    type,
    Int32Array.from({ length: n }, (_, i) => (i >> 1) % S),
    (r, D) => test.addCell(r, D),
  );
  const r = test.finish(0.05);
  const affected = Uint8Array.from(type, (t) => (t === 0 ? 1 : 0));
  const rates = flagRates(r.flagged, affected);
  assert.ok(rates.tpr > 0.95, `TPR ${rates.tpr}`);
  assert.ok(rates.fdr <= 0.05, `FDR ${rates.fdr}`);
  const [gA, gB] = acc.finish(5);
  assert.equal(gA?.samples.length, S);
  assert.equal(gB?.samples.length, S);
});

/** Counts where group-1 samples double genes 0..7 in type-A cells. */
function toyData(seed: number): Dataset {
  const rng = new Rng(seed);
  const S = 8;
  const G = 40;
  const N = 640;
  const data = new Float64Array(N * G);
  const samples: string[] = [];
  const types: string[] = [];
  const groups: string[] = [];
  const base = Float64Array.from({ length: G }, () => 0.5 + 3 * rng.uniform());
  for (let i = 0; i < N; i++) {
    const s = i % S;
    const t = (i >> 3) % 2 === 0 ? 'A' : 'B';
    samples.push(`s${s}`);
    types.push(t);
    groups.push(s < 4 ? 'ctrl' : 'case');
    for (let g = 0; g < G; g++) {
      let mu = base[g] as number;
      if (t === 'B' && g >= 20 && g < 30) mu *= 4;
      if (t === 'A' && s >= 4 && g < 8) mu *= 3;
      data[i * G + g] = rng.poisson(mu);
    }
  }
  return new Dataset({
    X: new DenseMatrix(N, G, data),
    varNames: Array.from({ length: G }, (_, g) => `g${g}`),
    obs: new Frame(N, { sample: categoricalFrom(samples), cell_type: categoricalFrom(types), group: categoricalFrom(groups) }),
  });
}

test('training is seeded; save/load round-trips; checkpoints are written; no tensors leak', async () => {
  const ds = toyData(1);
  const tensors = tf.memory().numTensors;
  const opts = { epochs: 3, nHvg: 0, hidden: 32, batchSize: 128, checkpointEvery: 2, checkpointDir: join(dir, 'ckpt') };
  const m1 = await MrviModel.train(ds, { sampleKey: 'sample', labelsKey: 'cell_type' }, opts, { seed: 5 });
  const m2 = await MrviModel.train(ds, { sampleKey: 'sample', labelsKey: 'cell_type' }, { ...opts, checkpointEvery: 0 }, { seed: 5 });
  const w1 = m1.module.C.dataSync();
  assert.deepEqual(w1, m2.module.C.dataSync());
  assert.deepEqual(m1.module.A.dataSync(), m2.module.A.dataSync());
  assert.ok(existsSync(join(dir, 'ckpt', 'manifest.json')));
  assert.equal(m1.history?.epochs.length, 3);
  assert.ok(Number.isFinite(m1.history?.epochs[2]?.val?.elbo));
  const r1 = await m1.sampleDistances(ds, { groupby: 'cell_type' });
  await m1.save(join(dir, 'model'));
  const loaded = await MrviModel.load(join(dir, 'model'));
  const r2 = await loaded.sampleDistances(ds, { groupby: 'cell_type' });
  assert.deepEqual(r2.groups[0]?.D, r1.groups[0]?.D);
  assert.deepEqual(loaded.sampleNames, m1.sampleNames);
  m1.dispose();
  m2.dispose();
  loaded.dispose();
  assert.equal(tf.memory().numTensors, tensors);
});

test('a trained model separates the planted sample groups in type A and the guided test finds them', async () => {
  const ds = toyData(2);
  const model = await MrviModel.train(
    ds,
    { sampleKey: 'sample' },
    { epochs: 30, nHvg: 0, hidden: 32, batchSize: 128, earlyStoppingPatience: 0 },
    { seed: 0 },
  );
  const res = await model.sampleDistances(ds, { groupby: 'cell_type', covariate: 'group' });
  const ratio = (name: string) => {
    const g = res.groups.find((x) => x.group === name);
    assert.ok(g);
    const S = g.samples.length;
    let w = 0;
    let b = 0;
    for (let i = 0; i < S; i++)
      for (let j = i + 1; j < S; j++) {
        if (i < 4 === j < 4) w += g.D[i * S + j] as number;
        else b += g.D[i * S + j] as number;
      }
    return b / 16 / (w / 12);
  };
  const rA = ratio('A');
  const rB = ratio('B');
  assert.ok(rA > 1.4 && rA > 1.2 * rB, `between/within ratio A ${rA}, B ${rB}`);
  const g = res.guided;
  assert.ok(g);
  const typeA = Uint8Array.from({ length: ds.nObs }, (_, i) => ((i >> 3) % 2 === 0 ? 1 : 0));
  const rates = flagRates(g.flagged, typeA);
  const typeB = typeA.map((x) => 1 - x);
  const flaggedB = flagRates(g.flagged, typeB).tpr;
  // After this short training (30 epochs) the group effect also leaks into type B through a_s
  // (between/within ~1.3 there vs ~1.8 in A), and the per-cell KS test, with ~120 distances per
  // side, flags most B cells too: only the ordering is asserted here. The PBMC3k benchmark in
  // docs/BENCHMARKS.md reports FDR/TPR after a full training.
  assert.ok(rates.tpr > 0.9 && flaggedB <= rates.tpr, `flagged: type A ${rates.tpr}, type B ${flaggedB}`);
  model.dispose();
});

test('bad input gives typed errors naming the column', async () => {
  const ds = toyData(3);
  const n = ds.nObs;
  const one = new Dataset({ X: ds.X, varNames: ds.varNames, obs: new Frame(n, { sample: categoricalFrom(Array(n).fill('only')) }) });
  await assert.rejects(
    MrviModel.train(one, { sampleKey: 'sample' }, { epochs: 1 }),
    (e: Error & { code?: string }) => e.code === 'E_ONE_SAMPLE' && /'sample'/.test(e.message),
  );
  const emptyCat = categoricalFrom(
    Array.from({ length: n }, (_, i) => `s${i % 2}`),
    ['s0', 's1', 's2'],
  );
  const empty = new Dataset({ X: ds.X, varNames: ds.varNames, obs: new Frame(n, { sample: emptyCat }) });
  await assert.rejects(
    MrviModel.train(empty, { sampleKey: 'sample' }, { epochs: 1 }),
    (e: Error & { code?: string }) => e.code === 'E_EMPTY_SAMPLE' && /s2/.test(e.message),
  );
  await assert.rejects(
    MrviModel.train(ds, { sampleKey: 'donor' }, { epochs: 1 }),
    (e: Error & { code?: string }) => e.code === 'E_NO_COLUMN' && /donor/.test(e.message) && /--sample-key/.test(e.message),
  );
  await assert.rejects(
    MrviModel.train(ds, { sampleKey: 'sample', batchKey: 'site' }, { epochs: 1 }),
    (e: Error & { code?: string }) => e.code === 'E_NO_COLUMN' && /site/.test(e.message),
  );
  const model = await MrviModel.train(ds, { sampleKey: 'sample' }, { epochs: 1, nHvg: 0, hidden: 8 }, { seed: 0 });
  // covariate not constant within a sample: cell_type varies within every sample
  await assert.rejects(
    model.sampleDistances(ds, { covariate: 'cell_type' }),
    (e: Error & { code?: string }) => e.code === 'E_COVARIATE_NOT_CONSTANT' && /cell_type/.test(e.message),
  );
  await assert.rejects(model.sampleDistances(ds, { groupby: 'nope' }), (e: Error & { code?: string }) => e.code === 'E_NO_COLUMN');
  model.dispose();
});
