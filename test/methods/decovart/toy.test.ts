import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runToyExperiment, TOY_OVERLAPS } from '../../../src/methods/decovart/toy.js';

test('toy simulation: DeCovarT MSE below NNLS at high overlap with opposite correlations (seed §3.1)', () => {
  const cells = runToyExperiment({ nSamples: 300, overlaps: [TOY_OVERLAPS[0]!], correlations: [-0.8, 0.8], proportions: [[0.5, 0.5]] });
  const c = cells.find((x) => x.r1 === -0.8 && x.r2 === 0.8)!;
  assert.ok(c.mseDecovart < c.mseNnls, `DeCovarT ${c.mseDecovart} vs NNLS ${c.mseNnls}`);
  assert.ok(c.converged >= 295);
  for (const x of cells) assert.ok(Number.isFinite(x.mseDecovart) && Number.isFinite(x.mseNnls));
});

test('toy simulation is seeded: same seed same numbers, cells independent of the grid', () => {
  const a = runToyExperiment({ nSamples: 20, correlations: [0, 0.4], proportions: [[0.95, 0.05]] });
  const b = runToyExperiment({ nSamples: 20, correlations: [0, 0.4], proportions: [[0.95, 0.05]] });
  assert.deepEqual(a, b);
  const c = runToyExperiment({ nSamples: 20, correlations: [0.4], proportions: [[0.95, 0.05]] });
  const same = a.find((x) => x.overlap === c[0]!.overlap && x.r1 === 0.4 && x.r2 === 0.4)!;
  assert.deepEqual(same, c[0]);
  const d = runToyExperiment({ nSamples: 20, correlations: [0, 0.4], proportions: [[0.95, 0.05]], seed: 3 });
  assert.notDeepEqual(a, d);
});
