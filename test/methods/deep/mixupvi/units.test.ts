import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../../../src/core/errors.js';
import { Rng } from '../../../../src/core/rng.js';
import { MIXUPVI_DEFAULTS, resolveOptions, SCVI_DEFAULTS } from '../../../../src/methods/deep/mixupvi/config.js';
import { latentNnls, pearson, quantileSorted } from '../../../../src/methods/deep/mixupvi/latent.js';
import { MixupVAE, meanRowPearson, VAR_EPS } from '../../../../src/models/mixupvi/module.js';
import {
  dirichletBatches,
  dirichletPseudobulks,
  pseudobulkProportions,
  roundHalfEven,
  trainValidationSplit,
  uniformPseudobulks,
} from '../../../../src/models/scvi/batching.js';
import { backendsUnderTest, useBackend } from '../../../nn/helpers.js';

test('options: published defaults, scVI = no penalty, typed errors', () => {
  assert.equal(MIXUPVI_DEFAULTS.latent, 30);
  assert.equal(MIXUPVI_DEFAULTS.hidden, 512);
  assert.equal(MIXUPVI_DEFAULTS.batchSize, 2048);
  assert.equal(MIXUPVI_DEFAULTS.mixupPenalty, 'l2');
  assert.equal(SCVI_DEFAULTS.mixupPenalty, 'none');
  assert.equal(resolveOptions(MIXUPVI_DEFAULTS, { latent: '10' }).latent, 10);
  assert.throws(
    () => resolveOptions(MIXUPVI_DEFAULTS, { latnt: 3 }),
    (e: unknown) => e instanceof InputError && e.code === 'E_OPTION',
  );
  assert.throws(() => resolveOptions(MIXUPVI_DEFAULTS, { likelihood: 'poisson' }), /likelihood/);
  assert.throws(() => resolveOptions(MIXUPVI_DEFAULTS, { dropout: 1 }), /dropout/);
});

test('batching: split, Dirichlet batches, pseudobulk patterns and proportions', () => {
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(-0.5), -0);
  const sp = trainValidationSplit(10, 0.7, new Rng(1));
  assert.equal(sp.train.length, 7);
  assert.deepEqual(
    [...sp.train, ...sp.validation].sort((a, b) => a - b),
    [...Array(10).keys()],
  );
  const codes = Int32Array.from({ length: 100 }, (_, i) => i % 4);
  const train = Int32Array.from({ length: 100 }, (_, i) => i);
  const bs = dirichletBatches(train, codes, 4, 32, new Rng(2));
  assert.equal(bs.length, 4); // 3 full + remainder 4
  for (const b of bs.slice(0, 3)) assert.ok(Math.abs(b.length - 32) <= 2, `batch size ${b.length}`);
  // Without replacement within a batch when the population is large enough.
  for (const b of bs.slice(0, 3)) assert.equal(new Set(b).size, b.length);
  const p1 = uniformPseudobulks(50, 5, 10, () => new Rng(42));
  const p2 = uniformPseudobulks(50, 5, 10, () => new Rng(42));
  assert.deepEqual(p1.members, p2.members); // same pattern every batch (fork: RandomState(42))
  for (let m = 0; m < 5; m++) {
    let s = 0;
    for (let i = 0; i < 50; i++) s += p1.average[m * 50 + i]!;
    assert.ok(Math.abs(s - 1) < 1e-6);
  }
  assert.equal(uniformPseudobulks(8, 2, 100, () => new Rng(42)).nCells, 8); // capped at B
  const bc = Int32Array.from({ length: 40 }, (_, i) => i % 2);
  const dp = dirichletPseudobulks(bc, 2, 6, 20, new Rng(3));
  const props = pseudobulkProportions(dp, bc, 2);
  for (let m = 0; m < 6; m++) assert.ok(Math.abs(props[2 * m]! + props[2 * m + 1]! - 1) < 1e-12);
});

test('latent NNLS recovers z = Z_sig p exactly (spec test 4), with and without intercept', () => {
  const rng = new Rng(5);
  const d = 8;
  const C = 3;
  const sig = Float64Array.from({ length: d * C }, () => rng.normal());
  const p = [0.2, 0.5, 0.3];
  const z = Array.from({ length: d }, (_, i) => p.reduce((s, pc, c) => s + sig[i * C + c]! * pc, 0));
  const f = latentNnls(sig, z, d, C, false);
  for (let c = 0; c < C; c++) assert.ok(Math.abs(f.proportions[c]! - p[c]!) < 1e-9);
  const shifted = z.map((v) => v + 3);
  const g = latentNnls(sig, shifted, d, C, true);
  for (let c = 0; c < C; c++) assert.ok(Math.abs(g.proportions[c]! - p[c]!) < 1e-9);
  assert.ok(Number.isNaN(pearson([1, 1], [1, 2])));
  assert.equal(quantileSorted([0, 1, 2, 3], 0.5), 1.5);
});

for (const be of await backendsUnderTest()) {
  describe(`MixupVAE module [${be}]`, () => {
    const cfg = {
      nGenes: 12,
      latent: 4,
      hidden: 8,
      dropout: 0.1,
      likelihood: 'zinb' as const,
      mixupPenalty: 'l2' as const,
      pseudobulkReconWeight: 0,
      init: 'torch' as const,
    };

    test('encoder shapes, var > 1e-4, mixup correlation of identical cells is 1 and the latent mean is linear', async () => {
      const n0 = await useBackend(be);
      const vae = new MixupVAE(cfg, new Rng(1));
      tf.tidy(() => {
        const rng = new Rng(2);
        const x = tf.tensor2d(
          Float32Array.from({ length: 5 * 12 }, () => rng.poisson(4)),
          [5, 12],
        );
        const { qm, qv } = vae.encode(x, 123);
        assert.deepEqual(qm.shape, [5, 4]);
        assert.deepEqual(qv.shape, [5, 4]);
        assert.ok(Math.min(...qv.dataSync()) > VAR_EPS);
        // Spec test 3: all cells identical -> pseudobulk (mean counts) = the cell -> same posterior mean.
        const same = tf.tile(tf.slice(x, [0, 0], [1, 12]), [6, 1]) as tf.Tensor2D;
        const A = tf.fill([2, 6], 1 / 6) as tf.Tensor2D;
        const zI = vae.encodeMean(tf.matMul(A, same) as tf.Tensor2D);
        const zBar = tf.matMul(A, vae.encodeMean(same));
        const diff = tf.max(tf.abs(tf.sub(zI, zBar))).dataSync()[0]!;
        assert.ok(diff < 1e-5, `L2 mixup of identical cells ${diff}`);
        assert.ok(Math.abs(meanRowPearson(zBar as tf.Tensor2D, zI).dataSync()[0]! - 1) < 1e-5);
      });
      vae.dispose();
      assert.equal(tf.memory().numTensors, n0);
    });

    test('gradient of the full loss (ZINB + KL + L2 mixup, KL penalty) matches finite differences', async () => {
      const n0 = await useBackend(be);
      for (const penalty of ['l2', 'kl'] as const) {
        const vae = new MixupVAE({ ...cfg, mixupPenalty: penalty, pseudobulkReconWeight: 0.5 }, new Rng(3));
        const rng = new Rng(4);
        const B = 6;
        const xs = Float32Array.from({ length: B * 12 }, () => rng.poisson(3));
        const batch = {
          x: tf.tensor2d(xs, [B, 12]),
          lib: tf.tensor2d(
            Array.from({ length: B }, (_, i) => xs.slice(i * 12, i * 12 + 12).reduce((a, b) => a + b, 0)),
            [B, 1],
          ),
          lgammaX1: tf.zeros([B]) as tf.Tensor1D,
          pbAverage: tf.tensor2d([0.5, 0.5, 0, 0, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0], [2, B]),
          pbCells: 2,
        };
        const ctx = { epoch: 0, step: 0, klWeight: 0.7, training: false };
        // Same seeds for every evaluation -> a deterministic function of the parameters.
        const f = () => vae.loss(batch, ctx, new Rng(9)).loss;
        const target = vae.pxR;
        const { value, grads } = tf.variableGrads(f, [target, vae.meanEncoder.b]);
        value.dispose();
        const gR = grads[target.name]!.dataSync();
        const gB = grads[vae.meanEncoder.b.name]!.dataSync();
        const h = 1e-2;
        const probe = (v: tf.Variable, idx: number) => {
          const base = v.dataSync().slice();
          const at = (delta: number) => {
            const arr = base.slice();
            arr[idx]! += delta;
            const t = tf.tensor(arr, v.shape);
            v.assign(t);
            t.dispose();
            return tf.tidy(() => f().dataSync()[0]!);
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          const t = tf.tensor(base, v.shape);
          v.assign(t);
          t.dispose();
          return fd;
        };
        for (const idx of [0, 5]) {
          const fd = probe(target, idx);
          assert.ok(Math.abs(fd - gR[idx]!) <= 0.02 * Math.max(1, Math.abs(fd)), `${penalty} d/d px_r[${idx}] ${gR[idx]} vs ${fd}`);
        }
        const fdb = probe(vae.meanEncoder.b, 1);
        assert.ok(Math.abs(fdb - gB[1]!) <= 0.02 * Math.max(1, Math.abs(fdb)), `${penalty} d/d mean bias ${gB[1]} vs ${fdb}`);
        tf.dispose([...Object.values(grads), batch.x, batch.lib, batch.lgammaX1, batch.pbAverage]);
        vae.dispose();
      }
      assert.equal(tf.memory().numTensors, n0);
    });
  });
}
