import assert from 'node:assert/strict';
import { test } from 'node:test';
import { huberWeight, medianInPlace } from '../../../src/linalg/huber-irls.js';
import { rlrMethod } from '../../../src/methods/linear/rlr.js';
import { loadBulk, loadOut, loadSignature, maxRelDiff } from '../../fixtures/linear/load.js';
import { withJavaScriptKernels } from '../../helpers/wasm.js';

for (const dir of ['synth', 'shuffled']) {
  test(`rlr matches statsmodels RLM(HuberT) to 1e-6 relative (${dir})`, async () => {
    const ref = loadOut(dir, 'out_rlr.csv');
    const fitted = await rlrMethod.fit(null, { signature: loadSignature(dir) });
    const res = await fitted.deconvolve(loadBulk(dir), { options: { threads: 1 } });
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data.map(Math.abs)));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
  });
}

test('Huber weights: w(0.5) = 1, w(2.69) = 0.5 (t = 1.345)', () => {
  assert.equal(huberWeight(0.5), 1);
  assert.ok(Math.abs(huberWeight(2.69) - 0.5) < 1e-15);
  assert.ok(Math.abs(huberWeight(-2.69) - 0.5) < 1e-15);
});

test('median as numpy (odd and even lengths)', () => {
  assert.equal(medianInPlace(Float64Array.of(3, 1, 2), 3), 2);
  assert.equal(medianInPlace(Float64Array.of(4, 1, 3, 2), 4), 2.5);
  assert.equal(medianInPlace(Float64Array.of(5, 5, 1, 9, 7, 2), 6), 5);
});

test("rlr: the SIMD weighted Gram path gives the JavaScript path's estimates", async () => {
  const run = async () =>
    (await rlrMethod.fit(null, { signature: loadSignature('synth') })).deconvolve(loadBulk('synth'), { options: { threads: 1 } });
  const fast = await run();
  const slow = await withJavaScriptKernels(() => run());
  assert.deepEqual(fast.diagnostics.iterations, slow.diagnostics.iterations);
  for (let k = 0; k < fast.raw!.data.length; k++) {
    const a = fast.raw!.data[k]!;
    const b = slow.raw!.data[k]!;
    assert.ok(Math.abs(a - b) <= 1e-10 * Math.max(1, Math.abs(b)), `entry ${k}: ${a} vs ${b}`);
  }
});
