import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { glassoEbic, graphicalLasso, graphicalLassoScreened } from '../../../src/methods/decovart/glasso.js';
import { choleskyInPlace } from '../../../src/methods/decovart/linalg.js';

interface Case {
  kind: 'estimator' | 'corr';
  alpha: number;
  tol?: number;
  covariance: number[][];
  precision: number[][];
  n_iter: number;
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/decovart/glasso.json', import.meta.url), 'utf8')) as {
  X: number[][];
  cases: Case[];
  ebic: { path: { alpha: number; edges: number; ebic: number }[]; best: number };
};
const X = fx.X;
const N = X.length;
const G = X[0]!.length;

function empCov(standardise: boolean): Float64Array {
  const mean = new Float64Array(G);
  for (const r of X) for (let g = 0; g < G; g++) mean[g] = mean[g]! + r[g]! / N;
  const C = new Float64Array(G * G);
  for (const r of X)
    for (let a = 0; a < G; a++) for (let b = 0; b < G; b++) C[a * G + b] = C[a * G + b]! + ((r[a]! - mean[a]!) * (r[b]! - mean[b]!)) / N;
  if (!standardise) return C;
  const sd = Array.from({ length: G }, (_, g) => Math.sqrt(C[g * G + g]!));
  for (let a = 0; a < G; a++) for (let b = 0; b < G; b++) C[a * G + b] = C[a * G + b]! / (sd[a]! * sd[b]!);
  return C;
}

function maxAbsDiff(a: Float64Array, b: number[][]): number {
  let m = 0;
  for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) m = Math.max(m, Math.abs(a[i * G + j]! - b[i]![j]!));
  return m;
}

for (const c of fx.cases) {
  test(`graphical lasso matches sklearn ${c.kind} alpha=${c.alpha} tol=${c.tol ?? 1e-4} to 1e-4`, () => {
    const S = empCov(c.kind === 'corr');
    const tol = c.tol ?? 1e-4;
    const res = graphicalLasso(S, G, c.alpha, { tol, enetTol: tol, maxIter: 100 });
    assert.ok(res.converged);
    const dc = maxAbsDiff(res.covariance, c.covariance);
    const dp = maxAbsDiff(res.precision, c.precision);
    const lim = tol < 1e-8 ? 1e-8 : 1e-4;
    assert.ok(dc < lim, `covariance differs by ${dc}`);
    assert.ok(dp < lim * 10, `precision differs by ${dp}`);
    // sparsity pattern identical, precision positive definite, same iteration count
    for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) assert.equal(res.precision[i * G + j] === 0, c.precision[i]![j] === 0);
    assert.ok(choleskyInPlace(res.precision.slice(), G));
    assert.equal(res.nIter, c.n_iter);
  });
}

test('EBIC path and chosen penalty match the Python reference', () => {
  const R = empCov(true);
  const sel = glassoEbic(R, G, N);
  assert.equal(sel.rule, 'ebic');
  assert.equal(sel.path.length, fx.ebic.path.length);
  sel.path.forEach((p, k) => {
    const ref = fx.ebic.path[k]!;
    assert.ok(Math.abs(p.alpha - ref.alpha) < 1e-12);
    assert.equal(p.edges, ref.edges, `edges at alpha ${ref.alpha}`);
    assert.ok(Math.abs(p.ebic - ref.ebic) < 1e-3 * Math.abs(ref.ebic), `ebic ${p.ebic} vs ${ref.ebic}`);
  });
  assert.ok(Math.abs(sel.alpha - fx.ebic.path[fx.ebic.best]!.alpha) < 1e-12);
});

test('few samples fall back to a fixed penalty; a diagonal input stays diagonal', () => {
  const R = empCov(true);
  assert.equal(glassoEbic(R, G, 5).rule, 'fixed');
  const I = new Float64Array(9);
  I[0] = I[4] = I[8] = 1;
  const r = glassoEbic(I, 3, 100);
  for (let k = 0; k < 9; k++) assert.ok(r.precision[k] === (k % 4 === 0 ? 1 : 0));
});

test('block screening gives the same solution as the plain solver', () => {
  const R = empCov(true);
  for (const alpha of [0.05, 0.15, 0.3, 0.5]) {
    const a = graphicalLasso(R, G, alpha, { tol: 1e-10, enetTol: 1e-10 });
    const b = graphicalLassoScreened(R, G, alpha, { tol: 1e-10, enetTol: 1e-10 });
    for (let k = 0; k < G * G; k++) {
      assert.ok(Math.abs(a.covariance[k]! - b.covariance[k]!) < 1e-7, `alpha ${alpha} W[${k}]`);
      assert.ok(Math.abs(a.precision[k]! - b.precision[k]!) < 1e-6, `alpha ${alpha} P[${k}]`);
    }
  }
});
