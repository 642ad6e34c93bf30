/**
 * Encoder q(z | x): an MLP followed by a mean head and a variance head (scvi-tools `Encoder`):
 * h = MLP(transform(x)); mean = Linear(h); var = exp(Linear(h)) + varEps.
 *
 * Parameter names follow scvi-tools' state dict (`<prefix>.encoder.fc_layers.Layer k.0`,
 * `<prefix>.mean_encoder`, `<prefix>.var_encoder`), and each layer draws its initial weights from its
 * own fork of the seed stream (`enc<k>`, `enc_mean`, `enc_var`), so a model built from these blocks
 * initialises exactly as the MixupVI network always did.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { Dense, dropout, type InitScheme } from '../dense.js';

/** Minimum variance of q(z|x) (scvi-tools Encoder `var_eps`). */
export const VAR_EPS = 1e-4;

/** Shape and settings of an {@link Encoder}. */
export interface EncoderConfig {
  /** State-dict prefix (scvi-tools: `z_encoder`). */
  prefix: string;
  inputs: number;
  /** Hidden sizes of the MLP (scvi-tools: one layer of 128; MixupVI: 512). */
  hidden: number[];
  latent: number;
  /** Dropout after each hidden layer (training only). */
  dropout: number;
  /** `log1p`: scvi-tools' `log_variational` (log(1+x) of raw counts); `none`: x as given. */
  transform: 'log1p' | 'none';
  init: InitScheme;
  /** Minimum variance (default {@link VAR_EPS}). */
  varEps?: number;
}

/** q(z|x) = N(mean, var). */
export class Encoder {
  readonly config: EncoderConfig;
  readonly layers: Dense[];
  readonly meanHead: Dense;
  readonly varHead: Dense;

  constructor(config: EncoderConfig, rng: Rng) {
    this.config = config;
    const { prefix, inputs, hidden, latent, init } = config;
    let fanIn = inputs;
    this.layers = hidden.map((h, k) => {
      const l = new Dense(`${prefix}.encoder.fc_layers.Layer ${k}.0`, fanIn, h, rng.fork(`enc${k}`), init);
      fanIn = h;
      return l;
    });
    this.meanHead = new Dense(`${prefix}.mean_encoder`, fanIn, latent, rng.fork('enc_mean'), init);
    this.varHead = new Dense(`${prefix}.var_encoder`, fanIn, latent, rng.fork('enc_var'), init);
  }

  /** Hidden representation (ReLU after each layer; dropout when `dropoutSeed` is given). */
  hiddenOf(x: tf.Tensor2D, dropoutSeed?: number): tf.Tensor2D {
    let h = this.config.transform === 'log1p' ? (tf.log1p(x) as tf.Tensor2D) : x;
    this.layers.forEach((l, k) => {
      h = tf.relu(l.apply(h));
      // One seed per layer: layer 0 uses the given seed itself (as the one-layer network did).
      if (dropoutSeed !== undefined) h = dropout(h, this.config.dropout, k === 0 ? dropoutSeed : (dropoutSeed + k) >>> 0);
    });
    return h;
  }

  /**
   * Mean and variance `[n, latent]`.
   *
   * @param dropoutSeed - Seed of the dropout masks (training); `undefined` = eval mode.
   */
  forward(x: tf.Tensor2D, dropoutSeed?: number): { qm: tf.Tensor2D; qv: tf.Tensor2D } {
    const h = this.hiddenOf(x, dropoutSeed);
    const qm = this.meanHead.apply(h);
    const qv = tf.add(tf.exp(this.varHead.apply(h)), this.config.varEps ?? VAR_EPS) as tf.Tensor2D;
    return { qm, qv };
  }

  /** Named parameters in a fixed order (layers, mean head, variance head). */
  params(): [string, tf.Variable][] {
    return [...this.layers, this.meanHead, this.varHead].flatMap((l) => l.params());
  }

  dispose(): void {
    for (const [, v] of this.params()) v.dispose();
  }
}

/** Reparameterised sample z = μ + √var·ε, ε ~ N(0, I) from `seed`. */
export function reparameterize(qm: tf.Tensor2D, qv: tf.Tensor2D, seed: number): tf.Tensor2D {
  return tf.add(qm, tf.mul(tf.sqrt(qv), tf.randomNormal(qm.shape, 0, 1, 'float32', seed))) as tf.Tensor2D;
}
