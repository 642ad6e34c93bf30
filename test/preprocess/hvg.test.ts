import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { highlyVariableGenes, selectHighlyVariableGenes } from '../../src/preprocess/hvg.js';
import { loessFit } from '../../src/preprocess/loess.js';
import { log1p, normalizeTotal } from '../../src/preprocess/normalize.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/preprocess/hvg.json', import.meta.url), 'utf8'));
const counts = new DenseMatrix(fx.nCells, fx.nGenes, Float64Array.from(fx.counts));

function closeArr(got: ArrayLike<number>, exp: (number | null)[], rel: number, what: string) {
  assert.equal(got.length, exp.length, what);
  for (let k = 0; k < exp.length; k++) {
    const e = exp[k] as number | null;
    const g = got[k] as number;
    if (e === null) {
      assert.ok(!Number.isFinite(g), `${what}[${k}]: got ${g}, expected NaN/inf`);
      continue;
    }
    assert.ok(Math.abs(g - e) <= rel * Math.max(Math.abs(e), 1e-9), `${what}[${k}]: got ${g}, expected ${e}`);
  }
}

test('LOESS equals R loess (k-d tree interpolation and direct surface, degree 2 and 1, with ties)', () => {
  const { x, y } = fx.loess;
  closeArr(loessFit(x, y, { span: 0.3, degree: 2 }), fx.loess.fit2, 1e-10, 'R interpolate, degree 2');
  closeArr(loessFit(x, y, { span: 0.5, degree: 1 }), fx.loess.fit1_span05, 1e-10, 'R interpolate, degree 1');
  closeArr(loessFit(x, y, { span: 0.3, degree: 2, surface: 'direct' }), fx.loess.fit2Direct, 1e-10, 'R direct');
  closeArr(loessFit(x, y, { span: 0.3, degree: 2, surface: 'direct' }), fx.loess.fit2DirectNumpy, 1e-10, 'numpy lstsq direct');
  closeArr(loessFit(fx.loess.xTies, fx.loess.yTies, { span: 0.3 }), fx.loess.fitTies, 1e-9, 'R interpolate, 1500 points with ties');
  // a quadratic is reproduced exactly by a local quadratic, in any input order
  const xs = [5, 1, 4, 2, 6, 3, 8, 7, 10, 9];
  for (const surface of ['interpolate', 'direct'] as const) {
    const fit = loessFit(
      xs,
      xs.map((v) => 3 - v + 0.5 * v * v),
      { span: 0.5, surface },
    );
    xs.forEach((v, k) => {
      assert.ok(Math.abs((fit[k] as number) - (3 - v + 0.5 * v * v)) < 1e-9, `${surface} ${v}`);
    });
  }
});

test('seurat_v3 on counts equals scanpy formulas with R loess (the dloess code skmisc wraps), dense and sparse', () => {
  for (const m of [counts, CsrMatrix.fromDense(counts), CsrMatrix.fromDense(counts).toCsc()]) {
    const r = highlyVariableGenes(m, { flavor: 'seurat_v3', nTopGenes: 50 });
    const e = fx.seurat_v3;
    closeArr(r.means, e.means, 1e-12, 'means');
    closeArr(r.variances as Float64Array, e.variances, 1e-10, 'variances');
    closeArr(r.variancesNorm as Float64Array, e.variancesNorm, 1e-9, 'variancesNorm');
    assert.deepEqual(Array.from(r.highlyVariable), e.hv, 'top-50 gene set');
    closeArr(r.highlyVariableRank as Float64Array, e.rank, 0, 'rank');
    assert.deepEqual(r.warnings, []);
  }
  const nonInt = highlyVariableGenes(normalizeTotal(counts), { flavor: 'seurat_v3', nTopGenes: 10 });
  assert.equal(nonInt.warnings[0]?.code, 'W_NON_INTEGER_COUNTS');
});

test('seurat and cell_ranger on log data equal pandas/statsmodels versions of scanpy formulas', () => {
  const logx = log1p(normalizeTotal(counts));
  for (const m of [logx, CsrMatrix.fromDense(logx)]) {
    for (const [flavor, key, nTopGenes] of [
      ['seurat', 'seurat', undefined],
      ['seurat', 'seurat_top40', 40],
      ['cell_ranger', 'cell_ranger', undefined],
      ['cell_ranger', 'cell_ranger_top40', 40],
    ] as const) {
      const r = highlyVariableGenes(m, { flavor, nTopGenes });
      const e = fx[key];
      closeArr(r.means, e.means, 1e-10, `${key} means`);
      closeArr(r.dispersions as Float64Array, e.dispersions, 1e-9, `${key} dispersions`);
      closeArr(r.dispersionsNorm as Float64Array, e.dispersionsNorm, 1e-7, `${key} dispersionsNorm`);
      assert.deepEqual(Array.from(r.highlyVariable), e.hv, `${key} flags`);
    }
  }
});

test('normalizeTotal / log1p against the fixture; Dataset wrapper keeps only flagged genes', () => {
  const rel = normalizeTotal(CsrMatrix.fromDense(counts));
  closeArr(rel.rowSums(), fx.rowSumsRelative, 1e-12, 'row sums');
  const lg = log1p(normalizeTotal(counts));
  closeArr(lg.row(0), fx.logFirstRow, 1e-13, 'log row 0');
  const ds = new Dataset({ X: counts });
  const { dataset, hvg } = selectHighlyVariableGenes(ds, { flavor: 'seurat_v3', nTopGenes: 50 });
  assert.equal(dataset.nVars, 50);
  assert.deepEqual(
    dataset.varNames,
    ds.varNames.filter((_, j) => hvg.highlyVariable[j]),
  );
});
