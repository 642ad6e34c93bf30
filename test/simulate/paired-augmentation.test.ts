import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { augmentPaired, compositionsFromLabels, type PairedSet, splitPatients } from '../../src/simulate/paired-augmentation.js';

function tinyPaired(): PairedSet {
  const cellLabels = [Int32Array.from([0, 0, 1, 2, 2, 2, 1, 0, 0, 0]), Int32Array.from([1, 1, 1, 2]), Int32Array.from([0, 2, 2, 2, 2, 2])];
  return {
    bulk: DenseMatrix.fromRows([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]),
    sampleNames: ['p0', 'p1', 'p2'],
    genes: ['a', 'b', 'c'],
    cellTypes: ['A', 'B', 'C'],
    cellLabels,
    proportions: compositionsFromLabels(cellLabels, 3),
  };
}

test('augmentation: nAug * P pairs, bulk repeated, targets sum to 1 and come from subsets', () => {
  const set = tinyPaired();
  const aug = augmentPaired(set, { nAug: 7, augRatio: 0.5, rng: new Rng(0) });
  assert.equal(aug.X.rows, 21);
  assert.deepEqual(Array.from(aug.patient), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
  for (let r = 0; r < 21; r++) {
    const p = aug.patient[r] as number;
    assert.deepEqual(Array.from(aug.X.row(r)), Array.from(set.bulk.row(p)));
    const f = aug.fractions.row(r);
    assert.ok(Math.abs(f.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    // floor(0.5 * N_p) cells: every fraction is a multiple of 1/k and never exceeds the patient's count of that type.
    const nCells = (set.cellLabels as Int32Array[])[p]?.length ?? 0;
    const k = Math.floor(0.5 * nCells);
    for (let c = 0; c < 3; c++) {
      const cnt = (f[c] as number) * k;
      assert.ok(Math.abs(cnt - Math.round(cnt)) < 1e-9);
      assert.ok(Math.round(cnt) <= set.proportions.get(p, c) * nCells + 1e-9);
    }
  }
  // Label noise: patient 0's copies are not all identical.
  const rows0 = new Set(Array.from({ length: 7 }, (_, r) => Array.from(aug.fractions.row(r)).join(',')));
  assert.ok(rows0.size > 1);
});

test('augmentation: augRatio = 1 gives the full composition; seeded; patients subset', () => {
  const set = tinyPaired();
  const aug = augmentPaired(set, { nAug: 3, augRatio: 1, rng: new Rng(1) });
  for (let r = 0; r < 9; r++) {
    const p = aug.patient[r] as number;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(aug.fractions.get(r, c) - set.proportions.get(p, c)) < 1e-12);
  }
  assert.deepEqual(set.proportions.row(1), Float64Array.from([0, 0.75, 0.25]));
  const a = augmentPaired(set, { nAug: 4, augRatio: 0.6, rng: new Rng(9), patients: [2, 0] });
  const b = augmentPaired(set, { nAug: 4, augRatio: 0.6, rng: new Rng(9), patients: [2, 0] });
  assert.deepEqual(a.fractions.data, b.fractions.data);
  assert.deepEqual(Array.from(a.patient), [2, 2, 2, 2, 0, 0, 0, 0]);
});

test('augmentation: required parameters and typed errors', () => {
  const set = tinyPaired();
  assert.throws(() => augmentPaired(set, { nAug: 0, augRatio: 0.5, rng: new Rng(0) }), { code: 'E_OPTION', field: 'nAug' });
  assert.throws(() => augmentPaired(set, { nAug: 2, augRatio: 0, rng: new Rng(0) }), { code: 'E_OPTION', field: 'augRatio' });
  assert.throws(() => augmentPaired(set, { nAug: 2, augRatio: 0.1, rng: new Rng(0) }), { code: 'E_AUG_TOO_FEW_CELLS' });
  const noLabels = { ...set, cellLabels: undefined };
  assert.throws(() => augmentPaired(noLabels, { nAug: 2, augRatio: 1, rng: new Rng(0) }), { code: 'E_NO_CELL_LABELS' });
  const one = augmentPaired(noLabels, { nAug: 1, augRatio: 1, rng: new Rng(0) });
  assert.deepEqual(one.fractions.data, set.proportions.data);
});

test('splitPatients: disjoint, covering, by patient', () => {
  const s = splitPatients(30, { validation: 0.2, test: 0.1 }, new Rng(4));
  assert.equal(s.validation.length, 6);
  assert.equal(s.test.length, 3);
  assert.equal(s.train.length, 21);
  const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 30 }, (_, i) => i),
  );
  const tiny = splitPatients(2, { validation: 0.5, test: 0.5 }, new Rng(4));
  assert.ok(tiny.train.length >= 1);
});
