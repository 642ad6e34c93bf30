/**
 * scVI's decoder p(x | z) (scvi-tools `DecoderSCVI` with `dispersion="gene"` and the observed
 * library size): h = MLP(z) (ReLU, no dropout); scale = softmax(Linear(h)) on the gene simplex;
 * μ = library · scale; ZINB zero-inflation logits = Linear(h); θ_g = exp(px_r_g), px_r ~ N(0, 1).
 *
 * Names and seed forks (`dec<k>`, `dec_scale`, `dec_dropout`, `px_r`) match the MixupVI network's,
 * so its weights load and initialise unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ownedVariable } from '../adam.js';
import { Dense, type InitScheme, nextVariableId } from '../dense.js';
import { logNb, logZinbFused } from '../likelihoods.js';

/** Shape and settings of a {@link ScviDecoder}. */
export interface ScviDecoderConfig {
  latent: number;
  hidden: number[];
  genes: number;
  likelihood: 'zinb' | 'nb';
  init: InitScheme;
}

/** NB/ZINB parameters of p(x|z). */
export interface NbParams {
  mu: tf.Tensor2D;
  theta: tf.Tensor1D;
  /** ZINB zero-inflation logits (absent for NB). */
  piLogits?: tf.Tensor2D;
}

/** The decoder and the gene-wise inverse dispersion. */
export class ScviDecoder {
  readonly config: ScviDecoderConfig;
  readonly layers: Dense[];
  readonly scaleHead: Dense;
  readonly dropoutHead?: Dense;
  /** Gene-wise log inverse dispersion `[G]`. */
  readonly pxR: tf.Variable<tf.Rank.R1>;

  constructor(config: ScviDecoderConfig, rng: Rng) {
    this.config = config;
    const { latent, hidden, genes: G, init } = config;
    let fanIn = latent;
    this.layers = hidden.map((h, k) => {
      const l = new Dense(`decoder.px_decoder.fc_layers.Layer ${k}.0`, fanIn, h, rng.fork(`dec${k}`), init);
      fanIn = h;
      return l;
    });
    this.scaleHead = new Dense('decoder.px_scale_decoder.0', fanIn, G, rng.fork('dec_scale'), init);
    if (config.likelihood === 'zinb') this.dropoutHead = new Dense('decoder.px_dropout_decoder', fanIn, G, rng.fork('dec_dropout'), init);
    const r = rng.fork('px_r');
    const pr = new Float32Array(G);
    for (let g = 0; g < G; g++) pr[g] = r.normal();
    this.pxR = ownedVariable(tf.tensor1d(pr), true, `px_r#${nextVariableId()}`);
  }

  /** NB/ZINB parameters for codes `[n, latent]` and observed library sizes `[n, 1]`. */
  forward(z: tf.Tensor2D, lib: tf.Tensor2D): NbParams {
    let h = z;
    for (const l of this.layers) h = tf.relu(l.apply(h));
    const scale = tf.softmax(this.scaleHead.apply(h));
    const mu = tf.mul(scale, lib) as tf.Tensor2D;
    const theta = tf.exp(this.pxR) as tf.Tensor1D;
    return { mu, theta, piLogits: this.dropoutHead?.apply(h) };
  }

  /**
   * log p(x | params) per cell and gene `[n, G]`, WITHOUT the −lgamma(x+1) term (constant in the
   * parameters; callers add Σ lgamma(x+1) computed once in float64).
   */
  logLikelihood(x: tf.Tensor2D, p: NbParams): tf.Tensor2D {
    return (
      this.config.likelihood === 'zinb' && p.piLogits
        ? logZinbFused(x, p.mu, p.theta, p.piLogits)
        : logNb(x, p.mu, p.theta, { includeLgammaX1: false })
    ) as tf.Tensor2D;
  }

  /** Named parameters in a fixed order (layers, scale head, dropout head, px_r). */
  params(): [string, tf.Variable][] {
    const heads = this.dropoutHead ? [this.scaleHead, this.dropoutHead] : [this.scaleHead];
    return [...[...this.layers, ...heads].flatMap((l) => l.params()), ['px_r', this.pxR]];
  }

  dispose(): void {
    for (const [, v] of this.params()) v.dispose();
  }
}
