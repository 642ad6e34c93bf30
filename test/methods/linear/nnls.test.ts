import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nnls } from '../../../src/linalg/nnls.js';
import { nnlsMethod } from '../../../src/methods/linear/nnls.js';
import { loadBulk, loadOut, loadSignature, maxRelDiff } from '../../fixtures/linear/load.js';

for (const dir of ['synth', 'shuffled']) {
  test(`nnls matches scipy.optimize.nnls to 1e-6 relative (${dir})`, async () => {
    const sig = loadSignature(dir);
    const bulk = loadBulk(dir);
    const ref = loadOut(dir, 'out_nnls.csv');
    const fitted = await nnlsMethod.fit(null, { signature: sig });
    const res = await fitted.deconvolve(bulk);
    assert.deepEqual(res.cellTypes, ref.colNames);
    assert.deepEqual(res.sampleNames, ref.rowNames);
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
  });
}

test('direct Lawson–Hanson equals the Gram variant on the fixture', async () => {
  const sig = loadSignature('synth');
  const bulk = loadBulk('synth');
  const S = sig.genesByTypes();
  const fitted = await nnlsMethod.fit(null, { signature: sig });
  const res = await fitted.deconvolve(bulk);
  for (let i = 0; i < 5; i++) {
    const y = Float64Array.from(bulk.X.kind === 'dense' ? bulk.X.row(i) : []);
    const r = nnls(S.rows, S.cols, S.data, y);
    assert.ok(r.converged);
    const d = maxRelDiff(r.x, res.raw!.row(i), 1e-6 * Math.max(...res.raw!.row(i)));
    assert.ok(d < 1e-9, `sample ${i}: ${d}`);
  }
});

test('nnls fitIntercept matches sklearn LinearRegression(positive=True) to 1e-6', async () => {
  const ref = loadOut('synth', 'out_nnls_intercept.csv');
  const fitted = await nnlsMethod.fit(null, { signature: loadSignature('synth'), options: { fitIntercept: true } });
  const res = await fitted.deconvolve(loadBulk('synth'));
  const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
  assert.ok(d < 1e-6, `max rel diff ${d}`);
});
