import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wnnlsMethod } from '../../../src/methods/linear/wnnls.js';
import { loadBulk, loadOut, loadSignature, maxRelDiff } from '../../fixtures/linear/load.js';

for (const dir of ['synth', 'shuffled']) {
  test(`wnnls matches the reference (PyDeconv solver_wls, dampened=None) to 1e-6 relative (${dir})`, async () => {
    const ref = loadOut(dir, 'out_wnnls.csv');
    const info = loadOut(dir, 'info_wnnls.csv');
    const fitted = await wnnlsMethod.fit(null, { signature: loadSignature(dir) });
    const res = await fitted.deconvolve(loadBulk(dir), { options: { threads: 1 } });
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
    // Same number of reweighting steps as the reference, sample by sample.
    const iters = info.values.col(info.colNames.indexOf('iterations'));
    assert.deepEqual(res.diagnostics.iterations, Array.from(iters));
    assert.ok(res.diagnostics.converged.every(Boolean));
  });
}
