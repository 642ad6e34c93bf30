import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import '../../src/methods/all-methods.js';
import { getMethod } from '../../src/methods/registry.js';
import { Signature } from '../../src/signature/signature.js';

/**
 * A signature of `C` types over `G` genes (each type with its own block of markers) and `N` bulks
 * y = S p + noise, the noise proportional to each gene's mean (as counts are): the setting in which
 * a bootstrap over genes should cover the true proportions about as often as it says.
 */
function problem(seed: number, N = 60, G = 300, C = 5, noise = 0.15) {
  const rng = new Rng(seed);
  const S = new Float64Array(C * G);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) S[c * G + g] = (g % C === c ? 8 : 1) * rng.gamma(2);
  const truth = new Float64Array(N * C);
  const Y = new Float64Array(N * G);
  for (let i = 0; i < N; i++) {
    const p = rng.dirichlet(new Float64Array(C).fill(1));
    truth.set(p, i * C);
    for (let g = 0; g < G; g++) {
      let m = 0;
      for (let c = 0; c < C; c++) m += S[c * G + g]! * p[c]!;
      Y[i * G + g] = Math.max(0, m * (1 + noise * rng.normal()));
    }
  }
  const types = Array.from({ length: C }, (_, c) => `T${c}`);
  const genes = Array.from({ length: G }, (_, g) => `g${g}`);
  const signature = new Signature(types, genes, new DenseMatrix(C, G, S));
  const bulk = new Dataset({ X: new DenseMatrix(N, G, Y), obsNames: Array.from({ length: N }, (_, i) => `s${i}`), varNames: genes });
  return { signature, bulk, truth: new DenseMatrix(N, C, truth) };
}

function coverage(truth: DenseMatrix, lower: DenseMatrix, upper: DenseMatrix): number {
  let inside = 0;
  for (let i = 0; i < truth.rows; i++)
    for (let k = 0; k < truth.cols; k++) if (truth.get(i, k) >= lower.get(i, k) && truth.get(i, k) <= upper.get(i, k)) inside++;
  return inside / (truth.rows * truth.cols);
}

test('--intervals (gene bootstrap): NNLS 90% intervals contain the estimate and cover the truth about 90% of the time', async () => {
  const { signature, bulk, truth } = problem(1);
  const fitted = await getMethod('nnls').fit(null, { signature, seed: 3, options: { threads: 1 } });
  const res = await fitted.deconvolve(bulk, { options: { intervals: true } });
  assert.ok(res.lower && res.upper);
  let widthSum = 0;
  for (let i = 0; i < truth.rows; i++) {
    for (let k = 0; k < truth.cols; k++) {
      const lo = res.lower.get(i, k);
      const hi = res.upper.get(i, k);
      assert.ok(lo <= hi && lo >= 0 && hi <= 1, `bounds ${lo} ${hi}`);
      widthSum += hi - lo;
    }
  }
  const cov = coverage(truth, res.lower, res.upper);
  // 60 samples x 5 types; measured 0.863, mean width 0.023 (seed 1). Nominal 0.9: a broken bootstrap gives ~0 (no spread) or ~1 (too wide).
  assert.ok(cov > 0.75 && cov < 0.99, `coverage ${cov}`);
  assert.ok(widthSum / (truth.rows * truth.cols) < 0.2, 'informative widths');
  assert.deepEqual((res.diagnostics.extra as { intervals: { samples: number; level: number } }).intervals.samples, 100);
  // Without the option: no bounds.
  const plain = await fitted.deconvolve(bulk);
  assert.equal(plain.lower, undefined);
  assert.deepEqual(plain.proportions.data, res.proportions.data, 'the estimate itself does not change');
});

test('gene bootstrap is deterministic by seed; B and the level are options; bad values are typed errors', async () => {
  const { signature, bulk } = problem(2, 6, 120, 4);
  const fitted = await getMethod('dwls').fit(null, { signature, options: { threads: 1 } });
  const a = await fitted.deconvolve(bulk, { seed: 5, options: { intervals: true, intervalSamples: 30 } });
  const b = await fitted.deconvolve(bulk, { seed: 5, options: { intervals: true, intervalSamples: 30 } });
  const c = await fitted.deconvolve(bulk, { seed: 6, options: { intervals: true, intervalSamples: 30 } });
  assert.deepEqual(a.lower?.data, b.lower?.data);
  assert.notDeepEqual(a.lower?.data, c.lower?.data);
  const narrow = await fitted.deconvolve(bulk, { seed: 5, options: { intervals: true, intervalSamples: 30, intervalLevel: 0.5 } });
  for (let j = 0; j < a.lower!.data.length; j++) {
    assert.ok(
      narrow.lower!.data[j]! >= a.lower!.data[j]! - 1e-12 && narrow.upper!.data[j]! <= a.upper!.data[j]! + 1e-12,
      'a 50% interval lies inside the 90% one',
    );
  }
  await assert.rejects(
    fitted.deconvolve(bulk, { options: { intervals: true, intervalSamples: 1 } }),
    (e: unknown) => e instanceof CelldeconvError && e.code === 'E_OPTION' && /intervalSamples/.test(e.message),
  );
  await assert.rejects(
    getMethod('nnls').fit(null, { signature, options: { intervalLevel: 1.5 } }),
    (e: unknown) => e instanceof CelldeconvError && e.code === 'E_OPTION',
  );
});

test("nusvr --permutations: a real mixture gets a low p-value, a sample the signature cannot explain a high one (CIBERSORT's doPerm)", async () => {
  const { signature, bulk } = problem(3, 3, 200, 5, 0.1);
  // Sample s2 replaced by values unrelated to the signature: random gamma noise.
  const rng = new Rng(9);
  const Y = (bulk.X as DenseMatrix<Float64Array>).data;
  for (let g = 0; g < 200; g++) Y[2 * 200 + g] = 3 * rng.gamma(2);
  const fitted = await getMethod('nusvr').fit(null, { signature, seed: 1, options: { threads: 1, permutations: 100 } });
  const res = await fitted.deconvolve(bulk);
  const extra = res.diagnostics.extra as { pvalue: number[]; r: number[] };
  assert.equal(extra.pvalue.length, 3);
  assert.ok(extra.pvalue[0]! <= 0.01 && extra.pvalue[1]! <= 0.01, `real mixtures: p ${extra.pvalue.slice(0, 2)}, r ${extra.r.slice(0, 2)}`);
  assert.ok(extra.pvalue[2]! >= 0.2, `unexplained sample: p ${extra.pvalue[2]}, r ${extra.r[2]}`);
  for (const p of extra.pvalue) assert.ok(p >= 0 && p <= 1);
  // same seed, same p-values; without permutations, no p-value
  const again = await fitted.deconvolve(bulk);
  assert.deepEqual((again.diagnostics.extra as { pvalue: number[] }).pvalue, extra.pvalue);
  const none = await (await getMethod('nusvr').fit(null, { signature, options: { threads: 1 } })).deconvolve(bulk);
  assert.equal((none.diagnostics.extra as { pvalue?: number[] }).pvalue, undefined);
  await assert.rejects(
    getMethod('nusvr').fit(null, { signature, options: { permutations: -1 } }),
    (e: unknown) => e instanceof CelldeconvError && e.code === 'E_OPTION',
  );
});
