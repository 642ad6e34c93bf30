import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError, ShapeError } from '../../src/core/errors.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, columnAsStrings, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';

function small(): Dataset {
  const X = CsrMatrix.fromDense(
    DenseMatrix.fromRows([
      [1, 0, 2],
      [0, 3, 0],
      [4, 0, 0],
      [0, 0, 5],
    ]),
  );
  const obs = new Frame(4, {
    cell_type: categoricalFrom(['T', 'B', 'T', 'NK']),
    total: { kind: 'numeric', values: Float64Array.from([3, 3, 4, 5]) },
    ok: { kind: 'boolean', values: Uint8Array.from([1, 0, 1, 1]) },
  });
  return new Dataset({
    X,
    obsNames: ['c0', 'c1', 'c2', 'c3'],
    varNames: ['g0', 'g1', 'g2'],
    obs,
    layers: { counts: X },
    uns: { note: 'x', n: [1, 2] },
  });
}

describe('Dataset', () => {
  test('shape, names and labels', () => {
    const ds = small();
    assert.deepEqual(ds.shape, [4, 3]);
    const { codes, categories } = ds.labels('cell_type');
    assert.deepEqual(categories, ['B', 'NK', 'T']);
    assert.deepEqual(Array.from(codes), [2, 0, 2, 1]);
    assert.deepEqual(ds.varIndex().get('g2'), 2);
  });

  test('contiguous observation selection is a view; scattered selection copies', () => {
    const ds = small();
    const v = ds.selectObs([1, 2]);
    assert.equal((v.X as CsrMatrix).data, (ds.X as CsrMatrix).data);
    assert.deepEqual(v.obsNames, ['c1', 'c2']);
    assert.deepEqual(columnAsStrings(v.obs.get('cell_type')), ['B', 'T']);
    const s = ds.selectObs([3, 0]);
    assert.notEqual((s.X as CsrMatrix).data, (ds.X as CsrMatrix).data);
    assert.deepEqual((s.X as CsrMatrix).toDense().toRows(), [
      [0, 0, 5],
      [1, 0, 2],
    ]);
    assert.deepEqual((s.layer('counts') as CsrMatrix).toDense().toRows(), (s.X as CsrMatrix).toDense().toRows());
  });

  test('gene selection by name reorders X, layers and var; missing genes are a typed error', () => {
    const ds = small();
    const g = ds.selectVarsByName(['g2', 'g0']);
    assert.deepEqual(g.varNames, ['g2', 'g0']);
    assert.deepEqual((g.X as CsrMatrix).toDense().toRows()[0], [2, 1]);
    assert.throws(
      () => ds.selectVarsByName(['g9']),
      (e: unknown) => e instanceof InputError && e.code === 'E_GENES_MISSING',
    );
  });

  test('copy is deep', () => {
    const ds = small();
    const c = ds.copy();
    (c.X as CsrMatrix).data[0] = 99;
    assert.equal((ds.X as CsrMatrix).data[0], 1);
    (c.uns.n as number[]).push(3);
    assert.deepEqual(ds.uns.n, [1, 2]);
  });

  test('shape mismatches and unknown columns/layers are typed errors', () => {
    const X = DenseMatrix.zeros(2, 2);
    assert.throws(() => new Dataset({ X, obsNames: ['a'] }), ShapeError);
    assert.throws(() => new Dataset({ X, layers: { bad: DenseMatrix.zeros(3, 2) } }), ShapeError);
    const ds = small();
    assert.throws(
      () => ds.layer('nope'),
      (e: unknown) => e instanceof InputError && e.code === 'E_NO_LAYER',
    );
    assert.throws(
      () => ds.obs.get('nope'),
      (e: unknown) => e instanceof InputError && /cell_type/.test((e as Error).message),
    );
    assert.throws(
      () => ds.labels('total'),
      (e: unknown) => e instanceof InputError && e.code === 'E_LABELS_NUMERIC',
    );
  });
});

describe('DenseMatrix', () => {
  test('transpose, select and sums', () => {
    const m = DenseMatrix.fromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(m.transpose().toRows(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assert.deepEqual(m.selectCols([2, 0]).toRows(), [
      [3, 1],
      [6, 4],
    ]);
    assert.deepEqual(Array.from(m.rowSums()), [6, 15]);
    assert.deepEqual(Array.from(m.colSums()), [5, 7, 9]);
    assert.equal(m.astype('float32').dtype, 'float32');
    assert.throws(() => new DenseMatrix(2, 2, new Float64Array(3)), ShapeError);
  });
});
