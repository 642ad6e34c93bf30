import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { GranularityMap } from '../../src/benchmark/granularity.js';
import { runBenchmark, STATE_FILE } from '../../src/benchmark/runner.js';
import { InputError } from '../../src/core/errors.js';
import { syntheticCells } from './synthetic.js';
import { fitCalls, lastFitOptions, registerTestMethods } from './test-methods.js';

registerTestMethods();
const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-bench-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const { ds } = syntheticCells([70, 40, 24, 12], 48, 3);
const fine: GranularityMap = { name: 'fine', map: { T0: 'T0', T1: 'T1', T2: 'T2', T3: 'T3' } };
const coarse: GranularityMap = { name: 'coarse', map: { T0: 'A', T1: 'B', T2: 'C', T3: 'C' } };
const base = {
  reference: ds,
  labelsKey: 'cell_type',
  granularities: [coarse, fine],
  methods: ['test-nnls', 'test-prior'],
  nSamples: 25,
  nCells: 20,
  cellsGrid: [5, 60],
  seed: 4,
  minGeneCounts: 0,
};

test('runs every method x granularity x n_cells, writes the outputs, scores a good method well', async () => {
  const out = join(tmp, 'a');
  const res = await runBenchmark({ ...base, outDir: out, quick: true });
  assert.deepEqual(res.failures, []);
  assert.equal(res.computed, 2 * 2 * 3);
  assert.deepEqual(res.grid, [5, 20, 60]);
  for (const f of Object.values(res.files)) assert.ok(existsSync(f), f);
  const lines = readFileSync(res.files.results, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'method,granularity,n_cells,sample,metric,value');
  assert.equal(lines.length - 1, 2 * 2 * 3 * 25 * 5);
  assert.match(lines[1] as string, /^test-nnls,coarse,5,sample_0,pearson,/);
  const med = (m: string, g: string, metric: string, n = 20) =>
    res.summary.find((r) => r.method === m && r.granularity === g && r.nCells === n && r.metric === metric)?.median as number;
  assert.ok(med('test-nnls', 'fine', 'pearson') > 0.9, `nnls median r ${med('test-nnls', 'fine', 'pearson')}`);
  assert.ok(med('test-nnls', 'fine', 'mse') < med('test-prior', 'fine', 'mse'));
  assert.ok(med('test-nnls', 'fine', 'pearson', 60) >= med('test-nnls', 'fine', 'pearson', 5) - 0.05, 'more cells, no worse');
  // quick runs get the method's quickOptions
  assert.deepEqual(lastFitOptions.get('test-nnls'), { scale: 2 });
  // one fit per method and granularity, shared across n_cells
  assert.equal(fitCalls.get('test-nnls'), 2);
  const byType = readFileSync(res.files.resultsByCellType, 'utf8').trim().split('\n');
  assert.equal(byType.length - 1, 2 * 3 * (3 + 4) * 4);
  const summary = JSON.parse(readFileSync(res.files.summaryJson, 'utf8'));
  assert.equal(summary.settings.seed, 4);
  const timings = JSON.parse(readFileSync(res.files.timings, 'utf8'));
  assert.equal(timings.rows.length, 4);
  assert.equal(res.reportMethod, 'test-nnls');
});

test('same seed gives a byte-identical results.csv; a resumed run skips finished cells', async () => {
  const a = join(tmp, 'a');
  const b = join(tmp, 'b');
  const first = readFileSync(join(a, 'results.csv'));
  const before = fitCalls.get('test-nnls') ?? 0;
  const resumed = await runBenchmark({ ...base, outDir: a, quick: true });
  assert.equal(resumed.computed, 0);
  assert.equal(resumed.resumed, 12);
  assert.equal(fitCalls.get('test-nnls'), before, 'no refit when everything is done');
  assert.ok(readFileSync(join(a, 'results.csv')).equals(first));
  const fresh = await runBenchmark({ ...base, outDir: b, quick: true });
  assert.equal(fresh.computed, 12);
  assert.ok(readFileSync(join(b, 'results.csv')).equals(first), 'fresh run, same bytes');
  // a different seed changes the results and the state key
  const other = await runBenchmark({ ...base, outDir: b, seed: 5, quick: true });
  assert.equal(other.computed, 12);
  assert.ok(!readFileSync(join(b, 'results.csv')).equals(first));
  const state = JSON.parse(readFileSync(join(b, STATE_FILE), 'utf8'));
  assert.equal(state.seed, 5);
});

test('an interrupted run resumes: only the missing cells are computed', async () => {
  const c = join(tmp, 'c');
  await runBenchmark({ ...base, methods: ['test-nnls'], outDir: c, quick: true });
  const res = await runBenchmark({ ...base, outDir: c, quick: true });
  assert.equal(res.resumed, 6);
  assert.equal(res.computed, 6);
  assert.ok(readFileSync(join(c, 'results.csv')).equals(readFileSync(join(tmp, 'a', 'results.csv'))));
});

test('a failing method is reported and the others still run', async () => {
  const res = await runBenchmark({
    ...base,
    methods: ['test-broken', 'test-nnls'],
    cellsGrid: [],
    granularities: [fine],
    outDir: join(tmp, 'd'),
  });
  assert.equal(res.failures.length, 1);
  assert.equal(res.failures[0]?.method, 'test-broken');
  assert.equal(res.failures[0]?.stage, 'fit');
  assert.match(res.failures[0]?.message as string, /deliberately broken/);
  assert.equal(res.computed, 1);
  assert.match(readFileSync(res.files.report, 'utf8'), /deliberately broken/);
});

test('bad input gets typed errors naming the fix', async () => {
  const o = { ...base, outDir: join(tmp, 'e') };
  await assert.rejects(
    runBenchmark({ ...o, labelsKey: 'celltype' }),
    (e: unknown) => e instanceof InputError && e.code === 'E_NO_COLUMN' && /--labels/.test(e.message),
  );
  await assert.rejects(
    runBenchmark({ ...o, granularities: [{ name: 'partial', map: { T0: 'A', T1: 'B' } }] }),
    (e: unknown) => e instanceof InputError && e.code === 'E_GRANULARITY_UNCOVERED' && /T2/.test(e.message) && /T3/.test(e.message),
  );
  await assert.rejects(
    runBenchmark({ ...o, methods: ['no-such-method'] }),
    (e: unknown) => e instanceof InputError && e.code === 'E_UNKNOWN_METHOD',
  );
  await assert.rejects(runBenchmark({ ...o, cellsGrid: [10.5] }), (e: unknown) => e instanceof InputError && e.code === 'E_BENCH_OPTION');
  const tiny = syntheticCells([30, 1], 20, 1).ds;
  await assert.rejects(
    runBenchmark({ ...o, reference: tiny, granularities: undefined }),
    (e: unknown) => e instanceof InputError && e.code === 'E_TOO_FEW_CELLS' && /granularity/.test(e.message),
  );
});

test("changing a method's defaults recomputes only that method", async () => {
  const { getMethod } = await import('../../src/methods/registry.js');
  const out = join(tmp, 'f');
  const o = { ...base, cellsGrid: [], granularities: [fine], outDir: out };
  await runBenchmark(o);
  const spec = getMethod('test-prior') as { defaults: { scale: number } };
  spec.defaults.scale = 3;
  try {
    const res = await runBenchmark(o);
    assert.equal(res.resumed, 1, 'test-nnls unchanged');
    assert.equal(res.computed, 1, 'test-prior recomputed');
  } finally {
    spec.defaults.scale = 1;
  }
});

test('DeCovarT with a 1-cell type: pooled covariance by default in the benchmark; with tooFewCells=error only that granularity fails', async () => {
  await import('../../src/methods/all-methods.js');
  // T2 has 2 cells: one lands in the train half, so the fine granularity has a 1-cell type
  const { ds: small } = syntheticCells([40, 30, 2], 30, 2);
  const o = {
    reference: small,
    labelsKey: 'cell_type',
    methods: ['decovart', 'test-nnls'],
    granularities: [
      { name: 'coarse', map: { T0: 'A', T1: 'B', T2: 'B' } },
      { name: 'fine', map: { T0: 'T0', T1: 'T1', T2: 'T2' } },
    ],
    nSamples: 8,
    nCells: 20,
    seed: 0,
    minGeneCounts: 0,
  };
  const pooled = await runBenchmark({ ...o, outDir: join(tmp, 'decovart-pooled') });
  assert.deepEqual(pooled.failures, [], 'the benchmark default pools the 1-cell type');
  assert.ok(pooled.summary.some((r) => r.method === 'decovart' && r.granularity === 'fine' && r.metric === 'pearson'));
  const strict = await runBenchmark({ ...o, outDir: join(tmp, 'decovart-error'), methodOptions: { decovart: { tooFewCells: 'error' } } });
  assert.deepEqual(
    strict.failures.map((f) => [f.method, f.granularity, f.stage, f.code]),
    [['decovart', 'fine', 'fit', 'E_TOO_FEW_CELLS']],
  );
  const scored = new Set(strict.summary.filter((r) => r.metric === 'pearson').map((r) => `${r.method}|${r.granularity}`));
  assert.deepEqual([...scored].sort(), ['decovart|coarse', 'test-nnls|coarse', 'test-nnls|fine']);
});
