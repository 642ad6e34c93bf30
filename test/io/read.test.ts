import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync as readFileBytes, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type CelldeconvError, InputError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { type CscMatrix, CsrMatrix } from '../../src/data/sparse.js';
import { detectFormat, outputFormat, readDataset, writeDataset } from '../../src/io/read.js';
import { assertCounts } from '../../src/io/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-read-'));

function small(): Dataset {
  const X = CsrMatrix.fromDense(new DenseMatrix(4, 3, Float32Array.from([1, 0, 2, 0, 0, 3, 4, 5, 0, 0, 0, 1])));
  return new Dataset({
    X,
    obsNames: ['c1', 'c2', 'c3', 'c4'],
    varNames: ['A', 'B', 'C'],
    obs: new Frame(4, { cell_type: categoricalFrom(['T', 'B', 'T', 'B']) }),
  });
}

test('detectFormat: by name, then by content (HDF5 signature, %%MatrixMarket, gzip)', async () => {
  const ds = small();
  const h5 = join(dir, 'a.h5ad');
  await writeDataset(h5, ds);
  const tenx = join(dir, 'tenx');
  await writeDataset(tenx, ds);
  const csv = join(dir, 'a.csv');
  await writeDataset(csv, ds);
  assert.equal(detectFormat(h5), 'h5ad');
  assert.equal(detectFormat(tenx), 'mtx');
  assert.equal(detectFormat(join(tenx, 'matrix.mtx.gz')), 'mtx');
  assert.equal(detectFormat(csv), 'table');
  const noExt = join(dir, 'mystery');
  writeFileSync(noExt, gzipSync('%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 4\n'));
  assert.equal(detectFormat(noExt), 'mtx');
  const h5noExt = join(dir, 'mystery2');
  writeFileSync(h5noExt, readFileBytes(h5));
  assert.equal(detectFormat(h5noExt), 'h5ad');
  assert.equal(outputFormat('x.tsv.gz'), 'table');
  assert.equal(outputFormat(join(dir, 'newdir')), 'mtx');
  assert.throws(
    () => outputFormat('x.parquet'),
    (e: unknown) => e instanceof InputError && e.code === 'E_OUTPUT_FORMAT',
  );
  assert.throws(
    () => detectFormat(join(dir, 'none')),
    (e: unknown) => e instanceof InputError && e.code === 'E_FILE_NOT_FOUND',
  );
});

test('round trip through every output format gives the same matrix and names', async () => {
  const ds = small();
  const want = (ds.X as CsrMatrix).toDense().toRows();
  for (const name of ['rt.h5ad', 'rt.csv', 'rt.tsv.gz', 'rt-dir']) {
    const p = join(dir, name);
    await writeDataset(p, ds);
    const back = await readDataset(p);
    assert.deepEqual(back.obsNames, ds.obsNames, name);
    assert.deepEqual(back.varNames, ds.varNames, name);
    const m = back.X;
    const rows = m.kind === 'dense' ? m.toRows() : m.kind === 'csr' ? m.toDense().toRows() : m.toDense().toRows();
    assert.deepEqual(rows, want, name);
  }
  // genes x observations CSV, read back with the orientation given explicitly.
  const t = join(dir, 'genes-rows.csv');
  await writeDataset(t, ds, { genesIn: 'rows' });
  const back = await readDataset(t, { genesIn: 'rows' });
  assert.deepEqual(back.obsNames, ds.obsNames);
  assert.deepEqual((back.X as DenseMatrix).toRows(), want);
  // a layer instead of X
  const withLayer = new Dataset({
    X: ds.X,
    obsNames: ds.obsNames,
    varNames: ds.varNames,
    layers: { twice: DenseMatrix.fromRows(want.map((r) => r.map((v) => 2 * v))) },
  });
  await writeDataset(join(dir, 'layer.csv'), withLayer, { layer: 'twice' });
  assert.deepEqual(((await readDataset(join(dir, 'layer.csv'))).X as DenseMatrix).toRows()[2], [8, 10, 0]);
  await assert.rejects(
    writeDataset(join(dir, 'nolayer.csv'), ds, { layer: 'nope' }),
    (e: unknown) => (e as CelldeconvError).code === 'E_NO_LAYER',
  );
});

test('readDataset adds a label table and reports read progress', async () => {
  const d = join(dir, 'lab');
  mkdirSync(d);
  await writeDataset(join(d, 'm'), small());
  const lab = join(dir, 'labels.tsv');
  writeFileSync(lab, 'cell\tcoarse\tscore\nc4\tL\t0.5\nc1\tL\t1\nc3\tM\t2\nc2\tM\t3\n');
  const events: ProgressEvent[] = [];
  const ds = await readDataset(join(d, 'm'), { labels: lab, onProgress: (e) => events.push(e) });
  const c = ds.obs.get('coarse');
  assert.ok(c.kind === 'categorical' && Array.from(c.codes, (k) => c.categories[k]).join() === 'L,M,M,L');
  assert.ok(events.length >= 1 && events.every((e) => e.stage === 'read'));
  const last = events[events.length - 1]!;
  assert.equal(last.step, last.total);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(readDataset(join(d, 'm'), { signal: ac.signal }), (e: unknown) => (e as CelldeconvError).code === 'E_ABORTED');
  assert.deepEqual(readdirSync(join(d, 'm')).sort(), ['barcodes.tsv.gz', 'features.tsv.gz', 'matrix.mtx.gz']);
});

test('assertCounts: NaN/Inf, negative and (optionally) fractional values, located by row and column', () => {
  const ok = DenseMatrix.fromRows([
    [0, 1],
    [2, 3],
  ]);
  assertCounts(ok, 'f');
  assertCounts(ok, 'f', { integer: true });
  const isErr = (code: string, re: RegExp) => (e: unknown) => e instanceof InputError && e.code === code && re.test(e.message);
  assert.throws(
    () =>
      assertCounts(
        DenseMatrix.fromRows([
          [0, 1],
          [-2, Number.NaN],
        ]),
        'ref.h5ad',
      ),
    isErr('E_NONFINITE', /ref\.h5ad: X: counts contain NaN values, first at row 1, column 1 \(2 values are not valid counts\)/),
  );
  const csr = CsrMatrix.fromDense(
    DenseMatrix.fromRows([
      [0, 1, 0],
      [0, 0, -4],
    ]),
  );
  assert.throws(
    () => assertCounts(csr, 'x', { field: 'layers/raw_counts' }),
    isErr('E_NEGATIVE_COUNTS', /layers\/raw_counts: counts contain negative values, first at row 1, column 2; got -4/),
  );
  assert.throws(() => assertCounts(csr.toCsc() as CscMatrix), isErr('E_NEGATIVE_COUNTS', /row 1, column 2/));
  const frac = DenseMatrix.fromRows([[0.5, 1]]);
  assertCounts(frac);
  assert.throws(
    () => assertCounts(frac, undefined, { integer: true }),
    isErr('E_NOT_INTEGER', /non-integer values, first at row 0, column 0/),
  );
  assert.throws(() => assertCounts(DenseMatrix.fromRows([[Number.POSITIVE_INFINITY]])), isErr('E_NONFINITE', /infinite/));
  // A row-range view only checks its own rows.
  assertCounts(csr.rowRange(0, 1));
});
