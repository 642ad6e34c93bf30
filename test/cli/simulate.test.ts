import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseCells } from '../../src/cli/commands/simulate.js';
import { runCli } from '../../src/cli/main.js';
import { LAYERS } from '../../src/core/keys.js';
import type { DenseMatrix } from '../../src/data/dense.js';
import { readH5ad } from '../../src/io/h5ad/read.js';
import { writeLabelledTenx } from '../benchmark/cli-helpers.js';
import { capture } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-cli-sim-'));
const ref = join(tmp, 'ref');
before(async () => {
  await writeLabelledTenx(ref, [30, 20, 10]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return { header: (lines[0] as string).split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

test('simulate writes pseudobulks, truth and integer cell counts that agree', async () => {
  const out = join(tmp, 'sim');
  const e = capture();
  const o = capture();
  const code = await runCli(
    ['simulate', '--reference', ref, '--labels', 'cell_type', '--n', '12', '--cells', '25', '--seed', '7', '--out', out],
    {
      stdout: o.stream,
      stderr: e.stream,
    },
  );
  assert.equal(code, 0, e.text());
  assert.match(o.text(), /Simulated 12 pseudobulks x 40 genes from 60 cells \(3 cell types, seed 7\)/);
  const truth = readCsv(join(out, 'truth.csv'));
  const counts = readCsv(join(out, 'cell_counts.csv'));
  const bulk = readCsv(join(out, 'pseudobulks.csv'));
  assert.deepEqual(truth.header, ['sample', 'T0', 'T1', 'T2']);
  assert.equal(truth.rows.length, 12);
  assert.equal(bulk.rows.length, 12);
  assert.equal(bulk.header.length, 41);
  for (let i = 0; i < 12; i++) {
    const k = (counts.rows[i] as string[]).slice(1).map(Number);
    const n = k.reduce((a, b) => a + b, 0);
    (truth.rows[i] as string[]).slice(1).forEach((v, c) => {
      assert.ok(Math.abs(Number(v) - (k[c] as number) / n) < 1e-15);
    });
  }
  // the h5ad carries the layers and the truth
  const h5 = await readH5ad(join(out, 'pseudobulks.h5ad'));
  assert.deepEqual(h5.shape, [12, 40]);
  for (const l of [LAYERS.rawCounts, LAYERS.relativeCounts, LAYERS.countsSum]) assert.ok(h5.layers.has(l), l);
  const t1 = h5.obs.get('truth_T1') as { values: Float64Array };
  assert.deepEqual(
    Array.from(t1.values),
    truth.rows.map((r) => Number(r[2])),
  );
  const x0 = (h5.X as DenseMatrix).row(0);
  (bulk.rows[0] as string[]).slice(1).forEach((v, j) => {
    assert.equal(x0[j], Number(v));
  });
  // same seed, same bytes
  const out2 = join(tmp, 'sim2');
  await runCli(['simulate', '--reference', ref, '--labels', 'cell_type', '--n', '12', '--cells', '25', '--seed', '7', '--out', out2], {
    stdout: capture().stream,
    stderr: capture().stream,
  });
  assert.ok(readFileSync(join(out, 'pseudobulks.csv')).equals(readFileSync(join(out2, 'pseudobulks.csv'))));
});

test('--cells accepts N or MIN:MAX; bad values are usage errors', async () => {
  assert.equal(parseCells('100'), 100);
  assert.deepEqual(parseCells('50:1000'), { min: 50, max: 1000 });
  assert.throws(() => parseCells('10.5'), /--cells.*MIN:MAX/);
  assert.throws(() => parseCells('20:10'), /--cells/);
  const e = capture();
  const code = await runCli(['simulate', '--reference', ref, '--labels', 'cell_type', '--cells', 'x', '--out', join(tmp, 'bad')], {
    stdout: capture().stream,
    stderr: e.stream,
  });
  assert.equal(code, 2);
  const e2 = capture();
  const code2 = await runCli(['simulate', '--reference', ref, '--labels', 'nope', '--out', join(tmp, 'bad')], {
    stdout: capture().stream,
    stderr: e2.stream,
  });
  assert.equal(code2, 3);
  assert.match(e2.text(), /E_NO_COLUMN.*nope/);
});
