import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dwlsMethod } from '../../../src/methods/linear/dwls.js';
import { loadBulk, loadOut, loadSignature, maxRelDiff } from '../../fixtures/linear/load.js';
import { withJavaScriptKernels } from '../../helpers/wasm.js';

for (const dir of ['synth', 'shuffled']) {
  test(`dwls with a fixed dampening constant (16) matches the reference to 1e-6 (${dir})`, async () => {
    const ref = loadOut(dir, 'out_dwls_d16.csv');
    const fitted = await dwlsMethod.fit(null, { signature: loadSignature(dir), options: { dampening: 16 } });
    const res = await fitted.deconvolve(loadBulk(dir), { options: { threads: 1 } });
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
  });

  test(`dwls picks the reference's dampening constants (numpy MT19937 subsets) and matches to 1e-6 (${dir})`, async () => {
    const ref = loadOut(dir, 'out_dwls.csv');
    const info = loadOut(dir, 'info_dwls.csv');
    const fitted = await dwlsMethod.fit(null, { signature: loadSignature(dir) });
    const res = await fitted.deconvolve(loadBulk(dir), { options: { threads: 1 } });
    const want = Array.from(info.values.col(info.colNames.indexOf('dampening')));
    assert.deepEqual(res.diagnostics.extra!.dampening, want);
    assert.deepEqual(res.diagnostics.extra!.nMultipliers, Array.from(info.values.col(info.colNames.indexOf('n_multipliers'))));
    const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
    assert.ok(d < 1e-6, `max rel diff ${d}`);
  });
}

test('dwls with per-sample constants from the reference (--info-out) matches to 1e-6; too few constants is a typed error', async () => {
  const ref = loadOut('synth', 'out_dwls.csv');
  const info = loadOut('synth', 'info_dwls.csv');
  const dampening = Array.from(info.values.col(info.colNames.indexOf('dampening')));
  const fitted = await dwlsMethod.fit(null, { signature: loadSignature('synth'), options: { dampening } });
  const res = await fitted.deconvolve(loadBulk('synth'), { options: { threads: 1 } });
  const d = maxRelDiff(res.raw!.data, ref.values.data, 1e-6 * Math.max(...ref.values.data));
  assert.ok(d < 1e-6, `max rel diff ${d}`);
  const short = await dwlsMethod.fit(null, { signature: loadSignature('synth'), options: { dampening: dampening.slice(0, 3) } });
  await assert.rejects(short.deconvolve(loadBulk('synth'), { options: { threads: 1 } }), { code: 'E_OPTION' });
  // the same typed error from a worker thread
  await assert.rejects(short.deconvolve(loadBulk('synth').selectObs([0, 1, 2, 3, 4]), { options: { threads: 2 } }), { code: 'E_OPTION' });
});

test("dwls: the SIMD dampening search and WLS step give the JavaScript path's constants and proportions", async () => {
  const run = async () =>
    (await dwlsMethod.fit(null, { signature: loadSignature('synth') })).deconvolve(loadBulk('synth'), { options: { threads: 1 } });
  const fast = await run();
  const slow = await withJavaScriptKernels(() => run());
  assert.deepEqual(fast.diagnostics.extra?.dampening, slow.diagnostics.extra?.dampening);
  for (let k = 0; k < fast.proportions.data.length; k++) {
    assert.ok(Math.abs(fast.proportions.data[k]! - slow.proportions.data[k]!) < 1e-12, `entry ${k}`);
  }
});
