import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editDistance, suggestName } from '../../src/core/suggest.js';

test('editDistance is the Levenshtein distance', () => {
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('dwls', 'dwsl'), 2);
  assert.equal(editDistance('same', 'same'), 0);
});

test('suggestName: nearest name, aliases and their near misses, nothing when far', () => {
  const names = ['ols', 'nnls', 'rlr', 'wnnls', 'dwls', 'nusvr', 'mixupvi', 'scvi'];
  const aliases = { cibersort: 'nusvr' };
  assert.equal(suggestName('dwsl', names), 'dwls');
  assert.equal(suggestName('MixupVI', names), 'mixupvi');
  assert.equal(suggestName('cibersort', names, aliases), 'nusvr');
  assert.equal(suggestName('CIBERSRT', names, aliases), 'nusvr');
  assert.equal(suggestName('epoch', ['epochs', 'batch-size']), 'epochs');
  assert.equal(suggestName('completely-different', names, aliases), undefined);
});
