import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ddot, dnrm2, packedSize, rowOuterProducts, unpackSymmetric, weightedPackedGram } from '../../src/linalg/blas.js';
import { cholesky, choleskySolve } from '../../src/linalg/cholesky.js';
import { pinv, svd } from '../../src/linalg/svd.js';
import { withJavaScriptKernels } from '../helpers/wasm.js';

test('strided ddot / dnrm2 read rows and columns of a row-major matrix', () => {
  const A = Float64Array.of(1, 2, 3, 4, 5, 6); // 2 x 3
  assert.equal(ddot(3, A, 1, 0, A, 1, 3), 1 * 4 + 2 * 5 + 3 * 6);
  assert.equal(ddot(2, A, 3, 1, A, 3, 2), 2 * 3 + 5 * 6);
  assert.ok(Math.abs(dnrm2(2, A, 3, 0) - Math.hypot(1, 4)) < 1e-15);
  assert.ok(Math.abs(dnrm2(2, Float64Array.of(3e200, 4e200), 1, 0) / 5e200 - 1) < 1e-15); // no overflow
});

test('weighted Gram from packed per-row outer products equals Aᵀ W A', () => {
  const A = Float64Array.of(1, 2, 0, 3, -1, 1, 2, 2); // 4 x 2
  const w = Float64Array.of(1, 0.5, 2, 0);
  const P = packedSize(2);
  const packed = new Float64Array(P);
  weightedPackedGram(4, P, rowOuterProducts(4, 2, A), w, packed);
  const H = new Float64Array(4);
  unpackSymmetric(2, packed, H);
  const want = [1 * 1 + 0 + 2 * 1, 1 * 2 + 0 + 2 * -1, 0, 4 + 0.5 * 9 + 2 * 1];
  want[2] = want[1]!;
  assert.deepEqual(Array.from(H), want);
});

test('Cholesky solves an SPD system; refuses a singular one', () => {
  const H = Float64Array.of(4, 2, 2, 3);
  assert.ok(cholesky(H, 2));
  const b = Float64Array.of(2, 1);
  choleskySolve(H, 2, b);
  assert.ok(Math.abs(4 * b[0]! + 2 * b[1]! - 2) < 1e-15 && Math.abs(2 * b[0]! + 3 * b[1]! - 1) < 1e-15);
  assert.equal(cholesky(Float64Array.of(1, 1, 1, 1), 2), false);
});

test('SVD singular values and pseudo-inverse (numpy.linalg.svd / pinv)', () => {
  // numpy.linalg.svd([[3,0],[4,5]]) -> s = [6.7082039324993694, 2.2360679774997898]
  const d = svd(2, 2, Float64Array.of(3, 0, 4, 5));
  assert.ok(Math.abs(d.s[0]! - 6.7082039324993694) < 1e-14 && Math.abs(d.s[1]! - 2.2360679774997898) < 1e-14);
  // wide matrix goes through the transpose
  const { P, rank } = pinv(1, 2, Float64Array.of(3, 4));
  assert.equal(rank, 1);
  assert.ok(Math.abs(P[0]! - 0.12) < 1e-15 && Math.abs(P[1]! - 0.16) < 1e-15);
});

test('SVD of a tall matrix (QR first) reconstructs A, has orthonormal factors and handles a dependent column', async () => {
  const { Rng } = await import('../../src/core/rng.js');
  const rng = new Rng(4);
  for (const [m, n] of [
    [60, 5],
    [1400, 17],
    [9, 4],
  ] as const) {
    const A = new Float64Array(m * n).map(() => rng.normal());
    for (let i = 0; i < m; i++) A[i * n + n - 1] = 2 * A[i * n]!; // rank n - 1
    const d = svd(m, n, A);
    let err = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let r = 0; r < n; r++) v += d.U[i * n + r]! * d.s[r]! * d.V[j * n + r]!;
        err = Math.max(err, Math.abs(v - A[i * n + j]!));
      }
    }
    assert.ok(err < 1e-12, `reconstruction ${m}x${n}: ${err}`);
    assert.ok(d.s[n - 1]! < 1e-12 * d.s[0]!, 'the dependent column gives a zero singular value');
    for (let p = 0; p < n - 1; p++) {
      for (let q = 0; q < n - 1; q++) {
        let u = 0;
        for (let i = 0; i < m; i++) u += d.U[i * n + p]! * d.U[i * n + q]!;
        assert.ok(Math.abs(u - (p === q ? 1 : 0)) < 1e-12, `UᵀU[${p},${q}]`);
      }
    }
    // pinv: A P A = A
    const { P, rank } = pinv(m, n, A, 1e-10);
    assert.equal(rank, n - 1);
    let e2 = 0;
    for (let i = 0; i < m; i += 7) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let a = 0; a < n; a++) {
          let pa = 0;
          for (let k = 0; k < m; k++) pa += P[a * m + k]! * A[k * n + j]!;
          v += A[i * n + a]! * pa;
        }
        e2 = Math.max(e2, Math.abs(v - A[i * n + j]!));
      }
    }
    assert.ok(e2 < 1e-10, `A P A = A (${e2})`);
  }
});

test('pinv of a tall matrix: the SIMD-kernel path equals the JavaScript path', async () => {
  const { Rng } = await import('../../src/core/rng.js');
  const rng = new Rng(8);
  for (const [m, n] of [
    [41, 7],
    [300, 17],
  ] as const) {
    const A = new Float64Array(m * n).map(() => rng.uniform() * 10);
    for (let i = 0; i < m; i++) A[i * n + 2] = 0; // a zero column: rank n - 1, no reflection
    const fast = pinv(m, n, A);
    const slow = await withJavaScriptKernels(() => pinv(m, n, A));
    assert.equal(fast.rank, n - 1);
    assert.equal(slow.rank, n - 1);
    let scale = 0;
    for (const v of slow.P) scale = Math.max(scale, Math.abs(v));
    for (let k = 0; k < fast.P.length; k++) assert.ok(Math.abs(fast.P[k]! - slow.P[k]!) < 1e-12 * scale, `P[${k}]`);
  }
});

test('spdInverse: the inverse and the exact 1-norm condition number; null when not positive definite', async () => {
  const { spdInverse } = await import('../../src/linalg/cholesky.js');
  const r = spdInverse(Float64Array.of(4, 2, 2, 3), 2);
  assert.ok(r);
  // inverse = [[3, -2], [-2, 4]] / 8; ‖A‖₁ = 6, ‖A⁻¹‖₁ = 6/8 -> cond₁ = 4.5
  const want = [3 / 8, -2 / 8, -2 / 8, 4 / 8];
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(r.inv[k]! - want[k]!) < 1e-15);
  assert.ok(Math.abs(r.cond1 - 4.5) < 1e-12);
  assert.equal(spdInverse(Float64Array.of(1, 2, 2, 1), 2), null);
});
