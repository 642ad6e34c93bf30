import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CelldeconvError } from '../../src/core/errors.js';
import { AbortError, InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { pbmc3k } from '../../src/datasets/pbmc3k.js';
import { buildSignature, buildSignatureDetailed } from '../../src/signature/build-signature.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/signature/build.json', import.meta.url), 'utf8'));

function fixtureDataset(kind: 'dense' | 'csr' | 'csc' = 'csr'): Dataset {
  const dense = new DenseMatrix(fx.nCells, fx.nGenes, Float64Array.from(fx.counts));
  const X = kind === 'dense' ? dense : kind === 'csr' ? CsrMatrix.fromDense(dense) : CsrMatrix.fromDense(dense).toCsc();
  return new Dataset({ X, varNames: fx.genes, obs: new Frame(fx.nCells, { cell_type: categoricalFrom(fx.labels) }) });
}

function isErr(code: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal((e as CelldeconvError).code, code, (e as Error).message);
    if (re) assert.match((e as Error).message, re);
    return true;
  };
}

function relClose(a: number, b: number, rel: number, msg: string) {
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12), `${msg}: got ${a}, expected ${b}`);
}

const fxOpts = { labelsKey: 'cell_type', minMarkers: fx.minMarkers, maxMarkers: fx.maxMarkers };

test('golden: DE tables, kappa search, chosen genes and values equal the numpy/statsmodels re-implementation', () => {
  for (const kind of ['csr', 'csc', 'dense'] as const) {
    const r = buildSignatureDetailed(fixtureDataset(kind), fxOpts);
    assert.deepEqual(r.genes, fx.genesTested, 'count filter (>= 3)');
    for (const t of r.deTables) {
      const e = fx.tables[t.cellType];
      for (let k = 0; k < r.genes.length; k++) {
        relClose(t.z[k] as number, e.z[k], 1e-9, `${t.cellType} z ${k}`);
        relClose(t.pvals[k] as number, e.p[k], 1e-9, `${t.cellType} p ${k}`);
        relClose(t.pvalsAdj[k] as number, e.padj[k], 1e-9, `${t.cellType} padj ${k}`);
        relClose(t.logfc[k] as number, e.logfc[k], 1e-9, `${t.cellType} logfc ${k}`);
      }
      assert.deepEqual(
        Array.from(t.markers, (k) => r.genes[k]),
        e.markers,
        `${t.cellType} markers`,
      );
    }
    assert.equal(r.conditionNumbers.length, fx.conditionNumbers.length);
    r.conditionNumbers.forEach((c, i) => {
      assert.equal(c.n, fx.conditionNumbers[i].n);
      assert.equal(c.nUniqueGenes, fx.conditionNumbers[i].nUniqueGenes);
      relClose(c.kappa, fx.conditionNumbers[i].kappa, 1e-9, `kappa n=${c.n}`);
    });
    assert.equal(r.nTopChosen, fx.nTopChosen);
    assert.deepEqual(r.signature.genes, fx.signatureGenes);
    assert.deepEqual(r.signature.cellTypes, fx.cellTypes);
    r.signature.values.data.forEach((v, k) => {
      relClose(v, fx.valuesRelative[k], 1e-12, `value ${k}`);
    });
    assert.equal(r.signature.meta.nTopChosen, fx.nTopChosen);
  }
  const raw = buildSignature(fixtureDataset(), { ...fxOpts, valueLayer: 'raw_counts' });
  raw.values.data.forEach((v, k) => {
    relClose(v, fx.valuesRaw[k], 1e-12, `raw value ${k}`);
  });
});

test("golden: kappaNorm 'linpack' reproduces R 4.2 kappa() for every n and R's which.min", () => {
  const r = buildSignatureDetailed(fixtureDataset(), { ...fxOpts, kappaNorm: 'linpack' });
  r.conditionNumbers.forEach((c, i) => {
    relClose(c.kappa, fx.kappaRLinpack[i], 1e-9, `R kappa n=${c.n}`);
  });
  assert.equal(r.nTopChosen, fx.nTopChosenRLinpack);
});

test("golden: deTest 't-test' equals scipy ttest_ind_from_stats(equal_var=False) (scanpy method='t-test')", () => {
  const r = buildSignatureDetailed(fixtureDataset(), { ...fxOpts, deTest: 't-test' });
  for (const t of r.deTables) {
    const e = fx.tables[t.cellType];
    for (let k = 0; k < r.genes.length; k++) {
      relClose(t.z[k] as number, e.tScores[k], 1e-9, `${t.cellType} t ${k}`);
      relClose(t.pvals[k] as number, e.tP[k], 1e-9, `${t.cellType} t p ${k}`);
      relClose(t.pvalsAdj[k] as number, e.tPadj[k], 1e-9, `${t.cellType} t padj ${k}`);
    }
    assert.deepEqual(
      Array.from(t.markers, (k) => r.genes[k]),
      e.tMarkers,
      `${t.cellType} t-test markers`,
    );
  }
});

test('golden: scanpy logFC formula option', () => {
  const r = buildSignatureDetailed(fixtureDataset(), { ...fxOpts, logfcFormula: 'scanpy' });
  for (const t of r.deTables) {
    const e = fx.tables[t.cellType];
    for (let k = 0; k < r.genes.length; k++) relClose(t.logfc[k] as number, e.logfcScanpy[k], 1e-9, `${t.cellType} scanpy logfc ${k}`);
  }
});

/**
 * 3 types, 10 planted markers per type at 5x, noise genes otherwise; sparse counts. 300 cells per
 * type keep chance fold changes of noise genes far below the 0.25 cutoff (SE of a mean ~3%).
 */
function planted(seed: number): { ds: Dataset; planted: string[][] } {
  const rng = new Rng(seed);
  const types = ['A', 'B', 'C'];
  const nPer = 300;
  const nGenes = 120;
  const n = nPer * 3;
  const data = new Float64Array(n * nGenes);
  const labels: string[] = [];
  const plantedGenes = types.map((_, t) => Array.from({ length: 10 }, (_, k) => `g${t * 10 + k}`));
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i / nPer);
    labels.push(types[t] as string);
    for (let j = 0; j < nGenes; j++) {
      const isMarker = j < 30 && Math.floor(j / 10) === t;
      data[i * nGenes + j] = rng.poisson(isMarker ? 20 : 4);
    }
  }
  const ds = new Dataset({
    X: CsrMatrix.fromDense(new DenseMatrix(n, nGenes, data)),
    varNames: Array.from({ length: nGenes }, (_, j) => `g${j}`),
    obs: new Frame(n, { cell_type: categoricalFrom(labels) }),
  });
  return { ds, planted: plantedGenes };
}

test('synthetic planted markers: every planted marker selected, no noise gene, values = per-type means of the value layer', () => {
  const { ds, planted: pl } = planted(7);
  const r = buildSignatureDetailed(ds, { labelsKey: 'cell_type' });
  const sig = r.signature;
  for (const g of pl.flat()) assert.ok(sig.genes.includes(g), `planted ${g} selected`);
  for (const g of sig.genes) assert.ok(pl.flat().includes(g), `noise gene ${g} selected`);
  assert.ok(r.nTopChosen >= 50 && r.nTopChosen <= 200);
  assert.ok(sig.nGenes <= 3 * r.nTopChosen);
  // property: values equal the per-type mean of relative counts (and raw counts), recomputed directly
  const X = (ds.X as CsrMatrix).toDense() as DenseMatrix;
  const tot = X.rowSums();
  const { codes, categories } = ds.labels('cell_type');
  const rawSig = buildSignature(ds, { labelsKey: 'cell_type', valueLayer: 'raw_counts' });
  sig.cellTypes.forEach((t, ti) => {
    const cells = Array.from(codes.keys()).filter((i) => categories[codes[i] as number] === t);
    sig.genes.forEach((gname, gi) => {
      const j = ds.varNames.indexOf(gname);
      let rc = 0;
      let raw = 0;
      for (const i of cells) {
        rc += X.get(i, j) / ((tot[i] as number) / 1e4);
        raw += X.get(i, j);
      }
      relClose(sig.values.get(ti, gi), rc / cells.length, 1e-12, `rc mean ${t}/${gname}`);
      relClose(rawSig.values.get(ti, gi), raw / cells.length, 1e-12, `raw mean ${t}/${gname}`);
    });
  });
});

test('determinism and column order: same input, same output; cellTypes sets the column order', () => {
  const { ds } = planted(11);
  const a = buildSignature(ds, { labelsKey: 'cell_type' });
  const b = buildSignature(ds, { labelsKey: 'cell_type' });
  assert.deepEqual(a.genes, b.genes);
  assert.deepEqual(Array.from(a.values.data), Array.from(b.values.data));
  assert.deepEqual(a.cellTypes, ['A', 'B', 'C']);
  const c = buildSignature(ds, { labelsKey: 'cell_type', cellTypes: ['C', 'A', 'B'] });
  assert.deepEqual(c.cellTypes, ['C', 'A', 'B']);
  assert.deepEqual([...c.genes].sort(), [...a.genes].sort());
  // a cell mask restricts the cells used
  const mask = Array.from({ length: ds.nObs }, (_, i) => i % 2 === 0);
  const half = buildSignatureDetailed(ds, { labelsKey: 'cell_type', cellMask: mask });
  assert.deepEqual(half.signature.meta.nCellsPerType, { A: 150, B: 150, C: 150 });
});

test('bad input: typed errors and warnings', () => {
  const { ds } = planted(3);
  assert.throws(
    () => buildSignature(ds, { labelsKey: 'celltype' }),
    (e: unknown) => (e as CelldeconvError).code === 'E_NO_COLUMN',
  );
  assert.throws(() => buildSignature(ds, { labelsKey: 'cell_type', cellTypes: ['A', 'Z'] }), isErr('E_UNKNOWN_CELL_TYPE', /'Z'/));
  assert.throws(() => buildSignature(ds, { labelsKey: 'cell_type', cellTypes: ['A'] }), isErr('E_TOO_FEW_TYPES'));
  assert.throws(() => buildSignature(ds, { labelsKey: 'cell_type', minMarkers: 10, maxMarkers: 5 }), isErr('E_OPTION', /maxMarkers/));
  assert.throws(() => buildSignature(ds, { labelsKey: 'cell_type', minGeneCounts: 1e9 }), isErr('E_NO_GENES'));
  assert.throws(() => buildSignature(ds, { labelsKey: 'cell_type', logfcCutoff: 100 }), isErr('E_NO_MARKERS'));
  const neg = new Dataset({
    X: DenseMatrix.fromRows([
      [1, -2],
      [3, 4],
    ]),
    obs: new Frame(2, { ct: categoricalFrom(['a', 'b']) }),
  });
  assert.throws(() => buildSignature(neg, { labelsKey: 'ct' }), isErr('E_NEGATIVE_COUNTS', /obs0, var1/));
  const nan = new Dataset({
    X: DenseMatrix.fromRows([
      [1, Number.NaN],
      [3, 4],
    ]),
    obs: new Frame(2, { ct: categoricalFrom(['a', 'b']) }),
  });
  assert.throws(() => buildSignature(nan, { labelsKey: 'ct' }), isErr('E_NONFINITE'));
  const dup = new Dataset({
    X: DenseMatrix.fromRows([
      [1, 2],
      [3, 4],
    ]),
    varNames: ['g', 'g'],
    obs: new Frame(2, { ct: categoricalFrom(['a', 'b']) }),
  });
  assert.throws(() => buildSignature(dup, { labelsKey: 'ct' }), isErr('E_DUPLICATE_GENE'));
  // a type with a single cell: not tested, warned, still a column
  const labels = ds.labels('cell_type');
  const names = Array.from(labels.codes, (c) => labels.categories[c] as string);
  names[0] = 'Lonely';
  const one = new Dataset({ X: ds.X, varNames: ds.varNames, obs: new Frame(ds.nObs, { cell_type: categoricalFrom(names) }) });
  const r = buildSignatureDetailed(one, { labelsKey: 'cell_type' });
  assert.ok(r.warnings.some((w) => w.code === 'W_FEW_CELLS' && w.message.includes('Lonely')));
  assert.ok(r.signature.cellTypes.includes('Lonely'));
  // cancellation
  const ac = new AbortController();
  ac.abort();
  assert.throws(
    () => buildSignature(ds, { labelsKey: 'cell_type', signal: ac.signal }),
    (e: unknown) => e instanceof AbortError,
  );
});

test('progress events are reported for both stages', () => {
  const { ds } = planted(5);
  const stages = new Set<string>();
  buildSignature(ds, { labelsKey: 'cell_type', onProgress: (e) => stages.add(`${e.stage}:${e.label}`) });
  assert.ok(stages.has('signature:wilcoxon') && stages.has('signature:kappa'));
});

test('PBMC3k (bundled, all 32,738 genes): builds in a few seconds, 9 types, markers include the tutorial ones', async () => {
  const ds = await pbmc3k();
  const t0 = performance.now();
  const r = buildSignatureDetailed(ds, { labelsKey: 'cell_type' });
  const ms = performance.now() - t0;
  assert.ok(ms < 15000, `took ${ms} ms`);
  const sig = r.signature;
  assert.equal(sig.nTypes, 9);
  assert.equal(r.nTopChosen, 60);
  assert.equal(sig.nGenes, 447);
  // canonical markers of the Seurat tutorial
  const top = (type: string, n: number) =>
    Array.from(r.deTables.find((t) => t.cellType === type)?.markers.slice(0, n) ?? [], (k) => r.genes[k]);
  assert.ok(top('B', 50).includes('MS4A1'), 'MS4A1 in top B markers');
  assert.ok(top('CD14+ Mono', 50).includes('LYZ'), 'LYZ in top CD14+ Mono markers');
  assert.ok(top('Platelet', 50).includes('PPBP'), 'PPBP in top Platelet markers');
  assert.ok(top('NK', 50).includes('GNLY'), 'GNLY in top NK markers');
  assert.ok(Number.isFinite(sig.meta.conditionNumber as number));
});
