/**
 * Dense (fully connected) layers, seeded initialisation and seeded dropout.
 *
 * Why a custom matmul: tfjs' stock MatMul gradient calls `matMul(dy, b, false, true)` and
 * `matMul(a, dy, true, false)`. On the wasm backend the transposed kernels run at 1–3 GFLOP/s while
 * the plain kernel runs at ~20–40 GFLOP/s, and an explicit `transpose` followed by a plain `matMul`
 * costs little (measured in docs/BENCHMARKS.md, "Neural engine"). {@link matMulFast} therefore has a
 * custom gradient that transposes explicitly, which makes a training step several times faster.
 *
 * Weights are stored `[inputs, outputs]` so a layer computes `x · W + b` for `x` of shape
 * `[batch, inputs]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import type { Rng } from '../core/rng.js';
import { ownedVariable } from './adam.js';

/**
 * `a · b` (no transposes) whose gradient uses explicit transposes + plain matMul:
 * dA = dy · bᵀ, dB = aᵀ · dy.
 *
 * @param a - `[m, k]`.
 * @param b - `[k, n]`.
 * @returns `[m, n]`.
 * @example
 * ```ts
 * const y = matMulFast(tf.ones([2, 3]), tf.ones([3, 4])); // [2, 4] of 3s
 * ```
 */
export const matMulFast: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(((
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      // dA = dy · bᵀ. wasm's transpose is slow on large matrices (1024x512: ~26 ms vs 128x1024:
      // ~2 ms, measured for the deep baselines), so when the weight b is larger than dy plus the
      // result, compute dA = (b · dyᵀ)ᵀ, transposing only the batch-sized operands.
      const [m, k] = sa.shape;
      const n = sb.shape[1];
      const da = k * n > m * n + m * k ? tf.transpose(tf.matMul(sb, tf.transpose(dy))) : tf.matMul(dy, tf.transpose(sb));
      return [da, tf.matMul(tf.transpose(sa), dy)];
    },
  };
  // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
}) as any) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

let fastMatMul = true;

/**
 * Turns the custom-gradient matmul of {@link Dense} and {@link matMul2d} on (default) or off (stock
 * `tf.matMul`, whose gradient uses the transposed kernels). For benchmarks only.
 */
export function setFastMatMul(enabled: boolean): void {
  fastMatMul = enabled;
}

/** `a · b` through {@link matMulFast} (or the stock op when disabled by {@link setFastMatMul}). */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return fastMatMul ? matMulFast(a, b) : tf.matMul(a, b);
}

/**
 * Weight initialisation schemes.
 * - `torch`: PyTorch `nn.Linear` default (kaiming_uniform with a = √5): W, b ~ U(−1/√fanIn, 1/√fanIn).
 *   scvi-tools (and so MixupVI) uses it; it is our default.
 * - `glorot`: Glorot/Xavier uniform U(±√(6/(fanIn+fanOut))), bias 0 (Keras default).
 * - `he`: He normal N(0, 2/fanIn), bias 0.
 */
export type InitScheme = 'torch' | 'glorot' | 'he';

/**
 * Fills a `[fanIn, fanOut]` weight matrix and a `[fanOut]` bias with the scheme, drawing from `rng`.
 *
 * @returns Row-major Float32Arrays.
 */
export function initWeights(fanIn: number, fanOut: number, scheme: InitScheme, rng: Rng): { w: Float32Array; b: Float32Array } {
  const w = new Float32Array(fanIn * fanOut);
  const b = new Float32Array(fanOut);
  if (scheme === 'torch') {
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
    for (let i = 0; i < b.length; i++) b[i] = (2 * rng.uniform() - 1) * bound;
  } else if (scheme === 'glorot') {
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * bound;
  } else {
    const sd = Math.sqrt(2 / fanIn);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * sd;
  }
  return { w, b };
}

/** A trainable dense layer `y = x · W + b`. */
export class Dense {
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
  /** `[inputs, outputs]`. */
  readonly w: tf.Variable<tf.Rank.R2>;
  /** `[outputs]`. */
  readonly b: tf.Variable<tf.Rank.R1>;

  /**
   * @param name - Unique parameter prefix (`<name>.weight`, `<name>.bias` in saved models).
   * @param inputs - Fan-in.
   * @param outputs - Fan-out.
   * @param rng - Seeded stream for the initial values.
   * @param scheme - Initialisation (default `torch`).
   */
  constructor(name: string, inputs: number, outputs: number, rng: Rng, scheme: InitScheme = 'torch') {
    this.name = name;
    this.inputs = inputs;
    this.outputs = outputs;
    const { w, b } = initWeights(inputs, outputs, scheme, rng);
    // tfjs variable names are global: suffix a counter so two models can coexist.
    const uid = nextVariableId();
    this.w = ownedVariable(tf.tensor2d(w, [inputs, outputs]), true, `${name}.weight#${uid}`);
    this.b = ownedVariable(tf.tensor1d(b), true, `${name}.bias#${uid}`);
  }

  /** `x · W + b` for `x` of shape `[batch, inputs]`; returns `[batch, outputs]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(matMul2d(x, this.w), this.b);
  }

  /** Named parameters (`<name>.weight`, `<name>.bias`) for saving and loading. */
  params(): [string, tf.Variable][] {
    return [
      [`${this.name}.weight`, this.w],
      [`${this.name}.bias`, this.b],
    ];
  }

  /** The layer's variables, weight first. */
  variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}

/**
 * Inverted dropout with an explicit seed (tfjs has no global seed: tfjs #896). A fresh seed must be
 * drawn from the caller's `Rng` for every call so that masks differ between steps yet replay exactly.
 *
 * @param x - Any tensor.
 * @param rate - Drop probability in [0, 1).
 * @param seed - Integer seed of the mask.
 * @returns `x` with dropped entries zeroed and the rest scaled by 1/(1−rate); `x` itself when rate = 0.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (rate <= 0) return x;
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate), 'float32');
    return tf.mul(x, tf.mul(keep, 1 / (1 - rate))) as T;
  });
}

let variableCounter = 0;

/** A process-unique suffix for tfjs variable names (tfjs rejects duplicate names). */
export function nextVariableId(): number {
  return ++variableCounter;
}

/** A seed for tfjs random ops, drawn from `rng` (31-bit so it is a safe integer everywhere). */
export function nextSeed(rng: Rng): number {
  return rng.nextUint32() >>> 1;
}
