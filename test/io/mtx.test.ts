import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type CelldeconvError, FormatError, InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { makeUnique } from '../../src/io/columns.js';
import { readLabels } from '../../src/io/labels.js';
import { coordinatesToCsr, readMtxCoordinates, readTenx, writeTenx } from '../../src/io/mtx.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-mtx-'));
let n = 0;
function file(name: string, content: string | Buffer): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}
function tenxDir(files: Record<string, string | Buffer>): string {
  const d = join(dir, `d${n++}`);
  mkdirSync(d);
  for (const [k, v] of Object.entries(files)) writeFileSync(join(d, k), v);
  return d;
}
function isErr(cls: typeof FormatError | typeof InputError, code: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as CelldeconvError).code, code, (e as Error).message);
    if (re) assert.match((e as Error).message, re);
    return true;
  };
}

// genes x cells = 3 x 2: gene rows, cell columns.
const MTX = '%%MatrixMarket matrix coordinate integer general\n% a comment\n3 2 4\n1 1 5\n3 1 1\n2 2 7\n3 2 2\n';

test('reads a 10x directory (gz and plain) as cells x genes CSR float32', async () => {
  for (const gz of [false, true]) {
    const d = tenxDir({
      [gz ? 'matrix.mtx.gz' : 'matrix.mtx']: gz ? gzipSync(MTX) : MTX,
      [gz ? 'features.tsv.gz' : 'features.tsv']: gz
        ? gzipSync('E1\tA\tGene Expression\nE2\tB\tGene Expression\nE3\tA\tGene Expression\n')
        : 'E1\tA\tGene Expression\nE2\tB\tGene Expression\nE3\tA\tGene Expression\n',
      'barcodes.tsv': 'AAA-1\nCCC-1\n',
    });
    const ds = await readTenx(d);
    assert.deepEqual(ds.shape, [2, 3]);
    assert.equal(ds.X.kind, 'csr');
    assert.equal(ds.X.dtype, 'float32');
    assert.deepEqual((ds.X as CsrMatrix).toDense().toRows(), [
      [5, 0, 1],
      [0, 7, 2],
    ]);
    assert.deepEqual(ds.obsNames, ['AAA-1', 'CCC-1']);
    assert.deepEqual(ds.varNames, ['A', 'B', 'A-1']);
    const ids = ds.var.get('gene_ids');
    assert.ok(ids.kind === 'string' && ids.values.join() === 'E1,E2,E3');
  }
  // A single .mtx file without side files gets generated names.
  const ds = await readTenx(file('lone.mtx', MTX));
  assert.deepEqual(ds.obsNames, ['cell0', 'cell1']);
  assert.deepEqual(ds.varNames, ['gene0', 'gene1', 'gene2']);
});

test('genes/cells files with a header line, extra cell columns become typed obs', async () => {
  const d = tenxDir({
    'matrix.mtx': MTX,
    'genes.tsv': 'gene_id\tgene_symbol\nE1\tA\nE2\tB\nE3\tC\n',
    'cells.tsv': 'barcode\tcell_type\tn\tscore\nAAA-1\tT\t3\t0.5\nCCC-1\tT\t4\t1.5\n',
  });
  const ds = await readTenx(d);
  assert.deepEqual(ds.varNames, ['A', 'B', 'C']);
  assert.deepEqual(ds.obs.columnNames, ['cell_type', 'n', 'score']);
  assert.equal(ds.obs.get('cell_type').kind, 'categorical');
  const nCol = ds.obs.get('n');
  assert.ok(nCol.kind === 'numeric' && nCol.values instanceof Int32Array);
  const sc = ds.obs.get('score');
  assert.ok(sc.kind === 'numeric' && Array.from(sc.values).join() === '0.5,1.5');
});

test('real values, pattern, unsorted entries and duplicates (summed, as scipy does)', async () => {
  const real = await readMtxCoordinates(file('r.mtx', '%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 -1.5e-1\n2 2 3.25\n'));
  assert.deepEqual(Array.from(real.values), [Math.fround(-0.15), 3.25]);
  const pat = await readMtxCoordinates(file('p.mtx', '%%MatrixMarket matrix coordinate pattern general\n2 2 1\n2 1\n'));
  assert.deepEqual(Array.from(pat.values), [1]);
  const csr = coordinatesToCsr(
    2,
    4,
    Int32Array.from([1, 0, 0, 0, 1]),
    Int32Array.from([0, 3, 1, 3, 2]),
    Float32Array.from([1, 2, 3, 4, 5]),
  );
  assert.deepEqual(csr.toDense().toRows(), [
    [0, 3, 0, 6],
    [1, 0, 5, 0],
  ]);
  assert.deepEqual(Array.from(csr.indices), [1, 3, 0, 2]);
  // CRLF line endings and no final newline.
  const crlf = await readMtxCoordinates(file('c.mtx', '%%MatrixMarket matrix coordinate integer general\r\n2 2 2\r\n1 1 1\r\n2 2 2'));
  assert.deepEqual(Array.from(crlf.values), [1, 2]);
});

test('write -> read round trip (integer and real values, duplicated symbols)', async () => {
  const rng = new Rng(3);
  for (const integer of [true, false]) {
    const r = 30;
    const c = 17;
    const dense = new Float32Array(r * c);
    for (let k = 0; k < dense.length; k++) if (rng.uniform() < 0.3) dense[k] = integer ? 1 + rng.int(50) : Math.fround(rng.normal());
    const X = CsrMatrix.fromDense(new DenseMatrix(r, c, dense));
    const ds = new Dataset({
      X,
      obsNames: Array.from({ length: r }, (_, i) => `BC${i}-1`),
      varNames: Array.from({ length: c }, (_, j) => `G${j}`),
    });
    const out = join(dir, `rt-${integer}`);
    await writeTenx(out, ds);
    const back = await readTenx(out);
    assert.deepEqual(back.obsNames, ds.obsNames);
    assert.deepEqual(back.varNames, ds.varNames);
    const bx = back.X as CsrMatrix;
    assert.deepEqual(Array.from(bx.indptr), Array.from(X.indptr));
    assert.deepEqual(Array.from(bx.indices), Array.from(X.indices));
    assert.deepEqual(Array.from(bx.data), Array.from(X.data));
  }
});

test('bad input: typed errors', async () => {
  const H = '%%MatrixMarket matrix coordinate integer general\n';
  await assert.rejects(readTenx(join(dir, 'nothing')), isErr(InputError, 'E_FILE_NOT_FOUND', /file not found/));
  await assert.rejects(readTenx(tenxDir({ 'x.txt': 'a' })), isErr(InputError, 'E_FILE_NOT_FOUND', /no matrix\.mtx/));
  await assert.rejects(readMtxCoordinates(file('h.mtx', 'hello\n1 1 1\n')), isErr(FormatError, 'E_MTX_HEADER', /%%MatrixMarket/));
  await assert.rejects(
    readMtxCoordinates(file('a.mtx', '%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n')),
    isErr(FormatError, 'E_MTX_HEADER', /format 'array' is not supported/),
  );
  await assert.rejects(
    readMtxCoordinates(file('s.mtx', '%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n')),
    isErr(FormatError, 'E_MTX_HEADER', /symmetry/),
  );
  await assert.rejects(readMtxCoordinates(file('sz.mtx', `${H}2 x 1\n`)), isErr(FormatError, 'E_MTX_HEADER', /size line/));
  await assert.rejects(readMtxCoordinates(file('nos.mtx', H)), isErr(FormatError, 'E_MTX_HEADER', /size line is missing/));
  await assert.rejects(readMtxCoordinates(file('e.mtx', '')), isErr(FormatError, 'E_EMPTY'));
  await assert.rejects(readMtxCoordinates(file('z.mtx', `${H}0 5 0\n`)), isErr(InputError, 'E_EMPTY', /matrix is empty/));
  await assert.rejects(
    readMtxCoordinates(file('be.mtx', `${H}2 2 2\n1 1 1\n1 x 2\n`)),
    isErr(FormatError, 'E_MTX_ENTRY', /line 4.*got 1 x 2/),
  );
  await assert.rejects(
    readMtxCoordinates(file('bv.mtx', `${H}2 2 1\n1 1 abc\n`)),
    isErr(FormatError, 'E_MTX_ENTRY', /'abc' is not a finite number/),
  );
  await assert.rejects(readMtxCoordinates(file('nan.mtx', `${H}2 2 1\n1 1 NaN\n`)), isErr(FormatError, 'E_MTX_ENTRY'));
  await assert.rejects(readMtxCoordinates(file('f2.mtx', `${H}2 2 1\n1 1\n`)), isErr(FormatError, 'E_MTX_ENTRY', /three fields/));
  await assert.rejects(
    readMtxCoordinates(file('oor.mtx', `${H}2 2 1\n3 1 1\n`)),
    isErr(FormatError, 'E_MTX_INDEX', /line 3.*row 3, column 1.*1\.\.2 rows/),
  );
  await assert.rejects(readMtxCoordinates(file('zero.mtx', `${H}2 2 1\n0 1 1\n`)), isErr(FormatError, 'E_MTX_INDEX'));
  await assert.rejects(readMtxCoordinates(file('few.mtx', `${H}2 2 3\n1 1 1\n`)), isErr(FormatError, 'E_MTX_COUNT', /ends after 1 of 3/));
  await assert.rejects(
    readMtxCoordinates(file('many.mtx', `${H}2 2 1\n1 1 1\n2 2 1\n`)),
    isErr(FormatError, 'E_MTX_COUNT', /more entries/),
  );
  const gz = gzipSync(MTX.repeat(1));
  await assert.rejects(
    readMtxCoordinates(file('t.mtx.gz', gz.subarray(0, gz.length - 6))),
    isErr(FormatError, 'E_GZIP_TRUNCATED', /truncated/),
  );
  const bad = Buffer.from(gz);
  bad[20] = (bad[20] as number) ^ 0xff;
  bad[21] = (bad[21] as number) ^ 0xff;
  await assert.rejects(readMtxCoordinates(file('c.mtx.gz', bad)), (e: unknown) => e instanceof FormatError && /gzip/.test(e.message));
  await assert.rejects(
    readTenx(tenxDir({ 'matrix.mtx': MTX, 'genes.tsv': 'E1\tA\nE2\tB\n', 'barcodes.tsv': 'a\nb\n' })),
    isErr(FormatError, 'E_COUNT_MISMATCH', /genes file has 2 lines but the matrix has 3 genes/),
  );
  await assert.rejects(
    readTenx(tenxDir({ 'matrix.mtx': MTX, 'barcodes.tsv': 'a\nb\nc\nd\n' })),
    isErr(FormatError, 'E_COUNT_MISMATCH', /cells file has 4 lines/),
  );
});

test('labels: join by barcode, by order, and mismatches', () => {
  const cells = ['c1', 'c2', 'c3'];
  const byBc = readLabels(file('l.tsv', 'barcode\tcell_type\tq\nc3\tB\t1\nc1\tT\t2\nc2\tT\t3\nzz\tB\t4\n'), cells);
  const ct = byBc.get('cell_type');
  assert.ok(ct.kind === 'categorical');
  assert.deepEqual(
    Array.from(ct.codes, (k) => ct.categories[k]),
    ['T', 'T', 'B'],
  );
  const noHeader = readLabels(file('nh.csv', 'c2,x\nc1,y\nc3,x\n'), cells);
  const lab = noHeader.get('label');
  assert.ok(lab.kind === 'categorical' && Array.from(lab.codes, (k) => lab.categories[k]).join() === 'y,x,x');
  const order = readLabels(file('o.tsv', 'cell_type\nA\nB\nA\n'), cells);
  const oc = order.get('cell_type');
  assert.ok(oc.kind === 'categorical' && Array.from(oc.codes, (k) => oc.categories[k]).join() === 'A,B,A');
  const orderNoHeader = readLabels(file('onh.tsv', 'A\nB\nA\n'), cells, { byOrder: true });
  const onh = orderNoHeader.get('label');
  assert.ok(onh.kind === 'categorical' && Array.from(onh.codes, (k) => onh.categories[k]).join() === 'A,B,A');
  const forced = readLabels(file('f.tsv', 'barcode\tcell_type\nc3\tA\nc2\tB\nc1\tC\n'), cells, { byOrder: true });
  const fb = forced.get('barcode');
  assert.ok(fb.kind === 'string' && fb.values.join() === 'c3,c2,c1');
  assert.throws(
    () => readLabels(file('m.tsv', 'barcode\tct\nc1\tA\nc2\tB\n'), cells),
    isErr(InputError, 'E_LABELS_MISMATCH', /labels match only 2 of 3 cells.*"c3"/),
  );
  assert.throws(
    () => readLabels(file('o2.tsv', 'ct\nA\nB\n'), cells),
    isErr(InputError, 'E_LABELS_MISMATCH', /2 rows but there are 3 cells/),
  );
  assert.throws(() => readLabels(file('e.tsv', ''), cells), isErr(InputError, 'E_EMPTY'));
});

test('makeUnique follows anndata (skips suffixes that already exist)', () => {
  assert.deepEqual(makeUnique(['a', 'a', 'b', 'a']), ['a', 'a-1', 'b', 'a-2']);
  assert.deepEqual(makeUnique(['a', 'a', 'a-1']), ['a', 'a-2', 'a-1']);
});
