import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MT19937, numpyChoiceWithoutReplacement } from '../../src/linalg/numpy-random.js';

test('MT19937 reference output (seed 5489, first draw 3499211612)', () => {
  assert.equal(new MT19937(5489).nextUint32(), 3499211612);
});

test('numpy RandomState(seed).choice(n, k, replace=False) bit for bit', () => {
  // /usr/bin/python3 -c "import numpy as np; print(np.random.RandomState(7).choice(200, 6, replace=False))" (numpy 1.24)
  assert.deepEqual(Array.from(numpyChoiceWithoutReplacement(0, 10, 5)), [2, 8, 4, 9, 1]);
  assert.deepEqual(Array.from(numpyChoiceWithoutReplacement(7, 200, 6)), [86, 120, 22, 11, 195, 2]);
  assert.deepEqual(Array.from(numpyChoiceWithoutReplacement(99, 1000, 4)), [890, 983, 107, 609]);
});
