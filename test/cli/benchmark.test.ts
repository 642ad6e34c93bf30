import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { writeLabelledTenx } from '../benchmark/cli-helpers.js';
import { registerTestMethods } from '../benchmark/test-methods.js';
import { capture } from '../helpers/cli.js';

registerTestMethods();
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-bench-'));
const ref = join(tmp, 'ref');
before(async () => {
  await writeLabelledTenx(ref, [60, 30, 16, 8], ['B cell', 'T cell', 'NK', 'DC']);
  writeFileSync(join(tmp, 'coarse.csv'), 'label,group\nB cell,B\nT cell,T/NK\nNK,T/NK\nDC,DC\n');
  writeFileSync(join(tmp, 'partial.json'), JSON.stringify({ name: 'partial', map: { 'B cell': 'B', NK: 'T/NK' } }));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const common = ['--reference', ref, '--labels', 'cell_type', '--methods', 'test-nnls,test-prior', '--n', '20', '--cells', '30'];

test('benchmark writes results and the report, prints the summary table; re-run resumes', async () => {
  const out = join(tmp, 'out');
  const o = capture();
  const e = capture();
  const code = await runCli(
    ['benchmark', ...common, '--granularity', join(tmp, 'coarse.csv'), '--cells-grid', '10', '--seed', '3', '--out', out],
    {
      stdout: o.stream,
      stderr: e.stream,
    },
  );
  assert.equal(code, 0, e.text());
  assert.match(o.text(), /method\s+granularity\s+median r/);
  assert.match(o.text(), /test-nnls\s+coarse\s+0\.9\d\d/);
  assert.match(o.text(), /Report: .*report\.html/);
  assert.match(e.text(), /benchmark test-nnls \[coarse\] n=30 \(3\/4\): done/);
  for (const f of ['results.csv', 'summary.csv', 'summary.json', 'timings.json', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /--cells-grid 10/);
  const first = readFileSync(join(out, 'results.csv'));
  const e2 = capture();
  assert.equal(
    await runCli(['benchmark', ...common, '--granularity', join(tmp, 'coarse.csv'), '--cells-grid', '10', '--seed', '3', '--out', out], {
      stdout: capture().stream,
      stderr: e2.stream,
    }),
    0,
  );
  assert.match(e2.text(), /4 method x setting cells taken from the state file/);
  assert.ok(readFileSync(join(out, 'results.csv')).equals(first));
});

test('--json prints the summary as JSON', async () => {
  const o = capture();
  assert.equal(
    await runCli(['benchmark', ...common, '--out', join(tmp, 'json'), '--json', '--quiet'], { stdout: o.stream, stderr: capture().stream }),
    0,
  );
  const r = JSON.parse(o.text());
  assert.equal(r.failures.length, 0);
  assert.ok(r.summary.some((x: { method: string; metric: string }) => x.method === 'test-nnls' && x.metric === 'pearson'));
});

test('bad input: typed errors naming the fix, with the right exit codes', async () => {
  const run = async (extra: string[], base = common) => {
    const e = capture();
    const code = await runCli(['benchmark', ...base, '--out', join(tmp, 'bad'), ...extra], { stdout: capture().stream, stderr: e.stream });
    return { code, err: e.text() };
  };
  let r = await run(['--cells-grid', '10,abc']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--cells-grid.*every item must be an integer.*got "?abc"?.*10,100,1000/);
  r = await run(['--granularity', join(tmp, 'partial.json')]);
  assert.equal(r.code, 3);
  assert.match(r.err, /E_GRANULARITY_UNCOVERED.*T cell.*DC|E_GRANULARITY_UNCOVERED.*DC.*T cell/);
  r = await run([], ['--reference', ref, '--labels', 'celltype', '--methods', 'test-nnls']);
  assert.equal(r.code, 3);
  assert.match(r.err, /E_NO_COLUMN.*celltype.*cell_type/);
  // An unknown method is a usage error (exit 2, as the README says), with the nearest name.
  r = await run(['--methods', 'nope']);
  assert.equal(r.code, 2);
  assert.match(r.err, /E_UNKNOWN_METHOD/);
  r = await run(['--methods', 'test-nnls', '--set', 'test-nnls.bogus=1']);
  assert.equal(r.code, 2);
  assert.match(r.err, /E_OPTION.*has no option 'bogus'/);
  r = await run([], ['--reference', join(tmp, 'missing.h5ad'), '--labels', 'cell_type']);
  assert.equal(r.code, 3);
  assert.match(r.err, /E_FILE_NOT_FOUND/);
  r = await run([], ['--labels', 'cell_type']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--reference/);
});

test('a cell type with too few cells names the fix', async () => {
  const few = join(tmp, 'few');
  await writeLabelledTenx(few, [40, 1]);
  const e = capture();
  const code = await runCli(
    ['benchmark', '--reference', few, '--labels', 'cell_type', '--methods', 'test-nnls', '--out', join(tmp, 'few-out')],
    {
      stdout: capture().stream,
      stderr: e.stream,
    },
  );
  assert.equal(code, 3);
  assert.match(e.text(), /E_TOO_FEW_CELLS.*T1: 1.*--granularity/);
});

test('an .h5ad reference works the same as a 10x directory', async () => {
  const { writeH5ad } = await import('../../src/io/h5ad/write.js');
  const { syntheticCells } = await import('../benchmark/synthetic.js');
  const path = join(tmp, 'ref.h5ad');
  await writeH5ad(path, syntheticCells([40, 20, 10], 30, 8).ds);
  const o = capture();
  const e = capture();
  const code = await runCli(
    [
      'benchmark',
      '--reference',
      path,
      '--labels',
      'cell_type',
      '--methods',
      'test-nnls',
      '--n',
      '10',
      '--cells',
      '20',
      '--out',
      join(tmp, 'h5'),
    ],
    {
      stdout: o.stream,
      stderr: e.stream,
    },
  );
  assert.equal(code, 0, e.text());
  assert.match(o.text(), /test-nnls\s+fine\s+[01]\.\d{3}/);
});

test('--set passes method options through the registry; failures are printed as they happen', async () => {
  const { parseSetOptions } = await import('../../src/cli/commands/benchmark.js');
  assert.deepEqual(parseSetOptions(['mixupvi.epochs=50', 'mixupvi.nb=true', 'scaden.name=x', 'tape.h=[1,2]']), {
    mixupvi: { epochs: 50, nb: true },
    scaden: { name: 'x' },
    tape: { h: [1, 2] },
  });
  assert.throws(() => parseSetOptions(['epochs=5']), /--set.*METHOD\.KEY=VALUE/);
  const { lastFitOptions } = await import('../benchmark/test-methods.js');
  const o = capture();
  const e = capture();
  const code = await runCli(
    ['benchmark', ...common, '--methods', 'test-broken,test-nnls', '--set', 'test-nnls.scale=7', '--quick', '--out', join(tmp, 'set')],
    { stdout: o.stream, stderr: e.stream },
  );
  assert.equal(code, 0, 'a failed method is reported; the others completed, so exit 0 without --strict');
  assert.deepEqual(lastFitOptions.get('test-nnls'), { scale: 7 });
  assert.match(e.text(), /warning: test-broken \[fine\] failed at fit: deliberately broken/);
  assert.match(e.text(), /1 method run\(s\) failed .*exit code 0; --strict/);
  assert.match(o.text(), /test-nnls\s+fine/);
  assert.match(o.text(), /test-broken\s+fine\s+FAILED at fit: error/, 'the failure is a row of the table');
  const html = readFileSync(join(tmp, 'set', 'report.html'), 'utf8');
  assert.match(html, /<tr class="failed"><td>test-broken<\/td><td>fine<\/td><td colspan="7">FAILED at fit: deliberately broken/);
  const strict = await runCli(
    [
      'benchmark',
      ...common,
      '--methods',
      'test-broken,test-nnls',
      '--set',
      'test-nnls.scale=7',
      '--quick',
      '--strict',
      '--out',
      join(tmp, 'set'),
    ],
    { stdout: capture().stream, stderr: capture().stream },
  );
  assert.equal(strict, 1, '--strict: a failed method makes the exit code 1');
  const only = await runCli(['benchmark', ...common, '--methods', 'test-broken', '--out', join(tmp, 'only-broken')], {
    stdout: capture().stream,
    stderr: capture().stream,
  });
  assert.equal(only, 1, 'nothing scored at all is an error even without --strict');
});
