import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { LAYERS } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import type { CsrMatrix } from '../../src/data/sparse.js';
import { roundHalfEven, simulatePseudobulks } from '../../src/simulate/dirichlet-pseudobulk.js';
import { syntheticCells } from '../benchmark/synthetic.js';

test('roundHalfEven matches numpy.round', () => {
  // numpy: np.round([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999, 2.5001, 7]) -> [0, 2, 2, 4, -0, -2, 2, 3, 7]
  const got = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, 2.4999, 2.5001, 7].map(roundHalfEven);
  assert.deepEqual(
    got.map((x) => x + 0),
    [0, 2, 2, 4, 0, -2, 2, 3, 7],
  );
});

test('Dirichlet sampler: empirical means within 3 SE of alpha/sum(alpha) over 1e5 draws', () => {
  const alpha = [1.2, 0.3, 4, 2.5];
  const a0 = alpha.reduce((s, x) => s + x, 0);
  const rng = new Rng(7);
  const n = 100000;
  const sums = new Float64Array(alpha.length);
  const p = new Float64Array(alpha.length);
  for (let i = 0; i < n; i++) {
    rng.dirichlet(alpha, p);
    for (let k = 0; k < alpha.length; k++) sums[k] = (sums[k] as number) + (p[k] as number);
  }
  for (let k = 0; k < alpha.length; k++) {
    const m = (alpha[k] as number) / a0;
    const sd = Math.sqrt((m * (1 - m)) / (a0 + 1));
    assert.ok(Math.abs((sums[k] as number) / n - m) < (3 * sd) / Math.sqrt(n), `component ${k}`);
  }
});

const cellsFixture = () => syntheticCells([50, 30, 12, 5], 40, 11);

test('truth is recomputed from integer counts and matches the mixed cells exactly', () => {
  const { ds } = cellsFixture();
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 60, nCells: 25, seed: 5 });
  const K = sim.truth.cellTypes.length;
  assert.deepEqual(sim.truth.cellTypes, ['T0', 'T1', 'T2', 'T3'], 'types by descending count');
  const { codes, categories } = ds.labels('cell_type');
  const raw = ds.X as CsrMatrix;
  const totals = raw.rowSums();
  const G = ds.nVars;
  const rawL = sim.bulk.layer(LAYERS.rawCounts) as DenseMatrix;
  const relL = sim.bulk.layer(LAYERS.relativeCounts) as DenseMatrix;
  const sumL = sim.bulk.layer(LAYERS.countsSum) as DenseMatrix;
  assert.equal(sim.bulk.X, rawL);
  for (let i = 0; i < 60; i++) {
    const a = sim.cellIndices.indptr[i] as number;
    const b = sim.cellIndices.indptr[i + 1] as number;
    assert.equal(b - a, sim.truth.nCells[i]);
    // recount types from the recorded cells
    const k = new Float64Array(K);
    for (let t = a; t < b; t++) {
      const name = categories[codes[sim.cellIndices.indices[t] as number] as number] as string;
      const c = sim.truth.cellTypes.indexOf(name);
      k[c] = (k[c] as number) + 1;
    }
    let rowSum = 0;
    for (let c = 0; c < K; c++) {
      assert.equal(k[c], sim.truth.cellCounts[i * K + c]);
      assert.ok(Math.abs(sim.truth.proportions.get(i, c) - (k[c] as number) / (b - a)) < 1e-15);
      rowSum += sim.truth.proportions.get(i, c);
    }
    assert.ok(Math.abs(rowSum - 1) < 1e-12);
    // rebuild the bulk from the cells
    const sum = new Float64Array(G);
    const rel = new Float64Array(G);
    for (let t = a; t < b; t++) {
      const cell = sim.cellIndices.indices[t] as number;
      const row = raw.rowDense(cell);
      for (let j = 0; j < G; j++) {
        sum[j] = (sum[j] as number) + (row[j] as number);
        rel[j] = (rel[j] as number) + ((row[j] as number) / (totals[cell] as number)) * 1e4;
      }
    }
    for (let j = 0; j < G; j++) {
      assert.equal(sumL.get(i, j), sum[j]);
      assert.ok(Math.abs(rawL.get(i, j) - (sum[j] as number) / (b - a)) < 1e-12);
      assert.ok(Math.abs(sumL.get(i, j) - (b - a) * rawL.get(i, j)) < 1e-9, 'counts_sum = n * raw_counts');
      assert.ok(Math.abs(relL.get(i, j) - (rel[j] as number) / (b - a)) < 1e-9 * Math.max(1, rel[j] as number));
    }
  }
  assert.deepEqual(Array.from((sim.bulk.obs.get('n_cells') as { values: Float64Array }).values), Array.from(sim.truth.nCells));
});

test('sampling is without replacement unless a type runs out', () => {
  const { ds } = cellsFixture();
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 80, nCells: 40, seed: 1 });
  const { codes, categories } = ds.labels('cell_type');
  const pop = new Map([
    ['T0', 50],
    ['T1', 30],
    ['T2', 12],
    ['T3', 5],
  ]);
  let sawReplacement = false;
  for (let i = 0; i < 80; i++) {
    const byType = new Map<string, number[]>();
    for (let t = sim.cellIndices.indptr[i] as number; t < (sim.cellIndices.indptr[i + 1] as number); t++) {
      const cell = sim.cellIndices.indices[t] as number;
      const name = categories[codes[cell] as number] as string;
      byType.set(name, [...(byType.get(name) ?? []), cell]);
    }
    for (const [name, list] of byType) {
      const distinct = new Set(list).size;
      if (list.length <= (pop.get(name) as number))
        assert.equal(distinct, list.length, `${name} drawn with replacement though it had enough cells`);
      else sawReplacement = true;
    }
  }
  assert.ok(sawReplacement, 'the 5-cell type must run out at 40 cells per sample');
});

test('mean of a pseudobulk made of one repeated cell equals that cell', () => {
  const X = DenseMatrix.fromRows([[3, 0, 7, 1]]);
  const ds = new Dataset({ X, obs: new Frame(1, { ct: categoricalFrom(['A']) }) });
  const sim = simulatePseudobulks(ds, { labelsKey: 'ct', nSamples: 3, nCells: 9, seed: 0 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(Array.from((sim.bulk.X as DenseMatrix).row(i)), [3, 0, 7, 1]);
    assert.deepEqual(
      Array.from((sim.bulk.layer(LAYERS.relativeCounts) as DenseMatrix).row(i)).map((v) => Math.round(v * 1e6) / 1e6),
      [(3 / 11) * 1e4, 0, (7 / 11) * 1e4, (1 / 11) * 1e4].map((v) => Math.round(v * 1e6) / 1e6),
    );
    assert.deepEqual(Array.from((sim.bulk.layer(LAYERS.countsSum) as DenseMatrix).row(i)), [27, 0, 63, 9]);
  }
});

test('same seed gives the same bytes, another seed differs; sum aggregation', () => {
  const { ds } = cellsFixture();
  const o = { labelsKey: 'cell_type', nSamples: 20, nCells: 30 };
  const a = simulatePseudobulks(ds, { ...o, seed: 9 });
  const b = simulatePseudobulks(ds, { ...o, seed: 9 });
  const c = simulatePseudobulks(ds, { ...o, seed: 10 });
  const bytes = (s: typeof a) => Buffer.from((s.bulk.layer(LAYERS.relativeCounts) as DenseMatrix).data.buffer).toString('hex');
  assert.equal(bytes(a), bytes(b));
  assert.deepEqual(a.cellIndices.indices, b.cellIndices.indices);
  assert.notEqual(bytes(a), bytes(c));
  const s = simulatePseudobulks(ds, { ...o, seed: 9, aggregation: 'sum' });
  assert.deepEqual((s.bulk.X as DenseMatrix).data, (a.bulk.layer(LAYERS.countsSum) as DenseMatrix).data);
  assert.deepEqual(s.truth.proportions.data, a.truth.proportions.data);
});

test('random cell numbers per sample stay in range; posterior alphas; bad options', () => {
  const { ds } = cellsFixture();
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 200, nCells: { min: 10, max: 20 }, seed: 2 });
  const n = Array.from(sim.truth.nCells);
  // rounding moves a total by at most half a cell per type
  assert.ok(n.every((x) => x >= 10 - 2 && x <= 20 + 2));
  assert.ok(new Set(n).size > 5);
  const post = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2, posterior: true, seed: 0 });
  assert.deepEqual(Array.from(post.alphas), [1 + 50 / 97, 1 + 30 / 97, 1 + 12 / 97, 1 + 5 / 97]);
  const counts = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2, posterior: true, likelihood: 'counts', seed: 0 });
  assert.deepEqual(Array.from(counts.alphas), [51, 31, 13, 6]);
  const flat = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2, seed: 0 });
  assert.deepEqual(Array.from(flat.alphas), [1, 1, 1, 1]);
  assert.throws(
    () => simulatePseudobulks(ds, { labelsKey: 'cell_type', priorAlphas: [1, 2] }),
    (e: unknown) => e instanceof InputError && e.code === 'E_PRIOR_ALPHAS' && /T0, T1, T2, T3/.test(e.message),
  );
  assert.throws(() => simulatePseudobulks(ds, { labelsKey: 'cell_type', nCells: 2.5 }), /E_SIM_OPTION|invalid simulation option/);
  assert.throws(() => simulatePseudobulks(ds, { labelsKey: 'missing' }), /column 'missing' not found/);
});

test('cancellation through an AbortSignal', () => {
  const { ds } = cellsFixture();
  const ac = new AbortController();
  ac.abort();
  assert.throws(() => simulatePseudobulks(ds, { labelsKey: 'cell_type', signal: ac.signal }), /cancelled/);
});

test('a sample whose cell counts all round to 0 has an all-zero truth row and bulk (no NaN)', () => {
  const { ds } = syntheticCells([10, 10, 10, 10, 10, 10], 12, 4);
  // 1 cell over 6 types: every share below 0.5 rounds to 0
  const sim = simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 200, nCells: 1, seed: 3 });
  const empty = Array.from(sim.truth.nCells)
    .map((n, i) => (n === 0 ? i : -1))
    .filter((i) => i >= 0);
  assert.ok(empty.length > 0, 'some samples are empty');
  for (const i of empty) {
    assert.deepEqual(Array.from(sim.truth.proportions.row(i)), [0, 0, 0, 0, 0, 0]);
    for (const l of [LAYERS.rawCounts, LAYERS.relativeCounts, LAYERS.countsSum]) {
      assert.ok(
        (sim.bulk.layer(l) as DenseMatrix).row(i).every((v) => v === 0),
        l,
      );
    }
  }
  for (let i = 0; i < 200; i++) {
    const s = Array.from(sim.truth.proportions.row(i)).reduce((a, b) => a + b, 0);
    assert.ok(s === 0 || Math.abs(s - 1) < 1e-12);
  }
});
