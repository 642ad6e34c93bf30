/**
 * Conditional batch normalisation (de Vries et al. 2017; MrVI's `ConditionalNormalization`):
 * x̂ = (x − mean) / √(var + eps) over the batch (training) or with running statistics (eval), then a
 * per-category scale and shift: y = γ[c] ⊙ x̂ + β[c], with γ, β `[nCategories, features]` tables
 * (γ initialised to 1, β to 0), c the category of each row (e.g. the sample of each cell).
 * Running statistics follow PyTorch `BatchNorm1d` (momentum 0.1, unbiased running variance).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ownedVariable } from '../adam.js';
import { nextVariableId } from '../dense.js';

/** Settings of a {@link ConditionalBatchNorm}. */
export interface ConditionalBatchNormConfig {
  name: string;
  features: number;
  categories: number;
  /** Default 1e-5 (PyTorch). */
  eps?: number;
  /** Running-statistics momentum (default 0.1, PyTorch). */
  momentum?: number;
}

export class ConditionalBatchNorm {
  readonly config: ConditionalBatchNormConfig;
  /** `[categories, features]`. */
  readonly gamma: tf.Variable<tf.Rank.R2>;
  readonly beta: tf.Variable<tf.Rank.R2>;
  /** Running mean / variance `[features]` (not trainable). */
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  readonly runningVar: tf.Variable<tf.Rank.R1>;

  constructor(config: ConditionalBatchNormConfig) {
    this.config = config;
    const { name, features: F, categories: K } = config;
    const id = nextVariableId();
    this.gamma = ownedVariable(tf.ones([K, F]) as tf.Tensor2D, true, `${name}.gamma#${id}`);
    this.beta = ownedVariable(tf.zeros([K, F]) as tf.Tensor2D, true, `${name}.beta#${id}`);
    this.runningMean = ownedVariable(tf.zeros([F]) as tf.Tensor1D, false, `${name}.running_mean#${id}`);
    this.runningVar = ownedVariable(tf.ones([F]) as tf.Tensor1D, false, `${name}.running_var#${id}`);
  }

  /**
   * @param x - `[n, features]`.
   * @param categories - `[n]` int32 category of each row.
   * @param training - Batch statistics (and a running-statistics update) vs running statistics.
   */
  apply(x: tf.Tensor2D, categories: tf.Tensor1D, training: boolean): tf.Tensor2D {
    const eps = this.config.eps ?? 1e-5;
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (training) {
      const mo = tf.moments(x, 0);
      mean = mo.mean;
      variance = mo.variance;
      const n = x.shape[0];
      const mom = this.config.momentum ?? 0.1;
      // Side effect outside the gradient: running statistics see the values, not the graph.
      const m = tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - mom), tf.mul(mean, mom)));
      const v = tf.tidy(() => tf.add(tf.mul(this.runningVar, 1 - mom), tf.mul(variance, (mom * n) / Math.max(1, n - 1))));
      this.runningMean.assign(m as tf.Tensor1D);
      this.runningVar.assign(v as tf.Tensor1D);
      tf.dispose([m, v]);
    } else {
      mean = this.runningMean;
      variance = this.runningVar;
    }
    const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
    const g = tf.gather(this.gamma, categories);
    const b = tf.gather(this.beta, categories);
    return tf.add(tf.mul(xhat, g), b) as tf.Tensor2D;
  }

  /** Trainable parameters (γ, β), then the running statistics (saved, not trained). */
  params(): [string, tf.Variable][] {
    const n = this.config.name;
    return [
      [`${n}.gamma`, this.gamma],
      [`${n}.beta`, this.beta],
      [`${n}.running_mean`, this.runningMean],
      [`${n}.running_var`, this.runningVar],
    ];
  }

  dispose(): void {
    for (const [, v] of this.params()) v.dispose();
  }
}
