/**
 * Priors over latent codes: the standard Gaussian of VAEs (analytic KL), a diagonal Gaussian
 * log-density, and a trainable mixture of diagonal Gaussians (DGD's representation prior, one
 * component per cluster; MrVI's u prior is a mixture too).
 *
 * Formulas: KL(N(μ, v) ‖ N(0, 1)) = ½ Σ_d (μ² + v − 1 − log v) (Kingma & Welling 2014, App. B);
 * log N(z; m, e^s) = −½ Σ_d (log 2π + s + (z − m)² e^{−s});
 * log p(z) = logsumexp_k (log w_k + log N(z; m_k, e^{s_k})), w = softmax(logits).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ownedVariable } from '../adam.js';
import { nextVariableId } from '../dense.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** KL(N(qm, qv) ‖ N(0, I)) per row `[n]` (summed over latent dimensions). */
export function klStandardNormal(qm: tf.Tensor2D, qv: tf.Tensor2D): tf.Tensor1D {
  return tf.mul(tf.sum(tf.sub(tf.add(tf.square(qm), qv), tf.add(tf.log(qv), 1)), 1), 0.5) as tf.Tensor1D;
}

/** KL(N(m1, v1) ‖ N(m2, v2)) per row `[n]` (diagonal, summed over dimensions). */
export function klNormal(m1: tf.Tensor2D, v1: tf.Tensor2D, m2: tf.Tensor2D, v2: tf.Tensor2D): tf.Tensor1D {
  return tf.mul(
    tf.sum(tf.sub(tf.add(tf.log(tf.div(v2, v1)), tf.div(tf.add(v1, tf.square(tf.sub(m1, m2))), v2)), 1), 1),
    0.5,
  ) as tf.Tensor1D;
}

/** log N(z; mean, diag(exp(logVar))) per row `[n]`; `mean`/`logVar` broadcast against `z` `[n, d]`. */
export function logNormalDiag(z: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor1D {
  const d = z.shape[z.rank - 1] as number;
  const quad = tf.sum(tf.add(logVar, tf.mul(tf.square(tf.sub(z, mean)), tf.exp(tf.neg(logVar)))), -1);
  return tf.mul(tf.add(quad, d * LOG_2PI), -0.5) as tf.Tensor1D;
}

/** Settings of a {@link GaussianMixturePrior}. */
export interface GaussianMixtureConfig {
  /** Name prefix of the variables. */
  name: string;
  components: number;
  dim: number;
  /** Initial means ~ U(−meanInitRange, meanInitRange) per coordinate (DGD draws them from a softball). */
  meanInitRange?: number;
  /** Initial log-variance of every component (default 0: unit variance). */
  logVarInit?: number;
  /** One variance per component (`isotropic`, DGD's default) or one per coordinate (`diagonal`). */
  covariance?: 'isotropic' | 'diagonal';
}

/** A mixture of diagonal Gaussians with trainable means, log-variances and mixture logits. */
export class GaussianMixturePrior {
  readonly config: GaussianMixtureConfig;
  /** `[K, d]`. */
  readonly means: tf.Variable<tf.Rank.R2>;
  /** `[K, 1]` (isotropic) or `[K, d]` (diagonal). */
  readonly logVar: tf.Variable<tf.Rank.R2>;
  /** `[K]` unnormalised log mixture weights. */
  readonly logits: tf.Variable<tf.Rank.R1>;

  constructor(config: GaussianMixtureConfig, rng: Rng) {
    this.config = config;
    const { components: K, dim: d, name } = config;
    const r = config.meanInitRange ?? 1;
    const mr = rng.fork('means');
    const m = new Float32Array(K * d);
    for (let k = 0; k < m.length; k++) m[k] = r * (2 * mr.uniform() - 1);
    const id = nextVariableId();
    this.means = ownedVariable(tf.tensor2d(m, [K, d]), true, `${name}.means#${id}`);
    const vd = config.covariance === 'diagonal' ? d : 1;
    this.logVar = ownedVariable(tf.fill([K, vd], config.logVarInit ?? 0) as tf.Tensor2D, true, `${name}.log_var#${id}`);
    this.logits = ownedVariable(tf.zeros([K]) as tf.Tensor1D, true, `${name}.logits#${id}`);
  }

  /** log N(z_i; m_k, v_k) + log w_k, `[n, K]`. */
  componentLogProb(z: tf.Tensor2D): tf.Tensor2D {
    const n = z.shape[0];
    const { components: K, dim: d } = this.config;
    const zz = tf.reshape(z, [n, 1, d]);
    const lp = logNormalDiag(zz, tf.reshape(this.means, [1, K, d]), tf.reshape(this.logVar, [1, K, -1])) as unknown as tf.Tensor2D;
    return tf.add(lp, tf.reshape(tf.logSoftmax(this.logits), [1, K])) as tf.Tensor2D;
  }

  /** log p(z) per row `[n]`. */
  logProb(z: tf.Tensor2D): tf.Tensor1D {
    return tf.logSumExp(this.componentLogProb(z), 1) as tf.Tensor1D;
  }

  /** Posterior component probabilities p(k | z) `[n, K]` (cluster responsibilities). */
  responsibilities(z: tf.Tensor2D): tf.Tensor2D {
    return tf.softmax(this.componentLogProb(z)) as tf.Tensor2D;
  }

  params(): [string, tf.Variable][] {
    const n = this.config.name;
    return [
      [`${n}.means`, this.means],
      [`${n}.log_var`, this.logVar],
      [`${n}.logits`, this.logits],
    ];
  }

  dispose(): void {
    for (const [, v] of this.params()) v.dispose();
  }
}
