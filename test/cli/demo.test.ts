import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEMO_SETTINGS } from '../../src/cli/commands/demo.js';
import { runCli } from '../../src/cli/main.js';
import { registerTestMethods } from '../benchmark/test-methods.js';
import { capture } from '../helpers/cli.js';

registerTestMethods();
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-demo-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('demo runs on the bundled PBMC3k at two granularities and prints the table and the report path', { timeout: 120000 }, async () => {
  const out = join(tmp, 'demo');
  const o = capture();
  const e = capture();
  // a test-only method and 8 pseudobulks keep this fast; the real demo runs every registered method
  const code = await runCli(['demo', '--methods', 'test-nnls', '--n', '8', '--out', out], { stdout: o.stream, stderr: e.stream });
  assert.equal(code, 0, e.text());
  const text = o.text();
  assert.match(text, /Summary \(100 cells per pseudobulk, 8 pseudobulks, seed 0\)/);
  assert.match(text, /test-nnls\s+coarse\s+\d\.\d{3}/);
  assert.match(text, /test-nnls\s+fine\s+\d\.\d{3}/);
  assert.match(text, /Report: .*report\.html/);
  // quick settings said in words, before the run (stderr) and under the table (stdout)
  assert.match(e.text().split('\n')[1] as string, /QUICK, demo-sized settings/);
  assert.match(e.text(), /^ {2}test-nnls: scale 2 \(published 1\)$/m);
  const table = text.indexOf('Summary (');
  assert.ok(text.indexOf('QUICK, demo-sized settings') > table, 'the note follows the table');
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<section class="quick">/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(
    summary.settings.granularities.map((g: { name: string; groups: string[] }) => [g.name, g.groups.length]),
    [
      ['coarse', 5],
      ['fine', 9],
    ],
  );
  assert.deepEqual(summary.settings.cellsGrid, [10, 100, 500]);
  assert.equal(summary.settings.quick, true);
  const results = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(results.length - 1, 2 * 3 * 8 * 5);
  assert.ok(existsSync(join(out, 'report.html')));
  // a coarse PBMC split is easy for NNLS on cell-type means
  const med = summary.rows.find(
    (r: { method: string; granularity: string; nCells: number; metric: string }) =>
      r.method === 'test-nnls' && r.granularity === 'coarse' && r.nCells === 100 && r.metric === 'pearson',
  ).median;
  assert.ok(med > 0.9, `median r ${med}`);
});

test('demo settings: quick is small, full is the paper grid', () => {
  assert.deepEqual(DEMO_SETTINGS.full.cellsGrid, [10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000]);
  assert.equal(DEMO_SETTINGS.full.nSamples, 400);
  assert.ok(DEMO_SETTINGS.quick.nSamples <= 200);
});
