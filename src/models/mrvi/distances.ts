/**
 * Counterfactual sample–sample distances of MrVI [seed §3.1–3.2]: for a cell with sample-unaware
 * state u, its sample-aware state under sample s is z^s = u + A_s u + a_s [seed Eq. 1], and
 * d^{s_a,s_b} = ‖z^{s_a} − z^{s_b}‖₂. Per-cell matrices D(n) are aggregated per group of cells
 * (mean over the group's cells) on the fly, so memory is O(S² × groups), never N × S × S; the
 * k-rule then drops, per group, the samples with fewer than k (default 5) cells in the group.
 *
 * Pure typed-array code (no tfjs): the model hands in batches of posterior means u.
 */
import { InputError } from '../../core/errors.js';

/** The per-sample affine maps of the seed model: z = u + A_s u + a_s. */
export interface SampleEffects {
  nSamples: number;
  /** Dimension L of u and z. */
  latent: number;
  /** A_s, row-major S × L × L ((A_s u)_i = Σ_j A_s[i, j] u_j). */
  A: Float32Array | Float64Array;
  /** a_s, row-major S × L. */
  a: Float32Array | Float64Array;
}

/**
 * z^s for every sample s of one cell.
 *
 * @param u - The cell's u (read from `u[offset .. offset+L)`).
 * @param eff - Sample effects.
 * @param out - S × L output (row-major).
 */
export function counterfactualZ(u: ArrayLike<number>, offset: number, eff: SampleEffects, out: Float64Array): Float64Array {
  const { nSamples: S, latent: L, A, a } = eff;
  for (let s = 0; s < S; s++) {
    const base = s * L * L;
    for (let i = 0; i < L; i++) {
      let v = (u[offset + i] as number) + (a[s * L + i] as number);
      const row = base + i * L;
      for (let j = 0; j < L; j++) v += (A[row + j] as number) * (u[offset + j] as number);
      out[s * L + i] = v;
    }
  }
  return out;
}

/**
 * D(n) from the counterfactual z's: symmetric S × S, zero diagonal.
 *
 * @param z - S × L (from {@link counterfactualZ}).
 * @param out - S × S output.
 */
export function pairwiseDistances(z: Float64Array, S: number, L: number, out: Float64Array): Float64Array {
  for (let i = 0; i < S; i++) {
    out[i * S + i] = 0;
    for (let j = i + 1; j < S; j++) {
      let s2 = 0;
      for (let t = 0; t < L; t++) {
        const diff = (z[i * L + t] as number) - (z[j * L + t] as number);
        s2 += diff * diff;
      }
      const d = Math.sqrt(s2);
      out[i * S + j] = d;
      out[j * S + i] = d;
    }
  }
  return out;
}

/** One group's aggregated distances after the k-rule. */
export interface GroupDistances {
  group: string;
  /** Cells of the group. */
  nCells: number;
  /** Cells per sample in the group (length S, all samples). */
  cellsPerSample: Int32Array;
  /** Indices (into the model's samples) of the samples kept by the k-rule, ascending. */
  samples: number[];
  /** Mean D over the group's cells, restricted to `samples` (row-major, samples.length²). */
  D: Float64Array;
}

/**
 * Streams cells in and keeps, per group, the sum of their D(n) and the cells per sample.
 *
 * @example
 * const acc = new DistanceAccumulator(effects, ['T', 'B']);
 * acc.add(uBatch, nRows, groupCodes, sampleCodes);
 * const out = acc.finish(5);
 */
export class DistanceAccumulator {
  readonly eff: SampleEffects;
  readonly groups: readonly string[];
  private readonly sums: Float64Array[];
  private readonly counts: Int32Array[];
  private readonly z: Float64Array;
  private readonly d: Float64Array;

  /**
   * @param eff - Sample effects of the model.
   * @param groups - Group names (codes index this list).
   */
  constructor(eff: SampleEffects, groups: readonly string[]) {
    this.eff = eff;
    this.groups = groups;
    const S = eff.nSamples;
    this.sums = groups.map(() => new Float64Array(S * S));
    this.counts = groups.map(() => new Int32Array(S));
    this.z = new Float64Array(S * eff.latent);
    this.d = new Float64Array(S * S);
  }

  /**
   * Adds a batch of cells.
   *
   * @param u - Row-major nRows × L posterior means.
   * @param nRows - Cells in the batch.
   * @param groupCodes - Group of each cell (−1 = in no group; still passed to `onCell`).
   * @param sampleCodes - Observed sample of each cell (for the k-rule counts).
   * @param onCell - Optional per-cell callback with D(n) (valid only during the call), for the
   *   guided test or per-cell output.
   */
  add(
    u: ArrayLike<number>,
    nRows: number,
    groupCodes: ArrayLike<number>,
    sampleCodes: ArrayLike<number>,
    onCell?: (row: number, D: Float64Array) => void,
  ): void {
    const { nSamples: S, latent: L } = this.eff;
    for (let r = 0; r < nRows; r++) {
      counterfactualZ(u, r * L, this.eff, this.z);
      pairwiseDistances(this.z, S, L, this.d);
      const g = groupCodes[r] as number;
      if (g >= 0) {
        const sum = this.sums[g] as Float64Array;
        for (let k = 0; k < S * S; k++) sum[k] = (sum[k] as number) + (this.d[k] as number);
        const c = this.counts[g] as Int32Array;
        const s = sampleCodes[r] as number;
        c[s] = (c[s] as number) + 1;
      }
      onCell?.(r, this.d);
    }
  }

  /**
   * Mean distances per group with the k-rule applied.
   *
   * @param k - Minimum cells of a sample in the group (seed: 5). Groups with fewer than 2 samples
   *   left are returned with their (possibly empty) sample list.
   */
  finish(k = 5): GroupDistances[] {
    const S = this.eff.nSamples;
    return this.groups.map((group, g) => {
      const counts = this.counts[g] as Int32Array;
      let nCells = 0;
      for (let s = 0; s < S; s++) nCells += counts[s] as number;
      const samples: number[] = [];
      for (let s = 0; s < S; s++) if ((counts[s] as number) >= k) samples.push(s);
      const m = samples.length;
      const D = new Float64Array(m * m);
      const sum = this.sums[g] as Float64Array;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++)
          D[i * m + j] = nCells > 0 ? (sum[(samples[i] as number) * S + (samples[j] as number)] as number) / nCells : 0;
      return { group, nCells, cellsPerSample: counts.slice(), samples, D };
    });
  }
}

/** Checks the sample-effect arrays against S and L. */
export function checkSampleEffects(eff: SampleEffects): void {
  const { nSamples: S, latent: L } = eff;
  if (eff.A.length !== S * L * L || eff.a.length !== S * L) {
    throw new InputError('sample effects have the wrong size', {
      code: 'E_SHAPE',
      field: 'A/a',
      got: [eff.A.length, eff.a.length],
      expected: [S * L * L, S * L],
    });
  }
}
