import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { writeLabelledTenx } from '../benchmark/cli-helpers.js';
import { capture } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-realbulk-'));
const ref = join(tmp, 'ref');
const sim = join(tmp, 'sim');
before(async () => {
  await writeLabelledTenx(ref, [40, 30, 20]);
  const e = capture();
  const code = await runCli(
    [
      'simulate',
      '--reference',
      ref,
      '--labels',
      'cell_type',
      '--n',
      '12',
      '--cells',
      '20',
      '--units',
      'counts',
      '--holdout',
      '0.5',
      '--out',
      sim,
      '--json',
    ],
    { stdout: capture().stream, stderr: e.stream },
  );
  assert.equal(code, 0, e.text());
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = capture();
  const e = capture();
  const code = await runCli(args, { stdout: o.stream, stderr: e.stream });
  return { code, out: o.text(), err: e.text() };
}

function csv(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

test('simulate --units counts --holdout 0.5: integer summed counts and the other cells as reference.h5ad', () => {
  const rows = csv(join(sim, 'pseudobulks.csv'));
  for (const r of rows.slice(1)) for (const v of r.slice(1)) assert.ok(Number.isInteger(Number(v)), v);
  assert.ok(existsSync(join(sim, 'reference.h5ad')));
});

test('deconvolve: detected units are reported; --bulk-units is validated; --fractions mrna differs', async () => {
  const base = [
    'deconvolve',
    '--method',
    'nnls',
    '--reference',
    join(sim, 'reference.h5ad'),
    '--labels',
    'cell_type',
    '--bulk',
    join(sim, 'pseudobulks.csv'),
  ];
  const r = await cli([...base, '--out', join(tmp, 'p.csv'), '--json']);
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out).results[0];
  assert.equal(res.bulkInput.units, 'counts');
  assert.equal(res.bulkInput.unitsConfidence, 'detected');
  assert.equal(res.bulkInput.fractions, 'cell');
  const m = await cli([...base, '--out', join(tmp, 'm.csv'), '--fractions', 'mrna', '--bulk-units', 'counts', '--json']);
  assert.equal(m.code, 0, m.err);
  assert.equal(JSON.parse(m.out).results[0].bulkInput.unitsConfidence, 'declared');
  assert.notDeepEqual(csv(join(tmp, 'p.csv')), csv(join(tmp, 'm.csv')));
  const bad = await cli([...base, '--out', join(tmp, 'x.csv'), '--bulk-units', 'rpkm']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bulk-units.*log1p-cpm/);
});

test('deconvolve: duplicated bulk genes are merged (first, with a warning) or refused with --duplicate-genes error', async () => {
  const rows = csv(join(sim, 'pseudobulks.csv'));
  // genes x samples with the first gene repeated (as R exports do).
  const header = ['gene', ...rows.slice(1).map((r) => r[0]!)];
  const genes = rows[0]!.slice(1);
  const lines = [header.join(',')];
  genes.forEach((g, j) => {
    lines.push([g, ...rows.slice(1).map((r) => r[j + 1]!)].join(','));
  });
  lines.push([genes[0]!, ...rows.slice(1).map(() => '1')].join(','));
  const dup = join(tmp, 'dup.csv');
  writeFileSync(dup, `${lines.join('\n')}\n`);
  const base = [
    'deconvolve',
    '--method',
    'nnls',
    '--reference',
    join(sim, 'reference.h5ad'),
    '--labels',
    'cell_type',
    '--bulk',
    dup,
    '--out',
    join(tmp, 'd.csv'),
  ];
  const ok = await cli(base);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /1 bulk gene names occur more than once .*merged with 'first'/);
  const refused = await cli([...base, '--duplicate-genes', 'error']);
  assert.equal(refused.code, 3);
  assert.match(refused.err, /E_DUPLICATE_GENES/);
});

test('deconvolve: a degenerate result exits with status 4, and with --strict is an error', async () => {
  // Zero the marker genes of T0 (every third gene in the synthetic reference): T0 vanishes.
  const rows = csv(join(sim, 'pseudobulks.csv'));
  const out = rows.map((r, i) => (i === 0 ? r : r.map((v, j) => (j > 0 && (j - 1) % 3 === 0 ? '0' : v))));
  const bulk = join(tmp, 'noT0.csv');
  writeFileSync(bulk, `${out.map((r) => r.join(',')).join('\n')}\n`);
  const base = [
    'deconvolve',
    '--method',
    'nnls',
    '--reference',
    join(sim, 'reference.h5ad'),
    '--labels',
    'cell_type',
    '--bulk',
    bulk,
    '--out',
    join(tmp, 'z.csv'),
  ];
  const r = await cli(base);
  assert.equal(r.code, 4, r.err);
  assert.match(r.err, /cell types are 0 in every sample \(T0\)/);
  const strict = await cli([...base, '--strict']);
  assert.equal(strict.code, 3);
  assert.match(strict.err, /E_DEGENERATE_RESULT/);
});
