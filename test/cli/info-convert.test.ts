import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { CsrMatrix } from '../../src/data/sparse.js';
import { datasets } from '../../src/datasets/index.js';
import { readDataset } from '../../src/io/read.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-cli-io-'));

test('info pbmc3k shows 2,638 x 32,738 and the nine label counts', async () => {
  const r = await cli(['info', 'pbmc3k']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /pbmc3k: 2,638 x 32,738/);
  assert.match(r.out, /X: csr float32, 2\.60% non-zero \(2,242,529 stored\)/);
  const expected = [
    ['Naive CD4 T', 697],
    ['Memory CD4 T', 483],
    ['CD14\\+ Mono', 480],
    ['B', 344],
    ['CD8 T', 271],
    ['FCGR3A\\+ Mono', 162],
    ['NK', 155],
    ['DC', 32],
    ['Platelet', 14],
  ] as const;
  for (const [name, n] of expected) assert.match(r.out, new RegExp(`\\n  ${name} +${n}\\n`), name);
  assert.match(r.out, /cell_type +categorical \(9 categories\)/);
  const j = await cli(['info', 'pbmc3k', '--json']);
  const info = JSON.parse(j.out) as { shape: number[]; labelCounts: Record<string, Record<string, number>>; X: { kind: string } };
  assert.deepEqual(info.shape, [2638, 32738]);
  assert.equal(info.X.kind, 'csr');
  assert.equal(info.labelCounts.cell_type!['Naive CD4 T'], 697);
  assert.equal(
    Object.values(info.labelCounts.cell_type!).reduce((a, b) => a + b, 0),
    2638,
  );
});

test('convert pbmc3k to h5ad: identical X and labels', async () => {
  const h5 = join(dir, 'pbmc3k.h5ad');
  const r = await cli(['convert', 'pbmc3k', h5]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*pbmc3k\.h5ad \(2,638 x 32,738\)/);
  const ref = await datasets.pbmc3k();
  const back = await readDataset(h5);
  const a = ref.X as CsrMatrix;
  const b = back.X as CsrMatrix;
  assert.equal(b.kind, 'csr');
  assert.deepEqual(b.indptr, a.indptr);
  assert.deepEqual(b.indices, a.indices);
  assert.deepEqual(b.data, a.data);
  assert.deepEqual(back.labels('cell_type'), ref.labels('cell_type'));
  // info on an .h5ad reads metadata only, and reports the same as on the source.
  const info = await cli(['info', h5, '--json']);
  const j = JSON.parse(info.out) as {
    shape: number[];
    X: { kind: string; dtype: string; stored: number };
    labelCounts: Record<string, Record<string, number>>;
  };
  assert.deepEqual(j.shape, [2638, 32738]);
  assert.deepEqual([j.X.kind, j.X.dtype, j.X.stored], ['csr', 'float32', 2242529]);
  assert.equal(j.labelCounts.cell_type!.Platelet, 14);
});

test('convert a gene x sample TSV with --genes-in and a label table to h5ad and CSV', async () => {
  const tsv = join(dir, 'bulk.tsv.gz');
  writeFileSync(tsv, gzipSync('gene\tS1\tS2\tS3\nG1\t1\t2\t3\nG2\t4\t5\t6.5\n'));
  const labels = join(dir, 'labels.csv');
  writeFileSync(labels, 'sample,group\nS3,b\nS1,a\nS2,a\n');
  const out = join(dir, 'bulk.h5ad');
  const r = await cli(['convert', tsv, out, '--genes-in', 'rows', '--labels', labels]);
  assert.equal(r.code, 0, r.err);
  const ds = await readDataset(out);
  assert.deepEqual(ds.obsNames, ['S1', 'S2', 'S3']);
  assert.deepEqual(ds.varNames, ['G1', 'G2']);
  assert.deepEqual(Array.from(ds.X.kind === 'dense' ? ds.X.data : []), [1, 4, 2, 5, 3, 6.5]);
  const g = ds.obs.get('group');
  assert.ok(g.kind === 'categorical' && Array.from(g.codes, (k) => g.categories[k]).join() === 'a,a,b');
  const csv = join(dir, 'bulk.csv');
  assert.equal((await cli(['convert', out, csv])).code, 0);
  assert.equal(readFileSync(csv, 'utf8'), 'obs,G1,G2\nS1,1,4\nS2,2,5\nS3,3,6.5\n');
  const tenx = join(dir, 'tenx');
  const r2 = await cli(['convert', out, tenx]);
  assert.equal(r2.code, 0, r2.err);
  assert.deepEqual(readdirSync(tenx).sort(), ['barcodes.tsv.gz', 'features.tsv.gz', 'matrix.mtx.gz']);
  const t = await readDataset(tenx);
  assert.deepEqual(t.obsNames, ds.obsNames);
  assert.deepEqual(Array.from(t.X.kind === 'csr' ? t.X.toDense().data : []), [1, 4, 2, 5, 3, 6.5]);
  const info = await cli(['info', tenx]);
  assert.match(info.out, /tenx: 3 x 2 \(observations x variables\)/);
  const bad = await cli(['convert', tsv, join(dir, 'x.h5ad'), '--genes-in', 'diagonal']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--genes-in: invalid value/);
});

test('bad input: one-line typed errors, non-zero exit, no stack, no partial output', async () => {
  const missing = await cli(['info', join(dir, 'nope.h5ad')]);
  assert.equal(missing.code, 3);
  assert.match(missing.err, /^celldeconv info: error E_FILE_NOT_FOUND: .*nope\.h5ad: file not found/);
  assert.equal(missing.err.trim().split('\n').length, 1);
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'matrix.mtx'), '%%MatrixMarket matrix coordinate integer general\n2 2 1\n3 1 1\n');
  const r = await cli(['convert', bad, join(dir, 'bad.h5ad')]);
  assert.equal(r.code, 3);
  assert.match(r.err, /E_MTX_INDEX: .*index out of range at line 3/);
  assert.ok(!existsSync(join(dir, 'bad.h5ad')));
  const lab = join(dir, 'wrong-labels.tsv');
  writeFileSync(lab, 'barcode\tcell_type\nAAACATACAACCAC-1\tT\n');
  const r2 = await cli(['info', 'pbmc3k', '--labels', lab]);
  assert.equal(r2.code, 3);
  assert.match(r2.err, /E_LABELS_MISMATCH: .*labels match only 1 of 2,638 cells/);
  const r3 = await cli(['convert', 'pbmc3k', join(dir, 'out.xyz')]);
  assert.match(r3.err, /E_OUTPUT_FORMAT/);
});
