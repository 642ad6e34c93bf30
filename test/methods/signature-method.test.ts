import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import '../../src/methods/all-methods.js';
import { alignGenes } from '../../src/methods/align-genes.js';
import { getMethod } from '../../src/methods/registry.js';
import { formatOutputRow } from '../../src/methods/signature-method.js';
import { Signature } from '../../src/signature/signature.js';
import { loadBulk, loadSignature } from '../fixtures/linear/load.js';

const LINEAR = ['ols', 'nnls', 'rlr', 'wnnls', 'dwls'];
const NONNEG = ['nnls', 'wnnls', 'dwls'];

function randomProblem(seed: number, G: number, C: number, N: number) {
  const rng = new Rng(seed);
  const sig = new DenseMatrix(C, G, new Float64Array(C * G));
  for (let k = 0; k < sig.data.length; k++) sig.data[k] = rng.gamma(0.5) * 100 + (rng.uniform() < 0.3 ? 0 : 1);
  const genes = Array.from({ length: G }, (_, g) => `g${g}`);
  const types = Array.from({ length: C }, (_, c) => `t${c}`);
  const P = new DenseMatrix(N, C, new Float64Array(N * C));
  const X = new DenseMatrix(N, G, new Float64Array(N * G));
  for (let i = 0; i < N; i++) {
    const p = rng.dirichlet(new Float64Array(C).fill(1));
    P.row(i).set(p);
    for (let g = 0; g < G; g++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += p[c]! * sig.get(c, g);
      X.set(i, g, s);
    }
  }
  const signature = new Signature(types, genes, sig);
  const bulk = new Dataset({ X, obsNames: Array.from({ length: N }, (_, i) => `s${i}`), varNames: genes });
  return { signature, bulk, P };
}

async function run(method: string, signature: Signature, bulk: Dataset, options: Record<string, unknown> = {}, seed?: number) {
  const f = await getMethod(method).fit(null, { signature, options, seed });
  return f.deconvolve(bulk);
}

test('noise-free mixtures: every linear method recovers the proportions to 1e-6', async () => {
  const { signature, bulk, P } = randomProblem(1, 60, 5, 6);
  for (const m of LINEAR) {
    const res = await run(m, signature, bulk);
    for (let k = 0; k < P.data.length; k++)
      assert.ok(Math.abs(res.proportions.data[k]! - P.data[k]!) < 1e-6, `${m}: ${res.proportions.data[k]} vs ${P.data[k]}`);
  }
});

test('proportions are >= 0 and sum to 1 (non-negative methods); rows sum to 1 for all', async () => {
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth').selectObs([0, 1, 2, 3, 4, 5]);
  for (const m of LINEAR) {
    const res = await run(m, sig, bulk);
    for (let i = 0; i < res.proportions.rows; i++) {
      const row = res.proportions.row(i);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12, m);
      if (NONNEG.includes(m)) for (const v of row) assert.ok(v >= 0, `${m}: ${v}`);
    }
  }
});

test('permuting cell types permutes the output', async () => {
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth').selectObs([0, 1, 2, 3]);
  const perm = [3, 0, 5, 1, 4, 2];
  const sigP = new Signature(
    perm.map((c) => sig.cellTypes[c]!),
    sig.genes,
    sig.values.selectRows(perm),
  );
  for (const m of LINEAR) {
    const a = await run(m, sig, bulk);
    const b = await run(m, sigP, bulk);
    assert.deepEqual(
      b.cellTypes,
      perm.map((c) => a.cellTypes[c]),
    );
    for (let i = 0; i < bulk.nObs; i++)
      for (let k = 0; k < perm.length; k++) {
        const d = Math.abs(b.proportions.get(i, k) - a.proportions.get(i, perm[k]!));
        assert.ok(d < 1e-8, `${m} sample ${i} type ${k}: ${d}`);
      }
  }
});

test('scaling a bulk sample leaves the proportions unchanged', async () => {
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth').selectObs([0, 1, 2]);
  const X = bulk.X as DenseMatrix<Float64Array>;
  const scaled = bulk.withX(
    new DenseMatrix(
      X.rows,
      X.cols,
      X.data.map((v) => v * 7.5),
    ),
  );
  // OLS/NNLS are exactly scale-equivariant; RLR nearly (statsmodels' deviance divides by the
  // residual variance, so its stopping step depends on the scale). WNNLS/DWLS stop on an absolute
  // L1 tolerance on unnormalised coefficients (PyDeconv), so they are compared with a tight
  // tolerance, where both runs reach the same fixed point.
  const tol: Record<string, number> = { ols: 1e-9, nnls: 1e-9, rlr: 1e-4, wnnls: 1e-6, dwls: 1e-6 };
  const opts: Record<string, Record<string, unknown>> = { wnnls: { tol: 1e-9 }, dwls: { tol: 1e-9 } };
  for (const m of LINEAR) {
    const a = await run(m, sig, bulk, opts[m]);
    const b = await run(m, sig, scaled, opts[m]);
    for (let k = 0; k < a.proportions.data.length; k++) {
      const d = Math.abs(a.proportions.data[k]! - b.proportions.data[k]!);
      assert.ok(d < tol[m]!, `${m}: ${d}`);
    }
    if (m === 'ols' || m === 'nnls')
      for (let k = 0; k < a.raw!.data.length; k++)
        assert.ok(Math.abs(b.raw!.data[k]! - 7.5 * a.raw!.data[k]!) < 1e-8 * Math.abs(7.5 * a.raw!.data[k]!) + 1e-9);
  }
});

test('same seed, same bytes (dwls with Rng subsets); numpy subsets ignore the seed', async () => {
  const sig = loadSignature('shuffled');
  const bulk = loadBulk('shuffled');
  const a = await run('dwls', sig, bulk, { subsets: 'rng' }, 3);
  const b = await run('dwls', sig, bulk, { subsets: 'rng' }, 3);
  assert.deepEqual(Buffer.from(a.raw!.data.buffer), Buffer.from(b.raw!.data.buffer));
  assert.equal(a.diagnostics.seed, 3);
  const c = await run('dwls', sig, bulk, { subsets: 'numpy' }, 3);
  const d = await run('dwls', sig, bulk, { subsets: 'numpy' }, 99);
  assert.deepEqual(Buffer.from(c.raw!.data.buffer), Buffer.from(d.raw!.data.buffer));
});

test('worker threads give the same bytes as the single-thread path', async () => {
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth').selectObs([0, 1, 2, 3, 4, 5, 6, 7]);
  for (const m of ['nnls', 'dwls']) {
    const one = await run(m, sig, bulk, { threads: 1 });
    const two = await run(m, sig, bulk, { threads: 2 });
    assert.equal(one.diagnostics.extra!.threads, 1);
    assert.equal(two.diagnostics.extra!.threads, 2);
    assert.deepEqual(Buffer.from(two.raw!.data.buffer), Buffer.from(one.raw!.data.buffer), m);
    assert.deepEqual(two.diagnostics.iterations, one.diagnostics.iterations);
    assert.deepEqual(two.diagnostics.extra!.dampening, one.diagnostics.extra!.dampening);
  }
});

test('dwls with dampening 1 reduces to normalised NNLS (its fixed point)', async () => {
  const sig = loadSignature('shuffled');
  const bulk = loadBulk('shuffled');
  const a = await run('dwls', sig, bulk, { dampening: 1 });
  const b = await run('nnls', sig, bulk);
  for (let k = 0; k < a.proportions.data.length; k++) assert.ok(Math.abs(a.proportions.data[k]! - b.proportions.data[k]!) < 1e-9);
});

test('rlr resists outliers: with 5% of genes corrupted its error is far below OLS', async () => {
  const { signature, bulk, P } = randomProblem(5, 200, 4, 5);
  const X = (bulk.X as DenseMatrix<Float64Array>).copy();
  const rng = new Rng(11);
  for (let i = 0; i < X.rows; i++) for (const g of rng.sampleWithoutReplacement(X.cols, 10)) X.set(i, g, X.get(i, g) * 50 + 1e4);
  const noisy = bulk.withX(X);
  const err = (r: { proportions: DenseMatrix<Float64Array> }) => r.proportions.data.reduce((s, v, k) => s + Math.abs(v - P.data[k]!), 0);
  const eOls = err(await run('ols', signature, noisy));
  const eRlr = err(await run('rlr', signature, noisy));
  assert.ok(eRlr < eOls / 10, `rlr ${eRlr} vs ols ${eOls}`);
});

test('gene alignment: signature order, missing genes reported, typed error below the threshold', async () => {
  const a = alignGenes(['A', 'B', 'C'], ['C', 'A', 'X', 'A'], 0.5);
  assert.deepEqual(Array.from(a.fittedIdx), [0, 2]);
  assert.deepEqual(Array.from(a.bulkIdx), [1, 0]);
  assert.deepEqual(a.missing, ['B']);
  assert.equal(a.duplicatedBulkGenes, 1);
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth');
  const few = bulk.selectVars(Array.from({ length: 9 }, (_, j) => j));
  const f = await getMethod('nnls').fit(null, { signature: sig });
  await assert.rejects(f.deconvolve(few), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.code, 'E_GENE_OVERLAP');
    assert.match(e.message, /only 9 of 200 signature genes found in the bulk \(4\.5%, need >= 70%\)/);
    assert.match(e.message, /Ensembl IDs vs symbols/);
    return true;
  });
  // 75% present: allowed, dropped genes reported; the shared signature is untouched
  const some = bulk.selectVars(Array.from({ length: 150 }, (_, j) => j));
  const res = await f.deconvolve(some);
  assert.equal(res.diagnostics.genesUsed, 150);
  assert.equal(res.diagnostics.genesMissing, 50);
  assert.ok(res.diagnostics.warnings.some((w) => w.code === 'W_GENES_DROPPED'));
  assert.equal(sig.nGenes, 200);
  assert.equal(f.genes.length, 200);
  await assert.rejects(f.deconvolve(some, { minGeneOverlap: 0.8 }), /need >= 80%/);
});

test('NaN, negative and zero-total bulk samples give an all-zero row, a flag and a warning', async () => {
  const sig = loadSignature('shuffled');
  const bulk = loadBulk('shuffled').selectObs([0, 1, 2, 3]);
  const X = (bulk.X as DenseMatrix<Float64Array>).copy();
  X.set(0, 3, Number.NaN);
  X.set(1, 5, -1);
  X.row(2).fill(0);
  for (const m of LINEAR) {
    const res = await run(m, sig, bulk.withX(X));
    const deg = res.diagnostics.extra!.degenerate as boolean[];
    assert.deepEqual(deg, [true, true, true, false], m);
    for (let i = 0; i < 3; i++) assert.ok(res.proportions.row(i).every((v) => v === 0) && res.raw!.row(i).every((v) => v === 0));
    assert.ok(Math.abs(res.proportions.row(3).reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.equal(res.diagnostics.warnings.filter((w) => w.code === 'W_DEGENERATE_SAMPLE').length, 3);
    assert.ok(!res.proportions.data.some(Number.isNaN));
  }
});

test('unusable signatures are typed errors: zero column, duplicated column, fewer genes than types', async () => {
  const genes = ['g1', 'g2', 'g3'];
  const mk = (rows: number[][], g = genes) =>
    new Signature(
      rows.map((_, c) => `t${c}`),
      g,
      DenseMatrix.fromRows(rows),
    );
  const nnls = getMethod('nnls');
  await assert.rejects(
    nnls.fit(null, {
      signature: mk([
        [1, 2, 3],
        [0, 0, 0],
      ]),
    }),
    { code: 'E_SIGNATURE_ZERO_TYPE' },
  );
  await assert.rejects(
    nnls.fit(null, {
      signature: mk([
        [1, 2, 3],
        [1, 2, 3],
      ]),
    }),
    { code: 'E_SIGNATURE_DUPLICATE_TYPE' },
  );
  await assert.rejects(
    nnls.fit(null, {
      signature: mk(
        [
          [1, 2],
          [2, 1],
          [1, 1],
        ],
        ['g1', 'g2'],
      ),
    }),
    { code: 'E_SIGNATURE_TOO_FEW_GENES' },
  );
  await assert.rejects(nnls.fit(null, {}), { code: 'E_NO_SIGNATURE' });
  // A type that is zero only on the genes present in the bulk is caught at deconvolve time.
  const sig = mk([
    [1, 2, 0],
    [0, 0, 5],
    [3, 1, 1],
  ]);
  const f = await nnls.fit(null, { signature: sig });
  const bulk = new Dataset({ X: DenseMatrix.fromRows([[1, 2, 0]]), obsNames: ['s'], varNames: ['g1', 'g2', 'x'] });
  await assert.rejects(f.deconvolve(bulk, { minGeneOverlap: 0.5 }), { code: 'E_SIGNATURE_TOO_FEW_GENES' });
  await assert.rejects(getMethod('dwls').fit(null, { signature: loadSignature('synth'), options: { dampening: 0.5 } }), {
    code: 'E_OPTION',
  });
});

test('the bulk layer: relative_counts when present, else X, or the one asked for', async () => {
  const sig = loadSignature('shuffled');
  const bulk = loadBulk('shuffled');
  const X = bulk.X as DenseMatrix<Float64Array>;
  const rel = new DenseMatrix(
    X.rows,
    X.cols,
    X.data.map((v) => v * 2 + 1),
  );
  const withLayer = new Dataset({ X, obsNames: bulk.obsNames, varNames: bulk.varNames, layers: { relative_counts: rel } });
  const f = await getMethod('nnls').fit(null, { signature: sig });
  const a = await f.deconvolve(withLayer);
  const b = await f.deconvolve(withLayer, { layer: 'X' });
  const c = await f.deconvolve(bulk.withX(rel));
  assert.equal(a.diagnostics.extra!.layer, 'relative_counts');
  assert.equal(b.diagnostics.extra!.layer, 'X');
  assert.deepEqual(a.raw!.data, c.raw!.data);
  assert.notDeepEqual(a.raw!.data, b.raw!.data);
});

test('formatOutput: onlyPositive clips before normalising; zero sums give zeros', () => {
  const v = Float64Array.of(-1, 1, 3);
  assert.ok(formatOutputRow(v, true, true));
  assert.deepEqual(Array.from(v), [0, 0.25, 0.75]);
  const w = Float64Array.of(-1, 1, 3);
  formatOutputRow(w, true, false);
  assert.deepEqual(Array.from(w), [-1 / 3, 1 / 3, 1]);
  const z = Float64Array.of(-1, 0, 0);
  assert.equal(formatOutputRow(z, true, true), false);
  assert.deepEqual(Array.from(z), [0, 0, 0]);
});

test('save / load round trip through manifest.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-sig-'));
  try {
    const sig = loadSignature('shuffled');
    const f = await getMethod('dwls').fit(null, { signature: sig, options: { tol: 0.005 }, seed: 4 });
    await f.save!(dir);
    const g = await getMethod('dwls').load!(dir);
    assert.deepEqual(g.genes, f.genes);
    assert.deepEqual(g.toJSON(), f.toJSON());
    const bulk = loadBulk('shuffled').selectObs([0, 1]);
    assert.deepEqual((await g.deconvolve(bulk)).raw!.data, (await f.deconvolve(bulk)).raw!.data);
    await assert.rejects(getMethod('nnls').load!(dir), { code: 'E_MODEL_MANIFEST' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker errors surface as errors and cancellation as AbortError; the pool recovers', async () => {
  const { solveSamplesInWorkers } = await import('../../src/methods/parallel/run-parallel.js');
  const job = {
    location: { module: new URL('../../src/methods/linear/nnls.ts', import.meta.url).href, exportName: 'noSuchSolver' },
    S: Float64Array.of(1, 0, 0, 1),
    nGenes: 2,
    nTypes: 2,
    options: {},
    seed: 0,
    Y: Float64Array.of(1, 2, 3, 4),
    rows: Int32Array.of(0, 1),
    threads: 2,
    extraKeys: [],
  };
  await assert.rejects(solveSamplesInWorkers(job), /noSuchSolver is not a solver/);
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth').selectObs([0, 1, 2, 3]);
  const ac = new AbortController();
  const f = await getMethod('dwls').fit(null, { signature: sig, options: { threads: 2 } });
  const p = f.deconvolve(bulk, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, { code: 'E_ABORTED' });
  const ok = await f.deconvolve(bulk);
  assert.equal(ok.diagnostics.extra!.threads, 2);
  assert.ok(ok.proportions.data.every((v) => Number.isFinite(v)));
});
