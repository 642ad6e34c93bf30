import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { cli } from '../helpers/cli.js';
import { twoClusterNb } from '../models/dgd/toy.js';

const dir = mkdtempSync(join(tmpdir(), 'dgd-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('CLI: train dgd, embed, generate, deconvolve --model with --profiles; typed errors', async () => {
  const toy = twoClusterNb(80, 60, 3);
  const ref = join(dir, 'toy.h5ad');
  await writeH5ad(ref, toy.ds);
  const model = join(dir, 'model');
  let r = await cli([
    'train',
    'dgd',
    '--reference',
    ref,
    '--labels',
    'cell_type',
    '--epochs',
    '3',
    '--backend',
    'wasm',
    '--out',
    model,
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(model, 'manifest.json')));

  const emb = join(dir, 'emb.h5ad');
  r = await cli(['embed', '--model', model, '--data', ref, '--out', emb, '--epochs', '2', '--quiet']);
  assert.equal(r.code, 0, r.err);
  const e = await readH5ad(emb);
  assert.equal(e.nObs, 80);
  assert.ok(e.obs.has('dgd_cluster') && e.obs.has('dgd_loglik'));

  const sim = join(dir, 'sim.h5ad');
  r = await cli(['generate', '--model', model, '--n', '25', '--out', sim, '--seed', '4', '--quiet']);
  assert.equal(r.code, 0, r.err);
  const s = await readH5ad(sim);
  assert.deepEqual(s.shape, [25, toy.ds.nVars]);

  // Bulk of summed counts of 10 cells each: 8 A + 2 B, then 2 A + 8 B (toy labels alternate A, B).
  // Two samples of one composition would (rightly) get equal proportions: W_DEGENERATE_RESULT, exit 4.
  const X = toy.ds.X as DenseMatrix;
  const G = toy.ds.nVars;
  const b = new Float64Array(2 * G);
  for (let i = 0; i < 20; i++) {
    const sample = i % 2 === 0 ? (i < 16 ? 0 : 1) : i < 4 ? 0 : 1;
    for (let g = 0; g < G; g++) b[sample * G + g]! += X.data[i * G + g]!;
  }
  const bulk = join(dir, 'bulk.h5ad');
  await writeH5ad(bulk, new Dataset({ X: new DenseMatrix(2, G, b), varNames: [...toy.ds.varNames] }));
  const props = join(dir, 'props.csv');
  const prof = join(dir, 'profiles.h5ad');
  r = await cli([
    'deconvolve',
    '--model',
    model,
    '--bulk',
    bulk,
    '--out',
    props,
    '--profiles',
    prof,
    '--set',
    'deconvIterations=10',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.err);
  const p = await readH5ad(prof);
  assert.deepEqual(p.shape, [4, G]);
  // The proportions follow the compositions (8:2 and 2:8).
  const rows = readFileSync(props, 'utf8').trim().split('\n');
  const header = rows[0]!.split(',');
  const frac = (row: number, type: string) => Number(rows[row]!.split(',')[header.indexOf(type)]);
  assert.ok(frac(1, 'A') > frac(1, 'B') && frac(2, 'B') > frac(2, 'A'), rows.join('\n'));

  // Bad input: K < 1 and an unknown label column.
  r = await cli([
    'train',
    'dgd',
    '--reference',
    ref,
    '--labels',
    'cell_type',
    '--set',
    'supervised=false',
    '--set',
    'components=-2',
    '--out',
    join(dir, 'x'),
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /components/);
  r = await cli(['train', 'dgd', '--reference', ref, '--labels', 'celltype', '--out', join(dir, 'y')]);
  assert.equal(r.code, 3);
  assert.match(r.err, /celltype/);
});
