import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DenseMatrix } from '../../src/data/dense.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { conditionNumber } from '../../src/signature/kappa.js';
import { benjaminiHochberg, bonferroni } from '../../src/signature/multitest.js';
import { erfc, twoSidedNormalP } from '../../src/signature/normal.js';
import { incompleteBeta, lnGamma, twoSidedTP } from '../../src/signature/student-t.js';
import { rankScratch, rankSumsOfColumn, wilcoxonOneVsRest } from '../../src/signature/wilcoxon.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/signature/${name}`, import.meta.url), 'utf8'));

function close(a: number, b: number, rel: number, msg?: string) {
  const tol = rel * Math.max(1, Math.abs(b));
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} got ${a}, expected ${b}`);
}

function relClose(a: number, b: number, rel: number, msg?: string) {
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b) + 1e-300, `${msg ?? ''} got ${a}, expected ${b}`);
}

test('erfc matches known values, including deep tails', () => {
  assert.equal(erfc(0), 1);
  // values from scipy.special.erfc 1.10.1
  relClose(erfc(0.5), 0.4795001221869535, 1e-15);
  relClose(erfc(1), 0.15729920705028516, 1e-15);
  relClose(erfc(2), 0.004677734981047266, 1e-15);
  relClose(erfc(5), 1.5374597944280347e-12, 1e-14);
  relClose(erfc(10), 2.0884875837625446e-45, 1e-14);
  relClose(erfc(-1), 1.8427007929497148, 1e-15);
  // scipy flushes this to 0; exp(-729) / (27 sqrt(pi)) ~ 5.2e-319 is a subnormal
  assert.ok(erfc(27) > 4e-319 && erfc(27) < 6e-319);
  assert.equal(erfc(40), 0);
  assert.equal(erfc(-40), 2);
  assert.ok(Number.isNaN(erfc(Number.NaN)));
  relClose(twoSidedNormalP(1.959963984540054), 0.05, 1e-14);
  relClose(twoSidedNormalP(-1.959963984540054), 0.05, 1e-14);
});

test('rank sums: hand-checkable column with a zero block, ties and negatives', () => {
  // values (cell order): 0, 2, -1, 2, 0, 5 -> sorted -1 | 0 0 | 2 2 | 5 -> ranks 1 | 2.5 2.5 | 4.5 4.5 | 6
  const values = [2, -1, 2, 5];
  const rows = [1, 2, 3, 5];
  const groups = Int32Array.from([0, 0, 1, 1, 0, 1]);
  const sizes = Float64Array.from([3, 3]);
  const r1 = new Float64Array(2);
  const nz = new Float64Array(2);
  const ties = rankSumsOfColumn(values, rows, 4, 6, groups, sizes, nz, r1, rankScratch(6));
  // group 0: cells 0 (2.5), 1 (4.5), 4 (2.5) = 9.5 ; group 1: cells 2 (1), 3 (4.5), 5 (6) = 11.5
  assert.deepEqual(Array.from(r1), [9.5, 11.5]);
  assert.deepEqual(Array.from(nz), [1, 3]);
  assert.equal(ties, 6 + 6); // two blocks of 2
});

test('Wilcoxon one-vs-rest equals scipy (z from rankdata, p from mannwhitneyu asymptotic, no continuity) on dense and sparse input', () => {
  const f = fixture('wilcoxon.json');
  const counts = new DenseMatrix(f.nCells, f.nGenes, Float64Array.from(f.counts));
  // log1p(normalize_total(1e4)) as scanpy's X
  const x = counts.copy();
  for (let i = 0; i < f.nCells; i++) {
    const row = x.row(i);
    const s = row.reduce((a: number, b: number) => a + b, 0);
    for (let j = 0; j < row.length; j++) row[j] = Math.log1p((row[j] as number) / (s / 1e4));
  }
  const groups = Int32Array.from(f.groups);
  for (const m of [x, CsrMatrix.fromDense(x), CsrMatrix.fromDense(x).toCsc()]) {
    const tc = wilcoxonOneVsRest(m, groups, f.nGroups);
    const nt = wilcoxonOneVsRest(m, groups, f.nGroups, { tieCorrect: false });
    for (let k = 0; k < tc.z.length; k++) {
      close(tc.z[k] as number, f.zTieCorrected[k], 1e-10, `z[${k}]`);
      close(nt.z[k] as number, f.zNoTieCorrection[k], 1e-10, `z (no ties)[${k}]`);
      relClose(tc.p[k] as number, f.pTieCorrected[k], 1e-9, `p[${k}]`);
      relClose(nt.p[k] as number, f.pNoTieCorrection[k], 1e-9, `p (no ties)[${k}]`);
      if (f.pScipyMannWhitney[k] !== null) relClose(tc.p[k] as number, f.pScipyMannWhitney[k], 1e-9, `mannwhitneyu p[${k}]`);
      else assert.equal(tc.p[k], 1); // constant gene: z = 0, p = 1 (scanpy sets NaN z to 0)
    }
  }
});

test('Benjamini-Hochberg and Bonferroni equal statsmodels multipletests', () => {
  const f = fixture('multitest.json');
  const bh = benjaminiHochberg(f.p);
  const bo = bonferroni(f.p);
  for (let k = 0; k < f.p.length; k++) {
    relClose(bh[k] as number, f.fdr_bh[k], 1e-12, `bh[${k}]`);
    relClose(bo[k] as number, f.bonferroni[k], 1e-12, `bonferroni[${k}]`);
  }
  // the spec's worked example, and properties
  const ex = benjaminiHochberg([0.01, 0.04, 0.03, 0.2]);
  relClose(ex[0] as number, 0.04, 1e-15);
  relClose(ex[1] as number, 0.04 / 0.75, 1e-15);
  relClose(ex[2] as number, 0.04 / 0.75, 1e-15);
  relClose(ex[3] as number, 0.2, 1e-15);
  assert.deepEqual(Array.from(benjaminiHochberg([Number.NaN, 0.5])), [1, 1]);
  const order = Array.from(f.p as number[], (_, i) => i).sort((a, b) => f.p[a] - f.p[b]);
  for (let k = 1; k < order.length; k++) assert.ok((bh[order[k] as number] as number) >= (bh[order[k - 1] as number] as number));
  for (let k = 0; k < f.p.length; k++) assert.ok((bh[k] as number) >= f.p[k] && (bh[k] as number) <= 1);
});

test('condition number equals numpy (QR 1-norm of R, 2-norm cond) and R kappa(), and has the invariances of the spec', () => {
  const f = fixture('kappa.json');
  for (const c of f.cases) {
    relClose(conditionNumber(c.S, c.rows, c.cols), c.kappaR1, 1e-9, `r1 ${c.rows}x${c.cols}`);
    relClose(conditionNumber(c.S, c.rows, c.cols, '2'), c.kappa2, 1e-9, `2 ${c.rows}x${c.cols}`);
    // R 4.2's own kappa(S) (LINPACK dtrco estimate) and kappa(S, exact = TRUE)
    relClose(conditionNumber(c.S, c.rows, c.cols, 'linpack'), c.kappaRLinpack, 1e-9, `R kappa ${c.rows}x${c.cols}`);
    relClose(conditionNumber(c.S, c.rows, c.cols, '2'), c.kappaRExact2, 1e-9, `R kappa exact ${c.rows}x${c.cols}`);
    assert.ok(conditionNumber(c.S, c.rows, c.cols, 'linpack') <= c.kappaR1 * (1 + 1e-12), 'the estimate is a lower bound');
  }
  const c = f.cases[1];
  const k = conditionNumber(c.S, c.rows, c.cols);
  relClose(
    conditionNumber(
      c.S.map((v: number) => v * 123.5),
      c.rows,
      c.cols,
    ),
    k,
    1e-10,
    'scale',
  );
  // row permutation
  const rows: number[][] = [];
  for (let i = 0; i < c.rows; i++) rows.push(c.S.slice(i * c.cols, (i + 1) * c.cols));
  rows.reverse();
  relClose(conditionNumber(rows.flat(), c.rows, c.cols), k, 1e-10, 'row permutation');
  // identity-like
  assert.equal(conditionNumber([2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0], 4, 3), 1);
  // duplicated column, zero column, fewer genes than types
  for (const norm of ['r1', 'linpack', '2'] as const)
    assert.equal(conditionNumber([1, 1, 2, 2, 3, 3], 3, 2, norm), Number.POSITIVE_INFINITY);
  assert.equal(conditionNumber([1, 0, 2, 0, 3, 0], 3, 2), Number.POSITIVE_INFINITY);
  assert.equal(conditionNumber([1, 2, 3], 1, 3), Number.POSITIVE_INFINITY);
});

test('Student t two-sided p and log-gamma equal scipy', () => {
  // scipy 1.10.1: 2 * stats.t.sf(t, df), special.gammaln
  relClose(twoSidedTP(2, 10), 0.07338803477074039, 1e-12);
  relClose(twoSidedTP(-2, 10), 0.07338803477074039, 1e-12);
  relClose(twoSidedTP(8.5, 37.3), 2.962259453585572e-10, 1e-12);
  relClose(twoSidedTP(0.3, 3.5), 0.7811334098398897, 1e-12);
  relClose(twoSidedTP(40, 120), 3.1336483986165214e-71, 1e-11);
  assert.equal(twoSidedTP(0, 5), 1);
  assert.equal(twoSidedTP(Number.POSITIVE_INFINITY, 5), 0);
  relClose(lnGamma(0.3), 1.0957979948180756, 1e-14);
  relClose(lnGamma(5), Math.log(24), 1e-14);
  relClose(incompleteBeta(0.5, 2, 2), 0.5, 1e-14);
});
