/**
 * The DGD decoder [TH §2.1.5; SC `DGD`, `NBLayer`]: z (L) → Linear+ReLU per hidden layer → Linear(G) →
 * output activation → m̂ (scaled mean), and the gene-wise NB dispersion r_g = exp(log_r_g) + 1
 * (always > 1), log_r initialised at log(r_init − 1).
 *
 * The count mean of cell i is m_ig = M_i · m̂_ig with M_i the cell's scaling factor (library size for
 * softmax, the default).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ownedVariable } from '../../nn/adam.js';
import { Dense, nextVariableId } from '../../nn/dense.js';
import type { DgdActivation } from './config.js';

/** Shape of the decoder. */
export interface DecoderConfig {
  latent: number;
  hidden: number[];
  nGenes: number;
  activation: DgdActivation;
  rInit: number;
}

/** The decoder network and the NB dispersions. */
export class DgdDecoder {
  readonly config: DecoderConfig;
  readonly layers: Dense[];
  /** `[G]` log(r − 1). */
  readonly logR: tf.Variable<tf.Rank.R1>;

  /**
   * @param config - Shape.
   * @param rng - Stream for the initial weights (PyTorch `nn.Linear` default, as scDGD).
   */
  constructor(config: DecoderConfig, rng: Rng) {
    this.config = config;
    const widths = [config.latent, ...config.hidden, config.nGenes];
    this.layers = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      // scDGD's nn.ModuleList indices: Linear layers at 0, 2, 4, ... (ReLUs in between).
      this.layers.push(new Dense(`decoder.main.${2 * i}`, widths[i] as number, widths[i + 1] as number, rng.fork(`layer${i}`), 'torch'));
    }
    this.logR = ownedVariable(
      tf.fill([config.nGenes], Math.log(config.rInit - 1)) as tf.Tensor1D,
      true,
      `decoder.nb.log_r#${nextVariableId()}`,
    );
  }

  /** Named parameters (scDGD state-dict names; weights stored `[in, out]`). */
  params(): [string, tf.Variable][] {
    return [...this.layers.flatMap((l) => l.params()), ['decoder.nb.log_r', this.logR]];
  }

  variables(): tf.Variable[] {
    return this.params().map(([, v]) => v);
  }

  /** Pre-activation output `[n, G]`. */
  logits(z: tf.Tensor2D): tf.Tensor2D {
    let h = z;
    const n = this.layers.length;
    for (let i = 0; i < n; i++) {
      h = (this.layers[i] as Dense).apply(h);
      if (i + 1 < n) h = tf.relu(h);
    }
    return h;
  }

  /** m̂ = activation(logits) `[n, G]`. */
  scaledMean(z: tf.Tensor2D): tf.Tensor2D {
    const y = this.logits(z);
    switch (this.config.activation) {
      case 'softmax':
        return tf.softmax(y);
      case 'sigmoid':
        return tf.sigmoid(y);
      default:
        return tf.softplus(y);
    }
  }

  /** r = exp(log_r) + 1, `[G]`. */
  dispersion(): tf.Tensor1D {
    return tf.add(tf.exp(this.logR), 1) as tf.Tensor1D;
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
    this.logR.dispose();
  }
}
