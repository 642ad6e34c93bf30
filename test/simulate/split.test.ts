import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { splitTrainTest } from '../../src/simulate/split.js';
import { syntheticCells } from '../benchmark/synthetic.js';

test('stratified split keeps each label near the train fraction, disjoint and complete', () => {
  const { ds } = syntheticCells([40, 21, 7, 2]);
  const s = splitTrainTest(ds, { labelsKey: 'cell_type', seed: 3 });
  assert.equal(s.trainIndex.length + s.testIndex.length, ds.nObs);
  const all = new Set([...s.trainIndex, ...s.testIndex]);
  assert.equal(all.size, ds.nObs);
  const count = (d: typeof s.train) => {
    const { codes, categories } = d.labels('cell_type');
    const m = new Map<string, number>();
    for (const c of codes) m.set(categories[c] as string, (m.get(categories[c] as string) ?? 0) + 1);
    return m;
  };
  const tr = count(s.train);
  const te = count(s.test);
  assert.equal(tr.get('T0'), 20);
  assert.equal(te.get('T0'), 20);
  assert.equal((tr.get('T1') ?? 0) + (te.get('T1') ?? 0), 21);
  assert.ok(Math.abs((tr.get('T1') ?? 0) - 10.5) <= 0.5);
  assert.equal(tr.get('T3'), 1, 'a 2-cell type has one cell on each side');
  assert.equal(te.get('T3'), 1);
  // indices ascending (CSR locality) and the Datasets are those rows
  for (let k = 1; k < s.trainIndex.length; k++) assert.ok((s.trainIndex[k] as number) > (s.trainIndex[k - 1] as number));
  assert.equal(s.train.obsNames[0], ds.obsNames[s.trainIndex[0] as number]);
});

test('same seed gives the same split, another seed another split', () => {
  const { ds } = syntheticCells([30, 30]);
  const a = splitTrainTest(ds, { labelsKey: 'cell_type', seed: 1 });
  const b = splitTrainTest(ds, { labelsKey: 'cell_type', seed: 1 });
  const c = splitTrainTest(ds, { labelsKey: 'cell_type', seed: 2 });
  assert.deepEqual(a.trainIndex, b.trainIndex);
  assert.notDeepEqual(a.trainIndex, c.trainIndex);
});

test('group split never puts a donor on both sides', () => {
  const { ds } = syntheticCells([30, 30, 20]);
  const s = splitTrainTest(ds, { labelsKey: 'cell_type', groupKey: 'donor', seed: 0 });
  const donors = (d: typeof s.train) => new Set((d.obs.get('donor') as { values: string[] }).values);
  const tr = donors(s.train);
  for (const d of donors(s.test)) assert.ok(!tr.has(d), `donor ${d} on both sides`);
  assert.ok(s.train.nObs > 0 && s.test.nObs > 0);
});

test('unsplittable input gets typed errors naming the fix', () => {
  const { ds } = syntheticCells([10, 1]);
  assert.throws(
    () => splitTrainTest(ds, { labelsKey: 'cell_type' }),
    (e: unknown) => e instanceof InputError && e.code === 'E_TOO_FEW_CELLS' && /T1: 1/.test(e.message) && /granularity/.test(e.message),
  );
  assert.throws(
    () => splitTrainTest(ds, { labelsKey: 'nope' }),
    (e: unknown) => e instanceof InputError && e.code === 'E_NO_COLUMN' && /cell_type/.test(e.message),
  );
  assert.throws(() => splitTrainTest(ds, { labelsKey: 'cell_type', trainFraction: 1 }), /strictly between 0 and 1/);
});
