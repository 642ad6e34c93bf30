import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/core/rng.js';
import { DecovartLikelihood } from '../../../src/methods/decovart/likelihood.js';
import { choleskyInPlace, whiten, whitenFactored } from '../../../src/methods/decovart/linalg.js';
import {
  chainRule,
  mappingHessian,
  mappingHessianExplicit,
  mappingJacobian,
  pToTheta,
  thetaToP,
} from '../../../src/methods/decovart/simplex.js';

/** Random SPD matrix A Aᵀ + 0.5 I (G x G). */
function randomSpd(rng: Rng, G: number): Float64Array {
  const A = Float64Array.from({ length: G * G }, () => rng.normal());
  const S = new Float64Array(G * G);
  for (let i = 0; i < G; i++)
    for (let j = 0; j < G; j++) {
      let s = i === j ? 0.5 : 0;
      for (let k = 0; k < G; k++) s += A[i * G + k]! * A[j * G + k]!;
      S[i * G + j] = s / G;
    }
  return S;
}

function randomModel(rng: Rng, G: number, J: number, c: number) {
  const mu = Float64Array.from({ length: J * G }, () => 5 + 3 * rng.uniform());
  const sig = Array.from({ length: J }, () => randomSpd(rng, G));
  const p = rng.dirichlet(new Float64Array(J).fill(2));
  const y = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let s = rng.normal();
    for (let j = 0; j < J; j++) s += p[j]! * mu[j * G + g]!;
    y[g] = s;
  }
  const p0 = rng.dirichlet(new Float64Array(J).fill(2));
  return { lik: new DecovartLikelihood(G, J, mu, sig, c), y, p: Float64Array.from(p0) };
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

for (const J of [2, 3, 5]) {
  for (const c of [0.5, 1]) {
    test(`gradient and Hessian of the log-likelihood vs central differences (J=${J}, G=4, c=${c})`, () => {
      const rng = new Rng(100 * J + c * 10);
      const { lik, y, p } = randomModel(rng, 4, J, c);
      const e = lik.newEval();
      assert.ok(lik.evaluate(y, p, 2, e));
      const h = 1e-6;
      const ep = lik.newEval();
      const em = lik.newEval();
      for (let i = 0; i < J; i++) {
        const pp = p.slice();
        const pm = p.slice();
        pp[i] = pp[i]! + h;
        pm[i] = pm[i]! - h;
        lik.evaluate(y, pp, 1, ep);
        lik.evaluate(y, pm, 1, em);
        const fdG = (ep.value - em.value) / (2 * h);
        assert.ok(relErr(e.grad[i]!, fdG) < 1e-5, `grad[${i}] ${e.grad[i]} vs ${fdG}`);
        for (let j = 0; j < J; j++) {
          const fdH = (ep.grad[j]! - em.grad[j]!) / (2 * h);
          assert.ok(relErr(e.hess[i * J + j]!, fdH) < 1e-5, `H[${i},${j}] ${e.hess[i * J + j]} vs ${fdH}`);
        }
      }
      for (let i = 0; i < J; i++) for (let j = 0; j < J; j++) assert.equal(e.hess[i * J + j], e.hess[j * J + i]);
    });
  }
}

test('c changes the value by the log-determinant only (seed variant vs correct MLE)', () => {
  const rng = new Rng(5);
  const a = randomModel(rng, 3, 3, 0.5);
  const b = new DecovartLikelihood(3, 3, a.lik.mu, a.lik.sigmas, 1);
  const ea = a.lik.newEval();
  const eb = b.newEval();
  a.lik.evaluate(a.y, a.p, 0, ea);
  b.evaluate(a.y, a.p, 0, eb);
  // log det Σ(p) by brute force for G = 3
  const S = new Float64Array(9);
  for (let j = 0; j < 3; j++) for (let k = 0; k < 9; k++) S[k] = S[k]! + a.p[j]! ** 2 * a.lik.sigmas[j]![k]!;
  const det = S[0]! * (S[4]! * S[8]! - S[5]! * S[7]!) - S[1]! * (S[3]! * S[8]! - S[5]! * S[6]!) + S[2]! * (S[3]! * S[7]! - S[4]! * S[6]!);
  assert.ok(Math.abs(ea.value - eb.value - 0.5 * Math.log(det)) < 1e-10);
});

test('psi(psi^-1(p)) = p, Jacobian rows sum to 0, Jacobian and mapping Hessian vs differences', () => {
  const rng = new Rng(9);
  for (const J of [2, 3, 5, 6]) {
    const m = J - 1;
    const p = rng.dirichlet(new Float64Array(J).fill(1.5));
    const th = pToTheta(p, new Float64Array(m));
    const back = thetaToP(th, new Float64Array(J));
    for (let i = 0; i < J; i++) assert.ok(Math.abs(back[i]! - p[i]!) < 1e-12);
    const jac = mappingJacobian(back, new Float64Array(J * m));
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let i = 0; i < J; i++) s += jac[i * m + k]!;
      assert.ok(Math.abs(s) < 1e-15);
    }
    const mh = mappingHessian(back, new Float64Array(J * m * m));
    const mhx = mappingHessianExplicit(th, new Float64Array(J * m * m));
    for (let k = 0; k < mh.length; k++) assert.ok(Math.abs(mh[k]! - mhx[k]!) < 1e-12, `explicit vs softmax at ${k}`);
    const h = 1e-6;
    for (let k = 0; k < m; k++) {
      const tp = th.slice();
      const tm = th.slice();
      tp[k] = tp[k]! + h;
      tm[k] = tm[k]! - h;
      const pp = thetaToP(tp, new Float64Array(J));
      const pm = thetaToP(tm, new Float64Array(J));
      const jp = mappingJacobian(pp, new Float64Array(J * m));
      const jm = mappingJacobian(pm, new Float64Array(J * m));
      for (let i = 0; i < J; i++) {
        assert.ok(Math.abs((pp[i]! - pm[i]!) / (2 * h) - jac[i * m + k]!) < 1e-8);
        for (let j = 0; j < m; j++) {
          // ∂/∂θ_k of ∂p_i/∂θ_j
          const fd = (jp[i * m + j]! - jm[i * m + j]!) / (2 * h);
          assert.ok(Math.abs(fd - mh[(i * m + j) * m + k]!) < 1e-8);
        }
      }
    }
  }
});

test('constrained gradient = Jψᵀ∇p, constrained Hessian symmetric and equal to differences of the constrained gradient', () => {
  const rng = new Rng(11);
  const J = 4;
  const m = J - 1;
  const { lik, y } = randomModel(rng, 5, J, 0.5);
  const th = Float64Array.from({ length: m }, () => rng.normal() * 0.5);
  const grad = (t: Float64Array) => {
    const p = thetaToP(t, new Float64Array(J));
    const e = lik.newEval();
    lik.evaluate(y, p, 2, e);
    const g = new Float64Array(m);
    const H = new Float64Array(m * m);
    chainRule(p, e.grad, e.hess, g, H);
    return { g, H, v: e.value };
  };
  const at = grad(th);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) assert.ok(Math.abs(at.H[a * m + b]! - at.H[b * m + a]!) < 1e-9);
  const h = 1e-6;
  for (let k = 0; k < m; k++) {
    const tp = th.slice();
    const tm = th.slice();
    tp[k] = tp[k]! + h;
    tm[k] = tm[k]! - h;
    const gp = grad(tp);
    const gm = grad(tm);
    assert.ok(relErr(at.g[k]!, (gp.v - gm.v) / (2 * h)) < 1e-5);
    for (let a = 0; a < m; a++) assert.ok(relErr(at.H[a * m + k]!, (gp.g[a]! - gm.g[a]!) / (2 * h)) < 1e-5);
  }
});

test('whitening from the Cholesky factor of Σ_j equals the two-solve whitening', () => {
  const rng = new Rng(17);
  const G = 7;
  const L = randomSpd(rng, G);
  const S = randomSpd(rng, G);
  assert.ok(choleskyInPlace(L, G));
  const C = S.slice();
  assert.ok(choleskyInPlace(C, G));
  const a = new Float64Array(G * G);
  const b = new Float64Array(G * G);
  whiten(L, G, S, a);
  whitenFactored(L, G, C, b, new Float64Array(G * G));
  for (let k = 0; k < G * G; k++) assert.ok(Math.abs(a[k]! - b[k]!) < 1e-12 * (1 + Math.abs(a[k]!)), `${k}: ${a[k]} vs ${b[k]}`);
});
