import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { AbortError, InputError } from '../../../../src/core/errors.js';
import type { ProgressEvent } from '../../../../src/core/progress.js';
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { CsrMatrix } from '../../../../src/data/sparse.js';
import type { MixupVIOptions } from '../../../../src/methods/deep/mixupvi/config.js';
import '../../../../src/methods/deep/mixupvi/index.js';
import { fitMixupVI, loadMixupVI } from '../../../../src/methods/deep/mixupvi/model.js';
import '../../../../src/methods/deep/scvi/index.js';
import { getMethod } from '../../../../src/methods/registry.js';
import { backendsUnderTest, useBackend } from '../../../nn/helpers.js';
import { pseudobulksOf, syntheticCounts } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'celldeconv-mixupvi-'));
after(() => rmSync(root, { recursive: true, force: true }));

const tiny: Partial<MixupVIOptions> = {
  nHvg: 0,
  latent: 5,
  hidden: 16,
  batchSize: 64,
  nPseudobulks: 8,
  nCellsPerPseudobulk: 16,
  epochs: 2,
  nEpochsKlWarmup: 0,
  intervalSamples: 8,
  validationBatches: 1,
  workers: 1,
};
const ref = syntheticCounts({ nCells: 180, nGenes: 24, nTypes: 3 });
const { bulk } = pseudobulksOf(ref, 4, 50, 7);

for (const be of await backendsUnderTest()) {
  describe(`MixupVI model [${be}]`, () => {
    test('fit -> deconvolve -> save -> load -> same numbers; deterministic; no tensor leaks', async () => {
      const n0 = await useBackend(be);
      const events: ProgressEvent[] = [];
      const opts = { labelsKey: 'cell_type', seed: 3, options: { ...tiny, backend: be as MixupVIOptions['backend'] } };
      const a = await fitMixupVI('mixupvi', ref, { ...opts, onProgress: (e) => events.push(e) });
      const last = a.history.epochs.at(-1)!;
      assert.equal(a.history.epochs.length, 2);
      for (const k of ['reconstruction', 'kl', 'mixup', 'rho', 'loss']) assert.ok(Number.isFinite(last.train[k]!), `train ${k}`);
      for (const k of ['elbo', 'rho', 'd']) assert.ok(Number.isFinite(last.val?.[k] ?? Number.NaN), `val ${k}`);
      assert.ok(events.some((e) => e.stage === 'train' && e.metrics?.val_rho !== undefined));
      const r1 = await a.deconvolve(bulk, { options: { intervals: true } });
      assert.deepEqual(r1.cellTypes, ['type0', 'type1', 'type2']);
      for (let s = 0; s < 4; s++) {
        const row = r1.proportions.data.subarray(s * 3, s * 3 + 3);
        assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-9);
        for (let c = 0; c < 3; c++) {
          const i = s * 3 + c;
          assert.ok(r1.lower!.data[i]! <= r1.upper!.data[i]! + 1e-12);
        }
      }
      const dir = join(root, `m-${be}`);
      await a.save(dir);
      const b = await loadMixupVI(dir);
      const r2 = await b.deconvolve(bulk, { options: { intervals: true } });
      assert.deepEqual([...r2.proportions.data], [...r1.proportions.data]);
      assert.deepEqual([...r2.lower!.data], [...r1.lower!.data]);
      // Through the registry, as the CLI does.
      const c = await getMethod('mixupvi').load!(dir);
      assert.deepEqual([...(await c.deconvolve(bulk)).proportions.data], [...r1.proportions.data]);
      // Same seed, same backend -> same weights and same output.
      const a2 = await fitMixupVI('mixupvi', ref, opts);
      assert.deepEqual([...a2.vae.scaleDecoder.w.dataSync()], [...a.vae.scaleDecoder.w.dataSync()]);
      assert.deepEqual([...(await a2.deconvolve(bulk)).proportions.data], [...r1.proportions.data]);
      for (const m of [a, a2, b, c as typeof a]) m.dispose();
      assert.equal(tf.memory().numTensors, n0, 'tensors after fit + deconvolve + dispose');
    });
  });
}

test('data-parallel: 2 shards on 1 thread and on 2 threads (worker) give the same model; 1 shard differs', async () => {
  const n0 = await useBackend('cpu');
  const o = { labelsKey: 'cell_type', seed: 5, options: { ...tiny, backend: 'cpu' as const, shards: 2 } };
  const one = await fitMixupVI('mixupvi', ref, { ...o, options: { ...o.options, workers: 1 } });
  const two = await fitMixupVI('mixupvi', ref, { ...o, options: { ...o.options, workers: 2 } });
  assert.equal(two.state.training.threads, 2);
  assert.deepEqual([...two.vae.scaleDecoder.w.dataSync()], [...one.vae.scaleDecoder.w.dataSync()]);
  const unsharded = await fitMixupVI('mixupvi', ref, { ...o, options: { ...o.options, shards: 1 } });
  assert.notDeepEqual([...unsharded.vae.scaleDecoder.w.dataSync()], [...one.vae.scaleDecoder.w.dataSync()]);
  for (const m of [one, two, unsharded]) m.dispose();
  assert.equal(tf.memory().numTensors, n0);
});

describe('MixupVI bad input', () => {
  test('latent <= number of types, too few cells, negative counts, no labels, abort', async () => {
    await useBackend('cpu');
    const o = { labelsKey: 'cell_type', options: { ...tiny, backend: 'cpu' as const } };
    await assert.rejects(fitMixupVI('mixupvi', ref, { ...o, options: { ...o.options, latent: 3 } }), (e: unknown) => {
      return e instanceof InputError && e.code === 'E_LATENT_TOO_SMALL' && /section 4\.1/.test(e.message);
    });
    await assert.rejects(fitMixupVI('mixupvi', ref, { ...o, options: { ...o.options, minCellsPerType: 100 } }), (e: unknown) => {
      return e instanceof InputError && e.code === 'E_TOO_FEW_CELLS' && /type0/.test(e.message);
    });
    const neg = new Dataset({
      X: CsrMatrix.fromDense(
        DenseMatrix.fromRows([
          [1, -2],
          [3, 4],
        ]),
      ),
      obs: ref.obs.selectRows([0, 1]),
    });
    await assert.rejects(fitMixupVI('mixupvi', neg, o), (e: unknown) => e instanceof InputError && e.code === 'E_NEGATIVE_COUNTS');
    await assert.rejects(
      fitMixupVI('mixupvi', ref, { options: o.options }),
      (e: unknown) => e instanceof InputError && e.code === 'E_NO_LABELS',
    );
    await assert.rejects(getMethod('scvi').fit(null, o), (e: unknown) => e instanceof InputError && e.code === 'E_NO_REFERENCE');
    const ctrl = new AbortController();
    ctrl.abort();
    const n0 = tf.memory().numTensors;
    await assert.rejects(fitMixupVI('scvi', ref, { ...o, signal: ctrl.signal }), AbortError);
    assert.equal(tf.memory().numTensors, n0);
  });

  test('genes missing from a bulk: zero-filled and reported above the overlap threshold, error below', async () => {
    await useBackend('cpu');
    const m = await fitMixupVI('scvi', ref, { labelsKey: 'cell_type', options: { ...tiny, epochs: 1, backend: 'cpu' } });
    const keep = Array.from({ length: 20 }, (_, j) => j); // 20 of 24 genes
    const partial = bulk.selectVars(keep);
    const r = await m.deconvolve(partial);
    assert.equal(r.diagnostics.genesMissing, 4);
    assert.ok(r.diagnostics.warnings.some((w) => w.code === 'W_GENES_ZERO_FILLED'));
    await assert.rejects(m.deconvolve(bulk.selectVars([0, 1, 2])), (e: unknown) => e instanceof InputError && e.code === 'E_GENE_OVERLAP');
    // Summed counts instead of mean counts per cell: flagged.
    const summed = new Dataset({ X: DenseMatrix.fromRows([Array.from({ length: 24 }, () => 5000)]), varNames: [...bulk.varNames] });
    assert.ok((await m.deconvolve(summed)).diagnostics.warnings.some((w) => w.code === 'W_BULK_SCALE'));
    m.dispose();
  });

  test('non-integer reference counts give a warning, not an error', async () => {
    await useBackend('cpu');
    const X = ref.X as CsrMatrix;
    const scaled = new Dataset({ X: X.mapValues((v) => v * 1.5), obs: ref.obs, varNames: ref.varNames });
    const m = await fitMixupVI('scvi', scaled, { labelsKey: 'cell_type', options: { ...tiny, epochs: 1, backend: 'cpu' } });
    assert.ok(m.state.warnings.some((w) => w.code === 'W_NON_INTEGER_COUNTS'));
    m.dispose();
  });
});
