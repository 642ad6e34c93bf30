import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type CelldeconvError, FormatError, InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { detectGeneAxis, readBulk, readDenseTable, sniffDelimiter, writeDenseTable } from '../../src/io/table.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-table-'));
let n = 0;
function file(name: string, content: string | Buffer): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

function isErr(cls: typeof CelldeconvError, code: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as CelldeconvError).code, code, (e as Error).message);
    if (re) assert.match((e as Error).message, re);
    return true;
  };
}

test('reads CSV, TSV and gzipped tables, with and without a corner cell', async () => {
  const csv = 'gene,s1,s2\nA,1,2.5\nB,3,-4e-3\n';
  for (const p of [file('t.csv', csv), file('t.tsv', csv.replace(/,/g, '\t')), file('t.csv.gz', gzipSync(csv)), file('t.dat', csv)]) {
    const t = await readDenseTable(p);
    assert.deepEqual(t.rowNames, ['A', 'B']);
    assert.deepEqual(t.colNames, ['s1', 's2']);
    assert.equal(t.cornerLabel, 'gene');
    assert.deepEqual(Array.from(t.values.data), [1, 2.5, 3, -0.004]);
  }
  const r = await readDenseTable(file('r.tsv', 's1\ts2\nA\t1\t2\n'));
  assert.deepEqual(r.colNames, ['s1', 's2']);
  assert.deepEqual(Array.from(r.values.data), [1, 2]);
  const q = await readDenseTable(file('q.csv', '"","a,b",c\n"x ""y""",1,2\n'));
  assert.deepEqual(q.colNames, ['a,b', 'c']);
  assert.equal(q.rowNames[0], 'x "y"');
  await assert.rejects(readDenseTable(file('oq.csv', 'g, "a"\nx,1\n')), isErr(FormatError, 'E_CSV', /Opening Quote/));
});

test('sniffs the delimiter', () => {
  assert.equal(sniffDelimiter('a\tb\tc'), '\t');
  assert.equal(sniffDelimiter('a,b,c'), ',');
  assert.equal(sniffDelimiter('a;b;c'), ';');
});

test('write -> read round trip is exact (float64 and float32, names with delimiters, gzip)', async () => {
  const rng = new Rng(7);
  const r = 13;
  const c = 7;
  const data = new Float64Array(r * c);
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * 10 ** (rng.int(25) - 12);
  data[0] = 0;
  data[1] = -0;
  data[2] = Number.MIN_VALUE;
  data[3] = Number.MAX_VALUE;
  const rows = Array.from({ length: r }, (_, i) => (i === 1 ? 'gene,with "quote"' : `g${i}`));
  const cols = Array.from({ length: c }, (_, j) => `s${j}`);
  for (const name of ['x.csv', 'x.tsv', 'x.csv.gz']) {
    const p = join(dir, name);
    await writeDenseTable(p, rows, cols, new DenseMatrix(r, c, data), { cornerLabel: 'gene' });
    const t = await readDenseTable(p);
    assert.deepEqual(t.rowNames, rows);
    assert.deepEqual(t.colNames, cols);
    assert.equal(t.cornerLabel, 'gene');
    for (let k = 0; k < data.length; k++) assert.ok(Object.is(t.values.data[k], data[k]) || (data[k] === 0 && t.values.data[k] === 0));
  }
  const f32 = new Float32Array(data.length);
  for (let k = 0; k < f32.length; k++) f32[k] = rng.gamma(2) * 1000;
  const p32 = join(dir, 'f32.csv');
  await writeDenseTable(p32, rows, cols, new DenseMatrix(r, c, f32));
  const t32 = await readDenseTable(p32);
  assert.deepEqual(Float32Array.from(t32.values.data), f32);
  const sp = CsrMatrix.fromDense(
    DenseMatrix.fromRows([
      [0, 1],
      [2, 0],
    ]),
  );
  await writeDenseTable(join(dir, 'sp.tsv'), ['a', 'b'], ['c', 'd'], sp);
  assert.equal(readFileSync(join(dir, 'sp.tsv'), 'utf8'), '\tc\td\na\t0\t1\nb\t2\t0\n');
});

test('readBulk detects orientation from reference genes and honours genesIn', async () => {
  const p = file('bulk.tsv', 'gene\tS1\tS2\tS3\nG1\t1\t2\t3\nG2\t4\t5\t6\n');
  const a = await readBulk(p, { genes: ['G1', 'G2', 'G9'] });
  assert.deepEqual(a.obsNames, ['S1', 'S2', 'S3']);
  assert.deepEqual(a.varNames, ['G1', 'G2']);
  assert.deepEqual((a.X as DenseMatrix).toRows(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  const b = await readBulk(p, { genesIn: 'columns' });
  assert.deepEqual(b.obsNames, ['G1', 'G2']);
  const c = await readBulk(p, { genes: ['S1', 'S2'] });
  assert.deepEqual(c.varNames, ['S1', 'S2', 'S3']);
  assert.equal(detectGeneAxis(['a', 'b', 'c'], ['x']), 'rows');
  // The corner cell decides before the shape does; matching reference genes decide before both.
  assert.equal(detectGeneAxis(['a', 'b', 'c'], ['x'], undefined, 'sample'), 'columns');
  assert.equal(detectGeneAxis(['s1'], ['g1', 'g2'], undefined, 'gene_id'), 'rows');
  assert.equal(detectGeneAxis(['s1'], ['g1', 'g2'], ['g1'], 'gene_id'), 'columns');
  await assert.rejects(readBulk(p, { genesIn: 'diag' as 'rows' }), isErr(InputError, 'E_OPTION'));
});

test('bad input: typed errors with what/where', async () => {
  await assert.rejects(readDenseTable(join(dir, 'missing.csv')), isErr(InputError, 'E_FILE_NOT_FOUND', /missing\.csv: file not found/));
  await assert.rejects(readDenseTable(file('e.csv', '')), isErr(FormatError, 'E_EMPTY', /empty/));
  await assert.rejects(readDenseTable(file('h.csv', 'g,a,b\n')), isErr(FormatError, 'E_EMPTY', /no data rows/));
  await assert.rejects(readDenseTable(file('rag.csv', 'g,a,b\nx,1,2\ny,1\n')), isErr(FormatError, 'E_RAGGED', /line 3.*got 2 cells/));
  await assert.rejects(
    readDenseTable(file('nn.csv', 'g,a,b\nx,1,2\ny,1,abc\n')),
    isErr(FormatError, 'E_NOT_NUMERIC', /line 3, row 'y', column 'b'.*got abc/),
  );
  await assert.rejects(
    readDenseTable(file('dr.csv', 'g,a,b\nx,1,2\nx,1,2\n')),
    isErr(FormatError, 'E_DUPLICATE_NAME', /'x' \(lines 2 and 3\)/),
  );
  await assert.rejects(readDenseTable(file('dc.csv', 'g,a,a\nx,1,2\n')), isErr(FormatError, 'E_DUPLICATE_NAME', /column name 'a'/));
  for (const bad of ['NaN', 'NA', 'Inf', '-Infinity', '', '1e999']) {
    await assert.rejects(readDenseTable(file('nan.csv', `g,a,b\nx,1,${bad}\n`)), isErr(InputError, 'E_NONFINITE', /non-finite/));
  }
  const gz = gzipSync('g,a,b\nx,1,2\n');
  await assert.rejects(
    readDenseTable(file('trunc.csv.gz', gz.subarray(0, gz.length - 10))),
    isErr(FormatError, 'E_GZIP_TRUNCATED', /truncated/),
  );
  await assert.rejects(readDenseTable(file('q.csv', 'g,a\nx,"1\n')), isErr(FormatError, 'E_CSV'));
  await assert.rejects(
    writeDenseTable(join(dir, 'no', 'such', 'dir.csv'), ['a'], ['b'], DenseMatrix.fromRows([[1]])),
    isErr(InputError, 'E_NO_PARENT_DIR'),
  );
});
