/**
 * nu-SVR deconvolution: the CIBERSORT procedure (Newman et al. 2015, Nat Methods 12:453) on a linear
 * nu-support-vector regression, solved to its optimum (default) or exactly along libsvm's path as
 * scikit-learn `NuSVR` solves it (see `linalg/svm/nu-svr.ts`), plus PyDeconv's single-nu variant.
 *
 * `mode: 'cibersort'` (default; CIBERSORT.R `CoreAlg`, as the reference harness `linear_ref.py
 * --svr-mode cibersort`):
 *  1. standardise the signature GLOBALLY: S' = (S − mean(S)) / sd(S) (one mean and one SD over all
 *     entries, sd with n − 1);
 *  2. per sample y' = (y − mean(y)) / sd(y) (n − 1);
 *  3. for ν in `nus` (default 0.25, 0.5, 0.75): fit a linear ν-SVR (C = 1, tol 1e-3), w = coef,
 *     w[w < 0] = 0, w = w / Σw, RMSE_ν = sqrt(mean((S' w − y')²));
 *  4. keep the ν with the lowest RMSE (the first one on ties, as R's `which.min`) and return its w.
 *  Reported per sample in `diagnostics.extra`: `nu` (chosen), `rmse`, `r` (Pearson(S'w, y')).
 *  Not reproduced (as in the reference): the `2^Y` anti-log when max(Y) < 50, quantile
 *  normalisation of the mixtures (CIBERSORT's QN, off for RNA-seq in CIBERSORTx) and absolute mode.
 *  5. optional (`permutations` P > 0; CIBERSORT.R `doPerm`): P random mixtures, each G values drawn
 *     without replacement from all entries of the bulk on the genes in use, go through steps 2-4;
 *     their r values, sorted, are the null distribution, and a sample's p-value is 1 − k/P where k is
 *     the (1-based) index of the null r closest to its own r (`diagnostics.extra.pvalue`). A sample
 *     the signature cannot explain has an r like the random mixtures' (p near 1 − its rank); a real
 *     mixture of the signature's types has a higher r than all of them (p near 0).
 *
 * `mode: 'pydeconv'` (PyDeconv `solver_nusvr(norm=True, scale=False)` + `NuSVR.transform`):
 * per sample lb = min(min S, min y), ub = max(max S, max y), S' = ((S − lb)/ub)·2 − 1,
 * y' = ((y − lb)/ub)·2 − 1 (sic: divided by ub, not ub − lb, as DWLS's R `solveSVR`), one ν-SVR
 * with ν = `nu` (0.5), C = 1; the raw coefficients are clipped at 0 (`onlyPositive`), and
 * `proportions` divides them by their sum.
 *
 * `solver: 'ipm'` (default) returns the exact optimum of the ν-SVR by an interior-point method
 * (`linalg/svm/nu-svr-ipm.ts`): the answer scikit-learn converges to at a tight tolerance
 * (tol 1e-10: same proportions to 1e-5), independent of the order of the genes. `solver: 'libsvm'`
 * follows libsvm's SMO path step for step and equals scikit-learn at its default tol 1e-3 (the
 * PyDeconv / CIBERSORT reference) to the last bit, about 10x slower. The two differ by libsvm's
 * stopping error (up to 7.5e-3 in proportions on the fixtures; the chosen ν can differ when two ν
 * have nearly equal RMSE), which is also how much the reference itself moves when the genes are
 * permuted (1.9e-3 on 20 samples of the 500 x 9 benchmark set) or one input changes by one ulp.
 */

import { InputError } from '../../core/errors.js';
import { throwIfAborted } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import { type KernelDot, LinearNuSvr } from '../../linalg/svm/nu-svr.js';
import { NuSvrIpm } from '../../linalg/svm/nu-svr-ipm.js';
import { columnMajorOrder, pairwiseSum, zscoreNumpy } from '../../linalg/svm/numpy-stats.js';
import { registerMethod } from '../registry.js';
import {
  defineSignatureMethod,
  type SampleOutcome,
  type SampleStatisticsContext,
  type SignatureMethodBaseOptions,
  type SignatureSolver,
} from '../signature-method.js';

/** nu-SVR method options. */
export interface NuSvrMethodOptions {
  /** 'cibersort' (default): CIBERSORT's z-scoring and ν selection; 'pydeconv': PyDeconv's single fit. */
  mode: 'cibersort' | 'pydeconv';
  /** ν values tried in cibersort mode (default [0.25, 0.5, 0.75], CIBERSORT.R). */
  nus: number[];
  /** 'ipm' (default): the exact optimum, fast; 'libsvm': libsvm's SMO path, bit-identical to scikit-learn at tol 1e-3. */
  solver: 'libsvm' | 'ipm';
  /** ν of the pydeconv mode (default 0.5, PyDeconv `solver_nusvr`). */
  nu: number;
  /** SVM cost C (default 1, both CIBERSORT and PyDeconv). */
  C: number;
  /** libsvm stopping tolerance (solver 'libsvm'; default 1e-3, scikit-learn `tol` / e1071 `tolerance`). */
  tol: number;
  /** libsvm shrinking heuristic (default true, as scikit-learn and e1071). */
  shrinking: boolean;
  /** Summation of kernel values (default 'openblas-sse2', see `KernelDot`). */
  kernelDot: KernelDot;
  /** Clip negative coefficients before normalising (default true: PyDeconv NuSVR `only_positive`). */
  onlyPositive: boolean;
  /** CIBERSORT's empirical p-value from this many random mixtures (default 0 = none; CIBERSORT uses 100 to 1000). */
  permutations: number;
}

type Opts = NuSvrMethodOptions & SignatureMethodBaseOptions;

/** The libsvm solver keeps the genes x genes kernel in float32: 8,000 genes = 244 MiB. */
export const MAX_LIBSVM_GENES = 8000;

interface CibersortPrepared {
  mode: 'cibersort';
  /** Standardised signature, genes x types row-major. */
  Sz: Float64Array;
  G: number;
  C: number;
  svr: LinearNuSvr | null;
  ipm: NuSvrIpm | null;
  opts: Opts;
  w: Float64Array;
  resid: Float64Array;
}

interface PydeconvPrepared {
  mode: 'pydeconv';
  S: Float64Array;
  G: number;
  C: number;
  sMin: number;
  sMax: number;
  opts: Opts;
  Sn: Float64Array;
}

type Prepared = CibersortPrepared | PydeconvPrepared;

/** RMSE and Pearson r of S'w against y' (NumPy's pairwise mean, as the reference). */
function fitQuality(
  Sz: Float64Array,
  G: number,
  C: number,
  w: Float64Array,
  yz: Float64Array,
  resid: Float64Array,
): { rmse: number; r: number } {
  let sp = 0;
  let sy = 0;
  for (let g = 0; g < G; g++) {
    let f = 0;
    for (let c = 0; c < C; c++) f += Sz[g * C + c]! * w[c]!;
    const e = f - yz[g]!;
    resid[g] = e * e;
    sp += f;
    sy += yz[g]!;
  }
  const rmse = Math.sqrt(pairwiseSum(resid, 0, G, 1) / G);
  // Pearson correlation (reported only, never used for the choice).
  const mp = sp / G;
  const my = sy / G;
  let cov = 0;
  let vp = 0;
  let vy = 0;
  for (let g = 0; g < G; g++) {
    let f = 0;
    for (let c = 0; c < C; c++) f += Sz[g * C + c]! * w[c]!;
    const a = f - mp;
    const b = yz[g]! - my;
    cov += a * b;
    vp += a * a;
    vy += b * b;
  }
  const r = vp > 0 && vy > 0 ? cov / Math.sqrt(vp * vy) : Number.NaN;
  return { rmse, r };
}

/** The per-sample nu-SVR solver (exported for worker threads). */
export const nusvrSolver: SignatureSolver<Opts, Prepared> = {
  prepare(S, G, C, opts) {
    if (opts.solver === 'libsvm' && G > MAX_LIBSVM_GENES) {
      throw new InputError(
        `nusvr: ${G} genes is too many for the libsvm solver (its genes x genes kernel would need ${Math.round((G * G * 4) / 2 ** 20)} MiB)`,
        {
          code: 'E_TOO_MANY_GENES',
          got: G,
          expected: `at most ${MAX_LIBSVM_GENES} genes`,
          hint: "Use options { solver: 'ipm' } (no kernel matrix), or a signature with fewer marker genes",
        },
      );
    }
    if (opts.mode === 'pydeconv') {
      let sMin = Number.POSITIVE_INFINITY;
      let sMax = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < S.length; i++) {
        const v = S[i]!;
        if (v < sMin) sMin = v;
        if (v > sMax) sMax = v;
      }
      return { mode: 'pydeconv', S, G, C, sMin, sMax, opts, Sn: new Float64Array(G * C) };
    }
    // pandas hands NumPy the genes x types signature as a column-major array, and NumPy sums it
    // in memory order: reproduce that order for a bit-identical mean and SD.
    const { z, sd } = zscoreNumpy(S, columnMajorOrder(G, C), 1);
    if (!(sd > 0) || !Number.isFinite(sd)) {
      throw new InputError('nusvr: the signature has no spread (all entries equal), it cannot be standardised', {
        code: 'E_SIGNATURE_CONSTANT',
        hint: 'Check the signature matrix',
      });
    }
    const ipm = opts.solver === 'ipm' ? new NuSvrIpm(z, G, C) : null;
    const svr = ipm ? null : new LinearNuSvr(z, G, C, { dot: opts.kernelDot });
    return { mode: 'cibersort', Sz: z, G, C, svr, ipm, opts, w: new Float64Array(C), resid: new Float64Array(G) };
  },

  solve(p, y, out): SampleOutcome {
    const { opts } = p;
    const params = { C: opts.C, tol: opts.tol, shrinking: opts.shrinking };
    if (p.mode === 'pydeconv') {
      const { G, C, S, Sn } = p;
      let yMin = Number.POSITIVE_INFINITY;
      let yMax = Number.NEGATIVE_INFINITY;
      for (let g = 0; g < G; g++) {
        const v = y[g]!;
        if (v < yMin) yMin = v;
        if (v > yMax) yMax = v;
      }
      const ub = Math.max(p.sMax, yMax);
      const lb = Math.min(p.sMin, yMin);
      for (let i = 0; i < G * C; i++) Sn[i] = ((S[i]! - lb) / ub) * 2 - 1;
      const yn = new Float64Array(G);
      for (let g = 0; g < G; g++) yn[g] = ((y[g]! - lb) / ub) * 2 - 1;
      const fit =
        opts.solver === 'ipm'
          ? new NuSvrIpm(Sn, G, C).fit(yn, { C: opts.C, nu: opts.nu })
          : new LinearNuSvr(Sn, G, C, { dot: opts.kernelDot }).fit(yn, { ...params, nu: opts.nu });
      out.set(fit.coef);
      return { iterations: fit.iterations, converged: fit.converged, extra: { nu: opts.nu } };
    }

    const { G, C, Sz, svr, ipm, w, resid } = p;
    const { z: yz, sd } = zscoreNumpy(y, null, 1);
    if (!(sd > 0)) {
      // A constant sample has no shape to fit; the wrapper reports the all-zero row.
      out.fill(0);
      return { iterations: 0, converged: true, extra: { nu: Number.NaN, rmse: Number.NaN, r: Number.NaN } };
    }
    let best = Number.POSITIVE_INFINITY;
    let bestNu = Number.NaN;
    let bestR = Number.NaN;
    let found = false;
    let iterations = 0;
    let converged = true;
    for (const nu of opts.nus) {
      const fit = ipm ? ipm.fit(yz, { C: opts.C, nu }) : svr!.fit(yz, { ...params, nu });
      iterations += fit.iterations;
      converged &&= fit.converged;
      let s = 0;
      for (let c = 0; c < C; c++) {
        const v = fit.coef[c]!;
        w[c] = Math.max(v, 0); // np.clip(coef, 0, None)
        s += w[c]!;
      }
      if (!(s > 0)) continue; // all weights clipped: RMSE = inf in CIBERSORT, never chosen
      for (let c = 0; c < C; c++) w[c] = w[c]! / s;
      const q = fitQuality(Sz, G, C, w, yz, resid);
      // Strict < keeps the first ν on ties (R which.min).
      if (!found || q.rmse < best) {
        found = true;
        best = q.rmse;
        bestNu = nu;
        bestR = q.r;
        out.set(w);
      }
    }
    if (!found) out.fill(0);
    return { iterations, converged, extra: { nu: bestNu, rmse: best, r: bestR } };
  },
  extraKeys: ['nu', 'rmse', 'r'],
  // SMO: ~50 G iterations per fit over an active set of ~0.4 G variables.
  // SMO: ~50 G iterations per fit over an active set of ~0.4 G variables; IPM: ~20 O(G C²) steps.
  costPerSample: (G, C, opts) => (opts.mode === 'pydeconv' ? 1 : opts.nus.length) * (opts.solver === 'ipm' ? 60 * G * C * C : 100 * G * G),
};

/**
 * CIBERSORT's empirical p-values (CIBERSORT.R `doPerm` and the `pval` line of `CIBERSORT`).
 *
 * @returns per bulk sample (length = samples), NaN for samples that were not solved.
 */
export function cibersortPValues(ctx: SampleStatisticsContext<Opts>): number[] {
  const { S, G, C, options, Y, rows, extras } = ctx;
  const P = options.permutations;
  // The pool: every entry of the mixtures on the genes in use (R: as.list(data.matrix(Y))).
  const pool = new Float64Array(rows.length * G);
  for (let r = 0; r < rows.length; r++) pool.set(Y.row(rows[r]!), r * G);
  const rng = new Rng(ctx.seed).fork('cibersort-permutations');
  const prep = nusvrSolver.prepare(S, G, C, options, ctx.seed);
  const yr = new Float64Array(G);
  const w = new Float64Array(C);
  const nullR: number[] = [];
  for (let p = 0; p < P; p++) {
    if ((p & 7) === 0) throwIfAborted(ctx.signal);
    // R: sample(length(Ylist), dim(X)[1]): without replacement (with replacement when the pool is smaller).
    const idx = pool.length >= G ? rng.sampleWithoutReplacement(pool.length, G) : rng.sampleWithReplacement(pool.length, G);
    for (let g = 0; g < G; g++) yr[g] = pool[idx[g]!]!;
    const o = nusvrSolver.solve(prep, yr, w, -1);
    const r = o.extra?.r;
    if (r !== undefined && Number.isFinite(r)) nullR.push(r);
  }
  nullR.sort((a, b) => a - b);
  const n = nullR.length;
  const out = new Array<number>(Y.rows).fill(Number.NaN);
  for (const i of rows) {
    const r = extras.r?.[i];
    if (r === undefined || !Number.isFinite(r) || n === 0) continue;
    // which.min(abs(nulldist - mix_r)): the first closest null value.
    let best = 0;
    for (let k = 1; k < n; k++) if (Math.abs(nullR[k]! - r) < Math.abs(nullR[best]! - r)) best = k;
    out[i] = 1 - (best + 1) / n;
  }
  return out;
}

/** The nu-SVR method spec (registered as 'nusvr'). */
export const nusvrMethod = defineSignatureMethod<NuSvrMethodOptions>({
  name: 'nusvr',
  description: 'CIBERSORT: linear nu-SVR (exact optimum; libsvm path as an option) for nu in {0.25, 0.5, 0.75}, lowest RMSE kept',
  reference: 'Newman et al. 2015, Nat Methods 12:453 (CIBERSORT); Schölkopf et al. 2000 (nu-SVR); PyDeconv NuSVR',
  defaults: {
    mode: 'cibersort',
    solver: 'ipm',
    nus: [0.25, 0.5, 0.75],
    nu: 0.5,
    C: 1,
    tol: 1e-3,
    shrinking: true,
    kernelDot: 'openblas-sse2',
    onlyPositive: true,
    permutations: 0,
  },
  options: {
    mode: { type: 'enum', values: ['cibersort', 'pydeconv'], help: "CIBERSORT's z-scoring and nu selection, or PyDeconv's single fit" },
    nus: { type: 'number-list', gt: 0, max: 1, help: 'nu values tried in cibersort mode (CIBERSORT.R)' },
    permutations: {
      type: 'integer',
      min: 0,
      help: "CIBERSORT's empirical p-value from this many random mixtures (0 = none; CIBERSORT uses 100-1000)",
    },
    solver: {
      type: 'enum',
      values: ['libsvm', 'ipm'],
      help: "'ipm': the exact optimum; 'libsvm': libsvm's SMO path (scikit-learn parity)",
    },
    nu: { type: 'number', gt: 0, max: 1, help: 'nu of the pydeconv mode (PyDeconv solver_nusvr)' },
    C: { type: 'number', gt: 0, help: 'SVM cost C (CIBERSORT and PyDeconv: 1)' },
    tol: { type: 'number', gt: 0, help: 'libsvm stopping tolerance (scikit-learn tol)' },
    shrinking: { type: 'boolean', help: 'libsvm shrinking heuristic' },
    kernelDot: {
      type: 'enum',
      values: ['openblas-sse2', 'plain'],
      help: 'Summation order of kernel values (openblas-sse2 = scikit-learn bits)',
    },
    onlyPositive: { type: 'boolean', help: 'Clip negative coefficients before normalising (PyDeconv NuSVR only_positive)' },
  },
  solve: nusvrSolver,
  sampleStatistics: (ctx): Record<string, number[]> => (ctx.options.permutations > 0 ? { pvalue: cibersortPValues(ctx) } : {}),
  solverLocation: { module: import.meta.url, exportName: 'nusvrSolver' },
  validateOptions(o) {
    const bad = (field: string, got: unknown, expected: string) =>
      new InputError(`nusvr: invalid option '${field}'`, {
        code: 'E_OPTION',
        field,
        got,
        expected,
        hint: 'See the nusvr options in docs/METHODS.md',
      });
    if (o.mode !== 'cibersort' && o.mode !== 'pydeconv') throw bad('mode', o.mode, "'cibersort' or 'pydeconv'");
    if (o.solver !== 'libsvm' && o.solver !== 'ipm') throw bad('solver', o.solver, "'libsvm' or 'ipm'");
    if (!Array.isArray(o.nus) || o.nus.length === 0 || o.nus.some((v) => !(v > 0 && v <= 1))) {
      throw bad('nus', o.nus, 'a non-empty list of values in (0, 1]');
    }
    if (!(o.nu > 0 && o.nu <= 1)) throw bad('nu', o.nu, 'a value in (0, 1]');
    if (!(o.C > 0) || !Number.isFinite(o.C)) throw bad('C', o.C, 'a finite number > 0');
    if (!(o.tol > 0)) throw bad('tol', o.tol, 'a number > 0');
    if (o.kernelDot !== 'openblas-sse2' && o.kernelDot !== 'plain') throw bad('kernelDot', o.kernelDot, "'openblas-sse2' or 'plain'");
    if (!(Number.isInteger(o.permutations) && o.permutations >= 0)) throw bad('permutations', o.permutations, 'an integer >= 0, e.g. 100');
    if (o.permutations > 0 && o.mode !== 'cibersort')
      throw bad('permutations', o.permutations, "0 unless mode is 'cibersort' (the p-value uses its r)");
  },
});

registerMethod(nusvrMethod);
