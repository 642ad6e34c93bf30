import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { nnls, nnlsGram } from '../../src/linalg/nnls.js';

function kkt(m: number, n: number, A: Float64Array, b: Float64Array, x: Float64Array) {
  const w = new Float64Array(n);
  let scale = 0;
  for (let i = 0; i < m; i++) {
    let f = 0;
    for (let j = 0; j < n; j++) f += A[i * n + j]! * x[j]!;
    for (let j = 0; j < n; j++) w[j] = w[j]! + A[i * n + j]! * (b[i]! - f);
    for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(A[i * n + j]! * b[i]!));
  }
  return { w, tol: 1e-9 * scale * m };
}

test('2x2 NNLS with a known active set', () => {
  // A = I, b = (1, -1): x = (1, 0), gradient at the bound is -1 <= 0
  const r = nnls(2, 2, Float64Array.of(1, 0, 0, 1), Float64Array.of(1, -1));
  assert.deepEqual(Array.from(r.x), [1, 0]);
  assert.ok(r.converged);
  // A = [[1, 1], [0, 1]], b = (2, -1): unconstrained x = (3, -1); NNLS x = (2, 0), residual 1 (scipy.optimize.nnls)
  const s = nnls(2, 2, Float64Array.of(1, 1, 0, 1), Float64Array.of(2, -1));
  assert.deepEqual(Array.from(s.x), [2, 0]);
});

test('random problems: both NNLS forms satisfy KKT and agree', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 40; trial++) {
    const m = 5 + rng.int(60);
    const n = 1 + rng.int(Math.min(m, 12));
    const A = new Float64Array(m * n).map(() => rng.normal());
    const b = new Float64Array(m).map(() => rng.normal() * 3);
    const r = nnls(m, n, A, b);
    assert.ok(r.converged);
    const { w, tol } = kkt(m, n, A, b, r.x);
    for (let j = 0; j < n; j++) {
      assert.ok(r.x[j]! >= 0);
      if (r.x[j]! > 0) assert.ok(Math.abs(w[j]!) <= tol, `active gradient ${w[j]}`);
      else assert.ok(w[j]! <= tol, `bound gradient ${w[j]}`);
    }
    const H = new Float64Array(n * n);
    const d = new Float64Array(n);
    for (let i = 0; i < m; i++)
      for (let a = 0; a < n; a++) {
        d[a] = d[a]! + A[i * n + a]! * b[i]!;
        for (let c = 0; c < n; c++) H[a * n + c] = H[a * n + c]! + A[i * n + a]! * A[i * n + c]!;
      }
    const x = new Float64Array(n);
    assert.ok(nnlsGram(n, H, d, x).converged);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(x[j]! - r.x[j]!) < 1e-8 * (1 + Math.abs(r.x[j]!)), `trial ${trial}`);
  }
});

test('iteration limit is reported, not thrown (scipy raises "too many iterations")', () => {
  const rng = new Rng(3);
  const m = 40;
  const n = 10;
  const A = new Float64Array(m * n).map(() => rng.normal());
  const b = new Float64Array(m).map(() => rng.normal());
  const r = nnls(m, n, A, b, { maxIter: 0 });
  const full = nnls(m, n, A, b);
  // With no step-back allowed the solver either finishes without needing one or says it stopped.
  if (!r.converged) assert.ok(full.iterations > 0);
  assert.ok(full.converged);
});
