/**
 * Deconvolution in latent space [P §2.3 Eq. 3; PYD `solver_mixupvi_module`]: p̂ = NNLS(Z_sig, z_b),
 * with Z_sig the d x C latent signature and z_b a bulk's posterior mean; optional intercept (the fork's
 * benchmark used sklearn LinearRegression(positive=True), which centres both sides).
 */
import { nnls } from '../../../linalg/nnls.js';

/** Result of one latent NNLS. */
export interface LatentFit {
  /** Raw NNLS coefficients (length C). */
  coef: Float64Array;
  /** Coefficients normalised to sum 1 (all zeros when they sum to 0). */
  proportions: Float64Array;
  converged: boolean;
  iterations: number;
  /** True when every coefficient is 0 (proportions undefined, reported as zeros). */
  degenerate: boolean;
}

/**
 * Solves min ‖Z_sig p − z‖₂, p ≥ 0.
 *
 * @param sig - Row-major `[d, C]` latent signature (column c = code of cell type c).
 * @param z - Length-d latent code of the sample (any array-like, e.g. a Float32Array row view).
 * @param d - Latent dimension.
 * @param C - Number of cell types.
 * @param fitIntercept - Centre both sides over the d coordinates first (free intercept).
 * @example
 * ```ts
 * latentNnls(Float64Array.of(1, 0, 0, 1, 1, 1), [0.2, 0.8, 1], 3, 2, false).proportions; // [0.2, 0.8]
 * ```
 */
export function latentNnls(sig: Float64Array, z: ArrayLike<number>, d: number, C: number, fitIntercept: boolean): LatentFit {
  let A = sig;
  const b = Float64Array.from({ length: d }, (_, i) => z[i] as number);
  if (fitIntercept) {
    A = Float64Array.from(sig);
    let bm = 0;
    for (let i = 0; i < d; i++) bm += b[i] as number;
    bm /= d;
    for (let i = 0; i < d; i++) b[i] = (b[i] as number) - bm;
    for (let c = 0; c < C; c++) {
      let m = 0;
      for (let i = 0; i < d; i++) m += A[i * C + c] as number;
      m /= d;
      for (let i = 0; i < d; i++) A[i * C + c] = (A[i * C + c] as number) - m;
    }
  }
  const r = nnls(d, C, A, b);
  const coef = r.x;
  let s = 0;
  for (const v of coef) s += v;
  const proportions = new Float64Array(C);
  if (s > 0) for (let c = 0; c < C; c++) proportions[c] = (coef[c] as number) / s;
  return { coef, proportions, converged: r.converged, iterations: r.iterations, degenerate: !(s > 0) };
}

// The package's one Pearson correlation and quantile (linalg/stats.ts), re-exported for existing importers.
export { pearson, quantileSorted } from '../../../linalg/stats.js';
