/**
 * The DGD's Gaussian-mixture prior over representations, with its own priors (Dirichlet on the weights,
 * softball on the means, Gaussian on the log-precisions) [TH §2.1.1; SC `GaussianMixture`, `softball`].
 *
 * Parameters: means μ `[K, L]`, log-precisions logβ `[K, L]` (β = 1/σ², "diagonal" type), mixture
 * logits w `[K]` (π = softmax(w)). For z ∈ R^L:
 *   log p(z | φ) = logsumexp_k [ log π_k − (L/2) log 2π + ½ Σ_d logβ_kd − ½ Σ_d β_kd (z_d − μ_kd)² ].
 * (The thesis' Eq. 4 puts w^k inside a sum of log-densities: a typo; this is the code's mixture.)
 * log P(φ) = Dirichlet(π; α) + Σ_k softball(μ_k; s, a) + Σ_kd N(logβ_kd; −2 log σ₀, σ_sd), σ₀ = 0.2·s/K.
 *
 * Tensor methods are differentiable (call them inside a tidy); the `*F64` functions are float64
 * references on plain arrays, used by tests, clustering and sampling.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ownedVariable } from '../../nn/adam.js';
import { nextVariableId } from '../../nn/dense.js';
import { lgammaF64 } from '../../nn/likelihoods.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Shape and prior hyper-parameters of the mixture. */
export interface GmmConfig {
  /** Components K (≥ 1). */
  components: number;
  /** Latent dimension L. */
  dim: number;
  /** Softball radius s. */
  softballScale: number;
  /** Softball sharpness a. */
  softballSharpness: number;
  /** Dirichlet α. */
  dirichletAlpha: number;
  /** Standard deviation of the Gaussian prior on each logβ. */
  logbetaPriorSd: number;
}

/** The mixture's parameters as plain arrays (row-major). */
export interface GmmParams {
  K: number;
  L: number;
  mean: Float32Array;
  logbeta: Float32Array;
  weight: Float32Array;
}

/** Mean of the Gaussian prior on logβ: −2 log σ₀ with σ₀ = 0.2·s/K [SC overwrites `sd_init[0]` with this]. */
export function logbetaPriorMean(cfg: Pick<GmmConfig, 'softballScale' | 'components'>): number {
  return -2 * Math.log((0.2 * cfg.softballScale) / cfg.components);
}

/** Normalising constant of the softball: log of 1/volume of the L-ball of radius s. */
export function softballNorm(L: number, s: number): number {
  return lgammaF64(1 + L / 2) - L * (Math.log(s) + 0.5 * Math.log(Math.PI));
}

/**
 * Softball log-density of one vector (float64): lgamma(1+L/2) − L(log s + ½ log π) − log(1 + exp(a(‖μ‖/s − 1))).
 * Nearly constant inside the ball, decaying like −a‖μ‖/s outside.
 */
export function softballLogProbF64(mu: ArrayLike<number>, s: number, a: number): number {
  let n2 = 0;
  for (let i = 0; i < mu.length; i++) n2 += (mu[i] as number) ** 2;
  const t = a * (Math.sqrt(n2) / s - 1);
  // log(1 + e^t) without overflow.
  const sp = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
  return softballNorm(mu.length, s) - sp;
}

/**
 * n draws from the softball's sampling law [SC `softball.sample`]: direction = normalised standard
 * normal vector, radius = s·U^(1/L) (uniform in the L-ball: the radius has density ∝ r^(L−1) on [0, s]).
 *
 * @returns Row-major `[n, L]`.
 */
export function sampleSoftball(n: number, L: number, s: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * L);
  const v = new Float64Array(L);
  for (let i = 0; i < n; i++) {
    let n2 = 0;
    do {
      n2 = 0;
      for (let d = 0; d < L; d++) {
        v[d] = rng.normal();
        n2 += (v[d] as number) ** 2;
      }
    } while (n2 === 0);
    const radius = s * rng.uniform() ** (1 / L);
    const f = radius / Math.sqrt(n2);
    for (let d = 0; d < L; d++) out[i * L + d] = (v[d] as number) * f;
  }
  return out;
}

/** log softmax of the mixture logits (float64). */
export function logMixtureWeightsF64(weight: ArrayLike<number>): Float64Array {
  let mx = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < weight.length; k++) mx = Math.max(mx, weight[k] as number);
  let s = 0;
  for (let k = 0; k < weight.length; k++) s += Math.exp((weight[k] as number) - mx);
  const lse = mx + Math.log(s);
  return Float64Array.from(weight, (w) => w - lse);
}

/**
 * Per-component joint log-densities log π_k + log N(z | μ_k, diag(1/β_k)) for each row of z (float64).
 *
 * @param p - Mixture parameters.
 * @param z - Row-major `[n, L]`.
 * @returns Row-major `[n, K]`.
 */
export function componentLogDensityF64(p: GmmParams, z: ArrayLike<number>): Float64Array {
  const { K, L } = p;
  const n = z.length / L;
  const lw = logMixtureWeightsF64(p.weight);
  const cst = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let d = 0; d < L; d++) s += p.logbeta[k * L + d] as number;
    cst[k] = (lw[k] as number) - 0.5 * L * LOG_2PI + 0.5 * s;
  }
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      let q = 0;
      for (let d = 0; d < L; d++) {
        const diff = (z[i * L + d] as number) - (p.mean[k * L + d] as number);
        q += Math.exp(p.logbeta[k * L + d] as number) * diff * diff;
      }
      out[i * K + k] = (cst[k] as number) - 0.5 * q;
    }
  }
  return out;
}

/** log p(z | φ) per row (float64, logsumexp over components). */
export function mixtureLogProbF64(p: GmmParams, z: ArrayLike<number>): Float64Array {
  const c = componentLogDensityF64(p, z);
  const n = c.length / p.K;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < p.K; k++) mx = Math.max(mx, c[i * p.K + k] as number);
    let s = 0;
    for (let k = 0; k < p.K; k++) s += Math.exp((c[i * p.K + k] as number) - mx);
    out[i] = mx + Math.log(s);
  }
  return out;
}

/** Cluster of each row: argmax_k of the component log-densities (responsibility argmax) [SC `clustering`]. */
export function clusterF64(p: GmmParams, z: ArrayLike<number>): Int32Array {
  const c = componentLogDensityF64(p, z);
  const n = c.length / p.K;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < p.K; k++) if ((c[i * p.K + k] as number) > (c[i * p.K + best] as number)) best = k;
    out[i] = best;
  }
  return out;
}

/** log P(φ) in float64 (Dirichlet + softball + Gaussian on logβ), the same terms as {@link GaussianMixturePrior.logPrior}. */
export function logPriorF64(p: GmmParams, cfg: GmmConfig): number {
  const { K, L } = p;
  const alpha = cfg.dirichletAlpha;
  let lp = lgammaF64(K * alpha) - K * lgammaF64(alpha);
  if (alpha !== 1) {
    const lw = logMixtureWeightsF64(p.weight);
    for (let k = 0; k < K; k++) lp += (alpha - 1) * (lw[k] as number);
  }
  for (let k = 0; k < K; k++) lp += softballLogProbF64(p.mean.subarray(k * L, (k + 1) * L), cfg.softballScale, cfg.softballSharpness);
  const m0 = logbetaPriorMean(cfg);
  const sd = cfg.logbetaPriorSd;
  for (let i = 0; i < K * L; i++) lp += -0.5 * (((p.logbeta[i] as number) - m0) / sd) ** 2 - Math.log(sd) - 0.5 * LOG_2PI;
  return lp;
}

/**
 * n draws from the mixture (or from one component): k ~ π (or the given one), z = μ_k + ε/√β_k.
 *
 * @returns `z` row-major `[n, L]` and the component of each draw.
 */
export function sampleMixture(p: GmmParams, n: number, rng: Rng, component?: number): { z: Float32Array; components: Int32Array } {
  const { K, L } = p;
  const pi = Float64Array.from(logMixtureWeightsF64(p.weight), Math.exp);
  const z = new Float32Array(n * L);
  const comps = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let k = component ?? 0;
    if (component === undefined) {
      const u = rng.uniform();
      let acc = 0;
      k = K - 1;
      for (let j = 0; j < K; j++) {
        acc += pi[j] as number;
        if (u < acc) {
          k = j;
          break;
        }
      }
    }
    comps[i] = k;
    for (let d = 0; d < L; d++)
      z[i * L + d] = (p.mean[k * L + d] as number) + rng.normal() * Math.exp(-0.5 * (p.logbeta[k * L + d] as number));
  }
  return { z, components: comps };
}

/** The trainable mixture (tfjs variables) with differentiable log-densities. */
export class GaussianMixturePrior {
  readonly config: GmmConfig;
  /** `[K, L]`. */
  readonly mean: tf.Variable<tf.Rank.R2>;
  /** `[K, L]` log-precisions. */
  readonly logbeta: tf.Variable<tf.Rank.R2>;
  /** `[K]` mixture logits. */
  readonly weight: tf.Variable<tf.Rank.R1>;

  /**
   * Initialisation [SC `init_params`]: means from the softball sampler, logβ = −2 log σ₀, w = 1.
   *
   * @param config - Shape and prior hyper-parameters.
   * @param rng - Stream for the means.
   */
  constructor(config: GmmConfig, rng: Rng) {
    this.config = config;
    const { components: K, dim: L } = config;
    const uid = nextVariableId();
    this.mean = ownedVariable(tf.tensor2d(sampleSoftball(K, L, config.softballScale, rng), [K, L]), true, `gmm.mean#${uid}`);
    this.logbeta = ownedVariable(tf.fill([K, L], logbetaPriorMean(config)) as tf.Tensor2D, true, `gmm.logbeta#${uid}`);
    this.weight = ownedVariable(tf.ones([K]) as tf.Tensor1D, true, `gmm.weight#${uid}`);
  }

  /** Named parameters (scDGD state-dict names). */
  params(): [string, tf.Variable][] {
    return [
      ['gmm.mean', this.mean],
      ['gmm.logbeta', this.logbeta],
      ['gmm.weight', this.weight],
    ];
  }

  variables(): tf.Variable[] {
    return [this.mean, this.logbeta, this.weight];
  }

  /** log softmax(w), `[K]`. */
  logWeights(): tf.Tensor1D {
    return tf.sub(this.weight, tf.logSumExp(this.weight)) as tf.Tensor1D;
  }

  /**
   * log N(z | μ_k, diag(1/β_k)) for every row and component, WITHOUT the mixture weight: `[n, K]`.
   * Expanded as −½ Σ β z² + Σ β μ z − ½ Σ β μ² so that nothing of size n·K·L is formed.
   */
  componentLogDensity(z: tf.Tensor2D): tf.Tensor2D {
    const L = this.config.dim;
    const beta = tf.exp(this.logbeta); // [K, L]
    const quadZ = tf.matMul(tf.square(z), beta, false, true); // [n, K]
    const cross = tf.matMul(z, tf.mul(beta, this.mean), false, true); // [n, K]
    const quadMu = tf.sum(tf.mul(beta, tf.square(this.mean)), 1); // [K]
    const logdet = tf.mul(tf.sum(this.logbeta, 1), 0.5); // [K]
    const cst = tf.sub(logdet, tf.add(tf.mul(quadMu, 0.5), 0.5 * L * LOG_2PI));
    return tf.add(tf.sub(cross, tf.mul(quadZ, 0.5)), cst) as tf.Tensor2D;
  }

  /** log p(z | φ) per row, `[n]` (logsumexp over components of log π_k + log N_k). */
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    return tf.logSumExp(tf.add(this.componentLogDensity(z), this.logWeights()), 1) as tf.Tensor1D;
  }

  /**
   * Supervised log p(z | class) per row [TH §2.1.4]: logsumexp over the class's components
   * (classes own consecutive blocks of `perClass` components) of log π_{k|class} + log N_k, with
   * π_{k|class} the softmax of the class's logits. Rows with class −1 use the full mixture.
   * (scDGD's code sums the class's components and multiplies by the number of classes instead of the
   * logsumexp; with one component per class both give log N of that component up to that factor.)
   *
   * @param z - `[n, L]`.
   * @param classes - `[n]` class index per row (−1 = unlabelled).
   * @param perClass - Components per class.
   */
  supervisedLogProb(z: tf.Tensor2D, classes: Int32Array, perClass: number): tf.Tensor1D {
    const K = this.config.components;
    const n = classes.length;
    const comp = this.componentLogDensity(z); // [n, K]
    const nClass = K / perClass;
    // Within-class log weights: w_k − logsumexp of the class's logits.
    const wByClass = tf.reshape(this.weight, [nClass, perClass]);
    const lwClass = tf.reshape(tf.sub(wByClass, tf.logSumExp(wByClass, 1, true)), [K]);
    const lwAll = this.logWeights();
    // Mask: 0 for the row's own components, −1e30 elsewhere; unlabelled rows keep every component with π.
    const mask = new Float32Array(n * K).fill(-1e30);
    const unl = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = classes[i] as number;
      if (c < 0) {
        unl[i] = 1;
        mask.fill(0, i * K, (i + 1) * K);
      } else for (let j = 0; j < perClass; j++) mask[i * K + c * perClass + j] = 0;
    }
    const u = tf.tensor2d(unl, [n, 1]);
    const lw = tf.add(tf.mul(u, lwAll), tf.mul(tf.sub(1, u), lwClass)); // [n, K]
    return tf.logSumExp(tf.add(tf.add(comp, lw), tf.tensor2d(mask, [n, K])), 1) as tf.Tensor1D;
  }

  /** log P(φ): Dirichlet on π + softball on each mean + Gaussian on each logβ (scalar). */
  logPrior(): tf.Scalar {
    const { components: K, dirichletAlpha: alpha, softballScale: s, softballSharpness: a, logbetaPriorSd: sd } = this.config;
    const L = this.config.dim;
    let lp: tf.Tensor = tf.scalar(lgammaF64(K * alpha) - K * lgammaF64(alpha));
    if (alpha !== 1) lp = tf.add(lp, tf.mul(tf.sum(this.logWeights()), alpha - 1));
    // ‖μ_k‖ with a tiny floor so the gradient at μ = 0 is finite.
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(this.mean), 1), 1e-12));
    const soft = tf.sub(softballNorm(L, s), tf.softplus(tf.mul(tf.sub(tf.div(norms, s), 1), a)));
    lp = tf.add(lp, tf.sum(soft));
    const m0 = logbetaPriorMean(this.config);
    const g = tf.sub(tf.mul(tf.square(tf.div(tf.sub(this.logbeta, m0), sd)), -0.5), Math.log(sd) + 0.5 * LOG_2PI);
    return tf.add(lp, tf.sum(g)) as tf.Scalar;
  }

  /** The current parameters as plain arrays. */
  snapshot(): GmmParams {
    return {
      K: this.config.components,
      L: this.config.dim,
      mean: Float32Array.from(this.mean.dataSync() as Float32Array),
      logbeta: Float32Array.from(this.logbeta.dataSync() as Float32Array),
      weight: Float32Array.from(this.weight.dataSync() as Float32Array),
    };
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
