/**
 * Intervals for the signature methods by a bootstrap over genes: the genes in use are drawn with
 * replacement B times (seeded), every sample is solved again on each resample, and the 5th and
 * 95th percentiles (for `level` 0.9) of its proportions are the interval. It measures how much the
 * estimate depends on which marker genes happen to be in the signature, the main source of
 * uncertainty of a linear fit; it does not include the noise of the bulk itself (a resample keeps
 * each gene's observed value).
 */
import { InputError } from '../core/errors.js';
import { type ProgressEvent, throttledProgress, throwIfAborted } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { DenseMatrix } from '../data/dense.js';

/** The part of a signature method's solver the bootstrap calls (see `SignatureSolver`). */
export interface BootstrapSolver<O> {
  prepare(S: Float64Array, nGenes: number, nTypes: number, opts: O, seed: number): unknown;
  solve(prep: never, y: Float64Array, out: Float64Array, sample: number): unknown;
}

/** Inputs of {@link bootstrapIntervals}. */
export interface BootstrapInput<O> {
  solver: BootstrapSolver<O>;
  /** genes x cell types, row-major (the signature on the genes in use). */
  S: Float64Array;
  G: number;
  C: number;
  options: O;
  /** samples x genes (the bulk on the genes in use). */
  Y: DenseMatrix<Float64Array>;
  /** Rows of Y to solve (the non-degenerate samples); the others get [0, 0]. */
  rows: readonly number[];
  /** Number of resamples (B). */
  samples: number;
  /** Central mass of the interval (0.9: 5th to 95th percentile). */
  level: number;
  onlyPositive: boolean;
  seed: number;
  /** Checks a resampled signature (throws when it cannot be solved, e.g. a type with no gene left). */
  validate: (S: Float64Array, G: number) => void;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  label?: string;
}

/** Linear-interpolation quantile of sorted values (NumPy's default). */
function quantileSorted(v: Float64Array, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return v[lo]! + (h - lo) * (v[hi]! - v[lo]!);
}

/**
 * @returns lower/upper bounds (samples x cell types), the number of resamples used and the number
 *   redrawn because the resampled signature could not be solved.
 * @throws InputError `E_OPTION` for fewer than 2 resamples or a level outside (0, 1).
 */
export function bootstrapIntervals<O>(inp: BootstrapInput<O>): {
  lower: DenseMatrix<Float64Array>;
  upper: DenseMatrix<Float64Array>;
  used: number;
  redrawn: number;
} {
  const { G, C, Y, rows, samples: B, level } = inp;
  if (!(Number.isInteger(B) && B >= 2)) {
    throw new InputError('intervals need at least 2 bootstrap resamples', {
      code: 'E_OPTION',
      field: 'intervalSamples',
      got: B,
      expected: 'an integer >= 2, e.g. 100',
    });
  }
  if (!(level > 0 && level < 1)) {
    throw new InputError('the interval level must be in (0, 1)', {
      code: 'E_OPTION',
      field: 'intervalLevel',
      got: level,
      expected: 'e.g. 0.9',
    });
  }
  const N = Y.rows;
  const R = rows.length;
  const draws = new Float64Array(B * R * C);
  const rng = new Rng(inp.seed).fork('bootstrap-genes');
  const Sb = new Float64Array(G * C);
  const yb = new Float64Array(G);
  const out = new Float64Array(C);
  const progress = throttledProgress(inp.onProgress, 'bootstrap', B, inp.label);
  let redrawn = 0;
  for (let b = 0; b < B; b++) {
    throwIfAborted(inp.signal);
    // A resample can lose every marker of a type; draw again (bounded, so a hopeless signature ends).
    let idx: Int32Array;
    for (;;) {
      idx = rng.sampleWithReplacement(G, G);
      for (let g = 0; g < G; g++) Sb.set(inp.S.subarray(idx[g]! * C, idx[g]! * C + C), g * C);
      try {
        inp.validate(Sb, G);
        break;
      } catch (e) {
        if (!(e instanceof InputError) || ++redrawn > 10 * B) throw e;
      }
    }
    const prep = inp.solver.prepare(Sb, G, C, inp.options, inp.seed);
    for (let r = 0; r < R; r++) {
      const i = rows[r]!;
      const y = Y.row(i);
      for (let g = 0; g < G; g++) yb[g] = y[idx[g]!]!;
      out.fill(0);
      (inp.solver.solve as (p: unknown, y: Float64Array, o: Float64Array, i: number) => unknown)(prep, yb, out, i);
      let s = 0;
      for (let c = 0; c < C; c++) {
        let v = out[c]!;
        if (inp.onlyPositive && v < 0) v = 0;
        out[c] = v;
        s += v;
      }
      const base = (b * R + r) * C;
      for (let c = 0; c < C; c++) draws[base + c] = s !== 0 && Number.isFinite(s) ? out[c]! / s : Number.NaN;
    }
    progress(b + 1);
  }
  const lower = new Float64Array(N * C);
  const upper = new Float64Array(N * C);
  const col = new Float64Array(B);
  for (let r = 0; r < R; r++) {
    const i = rows[r]!;
    for (let c = 0; c < C; c++) {
      let n = 0;
      for (let b = 0; b < B; b++) {
        const v = draws[(b * R + r) * C + c]!;
        if (Number.isFinite(v)) col[n++] = v;
      }
      const v = col.subarray(0, n).sort();
      lower[i * C + c] = quantileSorted(v, n, (1 - level) / 2);
      upper[i * C + c] = quantileSorted(v, n, (1 + level) / 2);
    }
  }
  return { lower: new DenseMatrix(N, C, lower), upper: new DenseMatrix(N, C, upper), used: B, redrawn };
}
