/**
 * MrVI analyses without a model: counterfactual distances and the k-rule, KS vs scipy, BH vs
 * statsmodels, average linkage vs scipy, Robinson–Foulds vs an independent implementation, Newick.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../../../src/core/rng.js';
import { counterfactualZ, DistanceAccumulator, pairwiseDistances, type SampleEffects } from '../../../src/models/mrvi/distances.js';
import { flagRates, GuidedTest } from '../../../src/models/mrvi/guided.js';
import { ksTwoSample } from '../../../src/models/mrvi/ks-two-sample.js';
import {
  averageLinkage,
  copheneticMatrix,
  leafOrder,
  randomBinaryTree,
  restrictTree,
  robinsonFoulds,
  type SampleTree,
  toNewick,
} from '../../../src/models/mrvi/sample-tree.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/mrvi/${name}`, import.meta.url), 'utf8'));

function randomEffects(S: number, L: number, rng: Rng, opts: { zeroA?: boolean; sameA?: boolean } = {}): SampleEffects {
  const A = new Float64Array(S * L * L);
  const a = new Float64Array(S * L);
  if (!opts.zeroA) for (let i = 0; i < A.length; i++) A[i] = 0.3 * rng.normal();
  if (opts.sameA) a.fill(0.7);
  else for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return { nSamples: S, latent: L, A, a };
}

function cellD(u: Float64Array, eff: SampleEffects): Float64Array {
  const S = eff.nSamples;
  const z = counterfactualZ(u, 0, eff, new Float64Array(S * eff.latent));
  return pairwiseDistances(z, S, eff.latent, new Float64Array(S * S));
}

test('D(n) is symmetric, zero on the diagonal, non-negative and a metric', () => {
  const rng = new Rng(1);
  const S = 9;
  const L = 4;
  const eff = randomEffects(S, L, rng);
  for (let c = 0; c < 20; c++) {
    const u = Float64Array.from({ length: L }, () => rng.normal());
    const D = cellD(u, eff);
    for (let i = 0; i < S; i++) {
      assert.equal(D[i * S + i], 0);
      for (let j = 0; j < S; j++) {
        assert.equal(D[i * S + j], D[j * S + i]);
        assert.ok((D[i * S + j] as number) >= 0);
        for (let k = 0; k < S; k++) assert.ok((D[i * S + k] as number) <= (D[i * S + j] as number) + (D[j * S + k] as number) + 1e-12);
      }
    }
  }
});

test('A_s = 0 and equal a_s give all distances 0; A_s = 0 gives ||a_sa - a_sb||', () => {
  const rng = new Rng(2);
  const S = 6;
  const L = 3;
  const same = randomEffects(S, L, rng, { zeroA: true, sameA: true });
  const diff = randomEffects(S, L, rng, { zeroA: true });
  for (let c = 0; c < 10; c++) {
    const u = Float64Array.from({ length: L }, () => 3 * rng.normal());
    assert.ok(cellD(u, same).every((x) => x === 0));
    const D = cellD(u, diff);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        let s2 = 0;
        for (let t = 0; t < L; t++) s2 += ((diff.a[i * L + t] as number) - (diff.a[j * L + t] as number)) ** 2;
        assert.ok(Math.abs((D[i * S + j] as number) - Math.sqrt(s2)) < 1e-12);
      }
  }
});

test('aggregation averages D(n) over the group; the k-rule drops a sample with 4 cells and keeps one with 5', () => {
  const rng = new Rng(3);
  const S = 4;
  const L = 2;
  const eff = randomEffects(S, L, rng);
  // group 0: samples 0,1,2 with 6 cells each, sample 3 with 4 cells; group 1: sample 3 with 5 cells
  const sampleCodes: number[] = [];
  const groupCodes: number[] = [];
  const put = (s: number, g: number, times: number) => {
    for (let k = 0; k < times; k++) {
      sampleCodes.push(s);
      groupCodes.push(g);
    }
  };
  for (let s = 0; s < 3; s++) put(s, 0, 6);
  put(3, 0, 4);
  put(3, 1, 5);
  sampleCodes.push(0);
  groupCodes.push(-1); // a cell in no group
  const n = sampleCodes.length;
  const u = Float64Array.from({ length: n * L }, () => rng.normal());
  const acc = new DistanceAccumulator(eff, ['g0', 'g1']);
  let seen = 0;
  // two batches, to check that batching does not change the sums
  acc.add(u.subarray(0, 10 * L), 10, groupCodes.slice(0, 10), sampleCodes.slice(0, 10), () => seen++);
  acc.add(u.subarray(10 * L), n - 10, groupCodes.slice(10), sampleCodes.slice(10), () => seen++);
  assert.equal(seen, n);
  const [g0, g1] = acc.finish(5) as [ReturnType<DistanceAccumulator['finish']>[0], ReturnType<DistanceAccumulator['finish']>[0]];
  assert.deepEqual(g0.samples, [0, 1, 2]);
  assert.deepEqual(Array.from(g0.cellsPerSample), [6, 6, 6, 4]);
  assert.deepEqual(g1.samples, [3]); // 5 cells: kept (the others have none in g1)
  assert.equal(g1.cellsPerSample[3], 5);
  assert.equal(g1.D.length, 1);
  assert.deepEqual(new DistanceAccumulator(eff, ['x']).finish(5)[0]?.samples, []);
  // mean by hand for g0, entry (0, 2)
  let sum = 0;
  for (let c = 0; c < 22; c++) sum += cellD(u.slice(c * L, c * L + L), eff)[0 * S + 2] as number;
  assert.ok(Math.abs((g0.D[0 * 3 + 2] as number) - sum / 22) < 1e-12);
  // k = 4 keeps sample 3 in g0
  assert.deepEqual(acc.finish(4)[0]?.samples, [0, 1, 2, 3]);
});

test('KS two-sample statistic and p-value match scipy ks_2samp (auto)', () => {
  const { cases } = fixture('ks_2samp.json');
  for (const c of cases) {
    let a: number[] = c.a;
    let b: number[] = c.b;
    if (c.gen) {
      const [n1, n2, shift, scale] = c.gen as number[];
      a = Array.from({ length: n1 as number }, (_, i) => (i + 0.5) / (n1 as number));
      b = Array.from({ length: n2 as number }, (_, j) => (shift as number) + (scale as number) * ((j + 0.5) / (n2 as number)));
    }
    const r = ksTwoSample(a, b, { alternative: c.alternative });
    const label = `${a.length} vs ${b.length} ${c.alternative} (${r.method})`;
    assert.ok(Math.abs(r.statistic - c.statistic) < 1e-12, `${label}: D ${r.statistic} vs ${c.statistic}`);
    const tol = r.method === 'exact' ? 1e-9 + 1e-7 * c.pvalue : 1e-4 + 1e-3 * c.pvalue;
    assert.ok(Math.abs(r.pvalue - c.pvalue) < tol, `${label}: p ${r.pvalue} vs ${c.pvalue}`);
  }
});

test('KS: identical sets give statistic 0 and p 1; separated sets give statistic 1', () => {
  const x = [0.3, 1.2, 2.5, 2.5, 4];
  assert.deepEqual(ksTwoSample(x, x), { statistic: 0, pvalue: 1, method: 'exact' });
  assert.equal(ksTwoSample([1, 2, 3], [7, 8, 9, 10]).statistic, 1);
  assert.throws(() => ksTwoSample([], [1]), /E_KS_EMPTY|empty/);
});

test('guided test: per-cell KS p-values vs scipy and BH vs statsmodels', () => {
  const g = fixture('guided.json');
  const t = new GuidedTest(g.covariate, g.D.length);
  g.D.forEach((D: number[], i: number) => {
    t.addCell(i, D);
  });
  const r = t.finish(0.05);
  g.pvalues.forEach((p: number, i: number) => {
    assert.ok(Math.abs((r.pvalues[i] as number) - p) < 1e-9 + 1e-7 * p, `cell ${i}: ${r.pvalues[i]} vs ${p}`);
    assert.ok(Math.abs((r.padj[i] as number) - (g.padj[i] as number)) < 1e-9 + 1e-7 * p, `cell ${i} padj`);
    assert.equal(r.flagged[i], (g.padj[i] as number) <= 0.05 ? 1 : 0);
  });
  assert.throws(() => new GuidedTest([0, 1, 2], 1), /E_COVARIATE_LEVELS|two levels/);
  // one pair left, between only
  assert.throws(
    () => new GuidedTest([0, -1, 1, -1], 1),
    (e: Error & { code?: string }) => e.code === 'E_COVARIATE_LEVELS',
  );
  // a sample without a value (-1) is left out: same p-values as the matrix without it
  const D5 = Float64Array.from({ length: 25 }, (_, k) => (Math.floor(k / 5) === k % 5 ? 0 : 1 + ((k * 7919) % 13) / 13));
  for (let i = 0; i < 5; i++) for (let j = 0; j < i; j++) D5[i * 5 + j] = D5[j * 5 + i] as number;
  const withGap = new GuidedTest([0, 0, -1, 1, 1], 1);
  withGap.addCell(0, D5);
  const keep = [0, 1, 3, 4];
  const D4 = Float64Array.from({ length: 16 }, (_, k) => D5[(keep[Math.floor(k / 4)] as number) * 5 + (keep[k % 4] as number)] as number);
  const without = new GuidedTest([0, 0, 1, 1], 1);
  without.addCell(0, D4);
  assert.equal(withGap.pvalues[0], without.pvalues[0]);
  assert.deepEqual(flagRates([1, 1, 0, 0], [1, 0, 1, 0]), { fdr: 0.5, tpr: 0.5, flagged: 2, affected: 2 });
});

test('average linkage matches scipy (heights and cophenetic distances)', () => {
  const f = fixture('linkage.json');
  const tree = averageLinkage(f.D, f.n);
  tree.height.forEach((h, k) => {
    assert.ok(Math.abs(h - f.heights[k]) < 1e-12, `merge ${k}`);
  });
  const coph = copheneticMatrix(tree);
  coph.forEach((v, i) => {
    assert.ok(Math.abs(v - f.cophenetic[i]) < 1e-12);
  });
  const order = leafOrder(tree);
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: f.n }, (_, i) => i),
  );
});

function fromMerges(n: number, merges: number[][]): SampleTree {
  return {
    nLeaves: n,
    left: Int32Array.from(merges.map((m) => m[0] as number)),
    right: Int32Array.from(merges.map((m) => m[1] as number)),
    height: Float64Array.from(merges.map((_, k) => k + 1)),
  };
}

test('Robinson–Foulds distance matches the reference implementation', () => {
  const { cases } = fixture('rf.json');
  for (const c of cases) {
    const r = robinsonFoulds(fromMerges(c.n, c.a), fromMerges(c.n, c.b));
    assert.equal(r.rf, c.rf, `n=${c.n}`);
    assert.equal(r.max, 2 * (c.n - 3));
  }
  // relabelling leaves of the second tree
  const t = randomBinaryTree(10, new Rng(4));
  assert.equal(robinsonFoulds(t, t).rf, 0);
  // restricting a tree to all its leaves is the same tree
  assert.equal(
    robinsonFoulds(
      restrictTree(
        t,
        Array.from({ length: 10 }, (_, i) => i),
      ),
      t,
    ).rf,
    0,
  );
  const sub = restrictTree(t, [0, 3, 5, 7, 9]);
  assert.equal(sub.nLeaves, 5);
  assert.equal(sub.left.length, 4);
});

test('Newick output of a small tree', () => {
  const D = Float64Array.of(0, 2, 8, 2, 0, 8, 8, 8, 0);
  const tree = averageLinkage(D, 3);
  assert.equal(toNewick(tree, ['a', 'b', 'c']), '(c:8,(a:2,b:2):6);');
  assert.equal(toNewick(tree, ['d 1', "it's", 'x']), "(x:8,('d 1':2,'it''s':2):6);");
});
