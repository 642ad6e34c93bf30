import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import {
  componentLogDensityF64,
  GaussianMixturePrior,
  type GmmParams,
  logPriorF64,
  mixtureLogProbF64,
  sampleMixture,
  sampleSoftball,
  softballLogProbF64,
} from '../../../src/models/dgd/gmm.js';
import { logNbDgdF64, logNbNoFactorial, sampleNb } from '../../../src/models/dgd/nb.js';
import { initBackend } from '../../../src/nn/backend.js';
import { lgammaF64 } from '../../../src/nn/likelihoods.js';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/dgd/dgd.json', import.meta.url), 'utf8')) as {
  nb: [number, number, number, number][];
  gmm: { K: number; L: number; mean: number[]; logbeta: number[]; weight: number[]; z: number[]; component: number[]; logProb: number[] };
  prior: { alpha: number; s: number; a: number; sd: number; dirichlet: number; softball: number; logbeta: number; softballNorm: number };
};

const params = (): GmmParams => ({
  K: fx.gmm.K,
  L: fx.gmm.L,
  mean: Float32Array.from(fx.gmm.mean),
  logbeta: Float32Array.from(fx.gmm.logbeta),
  weight: Float32Array.from(fx.gmm.weight),
});

test('NB log-density (scDGD formula, float64) matches scipy nbinom.logpmf', () => {
  for (const [k, m, r, ref] of fx.nb) {
    const v = logNbDgdF64(k, m, r);
    // scDGD's eps = 1e-10 is added to m/(r+m) inside the log: a deviation of k·eps·(r+m)/m from scipy.
    const epsTerm = (k * 1e-10 * (r + m)) / m;
    assert.ok(Math.abs(v - ref) <= 1e-9 * Math.max(1, Math.abs(ref)) + 1.01 * epsTerm, `k=${k} m=${m} r=${r}: ${v} vs ${ref}`);
  }
  assert.ok(Math.abs(logNbDgdF64(0, 1, 1) - Math.log(0.5)) < 1e-9);
});

test('NB pmf sums to 1 over k = 0..large', () => {
  for (const [m, r] of [
    [0.3, 1.5],
    [12, 2],
    [250, 30],
  ] as const) {
    let s = 0;
    for (let k = 0; k < 20000; k++) s += Math.exp(logNbDgdF64(k, m, r));
    assert.ok(Math.abs(s - 1) < 1e-6, `m=${m} r=${r}: ${s}`);
  }
});

test('NB tensor log-density (float32) matches scipy', async () => {
  await initBackend('cpu');
  const x = tf.tensor2d(
    fx.nb.map((r) => r[0]),
    [fx.nb.length, 1],
  );
  const m = tf.tensor2d(
    fx.nb.map((r) => r[1]),
    [fx.nb.length, 1],
  );
  const r = tf.tensor2d(
    fx.nb.map((r) => r[2]),
    [fx.nb.length, 1],
  );
  const v = logNbNoFactorial(x, m, r).dataSync();
  fx.nb.forEach(([k, mm, rr, ref], i) => {
    const got = (v[i] as number) - lgammaF64(k + 1);
    assert.ok(Math.abs(got - ref) <= 2e-4 * Math.max(1, Math.abs(ref)), `k=${k} m=${mm} r=${rr}: ${got} vs ${ref}`);
  });
  tf.dispose([x, m, r]);
});

test('NB sampler: mean and variance m + m²/r', () => {
  const rng = new Rng(3);
  const m = 7;
  const r = 2.5;
  let s = 0;
  let s2 = 0;
  const n = 40000;
  for (let i = 0; i < n; i++) {
    const k = sampleNb(m, r, rng);
    s += k;
    s2 += k * k;
  }
  const mean = s / n;
  const v = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - m) < 0.1, `mean ${mean}`);
  assert.ok(Math.abs(v - (m + (m * m) / r)) < 1.2, `var ${v} vs ${m + (m * m) / r}`);
});

test('GMM log-density equals a direct mixture computation (scipy), float64 and tensors', async () => {
  await initBackend('cpu');
  const p = params();
  const comp = componentLogDensityF64(p, Float64Array.from(fx.gmm.z));
  comp.forEach((v, i) => {
    assert.ok(Math.abs(v - (fx.gmm.component[i] as number)) < 1e-5, `component ${i}: ${v}`);
  });
  const lp = mixtureLogProbF64(p, Float64Array.from(fx.gmm.z));
  lp.forEach((v, i) => {
    assert.ok(Math.abs(v - (fx.gmm.logProb[i] as number)) < 1e-5, `row ${i}`);
  });
  const gmm = new GaussianMixturePrior(
    { components: p.K, dim: p.L, softballScale: 1, softballSharpness: 1, dirichletAlpha: 1, logbetaPriorSd: 1 },
    new Rng(0),
  );
  gmm.mean.assign(tf.tensor2d(p.mean, [p.K, p.L]));
  gmm.logbeta.assign(tf.tensor2d(p.logbeta, [p.K, p.L]));
  gmm.weight.assign(tf.tensor1d(p.weight));
  const t = tf.tidy(() => gmm.logProb(tf.tensor2d(fx.gmm.z, [fx.gmm.z.length / p.L, p.L])));
  const tv = t.dataSync();
  for (let i = 0; i < tv.length; i++) {
    const v = tv[i] as number;
    const ref = fx.gmm.logProb[i] as number;
    assert.ok(Math.abs(v - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `tensor row ${i}: ${v}`);
  }
  // Supervised with one component per class = that component's log-density (no weight).
  const sup = tf.tidy(() => gmm.supervisedLogProb(tf.tensor2d(fx.gmm.z, [6, p.L]), Int32Array.from([0, 1, 2, 0, -1, 2]), 1)).dataSync();
  const lw = Array.from(p.weight, (w) => w - Math.log(Array.from(p.weight).reduce((a, b) => a + Math.exp(b), 0)));
  [0, 1, 2, 0, -1, 2].forEach((c, i) => {
    const ref = c < 0 ? (fx.gmm.logProb[i] as number) : (fx.gmm.component[i * p.K + c] as number) - (lw[c] as number);
    assert.ok(Math.abs((sup[i] as number) - ref) < 1e-3, `supervised row ${i}: ${sup[i]} vs ${ref}`);
  });
  tf.dispose(t);
  gmm.dispose();
});

test('GMM priors: Dirichlet, softball and log-precision terms match scipy (float64 and tensor)', async () => {
  await initBackend('cpu');
  const p = params();
  const pr = fx.prior;
  const cfg = { components: p.K, dim: p.L, softballScale: pr.s, softballSharpness: pr.a, dirichletAlpha: pr.alpha, logbetaPriorSd: pr.sd };
  const ref = pr.dirichlet + pr.softball + pr.logbeta;
  const v = logPriorF64(p, cfg);
  assert.ok(Math.abs(v - ref) < 1e-6 * Math.abs(ref), `${v} vs ${ref}`);
  const gmm = new GaussianMixturePrior(cfg, new Rng(0));
  gmm.mean.assign(tf.tensor2d(p.mean, [p.K, p.L]));
  gmm.logbeta.assign(tf.tensor2d(p.logbeta, [p.K, p.L]));
  gmm.weight.assign(tf.tensor1d(p.weight));
  const t = tf.tidy(() => gmm.logPrior());
  assert.ok(Math.abs(t.dataSync()[0]! - ref) < 1e-4 * Math.abs(ref), `tensor ${t.dataSync()[0]} vs ${ref}`);
  tf.dispose(t);
  gmm.dispose();
});

test('softball: ~constant (= 1/volume) inside the ball, decays outside', () => {
  const L = 20;
  const s = 2;
  const a = 5;
  const at = (r: number) => {
    const v = new Float64Array(L);
    v[0] = r;
    return softballLogProbF64(v, s, a);
  };
  const norm = lgammaF64(1 + L / 2) - L * (Math.log(s) + 0.5 * Math.log(Math.PI));
  // Inside (r <= s/2): within log(1 + e^(-a/2)) of the normaliser.
  for (const r of [0, 0.3, 1]) assert.ok(Math.abs(at(r) - norm) <= Math.log1p(Math.exp(a * (r / s - 1))) + 1e-12);
  assert.ok(at(0) - at(0.5) < 0.1);
  // Outside: slope -a/s.
  const slope = (at(10) - at(8)) / 2;
  assert.ok(Math.abs(slope + a / s) < 1e-3, `slope ${slope}`);
  assert.ok(at(4) < at(2) && at(2) < at(1));
});

test('softball sampler: inside the ball, radius law P(R <= r) = (r/s)^L (density ∝ r^(L-1))', () => {
  const L = 5;
  const s = 1.5;
  const n = 20000;
  const z = sampleSoftball(n, L, s, new Rng(11));
  const radii = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (let d = 0; d < L; d++) q += z[i * L + d]! ** 2;
    radii[i] = Math.sqrt(q);
  }
  radii.sort();
  assert.ok(radii[n - 1]! <= s + 1e-6);
  // Kolmogorov–Smirnov distance to F(r) = (r/s)^L; critical value at alpha = 0.001 is 1.95/sqrt(n).
  let ks = 0;
  for (let i = 0; i < n; i++) {
    const F = (radii[i]! / s) ** L;
    ks = Math.max(ks, Math.abs(F - (i + 1) / n), Math.abs(F - i / n));
  }
  assert.ok(ks < 1.95 / Math.sqrt(n), `KS ${ks}`);
  // Directions are isotropic: mean of the unit vectors ~ 0.
  for (let d = 0; d < L; d++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += z[i * L + d]! / radii[i]!;
    assert.ok(Math.abs(m / n) < 0.03);
  }
});

test('mixture sampler: component frequencies follow softmax(w), draws centred on the means', () => {
  const p = params();
  const { z, components } = sampleMixture(p, 30000, new Rng(5));
  const pi = Array.from(p.weight, Math.exp);
  const tot = pi.reduce((a, b) => a + b, 0);
  for (let k = 0; k < p.K; k++) {
    let c = 0;
    let m0 = 0;
    for (let i = 0; i < components.length; i++) {
      if (components[i] === k) {
        c++;
        m0 += z[i * p.L]!;
      }
    }
    assert.ok(Math.abs(c / 30000 - pi[k]! / tot) < 0.015);
    assert.ok(Math.abs(m0 / c - p.mean[k * p.L]!) < 0.1);
  }
});
