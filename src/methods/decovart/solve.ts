/**
 * DeCovarT for one bulk sample: maximise ℓ_c(ψ(θ)) over θ ∈ R^{J−1} with the marqLevAlg-style
 * Levenberg–Marquardt (seed 002 §2.3, R `deconvolute_ratios_DeCoVarT`), starting from NNLS.
 */
import { nnls } from '../../linalg/nnls.js';
import type { DecovartLikelihood, LikelihoodEval } from './likelihood.js';
import { type LmOptions, type LmStop, levenbergMarquardt } from './lm.js';
import { chainRule, pToTheta, thetaToP } from './simplex.js';

/** Per-sample settings. */
export interface SampleSolveOptions extends LmOptions {
  /** Starting point: renormalised NNLS (default) or the R package's uniform p = 1/J. */
  init: 'nnls' | 'uniform';
  /** NNLS proportions below this are raised to it before mapping to θ (ψ⁻¹ needs p > 0). */
  initFloor: number;
  /** Final proportions below this are set to 0 and the rest renormalised ("enforce identifiability"). */
  zeroBelow: number;
  /**
   * Proportions below this (before and after a step) are "at the boundary": their θ drifts to −∞ by
   * about 1 per Newton step with no change in ℓ, so marqLevAlg's Σδ² never falls below epsa. Such
   * coordinates are left out of the parameter-stability criterion (0 disables this: pure marqLevAlg).
   */
  boundaryP: number;
}

/** marqLevAlg thresholds of the R package, NNLS start, boundary rule on. */
export const SAMPLE_SOLVE_DEFAULTS: SampleSolveOptions = {
  epsa: 1e-4,
  epsb: 1e-4,
  epsd: 1e-4,
  maxIter: 200,
  init: 'nnls',
  initFloor: 1e-3,
  zeroBelow: 1e-10,
  boundaryP: 1e-6,
};

/** What one sample's solve reports. */
export interface SampleSolution {
  /** Proportions (length J, ≥ 0, sum 1). Never NaN: falls back to the starting point on failure. */
  p: Float64Array;
  /** The starting proportions (NNLS, renormalised, or uniform). */
  p0: Float64Array;
  iterations: number;
  converged: boolean;
  stop: LmStop | 'fallback';
  /** ℓ_c at p (−Infinity when Σ(p) was never positive definite). */
  logLik: number;
  rdm: number;
}

/**
 * Renormalised NNLS of y on μ (genes x types), the initial point and the toy experiment's
 * baseline. An all-zero NNLS solution gives the uniform vector.
 *
 * @param muGT genes x types row-major.
 */
export function nnlsProportions(muGT: Float64Array, G: number, J: number, y: Float64Array): Float64Array {
  const x = nnls(G, J, muGT, y).x;
  let s = 0;
  for (let j = 0; j < J; j++) s += x[j]!;
  if (!(s > 0) || !Number.isFinite(s)) return new Float64Array(J).fill(1 / J);
  for (let j = 0; j < J; j++) x[j] = x[j]! / s;
  return x;
}

/**
 * Parameter stability that ignores proportions at the simplex boundary. With every proportion
 * ≥ `boundaryP` it is exactly marqLevAlg's Σ_k δ_k². Otherwise, over the set A of proportions that are
 * not at the boundary, it is the same measure for the softmax re-referenced to the largest proportion
 * r ∈ A: Σ_{k∈A, k≠r} (Δ ln p_k − Δ ln p_r)².
 */
export function boundaryStepNorm(J: number, boundaryP: number): (theta: Float64Array, delta: Float64Array) => number {
  const p0 = new Float64Array(J);
  const p1 = new Float64Array(J);
  const t1 = new Float64Array(J - 1);
  return (theta, delta) => {
    thetaToP(theta, p0);
    for (let k = 0; k < J - 1; k++) t1[k] = theta[k]! + delta[k]!;
    thetaToP(t1, p1);
    let all = true;
    let r = 0;
    for (let k = 0; k < J; k++) {
      if (Math.max(p0[k]!, p1[k]!) < boundaryP) all = false;
      if (p1[k]! > p1[r]!) r = k;
    }
    let s = 0;
    if (all) {
      for (let k = 0; k < J - 1; k++) s += delta[k]! * delta[k]!;
      return s;
    }
    // Δ ln p_k = δ_k − Δ ln A (k < J), Δ ln p_J = −Δ ln A: differences to r need only δ.
    const dr = r < J - 1 ? delta[r]! : 0;
    for (let k = 0; k < J; k++) {
      if (k === r || Math.max(p0[k]!, p1[k]!) < boundaryP) continue;
      const d = (k < J - 1 ? delta[k]! : 0) - dr;
      s += d * d;
    }
    return s;
  };
}

/**
 * Solves one sample.
 *
 * @param lik the fitted model (means, covariances, c).
 * @param muGT the same means as genes x types row-major (for NNLS).
 * @param y bulk sample on the model's genes, same scale as the means.
 */
export function solveSample(lik: DecovartLikelihood, muGT: Float64Array, y: Float64Array, opts: SampleSolveOptions): SampleSolution {
  const J = lik.nTypes;
  const m = J - 1;
  const G = lik.nGenes;
  const p0 = opts.init === 'nnls' ? nnlsProportions(muGT, G, J, y) : new Float64Array(J).fill(1 / J);
  if (J === 1) {
    const e = lik.newEval();
    lik.evaluate(y, p0, 0, e);
    return { p: p0, p0, iterations: 0, converged: true, stop: 'converged', logLik: e.value, rdm: 0 };
  }
  const start = p0.slice();
  for (let j = 0; j < J; j++) start[j] = Math.max(start[j]!, opts.initFloor);
  const theta0 = pToTheta(start, new Float64Array(m));

  const e: LikelihoodEval = lik.newEval();
  const p = new Float64Array(J);
  const obj = {
    nParams: m,
    evaluate(theta: Float64Array, order: 0 | 2, grad: Float64Array, hess: Float64Array): number {
      thetaToP(theta, p);
      if (!lik.evaluate(y, p, order, e)) return Number.POSITIVE_INFINITY;
      if (order === 2) {
        chainRule(p, e.grad, e.hess, grad, hess);
        for (let k = 0; k < m; k++) grad[k] = -grad[k]!;
        for (let k = 0; k < m * m; k++) hess[k] = -hess[k]!;
      }
      return -e.value;
    },
  };
  const res = levenbergMarquardt(obj, theta0, opts, opts.boundaryP > 0 ? boundaryStepNorm(J, opts.boundaryP) : undefined);
  const out = thetaToP(res.theta, new Float64Array(J));
  let ok = Number.isFinite(res.value);
  for (let j = 0; j < J; j++) if (!Number.isFinite(out[j]!)) ok = false;
  if (!ok) {
    const e0 = lik.newEval();
    lik.evaluate(y, p0, 0, e0);
    return { p: p0, p0, iterations: res.iterations, converged: false, stop: 'fallback', logLik: e0.value, rdm: res.rdm };
  }
  // Enforce identifiability (R package): clip underflow, renormalise.
  let s = 0;
  for (let j = 0; j < J; j++) {
    if (out[j]! < opts.zeroBelow) out[j] = 0;
    s += out[j]!;
  }
  for (let j = 0; j < J; j++) out[j] = out[j]! / s;
  return { p: out, p0, iterations: res.iterations, converged: res.converged, stop: res.stop, logLik: -res.value, rdm: res.rdm };
}
