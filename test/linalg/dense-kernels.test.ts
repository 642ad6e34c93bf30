import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ddot, dnrm2, packedSize, rowOuterProducts, unpackSymmetric, weightedPackedGram } from '../../src/linalg/blas.js';
import { cholesky, choleskySolve } from '../../src/linalg/cholesky.js';
import { pinv, svd } from '../../src/linalg/svd.js';

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
