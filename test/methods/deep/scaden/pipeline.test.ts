import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { alignBulk, buildTrainingSet, makeResult, selectVariableGenes } from '../../../../src/methods/deep/common-baselines/pipeline.js';
import { syntheticCells } from '../../../benchmark/synthetic.js';

test('alignBulk reorders to the model genes, zero-fills missing ones with a warning, rejects bad values', () => {
  const bulk = new Dataset({ X: DenseMatrix.fromRows([[1, 2, 3, 4]]), varNames: ['d', 'a', 'b', 'x'] });
  const a = alignBulk(bulk, ['a', 'b', 'c', 'd'], { minGeneOverlap: 0.5 });
  assert.deepEqual(Array.from(a.X.data), [2, 3, 0, 1]);
  assert.equal(a.genesUsed, 3);
  assert.equal(a.genesMissing, 1);
  assert.ok(a.warnings.some((w) => w.code === 'W_GENES_DROPPED' && w.message.includes('set to 0')));
  assert.throws(() => alignBulk(bulk, ['a', 'q', 'r', 's']), { code: 'E_GENE_OVERLAP' });
  const neg = new Dataset({ X: DenseMatrix.fromRows([[1, -2]]), varNames: ['a', 'b'] });
  assert.throws(() => alignBulk(neg, ['a', 'b']), { code: 'E_BULK_VALUES' });
  const r = makeResult(
    't',
    Float32Array.from([1, 3]),
    neg,
    ['A', 'B'],
    alignBulk(new Dataset({ X: DenseMatrix.fromRows([[1, 2]]), varNames: ['a', 'b'] }), ['a', 'b']),
    0,
  );
  assert.deepEqual(Array.from(r.proportions.data), [0.25, 0.75]);
});

test('selectVariableGenes keeps ~nGenes ascending indices (all genes for 0), for each flavour', () => {
  const { ds } = syntheticCells([30, 30, 30], 40, 2);
  assert.equal(selectVariableGenes(ds.X, 0).length, 40);
  for (const flavor of ['seurat_v3', 'seurat', 'cell_ranger'] as const) {
    const idx = selectVariableGenes(ds.X, 10, flavor);
    // seurat_v3 ranks genes; the dispersion flavours keep ties at the cut-off, as scanpy does.
    if (flavor === 'seurat_v3') assert.equal(idx.length, 10);
    else assert.ok(idx.length >= 10, flavor);
    for (let k = 1; k < idx.length; k++) assert.ok((idx[k] as number) > (idx[k - 1] as number));
  }
});

test('buildTrainingSet: simulated from the reference (selected genes), typed errors', async () => {
  const { ds } = syntheticCells([20, 20], 30, 3);
  const t = await buildTrainingSet(ds, {
    trainingData: 'simulated',
    simulator: 'tape',
    nSamples: 12,
    nCells: 20,
    nGenes: 8,
    labelsKey: 'cell_type',
    seed: 1,
  });
  assert.equal(t.X.rows, 12);
  assert.equal(t.X.cols, 8);
  assert.equal(t.genes.length, 8);
  await assert.rejects(
    buildTrainingSet(null, { trainingData: 'simulated', simulator: 'scaden', nSamples: 4, nCells: 5, nGenes: 0, seed: 0 }),
    { code: 'E_NO_REFERENCE' },
  );
  await assert.rejects(
    buildTrainingSet(ds, { trainingData: 'simulated', simulator: 'scaden', nSamples: 4, nCells: 5, nGenes: 0, seed: 0 }),
    { code: 'E_NO_LABELS' },
  );
  await assert.rejects(
    buildTrainingSet(null, { trainingData: 'paired', simulator: 'scaden', nSamples: 4, nCells: 5, nGenes: 0, seed: 0 }),
    { code: 'E_NO_PAIRED' },
  );
});
