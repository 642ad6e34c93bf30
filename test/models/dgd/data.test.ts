import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset } from '../../../src/data/dataset.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { learningRatesAt, resolveDgdOptions } from '../../../src/models/dgd/config.js';
import { prepareTrainingData, scalingFactor } from '../../../src/models/dgd/data.js';
import { RepresentationTable } from '../../../src/models/dgd/representations.js';
import { twoClusterNb } from './toy.js';

test('options: published defaults, schedule lookup, typed errors', () => {
  const o = resolveDgdOptions({});
  assert.equal(o.latent, 20);
  assert.deepEqual(o.betas, [0.5, 0.7]);
  assert.equal(o.weightDecay, 1e-4);
  assert.deepEqual(learningRatesAt(o, 299), { rates: [1e-3, 1e-2, 1e-2], changes: false });
  assert.deepEqual(learningRatesAt(o, 300), { rates: [1e-4, 1e-2, 1e-2], changes: true });
  assert.throws(() => resolveDgdOptions({ components: -1 }), { code: 'E_COMPONENTS' });
  assert.throws(
    () => resolveDgdOptions({ componentz: 3 }),
    (e: Error & { code?: string }) => e.code === 'E_OPTION' && /componentz/.test(e.message),
  );
  assert.throws(() => resolveDgdOptions({ rInit: 1 }), { code: 'E_OPTION' });
  assert.throws(() => resolveDgdOptions({ lrScheduleEpochs: [5], lrSchedule: [[1, 1, 1]] }), { code: 'E_OPTION' });
  assert.equal(resolveDgdOptions({ epochs: '7', supervised: 'true' }).epochs, 7);
});

test('data: scaling factors, zero cells and genes dropped, HVG restriction, non-count data rejected', () => {
  assert.equal(scalingFactor([1, 5, 2], 'sum'), 8);
  assert.equal(scalingFactor([1, 5, 2], 'max'), 5);
  assert.ok(Math.abs(scalingFactor([1, 5, 3], 'mean') - 3) < 1e-12);
  const ds = new Dataset({ X: new DenseMatrix(3, 3, Float64Array.from([1, 0, 2, 0, 0, 0, 3, 0, 1])), varNames: ['a', 'b', 'c'] });
  const d = prepareTrainingData(ds, { dropZeroGenes: true, scaling: 'sum' });
  assert.deepEqual(d.genes, ['a', 'c']);
  assert.deepEqual(Array.from(d.cells), [0, 2]);
  assert.deepEqual(Array.from(d.scale), [3, 4]);
  assert.ok(Math.abs(d.lgammaX1[0]! - Math.log(2)) < 1e-12);
  const toy = twoClusterNb(40, 60, 1);
  assert.equal(prepareTrainingData(toy.ds, { dropZeroGenes: true, scaling: 'sum', nHvg: 25 }).genes.length, 25);
  const frac = new Dataset({ X: new DenseMatrix(2, 2, Float64Array.from([0.5, 1, 2, 3])) });
  assert.throws(() => prepareTrainingData(frac, { dropZeroGenes: true, scaling: 'sum' }), { code: 'E_NOT_COUNTS' });
  const neg = new Dataset({ X: new DenseMatrix(2, 2, Float64Array.from([-1, 1, 2, 3])) });
  assert.throws(() => prepareTrainingData(neg, { dropZeroGenes: true, scaling: 'sum' }), { code: 'E_NEGATIVE_COUNTS' });
});

test('representation table: accumulates batch gradients, one PyTorch-Adam step touches only rows with gradients', () => {
  const t = new RepresentationTable(4, 2, { lr: 0.1, beta1: 0.5, beta2: 0.7, weightDecay: 0, eps: 1e-8 });
  t.zeroGrad();
  t.accumulate([1, 3], [1, -2, 0.5, 0]);
  t.accumulate([1], [1, 0]);
  t.step();
  // First Adam step moves each coordinate with a non-zero gradient by lr·sign(g).
  assert.deepEqual(
    Array.from(t.values, (v) => Math.round(v * 1e6) / 1e6),
    [0, 0, -0.1, 0.1, 0, 0, -0.1, 0],
  );
  assert.equal(t.steps, 1);
});
