import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CelldeconvError } from '../../src/core/errors.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { toDense } from '../../src/data/matrix.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { aggregateByLabel } from '../../src/preprocess/aggregate.js';
import { filterCells, filterGenes } from '../../src/preprocess/filter.js';
import { intersectGenes, reorderGenes } from '../../src/preprocess/genes.js';
import { log1p, normalizeTotal, preprocessScrna } from '../../src/preprocess/normalize.js';

// 4 cells x 5 genes
const rows = [
  [1, 0, 0, 3, 0],
  [0, 0, 0, 0, 0],
  [2, 0, 1, 5, 0],
  [0, 0, 0, 2, 1],
];
const X = DenseMatrix.fromRows(rows);
const kinds = () => [X, CsrMatrix.fromDense(X), CsrMatrix.fromDense(X).toCsc()];
const ds = (m = X as DenseMatrix | CsrMatrix | ReturnType<CsrMatrix['toCsc']>) =>
  new Dataset({
    X: m,
    obsNames: ['c0', 'c1', 'c2', 'c3'],
    varNames: ['A', 'B', 'C', 'D', 'E'],
    obs: new Frame(4, { ct: categoricalFrom(['T', 'T', 'B', 'Mono']) }),
    layers: { other: m },
  });

test('normalizeTotal: rows scaled to the target, empty rows stay 0, kind and precision kept', () => {
  for (const m of kinds()) {
    const r = normalizeTotal(m, 100);
    assert.equal(r.kind, m.kind);
    assert.deepEqual(toDense(r).toRows(), [
      [25, 0, 0, 75, 0],
      [0, 0, 0, 0, 0],
      [25, 0, 12.5, 62.5, 0],
      [0, 0, 0, 200 / 3, 100 / 3],
    ]);
    assert.deepEqual(toDense(m).toRows(), rows, 'input untouched');
  }
  const f32 = normalizeTotal(X.astype('float32'));
  assert.equal(f32.dtype, 'float32');
  assert.equal(normalizeTotal(X).get(0, 0), 2500); // default 1e4
  assert.throws(
    () => normalizeTotal(X, 0),
    (e: unknown) => (e as CelldeconvError).code === 'E_OPTION',
  );
});

test('log1p keeps zeros and sparsity', () => {
  for (const m of kinds()) {
    const r = log1p(m);
    assert.equal(r.kind, m.kind);
    assert.equal(toDense(r).get(2, 2), Math.log(2));
    assert.equal(toDense(r).get(1, 1), 0);
  }
});

test('filterGenes / filterCells: thresholds and reports, every layer follows', () => {
  for (const m of kinds()) {
    const { dataset, report } = filterGenes(ds(m), { minCounts: 2 });
    assert.deepEqual(dataset.varNames, ['A', 'D']);
    assert.deepEqual(report.dropped, ['B', 'C', 'E']);
    assert.equal(report.kept, 2);
    assert.deepEqual(toDense(dataset.layer('other')).toRows(), toDense(dataset.X).toRows());
    const byCells = filterGenes(ds(m), { minCells: 2 });
    assert.deepEqual(byCells.dataset.varNames, ['A', 'D']);
    const both = filterGenes(ds(m), { minCounts: 1, minCells: 1 });
    assert.deepEqual(both.dataset.varNames, ['A', 'C', 'D', 'E']);
    const c = filterCells(ds(m), { minCounts: 4 });
    assert.deepEqual(c.dataset.obsNames, ['c0', 'c2']);
    assert.deepEqual(c.report.dropped, ['c1', 'c3']);
    assert.deepEqual(filterCells(ds(m), { minGenes: 2 }).dataset.obsNames, ['c0', 'c2', 'c3']);
  }
  assert.throws(
    () => filterGenes(ds(), { minCounts: -1 }),
    (e: unknown) => (e as CelldeconvError).code === 'E_OPTION',
  );
  assert.throws(
    () => filterCells(ds(), { minGenes: Number.NaN }),
    (e: unknown) => (e as CelldeconvError).code === 'E_OPTION',
  );
});

test('preprocessScrna builds raw_counts, relative_counts and X = log1p(relative_counts) after filter_genes(min_counts=3)', () => {
  const { dataset, report } = preprocessScrna(ds(CsrMatrix.fromDense(X)));
  assert.deepEqual(dataset.varNames, ['A', 'D']);
  assert.equal(report.nDropped, 3);
  const rel = toDense(dataset.layer('relative_counts'));
  assert.deepEqual(rel.row(0).length, 2);
  assert.equal(rel.get(0, 0), 2500); // totals over the kept genes: 1 / 4 * 1e4
  assert.equal(toDense(dataset.X).get(0, 0), Math.log1p(2500));
  assert.deepEqual(toDense(dataset.layer('raw_counts')).toRows(), [
    [1, 3],
    [0, 0],
    [2, 5],
    [0, 2],
  ]);
});

test('intersectGenes and reorderGenes report what is missing', () => {
  const r = intersectGenes(['A', 'B', 'C', 'B'], ['C', 'A', 'D']);
  assert.deepEqual(r.genes, ['A', 'C']);
  assert.deepEqual(r.report.missingFromA, ['D']);
  assert.deepEqual(r.report.missingFromB, ['B']);
  assert.equal(r.report.fraction, 2 / 3);
  assert.deepEqual(intersectGenes(ds(), { genes: ['E', 'Z'] }).genes, ['E']);
  for (const m of kinds()) {
    const { dataset, report } = reorderGenes(ds(m), ['D', 'Z', 'A'], { fill: 'zero' });
    assert.deepEqual(dataset.varNames, ['D', 'Z', 'A']);
    assert.deepEqual(toDense(dataset.X).toRows(), [
      [3, 0, 1],
      [0, 0, 0],
      [5, 0, 2],
      [2, 0, 0],
    ]);
    assert.deepEqual(toDense(dataset.layer('other')).toRows(), toDense(dataset.X).toRows());
    assert.equal(report.kept, 2);
    assert.deepEqual(report.missingFromA, ['Z']);
    assert.deepEqual(report.missingFromB, ['B', 'C', 'E']);
    assert.equal(report.fraction, 2 / 3);
    // complete lists need no fill
    assert.deepEqual(reorderGenes(ds(m), ['E', 'A']).dataset.varNames, ['E', 'A']);
  }
  assert.throws(
    () => reorderGenes(ds(), ['A', 'Z']),
    (e: unknown) => (e as CelldeconvError).code === 'E_GENES_MISSING' && /1 of 2 requested genes/.test((e as Error).message),
  );
  assert.throws(
    () => reorderGenes(ds(), ['A', 'A'], { fill: 'zero' }),
    (e: unknown) => (e as CelldeconvError).code === 'E_DUPLICATE_GENE',
  );
});

test('aggregateByLabel: per-label mean and sum, any storage; group order option; unknown label', () => {
  for (const m of kinds()) {
    const mean = aggregateByLabel(ds(m), 'ct', 'mean');
    assert.deepEqual(mean.obsNames, ['B', 'Mono', 'T']);
    assert.deepEqual(mean.X.kind, 'dense');
    assert.deepEqual(toDense(mean.X).toRows(), [
      [2, 0, 1, 5, 0],
      [0, 0, 0, 2, 1],
      [0.5, 0, 0, 1.5, 0],
    ]);
    const col = mean.obs.get('n_cells');
    assert.deepEqual(col.kind === 'numeric' ? Array.from(col.values) : [], [1, 1, 2]);
    const sum = aggregateByLabel(ds(m), 'ct', 'sum', { groups: ['T', 'B'] });
    assert.deepEqual(toDense(sum.X).toRows(), [
      [1, 0, 0, 3, 0],
      [2, 0, 1, 5, 0],
    ]);
  }
  assert.throws(
    () => aggregateByLabel(ds(), 'ct', 'mean', { groups: ['NK'] }),
    (e: unknown) => (e as CelldeconvError).code === 'E_UNKNOWN_LABEL',
  );
  assert.throws(
    () => aggregateByLabel(ds(), 'nope'),
    (e: unknown) => (e as CelldeconvError).code === 'E_NO_COLUMN',
  );
});
