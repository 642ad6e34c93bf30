import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dotOpenblasSse2, LinearNuSvr } from '../../../src/linalg/svm/nu-svr.js';
import { columnMajorOrder, pairwiseSum, zscoreNumpy } from '../../../src/linalg/svm/numpy-stats.js';

const FIX = new URL('../../fixtures/nusvr/', import.meta.url);

interface SkFit {
  y: number;
  nu: number;
  shrinking: boolean;
  n_iter: number;
  coef: number[];
  intercept: number;
  dual: number[];
}
interface SkProblem {
  name: string;
  n: number;
  d: number;
  X: number[];
  ys: number[][];
  fits: SkFit[];
}
const sk = JSON.parse(readFileSync(new URL('sklearn_nusvr.json', FIX), 'utf8')) as { sklearn: string; problems: SkProblem[] };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const prob of sk.problems) {
  test(`nu-SVR reproduces sklearn ${sk.sklearn} NuSVR(kernel='linear') on '${prob.name}' (${prob.n} x ${prob.d}): same iterations, coef, dual, intercept`, () => {
    const svr = new LinearNuSvr(Float64Array.from(prob.X), prob.n, prob.d);
    let worst = 0;
    for (const f of prob.fits) {
      const r = svr.fit(prob.ys[f.y]!, { nu: f.nu, shrinking: f.shrinking });
      const what = `y${f.y} nu=${f.nu} shrinking=${f.shrinking}`;
      // The same SMO path step for step: the iteration count is the sharpest check.
      assert.equal(r.iterations, f.n_iter, `${what}: iterations`);
      assert.ok(r.converged);
      const dc = maxAbsDiff(r.coef, f.coef);
      const dd = maxAbsDiff(r.dualCoef, f.dual);
      const db = Math.abs(r.intercept - f.intercept);
      worst = Math.max(worst, dc, dd, db);
      // Measured: 0 (bit-identical); 1e-12 leaves room for a different summation of coef_.
      assert.ok(dc <= 1e-12, `${what}: coef differs by ${dc}`);
      assert.ok(dd <= 1e-12, `${what}: dual_coef differs by ${dd}`);
      assert.ok(db <= 1e-12, `${what}: intercept differs by ${db}`);
    }
    assert.ok(worst <= 1e-12);
  });
}

test('nu-SVR solution satisfies the dual constraints and the KKT conditions within tol', () => {
  const prob = sk.problems.find((p) => p.name === 'cibersort')!;
  const { n, d } = prob;
  const X = Float64Array.from(prob.X);
  const svr = new LinearNuSvr(X, n, d);
  const C = 1;
  const tol = 1e-3;
  for (const nu of [0.25, 0.5, 0.75]) {
    for (const shrinking of [true, false]) {
      const y = prob.ys[0]!;
      const r = svr.fit(y, { nu, C, tol, shrinking });
      let sumA = 0;
      let sumS = 0;
      for (let i = 0; i < n; i++) {
        const a = r.alpha[i]!;
        const s = r.alphaStar[i]!;
        assert.ok(a >= 0 && a <= C && s >= 0 && s <= C, 'box constraints');
        sumA += a;
        sumS += s;
        assert.equal(r.dualCoef[i], a - s);
      }
      // e^T α = e^T α* = C l ν / 2 (so y^T α = 0 and e^T(α + α*) = C l ν).
      assert.ok(Math.abs(sumA - (C * n * nu) / 2) < 1e-9, `sum alpha ${sumA}`);
      assert.ok(Math.abs(sumS - (C * n * nu) / 2) < 1e-9, `sum alpha* ${sumS}`);
      // w = Σ (α - α*) x
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) w[k] = w[k]! + r.dualCoef[i]! * X[i * d + k]!;
      assert.ok(maxAbsDiff(w, r.coef) < 1e-12);
      // Gradient of the dual: G(α_i) = -y_i + w·x_i, G(α*_i) = y_i - w·x_i (recomputed in double).
      // Stopping rule of Solver_NU per class: max_{I_up} -yG + max_{I_low} yG < tol.
      let upP = Number.NEGATIVE_INFINITY;
      let lowP = Number.NEGATIVE_INFINITY;
      let upN = Number.NEGATIVE_INFINITY;
      let lowN = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        let f = 0;
        for (let k = 0; k < d; k++) f += w[k]! * X[i * d + k]!;
        const g = -y[i]! + f; // α_i, y = +1
        const gs = y[i]! - f; // α*_i, y = -1
        if (r.alpha[i]! < C) upP = Math.max(upP, -g);
        if (r.alpha[i]! > 0) lowP = Math.max(lowP, g);
        if (r.alphaStar[i]! > 0) upN = Math.max(upN, gs);
        if (r.alphaStar[i]! < C) lowN = Math.max(lowN, -gs);
      }
      const viol = Math.max(upP + lowP, upN + lowN);
      // The solver tests this with kernel values rounded to float32 (as libsvm): allow that slack.
      assert.ok(viol < tol * 1.01, `nu=${nu} shrinking=${shrinking}: KKT violation ${viol}`);
      // ε = -r >= 0 at a nu-SVR solution (within the tolerance).
      assert.ok(r.epsilon > -tol, `epsilon ${r.epsilon}`);
    }
  }
});

test('nu-SVR is deterministic and reusable: the same fit twice gives the same bytes', () => {
  const prob = sk.problems.find((p) => p.name === 'cibersort')!;
  const svr = new LinearNuSvr(Float64Array.from(prob.X), prob.n, prob.d);
  const a = svr.fit(prob.ys[1]!, { nu: 0.5 });
  svr.fit(prob.ys[2]!, { nu: 0.25 }); // different state in between
  const b = svr.fit(prob.ys[1]!, { nu: 0.5 });
  assert.deepEqual(Array.from(a.coef), Array.from(b.coef));
  assert.deepEqual(Array.from(a.dualCoef), Array.from(b.dualCoef));
  assert.equal(a.intercept, b.intercept);
  assert.equal(a.iterations, b.iterations);
});

test('nu-SVR on an exactly linear target recovers the line', () => {
  // y = 2 x0 - x1 + 0.5 exactly: nu-SVR can fit it with ε = 0 and w = (2, -1) up to the
  // regularisation, which shrinks w; check the direction and the sign of the fit.
  const n = 30;
  const X = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = Math.sin(i);
    X[2 * i + 1] = Math.cos(3 * i);
    y[i] = 2 * X[2 * i]! - X[2 * i + 1]! + 0.5;
  }
  const r = new LinearNuSvr(X, n, 2).fit(y, { nu: 0.5, C: 100, tol: 1e-6 });
  assert.ok(Math.abs(r.coef[0]! - 2) < 1e-3 && Math.abs(r.coef[1]! + 1) < 1e-3, `coef ${Array.from(r.coef)}`);
  assert.ok(Math.abs(r.intercept - 0.5) < 1e-3, `intercept ${r.intercept}`);
});

test('nu-SVR rejects bad arguments', () => {
  assert.throws(() => new LinearNuSvr(new Float64Array(5), 2, 3), RangeError);
  const svr = new LinearNuSvr(new Float64Array([0, 1, 2]), 3, 1);
  assert.throws(() => svr.fit([1, 2], { nu: 0.5 }), /length 2, expected 3/);
  assert.throws(() => svr.fit([1, 2, 3], { nu: 0 }), /nu must be in \(0, 1\]/);
  assert.throws(() => svr.fit([1, 2, 3], { nu: 1.5 }), /nu must be/);
  assert.throws(() => svr.fit([1, 2, 3], { nu: 0.5, C: 0 }), /C must be/);
  assert.throws(() => svr.fit([1, Number.NaN, 3], { nu: 0.5 }), /y\[1\] is NaN/);
  assert.throws(() => svr.fit([1, 2, 3], { nu: 0.5, tol: 0 }), /tol must be/);
});

test('maxIter stops the solver and reports non-convergence', () => {
  const prob = sk.problems.find((p) => p.name === 'cibersort')!;
  const r = new LinearNuSvr(Float64Array.from(prob.X), prob.n, prob.d).fit(prob.ys[0]!, { nu: 0.5, maxIter: 10 });
  assert.equal(r.iterations, 10);
  assert.equal(r.converged, false);
});

test('dotOpenblasSse2 equals the exact dot product on integers, for every length and alignment', () => {
  for (let n = 0; n <= 37; n++) {
    const X = new Float64Array(2 * n + 1);
    for (let i = 0; i < X.length; i++) X[i] = (i % 7) - 3;
    let exact = 0;
    for (let k = 0; k < n; k++) exact += X[k]! * X[n + 1 + k]!;
    assert.equal(dotOpenblasSse2(X, 0, n + 1, n, true), exact);
    assert.equal(dotOpenblasSse2(X, 0, n + 1, n, false), exact);
  }
  // Summation order: with y aligned, x0 and x4 share an accumulator and x2 sits in another, so
  // 1e16 + (-1e16) cancels before the 1 is added (a sequential loop loses the 1 instead).
  const X = new Float64Array([1e16, 0, 1, 0, -1e16, 0, 1, 1, 1, 1, 1, 1]);
  assert.equal(dotOpenblasSse2(X, 0, 6, 6, true), 1);
  let seq = 0;
  for (let k = 0; k < 6; k++) seq += X[k]! * X[6 + k]!;
  assert.equal(seq, 0);
  // With y misaligned, x0*y0 is peeled first and the pairs shift by one: x2 and x4 share the
  // high lane, so 1 + (-1e16) loses the 1 and the result is 0.
  assert.equal(dotOpenblasSse2(X, 0, 6, 6, false), 0);
});

test('pairwiseSum and zscoreNumpy match NumPy', () => {
  const v = Float64Array.from({ length: 300 }, (_, i) => 1 / (i + 1));
  let plain = 0;
  for (const x of v) plain += x;
  // Same value to rounding, different order from a plain loop (NumPy's pairwise blocks).
  assert.ok(Math.abs(pairwiseSum(v, 0, 300, 1) - plain) < 1e-13);
  assert.equal(pairwiseSum(v, 0, 5, 1), v[0]! + v[1]! + v[2]! + v[3]! + v[4]!);
  // The signature as the Python reference parsed it, standardised globally in column-major
  // order, equals the reference's (S - S.mean()) / S.std(ddof=1) bit for bit.
  const sig = JSON.parse(readFileSync(new URL('sig_as_parsed_by_pandas.json', FIX), 'utf8')) as { values: number[]; cellTypes: string[] };
  const S = Float64Array.from(sig.values);
  const d = sig.cellTypes.length;
  const nG = S.length / d;
  const { z } = zscoreNumpy(S, columnMajorOrder(nG, d), 1);
  const prob = sk.problems.find((p) => p.name === 'cibersort')!;
  assert.deepEqual(Array.from(z), prob.X);
});
