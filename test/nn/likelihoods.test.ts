import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import {
  digamma,
  digammaF64,
  lgamma,
  lgammaF64,
  lgammaX1RowSums,
  logNb,
  logNbF64,
  logNbFused,
  logZinb,
  logZinbF64,
  logZinbFused,
} from '../../src/nn/likelihoods.js';
import { backendsUnderTest, useBackend } from './helpers.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/nn/likelihoods.json', import.meta.url), 'utf8')) as {
  lgamma: { x: number[]; gammaln: number[]; digamma: number[] };
  counts: { rows: number[][] };
};
const rows = fx.counts.rows;

test('float64 lgamma/digamma match scipy.special (rel. error <= 1e-10)', () => {
  fx.lgamma.x.forEach((x, i) => {
    const lg = fx.lgamma.gammaln[i]!;
    const dg = fx.lgamma.digamma[i]!;
    assert.ok(Math.abs(lgammaF64(x) - lg) <= 1e-10 * Math.max(1, Math.abs(lg)), `lgamma(${x})`);
    assert.ok(Math.abs(digammaF64(x) - dg) <= 1e-10 * Math.max(1, Math.abs(dg)), `digamma(${x})`);
  });
});

test('float64 NB and ZINB (scvi-tools form) match scipy nbinom / the ZINB definition (rel. error <= 1e-5)', () => {
  for (const [x, mu, th, pi, nb, zinb] of rows as [number, number, number, number, number, number][]) {
    const a = logNbF64(x, mu, th);
    const b = logZinbF64(x, mu, th, pi);
    assert.ok(Math.abs(a - nb) <= 1e-5 * Math.max(1, Math.abs(nb)), `NB x=${x} mu=${mu} th=${th}: ${a} vs ${nb}`);
    assert.ok(Math.abs(b - zinb) <= 1e-5 * Math.max(1, Math.abs(zinb)), `ZINB x=${x} mu=${mu} th=${th} pi=${pi}: ${b} vs ${zinb}`);
  }
  // Spec test 1: NB(0; mu=1, theta=1) = log(1/2).
  assert.ok(Math.abs(logNbF64(0, 1, 1) - Math.log(0.5)) < 1e-7);
  // ZINB with pi -> -inf is NB.
  assert.ok(Math.abs(logZinbF64(3, 2, 1.5, -40) - logNbF64(3, 2, 1.5)) < 1e-12);
});

test('lgammaX1RowSums = sum of log(x!) per row', () => {
  const s = lgammaX1RowSums(Float32Array.from([0, 3, 5, 0, 0, 1]), 2, 3);
  assert.ok(Math.abs(s[0]! - (Math.log(6) + Math.log(120))) < 1e-12);
  const t = lgammaX1RowSums(Float32Array.from([2.5, 70000]), 1, 2);
  assert.ok(Math.abs(t[0]! - lgammaF64(3.5) - lgammaF64(70001)) < 1e-6);
  assert.ok(Math.abs(s[1]!) < 1e-12);
});

for (const be of await backendsUnderTest()) {
  describe(`float32 tensors [${be}]`, () => {
    test('lgamma and digamma tensors vs scipy: rel. error <= 1e-5 (abs. <= 1e-5 near the zeros of lgamma)', async () => {
      const n0 = await useBackend(be);
      const x = tf.tensor1d(fx.lgamma.x);
      const lgT = lgamma(x);
      const dgT = digamma(x);
      const lg = lgT.dataSync();
      const dg = dgT.dataSync();
      let worstRel = 0;
      fx.lgamma.x.forEach((xi, i) => {
        const ref = fx.lgamma.gammaln[i]!;
        const err = Math.abs(lg[i]! - ref);
        if (Math.abs(ref) >= 0.1) worstRel = Math.max(worstRel, err / Math.abs(ref));
        assert.ok(err <= 1e-5 * Math.max(1, Math.abs(ref)), `lgamma(${xi}) = ${lg[i]} vs ${ref}`);
        const dref = fx.lgamma.digamma[i]!;
        assert.ok(Math.abs(dg[i]! - dref) <= 1e-5 * Math.max(1, Math.abs(dref)), `digamma(${xi}) = ${dg[i]} vs ${dref}`);
      });
      assert.ok(worstRel < 1e-5, `worst relative error ${worstRel}`);
      tf.dispose([x, lgT, dgT]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('NB / ZINB tensors vs scipy fixtures', async () => {
      const n0 = await useBackend(be);
      const col = (k: number) => tf.tensor1d(rows.map((r) => r[k]!));
      const [x, mu, th, pi] = [col(0), col(1), col(2), col(3)];
      const outs = [logNb(x, mu, th), logZinb(x, mu, th, pi), logNb(x, mu, th, { includeLgammaX1: false })];
      const [nb, zi, nbDrop] = outs.map((t) => t.dataSync()) as [Float32Array, Float32Array, Float32Array];
      let worstNb = 0;
      let worstZi = 0;
      let worstSmall = 0;
      rows.forEach((r, i) => {
        const [xv, muv, thv] = r as [number, number, number];
        // float32 cannot represent the sum better than its largest terms allow: scale the
        // tolerance by the magnitude of the lgamma terms that cancel.
        const scale =
          Math.abs(lgammaF64(xv + thv)) + Math.abs(lgammaF64(thv)) + Math.abs(lgammaF64(xv + 1)) + Math.abs(xv * Math.log(muv + thv)) + 1;
        const eNb = Math.abs(nb[i]! - r[4]!) / Math.max(1, Math.abs(r[4]!));
        const eZi = Math.abs(zi[i]! - r[5]!) / Math.max(1, Math.abs(r[5]!));
        worstNb = Math.max(worstNb, eNb);
        worstZi = Math.max(worstZi, eZi);
        if (xv <= 100 && muv <= 800) worstSmall = Math.max(worstSmall, eNb, eZi);
        assert.ok(Math.abs(nb[i]! - r[4]!) <= 1e-5 * Math.max(1, Math.abs(r[4]!)) + 2e-7 * scale, `NB row ${r}: ${nb[i]}`);
        assert.ok(Math.abs(zi[i]! - r[5]!) <= 1e-5 * Math.max(1, Math.abs(r[5]!)) + 2e-7 * scale, `ZINB row ${r}: ${zi[i]}`);
        assert.ok(Math.abs(nbDrop[i]! - (nb[i]! + lgammaF64(xv + 1))) <= 1e-6 * scale);
      });
      // Reported in docs/BENCHMARKS.md.
      console.log(
        `[${be}] float32 NB worst rel. error ${worstNb.toExponential(2)}, ZINB ${worstZi.toExponential(2)}; x <= 100, mu <= 800: ${worstSmall.toExponential(2)}`,
      );
      tf.dispose([x, mu, th, pi, ...outs]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('fused ZINB: same value and same gradients as autodiff through the composite formula', async () => {
      const n0 = await useBackend(be);
      const rng = new Rng(8);
      const n = 7;
      const G = 5;
      const xs = Float32Array.from({ length: n * G }, () => (rng.uniform() < 0.4 ? 0 : rng.poisson(6)));
      const x = tf.tensor2d(xs, [n, G]);
      const mu = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => 0.05 + 10 * rng.uniform()),
        [n, G],
      );
      const th = tf.tensor1d(Float32Array.from({ length: G }, () => Math.exp(2 * rng.normal())));
      const pi = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => 2 * rng.normal()),
        [n, G],
      );
      const w = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => rng.normal()),
        [n, G],
      );
      const ref = (m: tf.Tensor, t: tf.Tensor, p: tf.Tensor) => tf.sum(tf.mul(w, logZinb(x, m, t, p, { includeLgammaX1: false })));
      const fused = (m: tf.Tensor, t: tf.Tensor, p: tf.Tensor) => tf.sum(tf.mul(w, logZinbFused(x, m, t, p)));
      const g1 = tf.grads(ref)([mu, th, pi]);
      const g2 = tf.grads(fused)([mu, th, pi]);
      const v1 = tf.tidy(() => ref(mu, th, pi).dataSync()[0]!);
      const v2 = tf.tidy(() => fused(mu, th, pi).dataSync()[0]!);
      assert.ok(Math.abs(v1 - v2) <= 1e-6 * Math.max(1, Math.abs(v1)));
      g1.forEach((ga, k) => {
        const a = ga.dataSync();
        const b = g2[k]!.dataSync();
        for (let i = 0; i < a.length; i++) {
          assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.max(1, Math.abs(a[i]!)), `input ${k}[${i}]: autodiff ${a[i]} vs fused ${b[i]}`);
        }
      });
      tf.dispose([x, mu, th, pi, w, ...g1, ...g2]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('fused NB: same value and same gradients as autodiff through the composite formula', async () => {
      const n0 = await useBackend(be);
      const rng = new Rng(9);
      const n = 6;
      const G = 5;
      const x = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => (rng.uniform() < 0.3 ? 0 : rng.poisson(8))),
        [n, G],
      );
      const mu = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => 0.05 + 10 * rng.uniform()),
        [n, G],
      );
      const th = tf.tensor1d(Float32Array.from({ length: G }, () => Math.exp(2 * rng.normal())));
      const w = tf.tensor2d(
        Float32Array.from({ length: n * G }, () => rng.normal()),
        [n, G],
      );
      const ref = (m: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(w, logNb(x, m, t, { includeLgammaX1: false })));
      const fused = (m: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(w, logNbFused(x, m, t)));
      const g1 = tf.grads(ref)([mu, th]);
      const g2 = tf.grads(fused)([mu, th]);
      const v1 = tf.tidy(() => ref(mu, th).dataSync()[0]!);
      const v2 = tf.tidy(() => fused(mu, th).dataSync()[0]!);
      assert.ok(Math.abs(v1 - v2) <= 1e-6 * Math.max(1, Math.abs(v1)));
      g1.forEach((ga, k) => {
        const a = ga.dataSync();
        const b = g2[k]!.dataSync();
        for (let i = 0; i < a.length; i++) {
          assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.max(1, Math.abs(a[i]!)), `input ${k}[${i}]: autodiff ${a[i]} vs fused ${b[i]}`);
        }
      });
      tf.dispose([x, mu, th, w, ...g1, ...g2]);
      assert.equal(tf.memory().numTensors, n0);
    });

    test('gradients of lgamma, NB and ZINB match central differences of the float64 formulas', async () => {
      await useBackend(be);
      // lgamma' = digamma, checked through autodiff.
      const xs = [0.05, 0.7, 1, 2.5, 5.99, 6, 40, 3000];
      const g = tf
        .grad((t: tf.Tensor) => tf.sum(lgamma(t)))(tf.tensor1d(xs))
        .dataSync();
      xs.forEach((x, i) => {
        const h = 1e-5 * Math.max(1, x);
        const fd = (lgammaF64(x + h) - lgammaF64(x - h)) / (2 * h);
        assert.ok(Math.abs(g[i]! - fd) <= 1e-4 * Math.max(1, Math.abs(fd)), `d lgamma(${x}): ${g[i]} vs ${fd}`);
      });
      const pts: [number, number, number, number][] = [
        [0, 2, 1.5, -1],
        [0, 0.3, 0.2, 2],
        [3, 2, 1.5, -1],
        [17, 40, 4, 0.5],
        [1, 0.05, 30, -3],
      ];
      for (const [xv, muv, thv, piv] of pts) {
        const x = tf.scalar(xv);
        const grads = tf.grads((m: tf.Tensor, t: tf.Tensor, p: tf.Tensor) => logZinb(x, m, t, p))([
          tf.scalar(muv),
          tf.scalar(thv),
          tf.scalar(piv),
        ]);
        const gv = grads.map((t) => t.dataSync()[0]!);
        const fd = [0, 1, 2].map((k) => {
          const h = 1e-6 * Math.max(1, [muv, thv, piv][k]!);
          const a = [muv, thv, piv];
          const b = [muv, thv, piv];
          a[k]! += h;
          b[k]! -= h;
          return (logZinbF64(xv, a[0]!, a[1]!, a[2]!) - logZinbF64(xv, b[0]!, b[1]!, b[2]!)) / (2 * h);
        });
        gv.forEach((v, k) => {
          assert.ok(
            Math.abs(v - fd[k]!) <= 2e-4 * Math.max(1, Math.abs(fd[k]!)),
            `ZINB d/d${['mu', 'theta', 'pi'][k]} at ${[xv, muv, thv, piv]}: ${v} vs ${fd[k]}`,
          );
        });
        const gnb = tf
          .grads((m: tf.Tensor, t: tf.Tensor) => logNb(x, m, t))([tf.scalar(muv), tf.scalar(thv)])
          .map((t) => t.dataSync()[0]!);
        [0, 1].forEach((k) => {
          const h = 1e-6 * Math.max(1, [muv, thv][k]!);
          const a = [muv, thv];
          const b = [muv, thv];
          a[k]! += h;
          b[k]! -= h;
          const fdk = (logNbF64(xv, a[0]!, a[1]!) - logNbF64(xv, b[0]!, b[1]!)) / (2 * h);
          assert.ok(Math.abs(gnb[k]! - fdk) <= 2e-4 * Math.max(1, Math.abs(fdk)), `NB d/d${k} at ${[xv, muv, thv]}: ${gnb[k]} vs ${fdk}`);
        });
      }
    });
  });
}
