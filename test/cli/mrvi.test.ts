/** `simulate-samples`, `train mrvi`, `sample-distances` end to end on a tiny reference. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mrvi-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('simulate-samples -> train mrvi -> sample-distances (matrices, trees, HTML, guided h5ad)', async () => {
  const rng = new Rng(0);
  const N = 400;
  const G = 30;
  const data = new Float64Array(N * G);
  for (let i = 0; i < data.length; i++) data[i] = rng.poisson(2);
  const labels = Array.from({ length: N }, (_, i) => ['T cell', 'B', 'NK'][i % 3] as string);
  const ref = new Dataset({
    X: new DenseMatrix(N, G, data),
    varNames: Array.from({ length: G }, (_, g) => `g${g}`),
    obs: new Frame(N, { cell_type: categoricalFrom(labels) }),
  });
  const refFile = join(dir, 'ref.h5ad');
  await writeH5ad(refFile, ref);
  const sim = join(dir, 'sim');
  const s = await cli([
    'simulate-samples',
    '--reference',
    refFile,
    '--labels',
    'cell_type',
    '--samples',
    '6',
    '--hvg',
    '0',
    '--out',
    sim,
    '-q',
  ]);
  assert.equal(s.code, 0, s.err);
  for (const f of ['data.h5ad', 'truth.json', 'true_tree_T_cell.nwk', 'true_distances_B.csv']) assert.ok(existsSync(join(sim, f)), f);
  const truth = JSON.parse(readFileSync(join(sim, 'truth.json'), 'utf8'));
  assert.equal(truth.samples.length, 6);
  assert.match(readFileSync(join(sim, 'true_tree_T_cell.nwk'), 'utf8'), /^\(.*\);\n$/);

  const model = join(dir, 'model');
  const t = await cli([
    'train',
    'mrvi',
    '--reference',
    join(sim, 'data.h5ad'),
    '--sample-key',
    'sample',
    '--epochs',
    '2',
    '--hvg',
    '0',
    '--set',
    'hidden=16',
    '--backend',
    'cpu',
    '--out',
    model,
    '-q',
  ]);
  assert.equal(t.code, 0, t.err);
  assert.ok(existsSync(join(model, 'manifest.json')));
  const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  assert.equal(manifest.method, 'mrvi');
  assert.equal(manifest.samples.length, 6);

  const out = join(dir, 'dist');
  const d = await cli([
    'sample-distances',
    '--model',
    model,
    '--data',
    join(sim, 'data.h5ad'),
    '--groupby',
    'cell_type',
    '--covariate',
    'root_side_T_cell',
    '--per-cell',
    '--backend',
    'cpu',
    '--out',
    out,
    '-q',
  ]);
  assert.equal(d.code, 0, d.err);
  for (const f of ['distances_T_cell.csv', 'tree_B.nwk', 'distances.json', 'report.html', 'guided.h5ad', 'guided.csv'])
    assert.ok(existsSync(join(out, f)), f);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
  const guided = await readH5ad(join(out, 'guided.h5ad'));
  assert.ok(guided.obs.has('mrvi_padj') && guided.obs.has('mrvi_flagged'));
  // per-cell matrices: cells x S x S float32, symmetric with a zero diagonal
  const raw = readFileSync(join(out, 'per_cell_distances.f32'));
  assert.equal(raw.length, N * 36 * 4);
  const pc = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  assert.equal(pc[7 * 36 + 0], 0);
  assert.equal(pc[7 * 36 + 1 * 6 + 4], pc[7 * 36 + 4 * 6 + 1]);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'per_cell_distances.json'), 'utf8')).shape, [N, 6, 6]);
  const json = JSON.parse(readFileSync(join(out, 'distances.json'), 'utf8'));
  assert.equal(json.groups.length, 3);
  assert.equal(json.groups[0].distances.length, json.groups[0].samples.length ** 2);

  // bad input: unknown sample key; covariate not constant within samples
  const bad = await cli(['train', 'mrvi', '--reference', join(sim, 'data.h5ad'), '--sample-key', 'donor', '--out', join(dir, 'm2'), '-q']);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /E_NO_COLUMN.*donor/);
  const badCov = await cli([
    'sample-distances',
    '--model',
    model,
    '--data',
    join(sim, 'data.h5ad'),
    '--covariate',
    'cell_type',
    '--backend',
    'cpu',
    '--out',
    join(dir, 'd2'),
    '-q',
  ]);
  assert.equal(badCov.code, 3);
  assert.match(badCov.err, /E_COVARIATE_NOT_CONSTANT/);
});
