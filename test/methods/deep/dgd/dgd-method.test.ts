import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import '../../../../src/methods/all-methods.js';
import type { DgdFitted } from '../../../../src/methods/deep/dgd/method.js';
import { getMethod } from '../../../../src/methods/registry.js';
import { initBackend } from '../../../../src/nn/backend.js';
import { twoClusterNb } from '../../../models/dgd/toy.js';

const dir = mkdtempSync(join(tmpdir(), 'dgd-method-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Bulks = sums of the counts of cells drawn with proportions p (held-out cells of the toy). */
function bulks(ds: Dataset, truth: Int32Array, props: number[][], nCells = 60): { bulk: Dataset; typeMeans: Float64Array[] } {
  const G = ds.nVars;
  const X = ds.X as DenseMatrix;
  const byType = [0, 1].map((c) => Array.from(truth.keys()).filter((i) => truth[i] === c));
  const out = new Float64Array(props.length * G);
  const typeMeans: Float64Array[] = [];
  props.forEach((p, s) => {
    const tm = new Float64Array(2 * G);
    p.forEach((frac, c) => {
      const k = Math.round(frac * nCells);
      const cells = byType[c]!.slice(s, s + k);
      for (const i of cells)
        for (let g = 0; g < G; g++) {
          out[s * G + g]! += X.data[i * G + g]!;
          tm[c * G + g]! += X.data[i * G + g]! / Math.max(1, k);
        }
    });
    typeMeans.push(tm);
  });
  return {
    bulk: new Dataset({ X: new DenseMatrix(props.length, G, out), varNames: [...ds.varNames], obsNames: props.map((_, s) => `bulk${s}`) }),
    typeMeans,
  };
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

test('dgd method: proportions and per-type profiles of toy bulks; save/load gives the same result', async () => {
  await initBackend('wasm');
  const toy = twoClusterNb(200, 300, 5);
  const spec = getMethod('dgd');
  const fitted = (await spec.fit(toy.ds, {
    labelsKey: 'cell_type',
    seed: 1,
    options: { epochs: 40, batchSize: 32, deconvIterations: 150 },
  })) as DgdFitted;
  assert.deepEqual(fitted.cellTypes, ['A', 'B']);
  const props = [
    [0.2, 0.8],
    [0.5, 0.5],
    [0.9, 0.1],
  ];
  const { bulk, typeMeans } = bulks(toy.ds, toy.truth, props);
  const res = await fitted.deconvolve(bulk);
  for (let s = 0; s < props.length; s++) {
    const p = res.proportions.data[s * 2]!;
    assert.ok(Math.abs(p - props[s]![0]!) < 0.1, `sample ${s}: ${p} vs ${props[s]![0]}`);
    assert.ok(Math.abs(res.proportions.data[s * 2]! + res.proportions.data[s * 2 + 1]! - 1) < 1e-6);
  }
  // Profiles correlate with the true per-type mean expression of the cells in each bulk.
  const ep = res.diagnostics.extra?.expressionProfiles as { shape: number[]; values: Float32Array };
  const G = toy.ds.nVars;
  assert.deepEqual(ep.shape, [3, 2, G]);
  for (let s = 0; s < 3; s++) {
    for (let c = 0; c < 2; c++) {
      if (props[s]![c]! < 0.15) continue;
      const r = pearson(ep.values.subarray((s * 2 + c) * G, (s * 2 + c + 1) * G), typeMeans[s]!.subarray(c * G, (c + 1) * G));
      assert.ok(r > 0.8, `profile s${s} c${c}: r ${r}`);
    }
  }
  await fitted.save(join(dir, 'm'));
  const loaded = await spec.load!(join(dir, 'm'));
  const res2 = await loaded.deconvolve(bulk);
  assert.deepEqual(res2.proportions.data, res.proportions.data);
  fitted.dispose();
  (loaded as DgdFitted).dispose();
});

test('dgd method: typed errors for missing labels, unknown label column, K < 1, non-count data, too few genes', async () => {
  await initBackend('wasm');
  const toy = twoClusterNb(40, 20, 2);
  const spec = getMethod('dgd');
  await assert.rejects(spec.fit(toy.ds, {}), { code: 'E_NO_LABELS' });
  await assert.rejects(
    spec.fit(toy.ds, { labelsKey: 'celltype' }),
    (e: Error & { code?: string }) => e.code === 'E_NO_COLUMN' && /cell_type/.test(e.message),
  );
  await assert.rejects(spec.fit(toy.ds, { labelsKey: 'cell_type', options: { components: -1, supervised: false } }), {
    code: 'E_COMPONENTS',
  });
  const X = toy.ds.X as DenseMatrix;
  const logged = new Dataset({
    X: new DenseMatrix(
      X.rows,
      X.cols,
      X.data.map((v) => Math.log1p(v)),
    ),
    obs: toy.ds.obs,
    varNames: [...toy.ds.varNames],
  });
  await assert.rejects(
    spec.fit(logged, { labelsKey: 'cell_type' }),
    (e: Error & { code?: string }) => e.code === 'E_NOT_COUNTS' && /raw/.test(e.message),
  );
  const fitted = await spec.fit(toy.ds, { labelsKey: 'cell_type', options: { epochs: 1, deconvIterations: 1 } });
  const few = new Dataset({ X: new DenseMatrix(1, 3, Float64Array.from([1, 2, 3])), varNames: ['g0', 'g1', 'x'] });
  await assert.rejects(fitted.deconvolve(few), { code: 'E_GENE_OVERLAP' });
  (fitted as DgdFitted).dispose();
});
