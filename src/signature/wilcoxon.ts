/**
 * Wilcoxon rank-sum (Mann-Whitney U) test of each group against the rest, per gene, as scanpy's
 * `rank_genes_groups(method='wilcoxon', reference='rest')` computes it (`_rank_genes_groups.py`):
 *
 *   z = (R1 - n1 (n + 1) / 2) / sqrt(tc n1 n2 (n + 1) / 12),  p = 2 (1 - Phi(|z|)),
 *
 * with R1 the sum of the group's mid-ranks, tc = 1 - sum(t^3 - t) / (n^3 - n) over tie blocks when
 * tie correction is on (else 1), no continuity correction, and NaN z (zero variance) set to 0.
 *
 * Sparse columns are ranked without densifying: the zeros form one tie block whose mid-rank is
 * known, so only the non-zero values are sorted. Values within 1e-12 (relative) of each other tie
 * (see {@link TIE_RELATIVE_TOLERANCE}), so mathematically equal values rounded differently still tie.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../data/matrix.js';
import type { CscMatrix } from '../data/sparse.js';
import { toCscMatrix } from '../preprocess/matrix-stats.js';
import { twoSidedNormalP } from './normal.js';

/**
 * Values closer than this (relative) are one tie block. Mathematically equal values often come out
 * a few ulp apart in floating point (1/(2000/1e4) vs 2/(4000/1e4), or log1p rounding that differs
 * between libms), and whether they tie would otherwise depend on the order of operations. Distinct
 * count ratios v1/t1 != v2/t2 differ by at least 1/(v1 t2) relative, far above this for any real
 * library size, so no distinct values are merged.
 */
export const TIE_RELATIVE_TOLERANCE = 1e-12;

/** Reusable buffers of {@link rankSumsOfColumn} (sized to the number of cells). */
export interface RankScratch {
  sorted: Float64Array;
  /** Mid-rank (among the non-zeros) of the tie block each sorted position belongs to. */
  midRank: Float64Array;
}

/** Scratch buffers for columns of up to n values. */
export function rankScratch(n: number): RankScratch {
  return { sorted: new Float64Array(n), midRank: new Float64Array(n) };
}

/**
 * Adds each group's rank sum for one column to `r1` and returns sum(t^3 - t) over its tie blocks.
 *
 * @param values - the column's non-zero values (`nnz` of them; explicit zeros are allowed).
 * @param rows - their row (cell) indices.
 * @param nnz - number of stored values.
 * @param n - number of rows of the column (cells); the n - nnz others are zeros.
 * @param groups - group index per row (0..nGroups-1).
 * @param groupSizes - number of rows per group.
 * @param nzPerGroup - out: stored non-zero values per group (zeroed here first).
 * @param r1 - out: rank sum per group (zeroed here first).
 * @param scratch - buffers from {@link rankScratch}.
 * @returns sum over tie blocks of (t^3 - t), the zero block included.
 */
export function rankSumsOfColumn(
  values: ArrayLike<number>,
  rows: ArrayLike<number>,
  nnz: number,
  n: number,
  groups: Int32Array,
  groupSizes: Float64Array,
  nzPerGroup: Float64Array,
  r1: Float64Array,
  scratch: RankScratch,
): number {
  const nGroups = r1.length;
  r1.fill(0);
  nzPerGroup.fill(0);
  const sorted = scratch.sorted;
  const midRank = scratch.midRank;
  let m = 0;
  for (let k = 0; k < nnz; k++) {
    const v = values[k] as number;
    if (v !== 0) sorted[m++] = v;
  }
  const sub = sorted.subarray(0, m);
  sub.sort();
  const z = n - m;
  // number of negative values: they rank below the zero block
  let neg = 0;
  while (neg < m && (sub[neg] as number) < 0) neg++;
  const zeroMid = neg + (z + 1) / 2;
  let ties = z > 1 ? z * z * z - z : 0;
  // tie blocks of the sorted non-zeros (within TIE_RELATIVE_TOLERANCE of the block's first value);
  // overall mid-rank = mid position among the non-zeros, shifted by the zero block when positive
  for (let a = 0; a < m; ) {
    const va = sub[a] as number;
    const lim = Math.abs(va) * TIE_RELATIVE_TOLERANCE;
    let b = a + 1;
    while (b < m && (sub[b] as number) - va <= lim) b++;
    const t = b - a;
    if (t > 1) ties += t * t * t - t;
    const mid = (a + b + 1) / 2 + (va > 0 ? z : 0);
    for (let c = a; c < b; c++) midRank[c] = mid;
    a = b;
  }
  for (let k = 0; k < nnz; k++) {
    const v = values[k] as number;
    if (v === 0) continue;
    const g = groups[rows[k] as number] as number;
    // first sorted position holding v; its block's mid-rank is v's rank
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sub[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    r1[g] = (r1[g] as number) + (midRank[lo] as number);
    nzPerGroup[g] = (nzPerGroup[g] as number) + 1;
  }
  for (let g = 0; g < nGroups; g++) r1[g] = (r1[g] as number) + ((groupSizes[g] as number) - (nzPerGroup[g] as number)) * zeroMid;
  return ties;
}

/**
 * z-score of a group's rank sum against the rest (scanpy convention, no continuity correction).
 *
 * @param r1 - rank sum of the group.
 * @param n1 - group size; n2 = n - n1.
 * @param n - number of observations.
 * @param ties - sum(t^3 - t) over tie blocks (ignored unless tieCorrect).
 * @param tieCorrect - apply the tie correction factor.
 * @returns z, or 0 when the variance is 0 (all values tied, or an empty side).
 */
export function rankSumZ(r1: number, n1: number, n: number, ties: number, tieCorrect: boolean): number {
  const n2 = n - n1;
  const tc = tieCorrect ? 1 - ties / (n * n * n - n) : 1;
  const sd = Math.sqrt((tc * n1 * n2 * (n + 1)) / 12);
  const zv = (r1 - (n1 * (n + 1)) / 2) / sd;
  return Number.isFinite(zv) ? zv : 0;
}

/** Result of {@link wilcoxonOneVsRest}: nGroups x nGenes, row-major. */
export interface WilcoxonResult {
  nGroups: number;
  nGenes: number;
  /** z-scores (group g, gene j at g * nGenes + j). */
  z: Float64Array;
  /** Two-sided p-values. */
  p: Float64Array;
}

/**
 * One-vs-rest Wilcoxon rank-sum z-scores and p-values for every group and gene.
 *
 * @param m - cells x genes (any storage; CSR/dense are compressed by column once, never densified).
 * @param groups - group index per cell, 0..nGroups-1 (every cell in a group).
 * @param nGroups - number of groups.
 * @param opts - `tieCorrect` (default true; scanpy's default is false).
 * @returns z and p, nGroups x nGenes.
 * @throws {@link InputError} `E_SHAPE` when groups does not match the cells, `E_LABELS` for an
 *   out-of-range group index.
 * @example
 * const { z, p } = wilcoxonOneVsRest(logX, codes, 9);
 */
export function wilcoxonOneVsRest(m: Matrix, groups: Int32Array, nGroups: number, opts: { tieCorrect?: boolean } = {}): WilcoxonResult {
  const tieCorrect = opts.tieCorrect ?? true;
  const n = m.rows;
  if (groups.length !== n) {
    throw new InputError('one group index per cell is required', { code: 'E_SHAPE', field: 'groups', got: groups.length, expected: n });
  }
  const sizes = new Float64Array(nGroups);
  for (let i = 0; i < n; i++) {
    const g = groups[i] as number;
    if (!(g >= 0 && g < nGroups))
      throw new InputError('group index out of range', { code: 'E_LABELS', field: `cell ${i}`, got: g, expected: `0..${nGroups - 1}` });
    sizes[g] = (sizes[g] as number) + 1;
  }
  const csc: CscMatrix = toCscMatrix(m);
  const G = m.cols;
  const z = new Float64Array(nGroups * G);
  const p = new Float64Array(nGroups * G);
  const r1 = new Float64Array(nGroups);
  const nzg = new Float64Array(nGroups);
  const scratch = rankScratch(n);
  for (let j = 0; j < G; j++) {
    const a = csc.indptr[j] as number;
    const b = csc.indptr[j + 1] as number;
    const ties = rankSumsOfColumn(csc.data.subarray(a, b), csc.indices.subarray(a, b), b - a, n, groups, sizes, nzg, r1, scratch);
    for (let g = 0; g < nGroups; g++) {
      const zv = rankSumZ(r1[g] as number, sizes[g] as number, n, ties, tieCorrect);
      z[g * G + j] = zv;
      p[g * G + j] = twoSidedNormalP(zv);
    }
  }
  return { nGroups, nGenes: G, z, p };
}
