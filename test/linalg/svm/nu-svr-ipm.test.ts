import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LinearNuSvr } from '../../../src/linalg/svm/nu-svr.js';
import { NuSvrIpm } from '../../../src/linalg/svm/nu-svr-ipm.js';
import { withJavaScriptKernels } from '../../helpers/wasm.js';

const FIX = new URL('../../fixtures/nusvr/', import.meta.url);
const sk = JSON.parse(readFileSync(new URL('sklearn_nusvr.json', FIX), 'utf8')) as {
  problems: { name: string; n: number; d: number; X: number[]; ys: number[][] }[];
};
const tight = JSON.parse(readFileSync(new URL('sklearn_nusvr_tol1e-10.json', FIX), 'utf8')) as {
  problem: string;
  y: number;
  nu: number;
  coef: number[];
}[];

/** Primal objective ½‖w‖² + C l ν ε + C Σ [(r − ε)_+ + (−r − ε)_+], r = y − Xw − b. */
function primal(
  X: Float64Array,
  n: number,
  d: number,
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  b: number,
  eps: number,
  nu: number,
  C = 1,
) {
  let s = 0;
  for (let k = 0; k < d; k++) s += w[k]! * w[k]!;
  let h = 0;
  for (let i = 0; i < n; i++) {
    let f = b;
    for (let k = 0; k < d; k++) f += X[i * d + k]! * w[k]!;
    const r = y[i]! - f;
    h += Math.max(0, r - eps) + Math.max(0, -r - eps);
  }
  return 0.5 * s + C * n * nu * eps + C * h;
}

test('interior-point nu-SVR reaches the optimum: sklearn with tol 1e-10 agrees to 1e-5 (its float32 kernel limits it)', () => {
  let worst = 0;
  for (const t of tight) {
    const p = sk.problems.find((q) => q.name === t.problem)!;
    const r = new NuSvrIpm(Float64Array.from(p.X), p.n, p.d).fit(p.ys[t.y]!, { nu: t.nu });
    assert.ok(r.converged, `${t.problem} nu=${t.nu}`);
    assert.ok(r.iterations < 60, `iterations ${r.iterations}`);
    for (let k = 0; k < p.d; k++) worst = Math.max(worst, Math.abs(r.coef[k]! - t.coef[k]!));
  }
  // Measured 5.4e-6.
  assert.ok(worst < 2e-5, `max |coef - sklearn(tol=1e-10)| = ${worst}`);
});

test('interior-point nu-SVR: zero duality gap, dual feasibility, and a lower objective than libsvm at tol 1e-3', () => {
  const p = sk.problems.find((q) => q.name === 'cibersort')!;
  const X = Float64Array.from(p.X);
  const { n, d } = p;
  const ipm = new NuSvrIpm(X, n, d);
  const smo = new LinearNuSvr(X, n, d);
  for (const y of p.ys) {
    for (const nu of [0.25, 0.5, 0.75]) {
      const r = ipm.fit(y, { nu });
      // Dual objective y^T β − ½‖X^T β‖² with β = α − α*, |β| ≤ C, Σβ = 0.
      let sb = 0;
      let yb = 0;
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const b = r.dualCoef[i]!;
        assert.ok(Math.abs(b) <= 1 + 1e-9);
        sb += b;
        yb += y[i]! * b;
        for (let k = 0; k < d; k++) w[k] = w[k]! + b * X[i * d + k]!;
      }
      assert.ok(Math.abs(sb) < 1e-8, `sum beta ${sb}`);
      let ww = 0;
      for (let k = 0; k < d; k++) {
        ww += w[k]! * w[k]!;
        assert.ok(Math.abs(w[k]! - r.coef[k]!) < 1e-8, 'w = X^T beta');
      }
      const P = primal(X, n, d, y, r.coef, r.intercept, r.epsilon, nu);
      const D = yb - 0.5 * ww;
      assert.ok(Math.abs(P - D) <= 1e-7 * (1 + Math.abs(P)), `gap ${P - D} (P=${P})`);
      assert.ok(r.epsilon >= -1e-9, `epsilon ${r.epsilon}`);
      // libsvm stops early: its primal objective is higher (never lower) than the optimum.
      const s = smo.fit(y, { nu });
      const Ps = primal(X, n, d, y, s.coef, s.intercept, s.epsilon, nu);
      assert.ok(P <= Ps + 1e-9 * Math.abs(Ps), `optimum ${P} vs libsvm ${Ps}`);
    }
  }
});

test('interior-point nu-SVR is deterministic and validates its arguments', () => {
  const p = sk.problems.find((q) => q.name === 'tiny')!;
  const ipm = new NuSvrIpm(Float64Array.from(p.X), p.n, p.d);
  const a = ipm.fit(p.ys[0]!, { nu: 0.5 });
  const b = ipm.fit(p.ys[0]!, { nu: 0.5 });
  assert.deepEqual(Array.from(a.coef), Array.from(b.coef));
  assert.throws(() => ipm.fit(p.ys[0]!.slice(1), { nu: 0.5 }), /expected 12/);
  assert.throws(() => ipm.fit(p.ys[0]!, { nu: 2 }), /nu must be/);
  assert.throws(() => ipm.fit(p.ys[0]!, { nu: 0.5, C: 0 }), /C must be/);
  assert.throws(() => new NuSvrIpm(new Float64Array(3), 2, 2), RangeError);
});

test("interior-point nu-SVR: the SIMD products give the JavaScript path's optimum", async () => {
  const p = sk.problems[0]!;
  const fit = () => new NuSvrIpm(Float64Array.from(p.X), p.n, p.d).fit(p.ys[1]!, { nu: 0.5 });
  const fast = fit();
  const slow = await withJavaScriptKernels(() => fit());
  assert.ok(fast.converged && slow.converged);
  for (let k = 0; k < p.d; k++) assert.ok(Math.abs(fast.coef[k]! - slow.coef[k]!) < 1e-8, `coef ${k}`);
  assert.ok(Math.abs(fast.intercept - slow.intercept) < 1e-8);
});
