/**
 * Regression pin for the move of the deep models into src/models (issue 11): MixupVI, scVI, Scaden,
 * TAPE and SimpleDNN trained on a tiny fixed reference with a fixed seed must give the proportions
 * recorded in test/fixtures/models/pinned-proportions.json, which were written by this test BEFORE
 * the refactoring (`PIN_UPDATE=1 node --import tsx --test test/models/pinned-proportions.test.ts`).
 * Runs on the wasm backend (the default); a few epochs only, so it takes seconds.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import '../../src/methods/deep/mixupvi/index.js';
import '../../src/methods/deep/scaden/index.js';
import '../../src/methods/deep/scvi/index.js';
import '../../src/methods/deep/simplednn/index.js';
import '../../src/methods/deep/tape/index.js';
import { getMethod } from '../../src/methods/registry.js';
import { initBackend } from '../../src/nn/backend.js';
import { simulatePseudobulks } from '../../src/simulate/dirichlet-pseudobulk.js';
import { syntheticCells } from '../benchmark/synthetic.js';
import { pseudobulksOf, syntheticCounts } from '../methods/deep/mixupvi/synthetic.js';

const FIXTURE = new URL('../fixtures/models/pinned-proportions.json', import.meta.url);
const TOL = 1e-6;

const vaeTiny = {
  nHvg: 0,
  latent: 5,
  hidden: 16,
  batchSize: 64,
  nPseudobulks: 8,
  nCellsPerPseudobulk: 16,
  epochs: 3,
  nEpochsKlWarmup: 2,
  validationBatches: 1,
  workers: 1,
  backend: 'wasm',
};

/** Each method's tiny fit: [method, reference, fit options, bulk]. */
async function runAll(): Promise<Record<string, number[]>> {
  await initBackend('wasm');
  const counts = syntheticCounts({ nCells: 180, nGenes: 24, nTypes: 3 });
  const { bulk: vaeBulk } = pseudobulksOf(counts, 4, 50, 7);
  const { ds } = syntheticCells([40, 30, 20], 30, 6);
  const cellsBulk = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 4, seed: 5 }).bulk;
  const cases: [string, typeof counts, Record<string, unknown>, typeof vaeBulk][] = [
    ['mixupvi', counts, { ...vaeTiny, shards: 1 }, vaeBulk],
    ['mixupvi-sharded', counts, { ...vaeTiny, shards: 2 }, vaeBulk],
    ['scvi', counts, { ...vaeTiny, shards: 1 }, vaeBulk],
    ['scaden', ds, { nSamples: 100, nCells: 30, steps: 6, batchSize: 16, parallel: 'sequential' }, cellsBulk],
    [
      'tape',
      ds,
      {
        nSamples: 100,
        nCells: 30,
        epochs: 2,
        batchSize: 32,
        arch: { hidden: [16, 12, 8, 6], dropout: 0.5 },
        adaptiveSteps: 2,
        adaptiveIters: 1,
      },
      cellsBulk,
    ],
    ['simplednn', ds, { nSamples: 100, nCells: 30, search: 'none', hidden: [16], dropout: [0.1], epochs: 3, patience: 2 }, cellsBulk],
  ];
  const out: Record<string, number[]> = {};
  for (const [name, ref, options, bulk] of cases) {
    const method = getMethod(name.replace('-sharded', ''));
    const fitted = await method.fit(ref, { labelsKey: 'cell_type', seed: 11, options });
    const r = await fitted.deconvolve(bulk);
    out[name] = Array.from(r.proportions.data);
    (fitted as { dispose?: () => void }).dispose?.();
  }
  return out;
}

test('MixupVI, scVI, Scaden, TAPE, SimpleDNN: same seed -> the pinned proportions', async () => {
  const got = await runAll();
  if (process.env.PIN_UPDATE === '1' || !existsSync(FIXTURE)) {
    if (process.env.PIN_UPDATE !== '1') assert.fail('pinned fixture missing; run with PIN_UPDATE=1 once (before refactoring)');
    writeFileSync(FIXTURE, `${JSON.stringify(got, null, 1)}\n`);
    return;
  }
  const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, number[]>;
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    const g = got[k] as number[];
    assert.equal(g.length, w.length, k);
    for (let i = 0; i < w.length; i++)
      assert.ok(Math.abs((g[i] as number) - (w[i] as number)) <= TOL, `${k}[${i}]: ${g[i]} vs pinned ${w[i]}`);
  }
});
