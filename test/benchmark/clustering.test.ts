import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adjustedRandIndex, hungarianAccuracy, linearAssignment } from '../../src/benchmark/clustering.js';

// Reference values from sklearn.metrics.adjusted_rand_score and scipy linear_sum_assignment on the
// confusion matrix (numpy default_rng(1); the generating snippet is in test/fixtures/dgd/README.md).
const a = [
  1, 2, 3, 3, 0, 0, 3, 3, 0, 1, 3, 1, 1, 3, 1, 1, 2, 2, 0, 0, 3, 3, 3, 2, 3, 1, 1, 3, 0, 1, 0, 1, 3, 0, 1, 1, 3, 0, 2, 1, 0, 3, 0, 1, 1, 1,
  0, 3, 2, 3, 0, 2, 1, 2, 3, 1, 2, 0, 1, 3,
];
const b = [
  1, 0, 3, 3, 0, 0, 0, 3, 0, 2, 3, 1, 1, 3, 1, 1, 2, 2, 0, 0, 3, 3, 3, 2, 2, 0, 1, 3, 0, 1, 1, 2, 3, 0, 1, 1, 1, 0, 2, 1, 0, 3, 0, 1, 1, 2,
  0, 3, 2, 3, 0, 2, 1, 3, 3, 3, 2, 3, 1, 3,
];

test('ARI matches sklearn adjusted_rand_score', () => {
  assert.ok(Math.abs(adjustedRandIndex(a, b) - 0.5296538496261862) < 1e-12);
  assert.equal(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  assert.ok(Math.abs(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])) < 1e-12);
});

test('Hungarian accuracy matches scipy linear_sum_assignment on the confusion matrix', () => {
  assert.ok(Math.abs(hungarianAccuracy(a, b) - 0.8) < 1e-12);
  assert.equal(hungarianAccuracy([0, 0, 1, 1], [5, 5, 7, 5]), 0.75);
  // More clusters than labels: extra clusters count as errors.
  assert.equal(hungarianAccuracy([0, 0, 0, 1], [0, 1, 2, 3]), 0.5);
});

test('linearAssignment finds the minimum-cost matching (brute force on 5x5)', () => {
  const cost = [
    [4, 1, 3, 9, 2],
    [2, 0, 5, 3, 8],
    [3, 2, 2, 7, 1],
    [6, 4, 1, 0, 5],
    [5, 3, 8, 2, 2],
  ];
  const m = linearAssignment(cost);
  const total = Array.from(m).reduce((s, j, i) => s + cost[i]![j]!, 0);
  let best = Number.POSITIVE_INFINITY;
  const perm = (arr: number[], k: number): void => {
    if (k === arr.length)
      best = Math.min(
        best,
        arr.reduce((s, j, i) => s + cost[i]![j]!, 0),
      );
    for (let i = k; i < arr.length; i++) {
      [arr[k], arr[i]] = [arr[i]!, arr[k]!];
      perm(arr, k + 1);
      [arr[k], arr[i]] = [arr[i]!, arr[k]!];
    }
  };
  perm([0, 1, 2, 3, 4], 0);
  assert.equal(total, best);
  assert.equal(new Set(m).size, 5);
});
