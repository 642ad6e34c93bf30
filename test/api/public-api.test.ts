import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as api from '../../src/index.js';

test('the package entry registers every built-in method and exposes the main entry points', async () => {
  const names = api.listMethods();
  for (const m of ['ols', 'nnls', 'rlr', 'wnnls', 'dwls', 'nusvr', 'decovart', 'mixupvi', 'scvi', 'scaden', 'tape', 'simplednn']) {
    assert.ok(names.includes(m), `${m} registered`);
  }
  for (const f of [
    'readDataset',
    'writeDataset',
    'readBulk',
    'buildSignature',
    'simulatePseudobulks',
    'splitTrainTest',
    'getMethod',
  ] as const) {
    assert.equal(typeof (api as Record<string, unknown>)[f], 'function', f);
  }
  assert.equal(typeof api.datasets.pbmc3k, 'function');
});

test('README library example: fit NNLS on a PBMC3k subset and deconvolve its own pseudobulks', async () => {
  const ref = await api.datasets.pbmc3k();
  const { train, test: held } = api.splitTrainTest(ref, { labelsKey: 'cell_type', seed: 0 });
  const fitted = await api.getMethod('nnls').fit(train, { labelsKey: 'cell_type', seed: 0 });
  const sim = api.simulatePseudobulks(held, { labelsKey: 'cell_type', nSamples: 5, nCells: 100, seed: 0 });
  const res = await fitted.deconvolve(sim.bulk);
  assert.equal(res.proportions.rows, 5);
  for (let i = 0; i < 5; i++) {
    const s = res.proportions.row(i).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-9);
  }
});
