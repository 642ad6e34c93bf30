/**
 * One training step of every model, profiled: every kernel it runs must have a gradient registered
 * (by src/nn/gradients.ts, since tfjs-core's Node bundle ships none) unless it is one of the kernels
 * that never needs one (random draws, comparisons, integer bookkeeping). Without this, a new op in a
 * loss would only fail ("gradient function not found") the first time someone trains that model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/core/rng.js';
import '../../src/methods/deep/mixupvi/index.js';
import '../../src/methods/deep/scaden/index.js';
import '../../src/methods/deep/scvi/index.js';
import '../../src/methods/deep/simplednn/index.js';
import '../../src/methods/deep/tape/index.js';
import { getMethod } from '../../src/methods/registry.js';
import { MrviModel } from '../../src/models/mrvi/model.js';
import { ownedVariable } from '../../src/nn/adam.js';
import { initBackend } from '../../src/nn/backend.js';
import { ConditionalBatchNorm } from '../../src/nn/modules/conditional-batch-norm.js';
import { EmbeddingTable } from '../../src/nn/modules/embedding-table.js';
import { GaussianMixturePrior } from '../../src/nn/modules/priors.js';
import { train } from '../../src/nn/training.js';
import { syntheticCells } from '../benchmark/synthetic.js';
import { syntheticCounts } from '../methods/deep/mixupvi/synthetic.js';

/** Kernels whose outputs never carry a gradient (data, randomness, masks, integer ops). */
const NO_GRADIENT_NEEDED = new Set([
  'RandomUniform',
  'RandomStandardNormal',
  'RandomNormal',
  'OneHot',
  'Fill',
  'Range',
  'ArgMax',
  'ArgMin',
  'IsNan',
  'IsFinite',
  'IsInf',
  'LogicalNot',
  'Assign',
]);

async function kernelsOf(f: () => Promise<void>): Promise<string[]> {
  const info = await tf.profile(async () => {
    await f();
    return [] as tf.Tensor[];
  });
  return [...new Set(info.kernelNames)].sort();
}

/**
 * Kernels without a gradient. Names that are not kernels of the backend are `tf.customGrad` scopes
 * ('forward', 'logSoftmax__op', ...), which bring their own gradient.
 */
function missingGradients(kernels: string[], backend = tf.getBackend()): string[] {
  return kernels.filter((k) => tf.getKernel(k, backend) !== undefined && !NO_GRADIENT_NEEDED.has(k) && tf.getGradient(k) === undefined);
}

const vaeTiny = {
  nHvg: 0,
  latent: 4,
  hidden: 8,
  batchSize: 64,
  nPseudobulks: 4,
  nCellsPerPseudobulk: 8,
  epochs: 1,
  validationBatches: 1,
  workers: 1,
  shards: 1,
};

test('every model: one training step uses only kernels with a registered gradient', async () => {
  await initBackend('wasm');
  const counts = syntheticCounts({ nCells: 90, nGenes: 12, nTypes: 3 });
  const { ds } = syntheticCells([30, 20, 20], 16, 3);
  const fits: [string, () => Promise<void>][] = [
    ['mixupvi (l2)', () => fitOnce('mixupvi', counts, vaeTiny)],
    [
      'mixupvi (kl, nb, pseudobulk recon)',
      () => fitOnce('mixupvi', counts, { ...vaeTiny, mixupPenalty: 'kl', likelihood: 'nb', pseudobulkReconWeight: 1 }),
    ],
    ['scvi', () => fitOnce('scvi', counts, vaeTiny)],
    [
      'scaden',
      () => fitOnce('scaden', ds, { nSamples: 40, nCells: 20, steps: 1, batchSize: 16, parallel: 'sequential', members: ['m256'] }),
    ],
    [
      'tape',
      () =>
        fitOnce('tape', ds, {
          nSamples: 40,
          nCells: 20,
          epochs: 1,
          batchSize: 32,
          arch: { hidden: [8, 6, 5, 4], dropout: 0.5 },
          adaptiveSteps: 1,
          adaptiveIters: 1,
        }),
    ],
    [
      'simplednn',
      () => fitOnce('simplednn', ds, { nSamples: 40, nCells: 20, search: 'none', hidden: [8], dropout: [0.1], epochs: 1, patience: 1 }),
    ],
    [
      'mrvi (3 sites: per-site C_b path)',
      async () => {
        const m = await MrviModel.train(
          counts,
          { sampleKey: 'cell_type', batchKey: 'cell_type' },
          { epochs: 1, nHvg: 0, hidden: 8, batchSize: 64 },
        );
        m.dispose();
      },
    ],
    ['nn/modules (embedding table, mixture prior, conditional batch norm)', modulesStep],
  ];
  const problems: string[] = [];
  for (const [name, f] of fits) {
    const kernels = await kernelsOf(f);
    assert.ok(kernels.length > 5, `${name}: profiled ${kernels.length} kernels`);
    const missing = missingGradients(kernels);
    if (missing.length) problems.push(`${name}: no gradient for ${missing.join(', ')}`);
  }
  assert.deepEqual(problems, []);
});

test('the check fails on a kernel without a gradient', async () => {
  await initBackend('wasm');
  // Erf is a wasm kernel that no model uses, so nn/gradients.ts registers no gradient for it.
  assert.deepEqual(missingGradients(['Add', 'Erf', 'RandomUniform', 'forward'], 'wasm'), ['Erf']);
});

async function fitOnce(
  method: string,
  ref: Parameters<ReturnType<typeof getMethod>['fit']>[0],
  options: Record<string, unknown>,
): Promise<void> {
  const f = await getMethod(method).fit(ref, { labelsKey: 'cell_type', seed: 1, options });
  (f as { dispose?: () => void }).dispose?.();
}

/** One step through the blocks DGD and MrVI are built from. */
async function modulesStep(): Promise<void> {
  const rng = new Rng(2);
  const table = EmbeddingTable.normal('rep', 10, 3, rng.fork('t'));
  const gmm = new GaussianMixturePrior({ name: 'gmm', components: 2, dim: 3 }, rng.fork('g'));
  const cbn = new ConditionalBatchNorm({ name: 'cbn', features: 3, categories: 2 });
  const W = ownedVariable(tf.randomNormal([3, 4], 0, 1, 'float32', 3), true, `W-grad-test-${Math.random()}`);
  const x = tf.randomUniform([5, 4], 0, 1, 'float32', 4);
  const cats = tf.tensor1d([0, 1, 0, 1, 1], 'int32');
  await train<{ rows: Int32Array }>({
    epochs: 1,
    groups: [
      { name: 'dense', variables: [W, gmm.means, gmm.logVar, gmm.logits, cbn.gamma, cbn.beta] },
      { name: 'rep', table, rows: (b) => b.rows },
    ],
    trainBatches: () => [{ rows: Int32Array.of(0, 3, 5, 7, 9) }],
    loss: (_b, ctx) => {
      const z = ctx.rows?.rep as tf.Tensor2D;
      const h = cbn.apply(z, cats, true);
      const rec = tf.mean(tf.square(tf.sub(tf.matMul(h, W), x)));
      return { loss: tf.sub(rec, tf.mean(gmm.logProb(z))) as tf.Scalar, terms: {} };
    },
  });
  tf.dispose([W, x, cats]);
  gmm.dispose();
  cbn.dispose();
}
