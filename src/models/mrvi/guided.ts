/**
 * The MrVI guided analysis [seed §3.3]: for a discrete sample covariate c(s), each cell's distances
 * are split into within-group pairs W_n = {d(s_a, s_b): c(s_a) = c(s_b)} and between-group pairs
 * B_n = {d(s_a, s_b): c(s_a) ≠ c(s_b)} (s_a < s_b), compared by a two-sample Kolmogorov–Smirnov
 * test; p-values are Benjamini–Hochberg adjusted across cells and the cells with adjusted p ≤ α
 * are flagged as covariate-associated.
 */
import { InputError } from '../../core/errors.js';
import { benjaminiHochberg } from '../../signature/multitest.js';
import { type KsAlternative, ksTwoSample } from './ks-two-sample.js';

/** Options of {@link GuidedTest}. */
export interface GuidedOptions {
  /**
   * 'two-sided' (default; the seed does not say) or 'between-greater': between-group distances
   * stochastically larger than within-group ones, i.e. scipy `ks_2samp(W, B, alternative='greater')`
   * (H1: F_W(x) > F_B(x) somewhere; statistic sup (F_W − F_B)).
   */
  alternative?: 'two-sided' | 'between-greater';
}

/**
 * Per-cell KS tests for one covariate; feed it each cell's D(n) and read p-values at the end.
 *
 * @example
 * const t = new GuidedTest(covariateCodes, nCells);
 * acc.add(u, n, groups, samples, (r, D) => t.addCell(offset + r, D));
 * const { pvalues, padj, flagged } = t.finish(0.05);
 */
export class GuidedTest {
  readonly nSamples: number;
  readonly pvalues: Float64Array;
  readonly statistics: Float64Array;
  private readonly within: Float64Array;
  private readonly between: Float64Array;
  private readonly pairsWithin: Int32Array;
  private readonly pairsBetween: Int32Array;
  private readonly alternative: KsAlternative;

  /**
   * @param covariate - Covariate code of each sample (length S; equal codes = same group; a
   *   negative code leaves the sample out of both sets, e.g. a sample without cells in the data).
   * @param nCells - Cells that will be tested.
   * @throws {@link InputError} `E_COVARIATE_LEVELS` when the covariate has fewer than two levels
   *   or no two samples share a level (then W or B is empty).
   */
  constructor(covariate: ArrayLike<number>, nCells: number, opts: GuidedOptions = {}) {
    const S = covariate.length;
    this.nSamples = S;
    const w: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < S; i++)
      for (let j = i + 1; j < S; j++) {
        if ((covariate[i] as number) < 0 || (covariate[j] as number) < 0) continue;
        if ((covariate[i] as number) === (covariate[j] as number)) w.push(i * S + j);
        else b.push(i * S + j);
      }
    if (w.length === 0 || b.length === 0) {
      throw new InputError('the covariate needs at least two levels and a level shared by two samples', {
        code: 'E_COVARIATE_LEVELS',
        field: 'covariate',
        got: { withinPairs: w.length, betweenPairs: b.length },
        hint: 'Choose a sample covariate with several samples per level',
      });
    }
    this.pairsWithin = Int32Array.from(w);
    this.pairsBetween = Int32Array.from(b);
    this.within = new Float64Array(w.length);
    this.between = new Float64Array(b.length);
    this.pvalues = new Float64Array(nCells).fill(Number.NaN);
    this.statistics = new Float64Array(nCells).fill(Number.NaN);
    // ksTwoSample(W, B): 'greater' tests F_W > F_B somewhere, i.e. within-group distances smaller
    this.alternative = opts.alternative === 'between-greater' ? 'greater' : 'two-sided';
  }

  /** Tests cell `index` with its D(n) (S × S, row-major). */
  addCell(index: number, D: ArrayLike<number>): void {
    for (let k = 0; k < this.pairsWithin.length; k++) this.within[k] = D[this.pairsWithin[k] as number] as number;
    for (let k = 0; k < this.pairsBetween.length; k++) this.between[k] = D[this.pairsBetween[k] as number] as number;
    this.within.sort();
    this.between.sort();
    const r = ksTwoSample(this.within, this.between, { sorted: true, alternative: this.alternative });
    this.pvalues[index] = r.pvalue;
    this.statistics[index] = r.statistic;
  }

  /**
   * BH-adjusted p-values and flags at FDR `alpha` (untested cells: p = NaN → adjusted 1, not flagged).
   */
  finish(alpha = 0.05): { pvalues: Float64Array; statistics: Float64Array; padj: Float64Array; flagged: Uint8Array } {
    const padj = benjaminiHochberg(this.pvalues);
    const flagged = new Uint8Array(padj.length);
    for (let i = 0; i < padj.length; i++) flagged[i] = (padj[i] as number) <= alpha ? 1 : 0;
    return { pvalues: this.pvalues, statistics: this.statistics, padj, flagged };
  }
}

/**
 * FDR and TPR of flags against the truth (cells truly affected).
 *
 * @returns fdr = false flags / flags (0 when nothing is flagged), tpr = true flags / affected cells.
 */
export function flagRates(
  flagged: ArrayLike<number>,
  affected: ArrayLike<number>,
): { fdr: number; tpr: number; flagged: number; affected: number } {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < flagged.length; i++) {
    const a = (affected[i] as number) ? 1 : 0;
    pos += a;
    if (flagged[i]) {
      if (a) tp++;
      else fp++;
    }
  }
  return { fdr: tp + fp > 0 ? fp / (tp + fp) : 0, tpr: pos > 0 ? tp / pos : 0, flagged: tp + fp, affected: pos };
}
