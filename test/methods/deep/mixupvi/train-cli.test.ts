import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { trainOptions } from '../../../../src/cli/commands/train.js';
import { Dataset } from '../../../../src/data/dataset.js';
import { writeDataset } from '../../../../src/io/read.js';
import { writeDenseTable } from '../../../../src/io/table.js';
import { getMethod } from '../../../../src/methods/registry.js';
import { cli } from '../../../helpers/cli.js';
import { pseudobulksOf, syntheticCounts } from './synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-train-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('train maps generic flags onto method options, rejects unknown ones, applies --quick', () => {
  const spec = getMethod('mixupvi');
  const o = trainOptions(spec, { epochs: '3', hvg: '100', latent: '12' }, ['mixupPenalty=kl', 'fitIntercept=true'], true);
  assert.equal(o.epochs, 3);
  assert.equal(o.nHvg, 100);
  assert.equal(o.latent, 12);
  assert.equal(o.mixupPenalty, 'kl');
  assert.equal(o.fitIntercept, true);
  assert.equal(o.hidden, spec.quickOptions?.hidden); // from --quick, under the user's options
  assert.throws(() => trainOptions(spec, {}, ['nope'], false), /KEY=VALUE/);
  const noLatent = { ...spec, name: 'toy', defaults: { epochs: 1 }, options: undefined };
  assert.throws(() => trainOptions(noLatent, { latent: '3' }, [], false), /has no option for --latent/);
});

test('celldeconv train mixupvi -> model dir -> deconvolve --model gives the library numbers', async () => {
  const ref = syntheticCounts({ nCells: 150, nGenes: 20, nTypes: 3 });
  const refPath = join(tmp, 'ref.h5ad');
  await writeDataset(refPath, ref);
  const modelDir = join(tmp, 'model');
  const r = await cli([
    'train',
    'mixupvi',
    '--reference',
    refPath,
    '--labels',
    'cell_type',
    '--out',
    modelDir,
    '--epochs',
    '1',
    '--latent',
    '5',
    '--hvg',
    '0',
    '--batch-size',
    '64',
    '--backend',
    'cpu',
    '--set',
    'hidden=8',
    '--set',
    'nPseudobulks=6',
    '--set',
    'nCellsPerPseudobulk=10',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { method: string; validation: Record<string, number>; genes: number };
  assert.equal(j.method, 'mixupvi');
  assert.equal(j.genes, 20);
  assert.ok(Number.isFinite(j.validation.rho));
  assert.ok(existsSync(join(modelDir, 'manifest.json')) && existsSync(join(modelDir, 'weights.bin')));
  const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.config.latent, 5);
  assert.equal(manifest.seed, 0);

  const { bulk } = pseudobulksOf(ref, 3, 30, 1);
  const bulkPath = join(tmp, 'bulk.csv');
  await writeDenseTable(bulkPath, bulk.obsNames, bulk.varNames, bulk.X as never, { cornerLabel: 'sample' });
  const props = join(tmp, 'props.csv');
  const d = await cli(['deconvolve', '--model', modelDir, '--bulk', bulkPath, '--out', props]);
  assert.equal(d.code, 0, d.err);
  // The CSV holds X only, so it is a real bulk for the shared input step: compare with the same input.
  const asCsv = new Dataset({ X: bulk.X, obsNames: bulk.obsNames, varNames: bulk.varNames });
  const lib = await (await getMethod('mixupvi').load!(modelDir)).deconvolve(asCsv);
  const rows = readFileSync(props, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(1).map(Number));
  rows.forEach((row, s) => {
    row.forEach((v, c) => {
      assert.ok(Math.abs(v - lib.proportions.get(s, c)) < 1e-9);
    });
  });
  const iv = await cli(['deconvolve', '--model', modelDir, '--bulk', bulkPath, '--out', join(tmp, 'p2.csv'), '--intervals']);
  assert.equal(iv.code, 0, iv.err);
  const lower = readFileSync(join(tmp, 'p2.lower.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(1).map(Number));
  const upper = readFileSync(join(tmp, 'p2.upper.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(1).map(Number));
  lower.forEach((row, s) => {
    row.forEach((v, c) => {
      assert.ok(v <= upper[s]![c]! + 1e-12);
    });
  });
  const bad = await cli(['train', 'nnls', '--reference', refPath, '--labels', 'cell_type', '--out', join(tmp, 'x')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /not a trained method/);
});
