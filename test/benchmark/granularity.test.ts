import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  applyGranularity,
  bundledGranularityPath,
  granularityGroups,
  identityGranularity,
  parseGranularityMap,
  readGranularityMap,
  validateGranularity,
} from '../../src/benchmark/granularity.js';
import { FormatError, InputError } from '../../src/core/errors.js';
import { syntheticCells } from './synthetic.js';

test('JSON and CSV/TSV maps parse to the same thing', () => {
  const j = parseGranularityMap('{"name": "c", "description": "x", "map": {"CD14+ Mono": "Mono", "B, naive": "B"}}');
  assert.deepEqual(j, { name: 'c', map: { 'CD14+ Mono': 'Mono', 'B, naive': 'B' } });
  const c = parseGranularityMap('label,group\nCD14+ Mono,Mono\n"B, naive",B\n', 'maps/c.csv');
  assert.deepEqual(c, { name: 'c', map: { 'CD14+ Mono': 'Mono', 'B, naive': 'B' } });
  const t = parseGranularityMap('CD14+ Mono\tMono\nB, naive\tB\n', 'c.tsv');
  assert.deepEqual(t.map, c.map);
  assert.deepEqual(granularityGroups(c), ['Mono', 'B']);
  assert.deepEqual(identityGranularity(['a', 'b']), { name: 'fine', map: { a: 'a', b: 'b' } });
});

test('malformed maps are FormatErrors naming the line', () => {
  assert.throws(
    () => parseGranularityMap('{"name": "x"}', 'm.json'),
    (e: unknown) => e instanceof FormatError && /"map" object/.test(e.message),
  );
  assert.throws(
    () => parseGranularityMap('{"map": {"a": 3}}'),
    (e: unknown) => e instanceof FormatError && /map\/a/.test(e.message),
  );
  assert.throws(
    () => parseGranularityMap('a,b,c\n', 'm.csv'),
    (e: unknown) => e instanceof FormatError && /line 1/.test(e.message),
  );
  assert.throws(() => parseGranularityMap('a,X\na,Y\n', 'm.csv'), /'a' is mapped twice/);
  assert.throws(() => parseGranularityMap('{"map": {}}'), /empty/);
  assert.throws(() => parseGranularityMap('{not json'), /not valid JSON/);
  assert.throws(
    () => readGranularityMap('/nonexistent/map.json'),
    (e: unknown) => e instanceof InputError && e.code === 'E_NO_FILE',
  );
});

test('validation lists every uncovered label', () => {
  const g = { name: 'g', map: { A: 'x' } };
  assert.throws(
    () => validateGranularity(g, ['A', 'B', 'C', 'B']),
    (e: unknown) =>
      e instanceof InputError && e.code === 'E_GRANULARITY_UNCOVERED' && /\["B","C"\]/.test(e.message) && /Add a line/.test(e.message),
  );
});

test('the bundled PBMC3k maps cover the nine labels: 9 fine types, 5 coarse groups', () => {
  const lines = readFileSync(new URL('../../data/pbmc3k/cells.tsv', import.meta.url), 'utf8')
    .trim()
    .split('\n');
  const col = (lines[0] as string).split('\t').indexOf('cell_type');
  const labels = [...new Set(lines.slice(1).map((l) => l.split('\t')[col] as string))];
  assert.equal(labels.length, 9);
  const fine = readGranularityMap(bundledGranularityPath('pbmc3k-fine') as string);
  const coarse = readGranularityMap(bundledGranularityPath('pbmc3k-coarse') as string);
  validateGranularity(fine, labels);
  validateGranularity(coarse, labels);
  assert.equal(fine.name, 'fine');
  for (const l of labels) assert.equal(fine.map[l], l);
  assert.deepEqual(new Set(granularityGroups(coarse)), new Set(['B', 'T/NK', 'Monocytes', 'DC', 'Platelet']));
  assert.equal(bundledGranularityPath('no-such-map'), undefined);
  assert.equal(bundledGranularityPath('../etc/passwd'), undefined);
});

test('applyGranularity adds a categorical group column and shares the matrices', () => {
  const { ds } = syntheticCells([3, 2, 1], 5, 1);
  const out = applyGranularity(ds, 'cell_type', { name: 'g', map: { T0: 'A', T1: 'A', T2: 'B' } }, 'grp');
  assert.equal(out.X, ds.X);
  const { codes, categories } = out.labels('grp');
  assert.deepEqual(
    Array.from(codes, (c) => categories[c]),
    ['A', 'A', 'A', 'A', 'A', 'B'],
  );
  assert.ok(!ds.obs.has('grp'), 'the input is not modified');
});
