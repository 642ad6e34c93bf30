/**
 * The DGD's negative binomial count model: log-density (float64 reference and float32 tensors) and a
 * seeded sampler.
 *
 * Parametrisation [SC `logNBdensity`, spec "Decoder and count likelihood"]: mean m, "number of
 * failures" r, eps = 1e-10:
 *   log NB(k; m, r) = lgamma(k+r) − lgamma(r) − lgamma(k+1) + k·log(m/(r+m+eps) + eps) + r·log(r/(r+m+eps)).
 * This is scipy's `nbinom.logpmf(k, n=r, p=r/(r+m))` up to the eps terms. The tensor version reuses the
 * project's NB kernel (`nn/likelihoods.logNb`, scvi-tools' form with θ = r), which computes the same
 * number without the cancellation of two large lgammas when r ≫ k.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { lgammaF64, logNbFused } from '../../nn/likelihoods.js';

/** scDGD's eps inside the logs. */
export const DGD_NB_EPS = 1e-10;

/**
 * log NB(k; m, r) in float64, exactly the scDGD formula.
 *
 * @param k - Count (≥ 0; real values allowed).
 * @param m - Mean (≥ 0).
 * @param r - Number of failures (> 0).
 * @example
 * ```ts
 * logNbDgdF64(0, 1, 1); // log(1/2)
 * ```
 */
export function logNbDgdF64(k: number, m: number, r: number): number {
  const t = r + m + DGD_NB_EPS;
  return lgammaF64(k + r) - lgammaF64(r) - lgammaF64(k + 1) + k * Math.log(m / t + DGD_NB_EPS) + r * Math.log(r / t);
}

/**
 * Elementwise log NB(x; m, r) WITHOUT the −lgamma(x+1) term (constant in the parameters; add its
 * per-cell sums from `lgammaX1RowSums`), differentiable in `m` and `r`.
 *
 * @param x - Counts `[n, G]`.
 * @param m - Means `[n, G]` (> 0).
 * @param r - Dispersions `[G]` (> 0).
 * @returns `[n, G]`.
 */
export function logNbNoFactorial(x: tf.Tensor, m: tf.Tensor, r: tf.Tensor): tf.Tensor {
  // One op with an analytic gradient (nn/likelihoods.logNbFused): same value and gradient as autodiff
  // through logNb, fewer ops and saved intermediates.
  return logNbFused(x, m, r);
}

/**
 * One NB(m, r) draw as a gamma–Poisson mixture: λ ~ Gamma(r, scale m/r), k ~ Poisson(λ) (the same law
 * as torch's `NegativeBinomial(r, probs = m/(m+r))` used by scDGD's `NBLayer.sample`).
 *
 * @param m - Mean (≥ 0).
 * @param r - Number of failures (> 0).
 * @param rng - Seeded stream.
 */
export function sampleNb(m: number, r: number, rng: Rng): number {
  if (!(m > 0)) return 0;
  const lambda = rng.gamma(r) * (m / r);
  return rng.poisson(lambda);
}
