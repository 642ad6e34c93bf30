import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { toDense } from '../../src/data/matrix.js';
import { CsrMatrix } from '../../src/data/sparse.js';

function randomDense(rng: Rng, r: number, c: number, density: number): DenseMatrix<Float64Array> {
  const d = new Float64Array(r * c);
  for (let k = 0; k < d.length; k++) if (rng.uniform() < density) d[k] = 1 + rng.int(9);
  return new DenseMatrix(r, c, d);
}

describe('CSR / CSC', () => {
  const rng = new Rng(0);
  const D = randomDense(rng, 13, 9, 0.3);
  const A = CsrMatrix.fromDense(D);

  test('dense -> CSR -> dense round trip, CSR <-> CSC', () => {
    assert.deepEqual(A.toDense().toRows(), D.toRows());
    assert.deepEqual(A.toCsc().toDense().toRows(), D.toRows());
    assert.deepEqual(A.toCsc().toCsr().toDense().toRows(), D.toRows());
    assert.equal(A.toCsc().nnz, A.nnz);
    for (let i = 0; i < D.rows; i++) for (let j = 0; j < D.cols; j++) assert.equal(A.get(i, j), D.get(i, j));
  });

  test('transpose is zero-copy and correct', () => {
    const T = A.transpose();
    assert.equal(T.data, A.data);
    assert.deepEqual(T.toDense().toRows(), D.transpose().toRows());
  });

  test('row and column sums, nnz counts', () => {
    assert.deepEqual(Array.from(A.rowSums()), Array.from(D.rowSums()));
    assert.deepEqual(Array.from(A.colSums()), Array.from(D.colSums()));
    assert.deepEqual(Array.from(A.toCsc().colSums()), Array.from(D.colSums()));
    const nnzPerCol = Array.from({ length: D.cols }, (_, j) => D.col(j).filter((v) => v !== 0).length);
    assert.deepEqual(Array.from(A.colNnz()), nnzPerCol);
  });

  test('row range view shares storage and behaves like a compact copy', () => {
    const v = A.rowRange(3, 8);
    assert.equal(v.data, A.data);
    assert.deepEqual(v.toDense().toRows(), D.rowRange(3, 8).toRows());
    assert.deepEqual(Array.from(v.colSums()), Array.from(D.rowRange(3, 8).colSums()));
    const c = v.copy();
    assert.equal(c.indptr[0], 0);
    assert.deepEqual(c.toDense().toRows(), D.rowRange(3, 8).toRows());
    assert.deepEqual(v.toCsc().toDense().toRows(), D.rowRange(3, 8).toRows());
  });

  test('select rows / columns (reordered, duplicated) match dense selection', () => {
    const rows = [5, 0, 5, 12];
    const cols = [8, 2, 2, 0, 4];
    assert.deepEqual(A.selectRows(rows).toDense().toRows(), D.selectRows(rows).toRows());
    assert.deepEqual(A.selectCols(cols).toDense().toRows(), D.selectCols(cols).toRows());
    assert.deepEqual(A.toDense(cols).toRows(), D.selectCols(cols).toRows());
    assert.deepEqual(A.toCsc().densifyCols(cols).toRows(), D.selectCols(cols).toRows());
    assert.deepEqual(A.toCsc().selectRows(rows).toDense().toRows(), D.selectRows(rows).toRows());
    const wide = CsrMatrix.fromDense(randomDense(new Rng(4), 3, 200, 0.6));
    const perm = new Rng(5).permutation(200);
    assert.deepEqual(wide.selectCols(perm).toDense().toRows(), wide.toDense().selectCols(perm).toRows());
  });

  test('gather-and-sum of rows equals the dense sum (repeats count twice)', () => {
    const idx = [1, 4, 4, 11];
    const got = A.gatherSumRows(idx);
    const exp = new Float64Array(D.cols);
    for (const i of idx) for (let j = 0; j < D.cols; j++) exp[j]! += D.get(i, j);
    assert.deepEqual(Array.from(got), Array.from(exp));
  });

  test('group column means', () => {
    const groups = Int32Array.from({ length: D.rows }, (_, i) => (i === 2 ? -1 : i % 3));
    const m = A.groupColMeans(groups, 3);
    for (let g = 0; g < 3; g++) {
      const members = [...Array(D.rows).keys()].filter((i) => groups[i] === g);
      for (let j = 0; j < D.cols; j++) {
        const mean = members.reduce((s, i) => s + D.get(i, j), 0) / members.length;
        assert.ok(Math.abs(m.get(g, j) - mean) < 1e-12);
      }
    }
  });

  test('scaleRows and mapValues copy, leaving the source intact', () => {
    const before = A.toDense().toRows();
    const f = Array.from({ length: D.rows }, (_, i) => i + 1);
    const s = A.scaleRows(f);
    assert.deepEqual(A.toDense().toRows(), before);
    for (let i = 0; i < D.rows; i++) for (let j = 0; j < D.cols; j++) assert.equal(s.get(i, j), D.get(i, j) * (i + 1));
    assert.equal(A.mapValues(Math.log1p).get(0, 0), Math.log1p(D.get(0, 0)));
    assert.deepEqual(toDense(A, [1, 0]).toRows(), D.selectCols([1, 0]).toRows());
  });
});
