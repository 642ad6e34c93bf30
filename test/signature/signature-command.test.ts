import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../src/cli/main.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { writeTenx } from '../../src/io/mtx.js';
import { readSignatureCsv } from '../../src/signature/signature-csv.js';
import { capture } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-sig-'));
const ref = join(tmp, 'ref');
const bare = join(tmp, 'bare');
const labelsFile = join(tmp, 'labels.tsv');

before(async () => {
  // 3 types x 80 cells, 6 planted markers per type, 60 genes
  const rng = new Rng(42);
  const n = 240;
  const g = 60;
  const data = new Float64Array(n * g);
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i / 80);
    labels.push(['Tcell', 'Bcell', 'Mono'][t] as string);
    for (let j = 0; j < g; j++) data[i * g + j] = rng.poisson(j < 18 && Math.floor(j / 6) === t ? 15 : 3);
  }
  const ds = new Dataset({
    X: CsrMatrix.fromDense(new DenseMatrix(n, g, data)),
    varNames: Array.from({ length: g }, (_, j) => `gene${j}`),
  });
  await writeTenx(ref, ds);
  await writeTenx(bare, ds);
  const rows = ['barcode\tcell_type', ...ds.obsNames.map((b, i) => `${b}\t${labels[i]}`)];
  writeFileSync(join(ref, 'barcodes.tsv.gz'), gzipSync(`${rows.join('\n')}\n`));
  // the same labels as a separate table, rows shuffled (joined by barcode)
  writeFileSync(labelsFile, `${[rows[0], ...rows.slice(1).reverse()].join('\n')}\n`);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('celldeconv signature writes a genes x cell types CSV and reports n*, genes and kappa', async () => {
  const outPath = join(tmp, 'sig.csv');
  const o = capture();
  const e = capture();
  const code = await runCli(
    ['signature', '--reference', ref, '--labels', 'cell_type', '--out', outPath, '--min-markers', '2', '--max-markers', '8'],
    {
      stdout: o.stream,
      stderr: e.stream,
    },
  );
  assert.equal(code, 0, e.text());
  assert.match(o.text(), /Signature: \d+ genes x 3 cell types/);
  assert.match(o.text(), /top markers per type \(n\*\): \d+/);
  assert.match(o.text(), /condition number \(QR 1-norm\): \d+\.\d\d/);
  const sig = await readSignatureCsv(outPath);
  assert.deepEqual(sig.cellTypes, ['Bcell', 'Mono', 'Tcell']);
  assert.ok(
    sig.genes.every((gname) => Number(gname.slice(4)) < 18),
    `only planted markers: ${sig.genes}`,
  );
  assert.equal(readFileSync(outPath, 'utf8').split('\n')[0], 'Genes,Bcell,Mono,Tcell');

  const j = capture();
  const code2 = await runCli(
    [
      'signature',
      '-r',
      ref,
      '-l',
      'cell_type',
      '-o',
      join(tmp, 'sig2.csv'),
      '--min-markers',
      '2',
      '--max-markers',
      '8',
      '--value-layer',
      'raw_counts',
      '--json',
    ],
    { stdout: j.stream, stderr: capture().stream },
  );
  assert.equal(code2, 0);
  const res = JSON.parse(j.text());
  assert.equal(res.cellTypes.length, 3);
  assert.equal(res.conditionNumbers.length, 7);
  assert.ok(res.nTopChosen >= 2 && res.nTopChosen <= 8);
  assert.equal(res.nGenes, sig.nGenes);
});

test('celldeconv signature --labels-file joins a label table by barcode (same signature)', async () => {
  const a = join(tmp, 'a.csv');
  const b = join(tmp, 'b.csv');
  const common = ['--labels', 'cell_type', '--min-markers', '2', '--max-markers', '8'];
  assert.equal(await runCli(['signature', '-r', ref, '-o', a, ...common], { stdout: capture().stream, stderr: capture().stream }), 0);
  const e = capture();
  const code = await runCli(['signature', '-r', bare, '--labels-file', labelsFile, '-o', b, ...common], {
    stdout: capture().stream,
    stderr: e.stream,
  });
  assert.equal(code, 0, e.text());
  assert.equal(readFileSync(b, 'utf8'), readFileSync(a, 'utf8'));
});

test('celldeconv signature: usage and input errors exit non-zero with one line', async () => {
  const cases: [string[], number, RegExp][] = [
    [['signature', '--reference', ref, '--out', join(tmp, 'x.csv')], 2, /--labels/],
    [['signature', '--reference', ref, '--labels', 'nope', '--out', join(tmp, 'x.csv')], 3, /column 'nope' not found/],
    [['signature', '--reference', ref, '--labels', 'cell_type', '--out', join(tmp, 'x.csv'), '--value-layer', 'log'], 2, /value-layer/],
    [['signature', '--reference', ref, '--labels', 'cell_type', '--out', join(tmp, 'x.csv'), '--exclude', 'bogus'], 2, /exclude/],
    [['signature', '--reference', join(tmp, 'nope'), '--labels', 'cell_type', '--out', join(tmp, 'x.csv')], 3, /nope/],
    [['signature', '--reference', bare, '--labels', 'cell_type', '--out', join(tmp, 'x.csv')], 3, /column 'cell_type' not found/],
  ];
  for (const [argv, exit, re] of cases) {
    const e = capture();
    const code = await runCli(argv, { stdout: capture().stream, stderr: e.stream });
    assert.equal(code, exit, `${argv.join(' ')}: ${e.text()}`);
    assert.match(e.text(), re);
  }
});
