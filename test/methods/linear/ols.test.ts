import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset } from '../../../src/data/dataset.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { lstsq, svd } from '../../../src/linalg/svd.js';
import { olsMethod } from '../../../src/methods/linear/ols.js';
import { Signature } from '../../../src/signature/signature.js';
import { loadBulk, loadOut, loadSignature, maxRelDiff } from '../../fixtures/linear/load.js';

for (const dir of ['synth', 'shuffled']) {
  test(`ols matches scipy.linalg.lstsq to 1e-6 relative (${dir})`, async () => {
    const ref = loadOut(dir, 'out_ols.csv');
    const fitted = await olsMethod.fit(null, { signature: loadSignature(dir) });
    const res = await fitted.deconvolve(loadBulk(dir));
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data.map(Math.abs)));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
    // proportions are the raw rows divided by their sums (PyDeconv ratio=True, no clipping)
    for (let i = 0; i < res.proportions.rows; i++) {
      const s = res.raw!.row(i).reduce((a, b) => a + b, 0);
      for (let c = 0; c < res.proportions.cols; c++) assert.ok(Math.abs(res.proportions.get(i, c) - res.raw!.get(i, c) / s) < 1e-12);
    }
  });
}

test('SVD reconstructs A and lstsq gives the minimum-norm solution of a rank-deficient system', () => {
  const A = Float64Array.of(1, 2, 3, 2, 4, 6, 1, 0, 1, 0, 1, 1); // 4 x 3, col3 = col1 + col2
  const d = svd(4, 3, A);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let r = 0; r < 3; r++) s += d.U[i * 3 + r]! * d.s[r]! * d.V[j * 3 + r]!;
      assert.ok(Math.abs(s - A[i * 3 + j]!) < 1e-12);
    }
  const b = Float64Array.of(1, 2, 3, 4);
  const { x, rank } = lstsq(4, 3, A, b);
  assert.equal(rank, 2);
  // numpy.linalg.lstsq(A, b, rcond=None)[0]
  const want = [0.6666666666666667, -0.25641025641025655, 0.41025641025641013];
  // the min-norm solution is orthogonal to the null space (1, 1, -1)
  assert.ok(Math.abs(x[0]! + x[1]! - x[2]!) < 1e-12);
  // and satisfies the normal equations
  for (let j = 0; j < 3; j++) {
    let g = 0;
    for (let i = 0; i < 4; i++) {
      let f = 0;
      for (let c = 0; c < 3; c++) f += A[i * 3 + c]! * x[c]!;
      g += A[i * 3 + j]! * (b[i]! - f);
    }
    assert.ok(Math.abs(g) < 1e-10, `normal eq ${j}: ${g}`);
  }
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(x[j]! - want[j]!) < 1e-12, `x[${j}] = ${x[j]}`);
});

test('ols equals (SᵀS)⁻¹Sᵀy on a full-rank noise-free mixture', async () => {
  const sig = new Signature(
    ['a', 'b'],
    ['g1', 'g2', 'g3'],
    DenseMatrix.fromRows([
      [1, 0, 2],
      [0, 3, 1],
    ]),
  );
  const p = [0.25, 0.75];
  const y = [0, 1, 2].map((g) => p[0]! * sig.values.get(0, g) + p[1]! * sig.values.get(1, g));
  const bulk = new Dataset({ X: DenseMatrix.fromRows([y]), obsNames: ['s'], varNames: ['g1', 'g2', 'g3'] });
  const res = await (await olsMethod.fit(null, { signature: sig })).deconvolve(bulk);
  assert.ok(Math.abs(res.raw!.get(0, 0) - 0.25) < 1e-12 && Math.abs(res.raw!.get(0, 1) - 0.75) < 1e-12);
});

test('ols: normal equations for a well-conditioned signature, the SVD pseudo-inverse otherwise, same solutions', async () => {
  const { olsSolver, OLS_NORMAL_EQUATIONS_MAX_COND } = await import('../../../src/methods/linear/ols.js');
  const { pinv } = await import('../../../src/linalg/svd.js');
  const { Rng } = await import('../../../src/core/rng.js');
  const rng = new Rng(12);
  const G = 301;
  const C = 6;
  const opts = { rcond: 2.220446049250313e-16, onlyPositive: false, threads: 1 };
  const S = new Float64Array(G * C).map(() => rng.uniform() * 10);
  const y = new Float64Array(G).map(() => rng.uniform() * 20);
  const check = (S: Float64Array, mode: 'normal' | 'pinv', tol: number) => {
    const prep = olsSolver.prepare(S, G, C, opts, 0);
    assert.equal(prep.mode, mode);
    const out = new Float64Array(C);
    olsSolver.solve(prep, y, out, 0);
    const { P } = pinv(G, C, S, opts.rcond);
    for (let c = 0; c < C; c++) {
      let want = 0;
      for (let g = 0; g < G; g++) want += P[c * G + g]! * y[g]!;
      assert.ok(Math.abs(out[c]! - want) <= tol * Math.max(1, Math.abs(want)), `${mode} type ${c}: ${out[c]} vs ${want}`);
    }
  };
  check(S, 'normal', 1e-10);
  // Two nearly collinear cell types: cond(SᵀS) far above the threshold, so the pseudo-inverse is used.
  const bad = S.slice();
  for (let g = 0; g < G; g++) bad[g * C + 1] = bad[g * C]! * (1 + 1e-5 * rng.normal());
  check(bad, 'pinv', 1e-12);
  assert.ok(OLS_NORMAL_EQUATIONS_MAX_COND <= 1e6);
});
