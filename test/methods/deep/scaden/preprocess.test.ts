import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { logMinMax, scadenVarianceGenes } from '../../../../src/methods/deep/scaden/preprocess.js';
import { tapeScale, tapeVarianceFilter } from '../../../../src/methods/deep/tape/preprocess.js';

const ref = JSON.parse(readFileSync(new URL('../../../fixtures/deep-baselines/reference.json', import.meta.url), 'utf8'));
const P = ref.preprocess;

function close(a: ArrayLike<number>, b: number[][], tol: number): void {
  const flat = b.flat();
  assert.equal(a.length, flat.length);
  for (let i = 0; i < flat.length; i++)
    assert.ok(Math.abs((a[i] as number) - (flat[i] as number)) <= tol, `entry ${i}: ${a[i]} vs ${flat[i]}`);
}

test('scaden logMinMax: spec example [0, 1, 3] -> [0, 0.5, 1]', () => {
  assert.deepEqual(Array.from(logMinMax(DenseMatrix.fromRows([[0, 1, 3]])).data), [0, 0.5, 1]);
  // constant sample -> 0 (sklearn's zero range replaced by 1)
  assert.deepEqual(Array.from(logMinMax(DenseMatrix.fromRows([[5, 5]])).data), [0, 0]);
});

test('scaden logMinMax and var_cutoff match sklearn MinMaxScaler / pandas var', () => {
  const X = DenseMatrix.fromRows(P.X);
  close(logMinMax(X).data, P.scaden_log_min_max, 1e-6);
  assert.deepEqual(Array.from(scadenVarianceGenes(X, 0.1)), P.scaden_var_genes_01);
  assert.deepEqual(Array.from(scadenVarianceGenes(X, P.median_var)), P.scaden_var_genes_median);
});

test('tape scaling (mms, ss) and variance filter match sklearn / pandas', () => {
  const X = DenseMatrix.fromRows(P.X);
  close(tapeScale(X, 'mms').data, P.tape_mms, 1e-6);
  close(tapeScale(X, 'ss').data, P.tape_ss, 1e-5);
  assert.deepEqual(Array.from(tapeVarianceFilter(X, 0.98)), P.tape_filter_098);
  assert.deepEqual(Array.from(tapeVarianceFilter(X, 0.5)), P.tape_filter_050);
  assert.throws(() => tapeScale(X, 'zz' as 'ss'), { code: 'E_OPTION' });
});
