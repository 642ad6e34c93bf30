/**
 * The MLP of the deep baselines (Scaden's ensemble members, Menden et al. 2020, `KevinMenden/scaden`
 * `scaden/model/architectures.py`, `scaden/model/scaden.py`; SimpleDNN): tensors only, no data handling.
 *
 * One Scaden ensemble member is an MLP: for each hidden layer Dense + ReLU then Dropout, output Dense(C) +
 * softmax (Keras Glorot-uniform weights, zero biases). The ensemble prediction is the arithmetic
 * mean of the three members' softmax outputs. SimpleDNN (seed 001) reuses the same {@link Mlp}.
 * Loss: mean squared error between softmax output and true fractions (`tf.reduce_mean(tf.square)`;
 * the Scaden docstring says L1, the code computes MSE).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../../core/errors.js';
import type { Rng } from '../../../core/rng.js';
import { Dense, type InitScheme } from '../../../nn/dense.js';
import { rngDropout } from './dropout.js';
import { applyInputLayer } from './input-layer.js';

/** Architecture of one MLP. */
export interface MlpConfig {
  /** Hidden layer widths, input side first. */
  hidden: number[];
  /** Dropout rate after each hidden layer (same length as `hidden`). */
  dropout: number[];
  /** Weight initialisation (Scaden/Keras: 'glorot'). */
  init?: InitScheme;
}

/** Checks an MLP configuration (public boundary: user-provided SimpleDNN configs pass here). */
export function checkMlpConfig(cfg: MlpConfig, field = 'hidden'): void {
  if (!Array.isArray(cfg.hidden) || cfg.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new InputError('hidden layer widths must be positive integers', { code: 'E_OPTION', field, got: cfg.hidden });
  }
  if (!Array.isArray(cfg.dropout) || cfg.dropout.length !== cfg.hidden.length || cfg.dropout.some((d) => !(d >= 0 && d < 1))) {
    throw new InputError('dropout needs one rate in [0, 1) per hidden layer', {
      code: 'E_OPTION',
      field: 'dropout',
      got: cfg.dropout,
      expected: `${cfg.hidden.length} rates in [0, 1)`,
    });
  }
}

/** A multilayer perceptron with softmax output. */
export class Mlp {
  readonly name: string;
  readonly config: MlpConfig;
  readonly layers: Dense[];
  readonly out: Dense;

  /**
   * @param name parameter prefix (`<name>.l0.weight`, ..., `<name>.out.bias`).
   * @param nIn number of input genes.
   * @param nOut number of cell types.
   * @param rng stream for the initial weights.
   */
  constructor(name: string, nIn: number, nOut: number, config: MlpConfig, rng: Rng) {
    checkMlpConfig(config);
    this.name = name;
    this.config = config;
    const init = config.init ?? 'glorot';
    let fan = nIn;
    this.layers = config.hidden.map((h, k) => {
      const l = new Dense(`${name}.l${k}`, fan, h, rng, init);
      fan = h;
      return l;
    });
    this.out = new Dense(`${name}.out`, fan, nOut, rng, init);
  }

  /**
   * Logits `[batch, C]` for inputs `[batch, G]`. With `dropoutRng` (training), each dropout layer
   * draws its mask from it; without, dropout is off (inference).
   */
  logits(x: tf.Tensor2D, dropoutRng?: Rng): tf.Tensor2D {
    let h = x;
    this.layers.forEach((l, k) => {
      h = tf.relu(k === 0 ? applyInputLayer(l, h) : l.apply(h));
      const rate = this.config.dropout[k] as number;
      if (dropoutRng && rate > 0) h = rngDropout(h, rate, dropoutRng);
    });
    return this.out.apply(h);
  }

  /** Softmax proportions `[batch, C]`. */
  predict(x: tf.Tensor2D, dropoutRng?: Rng): tf.Tensor2D {
    return tf.softmax(this.logits(x, dropoutRng));
  }

  params(): [string, tf.Variable][] {
    return [...this.layers.flatMap((l) => l.params()), ...this.out.params()];
  }

  variables(): tf.Variable[] {
    return this.params().map(([, v]) => v);
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
    this.out.dispose();
  }
}

/** Mean squared error over all entries (Scaden's loss). */
export function mseLoss(pred: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
}
