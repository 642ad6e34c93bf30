import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { openH5adBacked, readH5ad } from '../../src/io/h5ad/read.js';
import { SLICE_ELEMENTS } from '../../src/io/h5ad/registry.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { writeH5adCsrStream } from '../../src/io/h5ad/write-stream.js';
import { backedRowSource, blockRowsForBudget, datasetRowSource, miniBatches, rowBlocks, stackRows } from '../../src/io/row-blocks.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-blocks-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** 53 x 7 CSR whose row i holds the value i + 1 in column i % 7 (so a row identifies itself). */
function labelled(): Dataset {
  const n = 53;
  const X = new CsrMatrix(n, 7, {
    indptr: Float64Array.from({ length: n + 1 }, (_, i) => i),
    indices: Int32Array.from({ length: n }, (_, i) => i % 7),
    data: Float32Array.from({ length: n }, (_, i) => i + 1),
  });
  return new Dataset({ X, obsNames: Array.from({ length: n }, (_, i) => `c${i}`), varNames: Array.from({ length: 7 }, (_, j) => `g${j}`) });
}

function checkBatches(source: ReturnType<typeof datasetRowSource>, seed: number, bufferBlocks: number) {
  const seen = new Int32Array(source.nRows);
  const sizes: number[] = [];
  const order: number[] = [];
  for (const b of miniBatches(source, { batchSize: 8, blockRows: 5, bufferBlocks, rng: new Rng(seed) })) {
    sizes.push(b.rows.length);
    assert.equal(b.X.rows, b.rows.length);
    for (let k = 0; k < b.rows.length; k++) {
      const r = b.rows[k] as number;
      seen[r] = (seen[r] as number) + 1;
      order.push(r);
      // the batch row k is the source row r
      const dense = b.X.kind === 'csr' ? b.X.rowDense(k) : b.X.row(k);
      assert.equal(dense[r % 7], r + 1);
    }
  }
  assert.ok(
    seen.every((c) => c === 1),
    'every row exactly once per epoch',
  );
  assert.ok(sizes.slice(0, -1).every((s) => s === 8));
  return order;
}

test('miniBatches: every row once per epoch, rows match their data, seeded, buffer-shuffled', async () => {
  const ds = labelled();
  const src = datasetRowSource(ds);
  const a = checkBatches(src, 1, 3);
  assert.deepEqual(checkBatches(src, 1, 3), a, 'same seed, same batches');
  assert.notDeepEqual(checkBatches(src, 2, 3), a);
  assert.notDeepEqual(
    a,
    Array.from({ length: 53 }, (_, i) => i),
    'shuffled',
  );
  // The same from disk, through the backed reader.
  const p = join(tmp, 'l.h5ad');
  await writeH5ad(p, ds);
  const b = await openH5adBacked(p);
  try {
    assert.deepEqual(checkBatches(backedRowSource(b), 1, 3), a, 'disk and memory give the same batches');
  } finally {
    b.close();
  }
  // dense sources too
  const dense = new Dataset({ X: (ds.X as CsrMatrix).toDense(), obsNames: ds.obsNames, varNames: ds.varNames });
  assert.deepEqual(checkBatches(datasetRowSource(dense), 1, 3), a);
});

test('rowBlocks covers the rows once in sequential and shuffled order; stackRows; budgets', () => {
  const src = datasetRowSource(labelled());
  const starts = [...rowBlocks(src, { blockRows: 10 })].map((b) => [b.start, b.end]);
  assert.deepEqual(starts, [
    [0, 10],
    [10, 20],
    [20, 30],
    [30, 40],
    [40, 50],
    [50, 53],
  ]);
  const sh = [...rowBlocks(src, { blockRows: 10, order: 'shuffled', rng: new Rng(3) })].map((b) => b.start).sort((x, y) => x - y);
  assert.deepEqual(sh, [0, 10, 20, 30, 40, 50]);
  const blocks = [...rowBlocks(src, { blockRows: 20 })].map((b) => b.X);
  const all = stackRows(blocks, 7) as CsrMatrix;
  assert.equal(all.rows, 53);
  assert.equal(all.get(52, 52 % 7), 53);
  const d = stackRows([new DenseMatrix(1, 2, Float64Array.of(1, 2)), new DenseMatrix(1, 2, Float64Array.of(3, 4))], 2) as DenseMatrix;
  assert.deepEqual(Array.from(d.data), [1, 2, 3, 4]);
  assert.equal(blockRowsForBudget(src, 1e9), 53);
  assert.equal(blockRowsForBudget({ ...src, nRows: 1e6, storedPerRow: 1000 }, 2e9), Math.floor(2e9 / 4 / 16016));
  assert.throws(() => [...miniBatches(src, { batchSize: 0, blockRows: 5, rng: new Rng(0) })], { code: 'E_OPTION' });
});

test('writeH5adCsrStream: blocks written to disk read back as the whole matrix; wrong totals are E_SHAPE', async () => {
  const ds = labelled();
  const p = join(tmp, 'stream.h5ad');
  const blocks = [...rowBlocks(datasetRowSource(ds), { blockRows: 10 })].map((b) => b.X as CsrMatrix);
  await writeH5adCsrStream(p, { obsNames: ds.obsNames, varNames: ds.varNames, obs: ds.obs, var: ds.var }, blocks);
  const back = await readH5ad(p);
  assert.deepEqual(back.obsNames, ds.obsNames);
  const a = back.X as CsrMatrix;
  const x = ds.X as CsrMatrix;
  assert.deepEqual(Array.from(a.indptr), Array.from(x.indptr));
  assert.deepEqual(Array.from(a.indices), Array.from(x.indices));
  assert.deepEqual(Array.from(a.data), Array.from(x.data));
  await assert.rejects(
    writeH5adCsrStream(
      join(tmp, 'short.h5ad'),
      { obsNames: ds.obsNames, varNames: ds.varNames, obs: ds.obs, var: ds.var },
      blocks.slice(1),
    ),
    { code: 'E_SHAPE' },
  );
});

test('datasets above SLICE_ELEMENTS are read in hyperslab slices into one array, values intact', async () => {
  const rows = Math.ceil((SLICE_ELEMENTS + 12345) / 1000);
  const data = Float32Array.from({ length: rows * 1000 }, (_, i) => (i * 13) % 1009);
  const ds = new Dataset({
    X: new DenseMatrix(rows, 1000, data),
    obsNames: Array.from({ length: rows }, (_, i) => `c${i}`),
    varNames: Array.from({ length: 1000 }, (_, j) => `g${j}`),
  });
  const p = join(tmp, 'big-dense.h5ad');
  await writeH5ad(p, ds);
  const back = (await readH5ad(p)).X as DenseMatrix;
  assert.ok(back.data instanceof Float32Array);
  assert.equal(back.data.length, data.length);
  let same = true;
  for (let i = 0; i < data.length; i++) if (back.data[i] !== data[i]) same = false;
  assert.ok(same);
});

test('simulatePseudobulks from row blocks (memory or disk) matches the in-memory path', async () => {
  const { syntheticCells } = await import('../benchmark/synthetic.js');
  const { simulatePseudobulks } = await import('../../src/simulate/dirichlet-pseudobulk.js');
  const { ds } = syntheticCells([30, 20, 12], 25, 5);
  const p = join(tmp, 'sim-src.h5ad');
  await writeH5ad(p, ds);
  const empty = new CsrMatrix(ds.nObs, ds.nVars, {
    indptr: new Float64Array(ds.nObs + 1),
    indices: new Int32Array(0),
    data: new Float32Array(0),
  });
  const placeholder = new Dataset({ X: empty, obsNames: ds.obsNames, varNames: ds.varNames, obs: ds.obs });
  for (const aggregation of ['mean', 'sum'] as const) {
    const opts = { labelsKey: 'cell_type', nSamples: 9, nCells: { min: 5, max: 40 }, seed: 2, aggregation };
    const want = simulatePseudobulks(ds, opts);
    const b = await openH5adBacked(p);
    try {
      for (const rows of [datasetRowSource(ds), backedRowSource(b)]) {
        const got = simulatePseudobulks(placeholder, { ...opts, rows, blockRows: 7 });
        assert.deepEqual(Array.from(got.truth.proportions.data), Array.from(want.truth.proportions.data));
        assert.deepEqual(Array.from(got.bulk.layer('counts_sum').data), Array.from(want.bulk.layer('counts_sum').data));
        const a = got.bulk.layer('relative_counts').data;
        const w = want.bulk.layer('relative_counts').data;
        for (let i = 0; i < w.length; i++)
          assert.ok(Math.abs((a[i] as number) - (w[i] as number)) <= 1e-9 * Math.max(1, Math.abs(w[i] as number)));
        assert.deepEqual(Array.from(got.bulk.X.data as Float64Array), Array.from(want.bulk.X.data as Float64Array));
      }
    } finally {
      b.close();
    }
  }
});
