import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cellTypeMetrics,
  concordance,
  klDivergence,
  mse,
  pearson,
  r2Flat,
  r2Score,
  rmse,
  sampleMetrics,
  summarize,
  wasserstein1d,
} from '../../src/benchmark/metrics.js';
import { DenseMatrix } from '../../src/data/dense.js';

const fixtureDir = new URL('../fixtures/benchmark/', import.meta.url);
const close = (a: number, b: number, tol = 1e-12, msg = '') =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} got ${a}, expected ${b}`);

test('hand-computed values and the spec invariants', () => {
  const b = [0.1, 0.2, 0.3, 0.4];
  close(
    pearson(
      b,
      b.map((x) => 2 * x + 1),
    ),
    1,
  );
  close(pearson(b, [0.4, 0.3, 0.2, 0.1]), -1);
  // [1,2,3] vs [1,3,2]: centred (-1,0,1)·(-1,1,0) = 1, norms sqrt(2)·sqrt(2) -> 0.5
  close(pearson([1, 2, 3], [1, 3, 2]), 0.5);
  assert.ok(Number.isNaN(pearson(b, [0.25, 0.25, 0.25, 0.25])), 'constant vector -> NaN');
  assert.equal(mse(b, b), 0);
  close(mse([0, 0], [0.1, 0.3]), (0.01 + 0.09) / 2);
  close(rmse([0, 0], [0.3, 0.4]), Math.sqrt(0.125));
  assert.equal(klDivergence(b, b), 0);
  // KL([0.5,0.5] || [0.25,0.75]) = 0.5 ln 2 + 0.5 ln(2/3)
  close(klDivergence([0.5, 0.5], [0.25, 0.75]), 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 1e-9);
  assert.equal(wasserstein1d(b, [0.4, 0.1, 0.3, 0.2]), 0, 'W1 of a permuted vector is 0');
  close(wasserstein1d([0, 1], [0.5, 1.5]), 0.5);
  close(concordance(b, b), 1);
  // CCC of a shifted copy: 2 var / (2 var + shift^2), var = 0.0125
  close(
    concordance(
      b,
      b.map((x) => x + 0.1),
    ),
    (2 * 0.0125) / (2 * 0.0125 + 0.01),
  );
  const s = summarize([3, 1, Number.NaN, 2, 4]);
  assert.deepEqual([s.n, s.nExcluded, s.median, s.q1, s.q3, s.iqr, s.mean], [4, 1, 2.5, 1.75, 3.25, 1.5, 2.5]);
});

test('per-sample and per-cell-type metrics match scipy/sklearn (fixture)', () => {
  const f = JSON.parse(readFileSync(new URL('metrics.json', fixtureDir), 'utf8'));
  const truth = DenseMatrix.fromRows(f.truth);
  const pred = DenseMatrix.fromRows(f.pred);
  const m = sampleMetrics(truth, pred);
  f.samples.forEach((s: Record<string, number | null>, i: number) => {
    close(m.pearson[i] as number, s.pearson as number, 1e-12, `pearson[${i}]`);
    close(m.mse[i] as number, s.mse as number, 1e-12, `mse[${i}]`);
    close(m.ccc[i] as number, s.ccc as number, 1e-12, `ccc[${i}]`);
    close(m.kl[i] as number, s.kl as number, 1e-10, `kl[${i}]`);
    // the epsilon convention stays within 1e-8 of scipy.special.rel_entr where rel_entr is finite
    if (s.kl_rel_entr !== null) close(m.kl[i] as number, s.kl_rel_entr as number, 1e-8, `rel_entr[${i}]`);
    close(m.wasserstein[i] as number, s.wasserstein as number, 1e-12, `wasserstein[${i}]`);
  });
  assert.ok(
    f.samples.some((s: { kl_rel_entr: number | null }) => s.kl_rel_entr === null),
    'fixture covers a predicted zero',
  );
  const ct = cellTypeMetrics(truth, pred);
  f.celltypes.forEach((c: Record<string, number>, k: number) => {
    close(ct.pearson[k] as number, c.pearson as number, 1e-12, `celltype pearson[${k}]`);
    close(ct.rmse[k] as number, c.rmse as number, 1e-12, `celltype rmse[${k}]`);
    close(ct.r2[k] as number, c.r2 as number, 1e-12, `celltype r2[${k}]`);
  });
  close(r2Score(truth, pred), f.r2_uniform_average, 1e-12, 'r2_score uniform_average');
  close(r2Flat(truth, pred), f.r2_flat, 1e-12, 'r2 flat');
  const w = f.wasserstein_unequal;
  close(wasserstein1d(w.u, w.v), w.value, 1e-12, 'wasserstein unequal lengths');
  const s = summarize(f.summary.values.map((x: number | null) => (x === null ? Number.NaN : x)));
  close(s.median, f.summary.median);
  close(s.q1, f.summary.q1);
  close(s.q3, f.summary.q3);
  close(s.mean, f.summary.mean);
  assert.equal(s.nExcluded, 2);
});

/** Minimal reader for the shared prediction tables (first column = sample name). */
function readTable(path: string): { rows: string[]; cols: string[]; values: number[][] } {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = (lines[0] as string).split(',').slice(1);
  const rows: string[] = [];
  const values: number[][] = [];
  for (const line of lines.slice(1)) {
    const parts = line.split(',');
    rows.push(parts[0] as string);
    values.push(parts.slice(1).map(Number));
  }
  return { rows, cols, values };
}

const tapeDir = fileURLToPath(new URL('../../../shared/data/pydeconv_tape_outputs/', import.meta.url));
const hasTape = existsSync(`${tapeDir}df_proportions_test.csv`);

test('scores PyDeconv TAPE/Scaden predictions like scipy (columns matched by name)', {
  skip: hasTape ? false : 'shared/data/pydeconv_tape_outputs not present (not part of the repository)',
}, () => {
  const ref = JSON.parse(readFileSync(new URL('tape_scores.json', fixtureDir), 'utf8'));
  const t = readTable(`${tapeDir}df_proportions_test.csv`);
  const truth = DenseMatrix.fromRows(t.values);
  for (const name of ['tape', 'tape_no_adaptative', 'scaden']) {
    const p = readTable(`${tapeDir}deconv_results_${name}.csv`);
    assert.notDeepEqual(p.cols, t.cols, 'the prediction files order their columns differently');
    const rowIdx = new Map(p.rows.map((r, i) => [r, i]));
    const pred = DenseMatrix.fromRows(
      t.rows.map((r) => {
        const src = p.values[rowIdx.get(r) as number] as number[];
        return t.cols.map((c) => src[p.cols.indexOf(c)] as number);
      }),
    );
    const m = sampleMetrics(truth, pred);
    const r = summarize(m.pearson);
    const e = summarize(m.mse);
    close(r.median, ref[name].pearson_median, 1e-9, `${name} median pearson`);
    close(r.mean, ref[name].pearson_mean, 1e-9, `${name} mean pearson`);
    assert.equal(r.nExcluded, ref[name].pearson_nan);
    close(e.median, ref[name].mse_median, 1e-9, `${name} median mse`);
    close(e.mean, ref[name].mse_mean, 1e-9, `${name} mean mse`);
    ref[name].pearson_first.forEach((x: number, i: number) => {
      close(m.pearson[i] as number, x, 1e-9);
    });
  }
});
