import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { perMethodPath } from '../../src/cli/commands/deconvolve.js';
import { getMethod } from '../../src/methods/registry.js';
import { FIXTURE_DIR, loadBulk, loadSignature, readCsv } from '../fixtures/linear/load.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-deconv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const SIG = join(FIXTURE_DIR, 'shuffled', 'SIG.csv');
const BULK = join(FIXTURE_DIR, 'shuffled', 'BULK.csv');

test('deconvolve --method nnls --signature writes the library result and reports the gene overlap', async () => {
  const out = join(tmp, 'props.csv');
  const r = await cli(['deconvolve', '--method', 'nnls', '--signature', SIG, '--bulk', BULK, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /nnls: 12 samples x 5 cell types .* \(genes 150 of 150 found, 100\.0%/);
  const got = readCsv(out);
  const lib = await (await getMethod('nnls').fit(null, { signature: loadSignature('shuffled') })).deconvolve(loadBulk('shuffled'));
  assert.deepEqual(got.rowNames, lib.sampleNames);
  assert.deepEqual(got.colNames, lib.cellTypes);
  assert.deepEqual(Array.from(got.values.data), Array.from(lib.proportions.data));
});

test('deconvolve --method all writes one file per method; --json gives a machine-readable summary', async () => {
  const out = join(tmp, 'all.csv');
  const r = await cli(['deconvolve', '--method', 'all', '--signature', SIG, '--bulk', BULK, '--out', out, '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { results: { method: string; out: string; geneOverlap: number }[] };
  const names = j.results.map((x) => x.method);
  for (const m of ['ols', 'nnls', 'rlr', 'wnnls', 'dwls']) {
    assert.ok(names.includes(m), m);
    const file = perMethodPath(out, m);
    assert.equal(j.results.find((x) => x.method === m)!.out, file);
    assert.equal(readCsv(file).rowNames.length, 12);
  }
  assert.equal(perMethodPath('/a/b/props.tsv.gz', 'dwls'), '/a/b/props.dwls.tsv.gz');
});

test('genes-in rows, raw output and a saved model directory', async () => {
  // bulk written genes x samples
  const b = readCsv(BULK);
  const t = b.values.transpose();
  const lines = [['gene', ...b.rowNames].join(',')];
  for (let g = 0; g < t.rows; g++) lines.push([b.colNames[g], ...Array.from(t.row(g))].join(','));
  const bulkT = join(tmp, 'bulk_t.csv');
  writeFileSync(bulkT, `${lines.join('\n')}\n`);
  const out = join(tmp, 'raw.csv');
  const r = await cli(['deconvolve', '--method', 'ols', '--signature', SIG, '--bulk', bulkT, '--genes-in', 'rows', '--out', out, '--raw']);
  assert.equal(r.code, 0, r.err);
  const ref = readCsv(join(FIXTURE_DIR, 'shuffled', 'out_ols.csv'));
  const got = readCsv(out);
  for (let k = 0; k < got.values.data.length; k++)
    assert.ok(Math.abs(got.values.data[k]! - ref.values.data[k]!) < 1e-6 * Math.abs(ref.values.data[k]!) + 1e-9);

  const dir = join(tmp, 'model');
  const f = await getMethod('dwls').fit(null, { signature: loadSignature('shuffled'), options: { dampening: 16 } });
  await f.save!(dir);
  const out2 = join(tmp, 'model.csv');
  const r2 = await cli(['deconvolve', '--model', dir, '--bulk', BULK, '--out', out2]);
  assert.equal(r2.code, 0, r2.err);
  const lib = await f.deconvolve(loadBulk('shuffled'));
  assert.deepEqual(Array.from(readCsv(out2).values.data), Array.from(lib.proportions.data));
  const r3 = await cli(['deconvolve', '--model', dir, '--method', 'nnls', '--bulk', BULK, '--out', out2]);
  assert.equal(r3.code, 2);
});

test('too little gene overlap is an input error (exit 3) that says what was found', async () => {
  const b = readCsv(BULK);
  const keep = 40;
  const lines = [['sample', ...b.colNames.slice(0, keep)].join(',')];
  for (let i = 0; i < b.rowNames.length; i++) lines.push([b.rowNames[i], ...Array.from(b.values.row(i).subarray(0, keep))].join(','));
  const small = join(tmp, 'small.csv');
  writeFileSync(small, `${lines.join('\n')}\n`);
  const r = await cli([
    'deconvolve',
    '--method',
    'nnls',
    '--signature',
    SIG,
    '--bulk',
    small,
    '--genes-in',
    'columns',
    '--out',
    join(tmp, 'x.csv'),
  ]);
  assert.equal(r.code, 3);
  assert.match(r.err, /only \d+ of 150 signature genes found in the bulk \(\d+(\.\d)?%, need >= 70%\)/);
  const u = await cli(['deconvolve', '--method', 'nnls', '--bulk', BULK, '--out', join(tmp, 'y.csv')]);
  assert.equal(u.code, 2);
  const m = await cli(['deconvolve', '--method', 'nope', '--signature', SIG, '--bulk', BULK, '--out', join(tmp, 'y.csv')]);
  // An unknown method is a usage error (exit 2, as the README says) suggesting the nearest name.
  assert.equal(m.code, 2);
  assert.match(m.err, /unknown method 'nope'/);
  const c = await cli(['deconvolve', '--method', 'cibersort', '--signature', SIG, '--bulk', BULK, '--out', join(tmp, 'y.csv')]);
  assert.equal(c.code, 2);
  assert.match(c.err, /Did you mean 'nusvr'/);
  const t = await cli(['deconvolve', '--method', 'dwsl', '--signature', SIG, '--bulk', BULK, '--out', join(tmp, 'y.csv')]);
  assert.match(t.err, /Did you mean 'dwls'/);
  const f = await cli(['deconvolve', '--methd', 'nnls', '--signature', SIG, '--bulk', BULK, '--out', join(tmp, 'y.csv')]);
  assert.equal(f.code, 2);
  assert.match(f.err, /^celldeconv deconvolve: unknown option '--methd'\. Did you mean '--method'\?/);
  assert.doesNotMatch(f.err, /To specify a positional argument/);
  assert.ok(readFileSync(SIG, 'utf8').length > 0);
});

test('deconvolve --reference builds the signature from labelled cells and recovers a mixture', async () => {
  const { writeLabelledTenx } = await import('../benchmark/cli-helpers.js');
  const { syntheticCells } = await import('../benchmark/synthetic.js');
  const ref = join(tmp, 'ref10x');
  await writeLabelledTenx(ref, [40, 30, 30]);
  // bulk samples: known mixtures of the true type profiles (same generator, same seed as the 10x dir)
  const { profiles, ds } = syntheticCells([40, 30, 30], 40, 5);
  const G = ds.nVars;
  const mix = [
    [0.6, 0.3, 0.1],
    [0.2, 0.2, 0.6],
  ];
  const lines = [['sample', ...ds.varNames].join(',')];
  mix.forEach((p, i) => {
    const row = ds.varNames.map((_, g) => 1000 * p.reduce((s, pc, t) => s + pc * profiles[t * G + g]!, 0));
    lines.push([`mix${i}`, ...row].join(','));
  });
  const bulk = join(tmp, 'mix.csv');
  writeFileSync(bulk, `${lines.join('\n')}\n`);
  const out = join(tmp, 'ref_props.csv');
  const r = await cli([
    'deconvolve',
    '--method',
    'nnls',
    '--reference',
    ref,
    '--labels',
    'cell_type',
    '--bulk',
    bulk,
    '--genes-in',
    'columns',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const got = readCsv(out);
  assert.deepEqual(got.rowNames, ['mix0', 'mix1']);
  // signature values are relative counts (per-cell normalised), so proportions are close, not exact
  for (let i = 0; i < 2; i++)
    for (let t = 0; t < 3; t++) assert.ok(Math.abs(got.values.get(i, t) - mix[i]![t]!) < 0.1, `${i},${t}: ${got.values.get(i, t)}`);
});

test('--set passes method options (nnls fitIntercept) and rejects an option the method lacks', async () => {
  const out = join(tmp, 'set.csv');
  const r = await cli(['deconvolve', '--method', 'nnls', '--signature', SIG, '--bulk', BULK, '--out', out, '--set', 'fitIntercept=true']);
  assert.equal(r.code, 0, r.err);
  const lib = await (
    await getMethod('nnls').fit(null, { signature: loadSignature('shuffled'), options: { fitIntercept: true } })
  ).deconvolve(loadBulk('shuffled'));
  assert.deepEqual(Array.from(readCsv(out).values.data), Array.from(lib.proportions.data));
  const bad = await cli(['deconvolve', '--method', 'nnls', '--signature', SIG, '--bulk', BULK, '--out', out, '--set', 'nope=1']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /has no option 'nope'.*fitIntercept/);
});

test('--intervals writes bootstrap bounds for a signature method; --permutations writes nusvr p-values', async () => {
  const out = join(tmp, 'iv.csv');
  const r = await cli([
    'deconvolve',
    '--method',
    'nnls',
    '--signature',
    SIG,
    '--bulk',
    BULK,
    '--out',
    out,
    '--intervals',
    '--set',
    'intervalSamples=20',
  ]);
  assert.equal(r.code, 0, r.err);
  const p = readCsv(out);
  const lo = readCsv(perMethodPath(out, 'lower'));
  const hi = readCsv(perMethodPath(out, 'upper'));
  assert.deepEqual(lo.colNames, p.colNames);
  for (let j = 0; j < p.values.data.length; j++) assert.ok(lo.values.data[j]! <= hi.values.data[j]!);
  const pv = join(tmp, 'pv.csv');
  const s = await cli(['deconvolve', '--method', 'nusvr', '--signature', SIG, '--bulk', BULK, '--out', pv, '--permutations', '20']);
  assert.equal(s.code, 0, s.err);
  const t = readCsv(perMethodPath(pv, 'pvalue'));
  assert.deepEqual(t.colNames, ['pvalue', 'r', 'rmse']);
  assert.equal(t.rowNames.length, 12);
  for (let i = 0; i < 12; i++) assert.ok(t.values.get(i, 0) >= 0 && t.values.get(i, 0) <= 1);
});
