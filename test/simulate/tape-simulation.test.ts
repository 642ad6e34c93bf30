import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateTapePseudobulks } from '../../src/simulate/tape-simulation.js';
import { oneHotReference } from '../methods/deep/scaden/helpers.js';

test('tape: Dir(1) with sparse half, floor counts, recomputed labels, summed with replacement', () => {
  const ref = oneHotReference([4, 2, 6, 3, 5]);
  const n = 500;
  const sim = simulateTapePseudobulks(ref, { labelsKey: 'cell_type', nSamples: 300, seed: 1 });
  assert.equal(sim.X.rows, 300);
  const C = 5;
  for (let s = 0; s < 300; s++) {
    let tot = 0;
    for (let c = 0; c < C; c++) tot += sim.X.get(s, c);
    // floor(n * P) loses less than one cell per type.
    assert.ok(tot <= n && tot > n - C, `sample ${s} has ${tot} cells`);
    for (let c = 0; c < C; c++) assert.ok(Math.abs(sim.fractions.get(s, c) - sim.X.get(s, c) / tot) < 1e-12);
    const zeros = sim.fractions.row(s).filter((f) => f === 0).length;
    // First int(0.5 * 300) samples: int(0.5 * C) = 2 types forced to 0.
    if (s < 150) assert.ok(zeros >= 2, `sample ${s} has ${zeros} zero types`);
  }
  // Cells are drawn WITH replacement: type 1 has 2 cells but samples hold far more.
  let maxType1 = 0;
  for (let s = 0; s < 300; s++) maxType1 = Math.max(maxType1, sim.X.get(s, 1));
  assert.ok(maxType1 > 100);
  // Non-sparse half is Dir(1): mean fraction 1/C.
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let s = 150; s < 300; s++) m += sim.fractions.get(s, c);
    assert.ok(Math.abs(m / 150 - 0.2) < 0.05, `type ${c}: ${m / 150}`);
  }
});

test('tape: defaults (5000 x 500 cells) and sparse off; seeded', () => {
  const ref = oneHotReference([3, 3, 3, 3]);
  const a = simulateTapePseudobulks(ref, { labelsKey: 'cell_type', seed: 5 });
  assert.equal(a.X.rows, 5000);
  const b = simulateTapePseudobulks(ref, { labelsKey: 'cell_type', seed: 5 });
  assert.deepEqual(a.X.data, b.X.data);
  const dense = simulateTapePseudobulks(ref, { labelsKey: 'cell_type', nSamples: 200, nCells: 10000, sparse: false, seed: 5 });
  let zeros = 0;
  for (const f of dense.fractions.data) if (f === 0) zeros++;
  assert.ok(zeros < 5, `no forced zeros when sparse = false (${zeros})`);
});
