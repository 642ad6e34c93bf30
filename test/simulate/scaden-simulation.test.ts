import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateScadenPseudobulks } from '../../src/simulate/scaden-simulation.js';
import { syntheticCells } from '../benchmark/synthetic.js';
import { oneHotReference } from '../methods/deep/scaden/helpers.js';

test('scaden: half normal then half sparse, continuous labels, truncated counts summed', () => {
  const ref = oneHotReference([5, 3, 8, 2], true);
  const sim = simulateScadenPseudobulks(ref, { labelsKey: 'cell_type', nSamples: 401, nCells: 100, seed: 3 });
  assert.equal(sim.X.rows, 400); // num_samples // 2 of each kind
  assert.deepEqual(sim.cellTypes, ['type0', 'type1', 'type2', 'type3']); // empty category dropped
  const C = 4;
  for (let s = 0; s < 400; s++) {
    let sum = 0;
    let nonzero = 0;
    for (let c = 0; c < C; c++) {
      const f = sim.fractions.get(s, c);
      sum += f;
      if (f > 0) nonzero++;
      // Expression of gene c = number of type-c cells = int(f * 100), not a rounded or recomputed value.
      assert.equal(sim.X.get(s, c), Math.trunc(f * 100));
    }
    assert.ok(Math.abs(sum - 1) < 1e-12);
    if (s < 200) assert.equal(nonzero, C);
    else assert.ok(nonzero >= 1 && nonzero <= C - 1, `sparse sample ${s} keeps ${nonzero} types`);
  }
  // Labels are continuous: they differ from the recomputed integer fractions.
  let differs = 0;
  for (let s = 0; s < 400; s++) {
    const tot = sim.X.row(s).reduce((a, b) => a + b, 0);
    if (sim.fractions.row(s).some((f, c) => Math.abs(sim.X.get(s, c) / tot - f) > 1e-9)) differs++;
  }
  assert.ok(differs > 300, `${differs} of 400 samples have labels different from their integer counts`);
  // Sparse half: the number of kept types is UniformInt[1, C-1]; every value occurs.
  const kept = new Set<number>();
  for (let s = 200; s < 400; s++) kept.add(sim.fractions.row(s).filter((f) => f > 0).length);
  assert.deepEqual([...kept].sort(), [1, 2, 3]);
});

test('scaden: fractions are uniform-normalised (mean 1/C) and draws are seeded', () => {
  const { ds } = syntheticCells([30, 20, 10], 24, 2);
  const a = simulateScadenPseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2000, nCells: 50, seed: 7 });
  const b = simulateScadenPseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2000, nCells: 50, seed: 7 });
  const c = simulateScadenPseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2000, nCells: 50, seed: 8 });
  assert.deepEqual(a.X.data, b.X.data);
  assert.deepEqual(a.fractions.data, b.fractions.data);
  assert.notDeepEqual(a.X.data, c.X.data);
  for (let t = 0; t < 3; t++) {
    let m = 0;
    for (let s = 0; s < 1000; s++) m += a.fractions.get(s, t);
    assert.ok(Math.abs(m / 1000 - 1 / 3) < 0.02, `mean fraction of type ${t}: ${m / 1000}`);
  }
  // Summed counts: each sample's library is about nCells (minus truncation) mean cell libraries.
  assert.equal(a.genes.length, 24);
});

test('scaden: typed errors for one cell type and bad sizes', () => {
  const ref = oneHotReference([5]);
  assert.throws(() => simulateScadenPseudobulks(ref, { labelsKey: 'cell_type', seed: 0 }), { code: 'E_LABELS' });
  const ref2 = oneHotReference([5, 5]);
  assert.throws(() => simulateScadenPseudobulks(ref2, { labelsKey: 'cell_type', nCells: 0 }), { code: 'E_OPTION' });
});
