import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CelldeconvError, FormatError, isCelldeconvError } from '../../src/core/errors.js';

test('error message says where, what, got, expected and the fix', () => {
  const e = new FormatError('ragged row', {
    code: 'E_CSV_RAGGED',
    file: 'bulk.csv',
    field: 'line 7',
    got: 3,
    expected: 5,
    hint: 'Check the delimiter',
  });
  assert.equal(e.message, 'bulk.csv: line 7: ragged row; got 3; expected 5. Check the delimiter');
  assert.equal(e.code, 'E_CSV_RAGGED');
  assert.equal(e.name, 'FormatError');
  assert.ok(e instanceof CelldeconvError);
  assert.ok(isCelldeconvError(e));
  assert.ok(!isCelldeconvError(new Error('x')));
});
