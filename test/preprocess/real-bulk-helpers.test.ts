import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { applyGeneMap, geneMapFromPairs, matchGeneCase, mergeDuplicateGenes, readGeneMap } from '../../src/preprocess/bulk-genes.js';
import { convertFractions } from '../../src/preprocess/mrna-fractions.js';
import { bmodeCorrect, combat } from '../../src/preprocess/platform-correction.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-realbulk-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Two samples x genes A, B, A, C, A (A three times).
const dupTable = () => ({ values: Float64Array.from([1, 2, 3, 4, 5, 10, 20, 30, 40, 50]), nSamples: 2, genes: ['A', 'B', 'A', 'C', ' A'] });

test('duplicated genes: first keeps the first row, sum keeps totals, mean averages, error refuses', () => {
  const first = mergeDuplicateGenes(dupTable(), 'first');
  assert.deepEqual(first.table.genes, ['A', 'B', 'C']);
  assert.deepEqual(Array.from(first.table.values), [1, 2, 4, 10, 20, 40]);
  assert.match(first.warnings[0]!.message, /1 bulk gene names occur more than once \(2 extra rows, e\.g\. A\); merged with 'first'/);
  const sum = mergeDuplicateGenes(dupTable(), 'sum');
  assert.deepEqual(Array.from(sum.table.values), [9, 2, 4, 90, 20, 40]);
  assert.equal(
    sum.table.values.subarray(0, 3).reduce((a, b) => a + b, 0),
    15,
  );
  const mean = mergeDuplicateGenes(dupTable(), 'mean');
  assert.deepEqual(Array.from(mean.table.values), [3, 2, 4, 30, 20, 40]);
  assert.throws(
    () => mergeDuplicateGenes(dupTable(), 'error'),
    (e: CelldeconvError) => e.code === 'E_DUPLICATE_GENES' && /--duplicate-genes/.test(String(e.hint)),
  );
  const none = { values: Float64Array.from([1, 2]), nSamples: 1, genes: ['A', 'B'] };
  assert.equal(mergeDuplicateGenes(none, 'first').table, none);
});

test('gene map: 1:1 pairs kept, one-to-many / many-to-one / low confidence dropped, report adds up', () => {
  const file = join(tmp, 'map.tsv');
  writeFileSync(
    file,
    [
      '# mouse -> human',
      'mouse_symbol\thuman_symbol\ttype\tconfidence',
      'Cd8a\tCD8A\tortholog_one2one\t1',
      'Ms4a1\tMS4A1\tortholog_one2one\t1',
      'H2-K1\tHLA-A\tortholog_many2many\t1',
      'H2-D1\tHLA-A\tortholog_many2many\t1',
      'Gzma\tGZMA\tortholog_one2one\t0',
      'Ly6a\tLY6E\t\t',
      'Ly6a\tLY6K\t\t',
    ].join('\n'),
  );
  const map = readGeneMap(file);
  assert.deepEqual(
    [...map.pairs],
    [
      ['Cd8a', 'CD8A'],
      ['Ms4a1', 'MS4A1'],
    ],
  );
  const r = map.report;
  assert.equal(r.read, 7);
  assert.equal(r.kept + r.oneToMany + r.manyToOne + r.lowConfidence + r.selfDuplicate, r.read);
  assert.equal(r.oneToMany, 2);
  assert.equal(r.manyToOne, 2);
  assert.equal(r.lowConfidence, 1);
  const t = { values: Float64Array.from([5, 6, 7]), nSamples: 1, genes: ['Ms4a1', 'Xist', 'Cd8a'] };
  const m = applyGeneMap(t, map);
  assert.deepEqual(m.table.genes, ['MS4A1', 'CD8A']);
  assert.deepEqual(Array.from(m.table.values), [5, 7]);
  assert.match(m.warnings[0]!.message, /2 of 3 bulk genes mapped/);
  assert.throws(
    () => applyGeneMap({ values: Float64Array.from([1]), nSamples: 1, genes: ['CD8A'] }, map),
    (e: CelldeconvError) => e.code === 'E_GENE_MAP' && /swap the columns/.test(String(e.hint)),
  );
  assert.throws(
    () =>
      geneMapFromPairs([
        { from: 'a', to: 'X' },
        { from: 'b', to: 'X' },
      ]),
    (e: CelldeconvError) => e.code === 'E_GENE_MAP',
  );
});

test('case differences are matched only when unique and the exact name is absent, with a warning', () => {
  const t = { values: Float64Array.from([1, 2, 3, 4]), nSamples: 1, genes: ['Cd8a', 'MS4A1', 'ms4a1', 'Foo'] };
  const r = matchGeneCase(t, ['CD8A', 'MS4A1', 'GNLY']);
  assert.deepEqual(r.table.genes, ['CD8A', 'MS4A1', 'ms4a1', 'Foo']);
  assert.match(r.warnings[0]!.message, /^1 bulk genes matched .* only up to letter case .*Cd8a -> CD8A/);
  assert.equal(matchGeneCase({ ...t, genes: ['CD8A'], values: Float64Array.from([1]) }, ['CD8A']).warnings.length, 0);
});

test('cell <-> mRNA fractions (spec §3 tests): identity, equal sizes, the hand example, errors', () => {
  const p = Float64Array.from([0.5, 0.5, 0.2, 0.8]);
  const m = convertFractions(p, 2, 2, [1, 3], 'mrna');
  assert.deepEqual(Array.from(m.subarray(0, 2)), [0.25, 0.75]);
  const back = convertFractions(m, 2, 2, [1, 3], 'cell');
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(back[k]! - p[k]!) < 1e-15);
  assert.deepEqual(Array.from(convertFractions(p, 2, 2, [2, 2], 'mrna')), Array.from(p));
  assert.deepEqual(Array.from(convertFractions(new Float64Array(2), 1, 2, [1, 3], 'cell')), [0, 0]);
  assert.throws(
    () => convertFractions(p, 2, 2, [1, 0], 'cell', ['B', 'T']),
    (e: CelldeconvError) => e.code === 'E_CELL_SIZE' && /'T'/.test(e.message),
  );
});

test('ComBat: a shift of 3 between batches is removed; reference batch and constant genes untouched; size 1 = mean only', () => {
  const rng = new Rng(9);
  const G = 500;
  const N = 20;
  const Y = new Float64Array(G * N);
  const batch = Int32Array.from({ length: N }, (_, j) => (j < 10 ? 0 : 1));
  for (let g = 0; g < G; g++) {
    const mu = rng.normal() * 2;
    for (let j = 0; j < N; j++) Y[g * N + j] = mu + rng.normal() + (batch[j] === 1 ? 3 : 0);
  }
  for (let j = 0; j < N; j++) Y[j] = 5; // gene 0 constant
  const gap = (A: Float64Array) => {
    let d = 0;
    for (let g = 1; g < G; g++) {
      let a = 0;
      let b = 0;
      for (let j = 0; j < N; j++) batch[j] ? (b += A[g * N + j]!) : (a += A[g * N + j]!);
      d += b / 10 - a / 10;
    }
    return d / (G - 1);
  };
  assert.ok(Math.abs(gap(Y) - 3) < 0.1);
  const { adjusted, report } = combat(Y, G, N, batch);
  assert.ok(Math.abs(gap(adjusted)) < 0.1, `gap after ${gap(adjusted)}`);
  assert.equal(report.genesAdjusted, G - 1);
  for (let j = 0; j < N; j++) assert.equal(adjusted[j], 5);
  const ref = combat(Y, G, N, batch, { refBatch: 1 });
  for (let g = 0; g < G; g++) for (let j = 10; j < N; j++) assert.equal(ref.adjusted[g * N + j], Y[g * N + j]);
  assert.ok(Math.abs(gap(ref.adjusted)) < 0.1);
  const one = combat(
    Y.subarray(0, G * N),
    G,
    N,
    Int32Array.from({ length: N }, (_, j) => (j === 0 ? 1 : 0)),
  );
  assert.equal(one.report.meanOnly, true);
  assert.throws(
    () => combat(Y, G, N, new Int32Array(N)),
    (e: CelldeconvError) => e.code === 'E_COMBAT',
  );
});

test('B-mode: gene-wise factors on an exact mixture are reduced (mean-only ComBat, sva shrinkage)', () => {
  const rng = new Rng(4);
  const n = 30;
  const G = 300;
  const M = new Float64Array(n * G);
  for (let i = 0; i < n; i++) for (let g = 0; g < G; g++) M[i * G + g] = Math.exp(rng.normal() + 6) * (1 + i / n);
  const f = Float64Array.from({ length: G }, () => Math.exp(rng.normal() * 0.75));
  const X = Float64Array.from(M, (v, k) => v * f[k % G]!);
  const { corrected } = bmodeCorrect(X, n, M, n, G, { meanOnly: true });
  let before = 0;
  let afterErr = 0;
  for (let k = 0; k < M.length; k++) {
    before += Math.abs(Math.log(X[k]! / M[k]!));
    afterErr += Math.abs(Math.log(corrected[k]! / M[k]!));
  }
  assert.ok(afterErr / M.length < 0.7 * (before / M.length), `mean |log ratio| ${afterErr / M.length} vs ${before / M.length} before`);
  for (const v of corrected) assert.ok(v >= 0);
});

test('ComBat mean-only: locations shrunk as sva mean.only, (τ² γ̂ + γ̄)/(τ² + 1), scales untouched', () => {
  // 3 genes x 4 samples, reference batch 1 = columns 2, 3.
  const Y = Float64Array.from([1, 3, 0, 2, 5, 9, 4, 6, 2, 2.5, 7, 8]);
  const batch = Int32Array.from([0, 0, 1, 1]);
  const { adjusted } = combat(Y, 3, 4, batch, { refBatch: 1, meanOnly: true });
  const alpha = [1, 5, 7.5];
  const sigma = [1, 1, 0.5];
  // γ̂_g (batch 0, standardised): mean of (Y - α)/σ over columns 0, 1.
  const gh = [0, 1, 2].map((g) => ((Y[g * 4]! - alpha[g]!) / sigma[g]! + (Y[g * 4 + 1]! - alpha[g]!) / sigma[g]!) / 2);
  const gBar = gh.reduce((a, b) => a + b, 0) / 3;
  const t2 = gh.reduce((a, b) => a + (b - gBar) ** 2, 0) / 2;
  for (let g = 0; g < 3; g++) {
    const gs = (t2 * gh[g]! + gBar) / (t2 + 1);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(adjusted[g * 4 + j]! - (Y[g * 4 + j]! - sigma[g]! * gs)) < 1e-12);
    for (let j = 2; j < 4; j++) assert.equal(adjusted[g * 4 + j], Y[g * 4 + j]);
  }
});
