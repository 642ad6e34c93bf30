/**
 * scVI's network and loss: pure tensor math, no Datasets (scvi-tools' "module": inference /
 * generative / loss) [SCVI `VAE`, Lopez et al. 2018; spec mixupvi.md "Generative model"].
 *
 * - inference: q(z|x) = Encoder(log(1+x) of RAW counts) → N(μ, var), z = μ + √var·ε;
 * - generative: ScviDecoder(z, observed library ℓ) → NB/ZINB(μ = ℓ·softmax(·), θ_g = exp(px_r_g), π);
 * - loss: mean over cells of (−log p(x|z) + klWeight·KL(q(z|x) ‖ N(0, I))).
 *
 * When a batch carries pseudobulks (`pbAverage`) the loss also reports the mixup correlation ρ of the
 * latent space (mean Pearson between a pseudobulk's code and the mean of its cells' codes, MixupVI
 * paper Table 1) as a monitored term, with no gradient effect. Subclasses add loss terms through
 * {@link ScviModule.extraTerms} (MixupVI: models/mixupvi/module.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { type Dense, type InitScheme, nextSeed } from '../../nn/dense.js';
import { Encoder, reparameterize, VAR_EPS } from '../../nn/modules/encoder.js';
import { klStandardNormal } from '../../nn/modules/priors.js';
import { type NbParams, ScviDecoder } from '../../nn/modules/scvi-decoder.js';
import type { LossOutput, StepContext } from '../../nn/training.js';

export { VAR_EPS };

/** Shape and settings of the network (mixup fields are read by the MixupVI subclass only). */
export interface VaeConfig {
  nGenes: number;
  latent: number;
  /** Hidden units of the single encoder and decoder layer. */
  hidden: number;
  dropout: number;
  likelihood: 'zinb' | 'nb';
  init: InitScheme;
  /** MixupVI penalty ('none' = scVI). */
  mixupPenalty: 'l2' | 'kl' | 'none';
  /** MixupVI's pseudobulk NB reconstruction weight. */
  pseudobulkReconWeight: number;
}

/** One training/validation minibatch, as tensors. */
export interface VaeBatch {
  /** Raw counts `[B, G]`. */
  x: tf.Tensor2D;
  /** Observed library sizes `[B, 1]`. */
  lib: tf.Tensor2D;
  /** Σ_g lgamma(x+1) per cell `[B]` (constant part of the likelihood, computed in float64). */
  lgammaX1: tf.Tensor1D;
  /** Pseudobulk averaging matrix `[M, B]`: A[m, i] = (times cell i is in pseudobulk m) / nCells. */
  pbAverage?: tf.Tensor2D;
  /** Cells per pseudobulk n (for the KL penalty's averaged variance). */
  pbCells?: number;
}

/** The scVI VAE (one hidden layer, gene-wise dispersion, observed library). */
export class ScviModule {
  readonly config: VaeConfig;
  readonly encoder: Encoder;
  readonly decoder: ScviDecoder;

  /**
   * @param config - Shapes and settings.
   * @param rng - Seeded stream for the initial weights (forked per layer, so adding a layer does not move the others).
   */
  constructor(config: VaeConfig, rng: Rng) {
    this.config = config;
    const { nGenes: G, latent: d, hidden: H, init } = config;
    this.encoder = new Encoder(
      { prefix: 'z_encoder', inputs: G, hidden: [H], latent: d, dropout: config.dropout, transform: 'log1p', init },
      rng,
    );
    this.decoder = new ScviDecoder({ latent: d, hidden: [H], genes: G, likelihood: config.likelihood, init }, rng);
  }

  // The layers under the names the one-layer MixupVI network always used (tests and benches read them).
  get encoderHidden(): Dense {
    return this.encoder.layers[0] as Dense;
  }
  get meanEncoder(): Dense {
    return this.encoder.meanHead;
  }
  get varEncoder(): Dense {
    return this.encoder.varHead;
  }
  get decoderHidden(): Dense {
    return this.decoder.layers[0] as Dense;
  }
  get scaleDecoder(): Dense {
    return this.decoder.scaleHead;
  }
  get dropoutDecoder(): Dense | undefined {
    return this.decoder.dropoutHead;
  }
  /** Gene-wise log inverse dispersion `[G]`. */
  get pxR(): tf.Variable<tf.Rank.R1> {
    return this.decoder.pxR;
  }

  /** Named parameters, for saving and loading (scvi-tools names; weights stored `[in, out]`). */
  params(): [string, tf.Variable][] {
    return [...this.encoder.params(), ...this.decoder.params()];
  }

  /** All trainable variables. */
  variables(): tf.Variable[] {
    return this.params().map(([, v]) => v);
  }

  /**
   * Inference q(z|x): mean and variance `[n, d]` from raw counts `[n, G]`.
   *
   * @param dropoutSeed - Seed of the dropout mask (training); `undefined` = eval mode (no dropout).
   */
  encode(x: tf.Tensor2D, dropoutSeed?: number): { qm: tf.Tensor2D; qv: tf.Tensor2D } {
    return this.encoder.forward(x, dropoutSeed);
  }

  /** Reparameterised sample z = μ + √var·ε, ε ~ N(0, I) from `seed`. */
  sample(qm: tf.Tensor2D, qv: tf.Tensor2D, seed: number): tf.Tensor2D {
    return reparameterize(qm, qv, seed);
  }

  /** Generative p(x|z): NB/ZINB parameters for latent codes `[n, d]` and library sizes `[n, 1]`. */
  decode(z: tf.Tensor2D, lib: tf.Tensor2D): NbParams {
    return this.decoder.forward(z, lib);
  }

  /**
   * Total loss and named terms of one minibatch (call inside a tidy / `tf.variableGrads`).
   *
   * @param b - The batch.
   * @param ctx - Epoch/step/KL weight; `ctx.training` switches dropout on.
   * @param rng - Stream for dropout masks and ε (drawn in a fixed order, so replaying a run replays it).
   */
  loss(b: VaeBatch, ctx: StepContext, rng: Rng): LossOutput {
    const seedDrop = ctx.training ? nextSeed(rng) : undefined;
    const seedZ = nextSeed(rng);
    const { qm, qv } = this.encode(b.x, seedDrop);
    const z = this.sample(qm, qv, seedZ);
    const p = this.decode(z, b.lib);
    const ll = this.decoder.logLikelihood(b.x, p);
    // −log p(x|z) per cell; lgamma(x+1) sums are added back here (constant in the parameters).
    const rec = tf.add(tf.neg(tf.sum(ll, 1)), b.lgammaX1);
    const kl = klStandardNormal(qm, qv);
    const recMean = tf.mean(rec) as tf.Scalar;
    const klMean = tf.mean(kl) as tf.Scalar;
    const loss = tf.add(recMean, tf.mul(klMean, ctx.klWeight)) as tf.Scalar;
    const terms: Record<string, tf.Scalar> = { reconstruction: recMean, kl: klMean, elbo: tf.add(recMean, klMean) as tf.Scalar };
    return this.extraTerms(b, { qm, qv, z }, ctx, rng, { loss, terms });
  }

  /**
   * Adds model-specific terms to the ELBO. scVI: none; with pseudobulks in the batch, the monitored
   * mixup correlation ρ (paper Table 1 compares it between scVI and MixupVI).
   */
  protected extraTerms(
    b: VaeBatch,
    q: { qm: tf.Tensor2D; qv: tf.Tensor2D; z: tf.Tensor2D },
    _ctx: StepContext,
    rng: Rng,
    out: LossOutput,
  ): LossOutput {
    if (b.pbAverage) {
      const A = b.pbAverage;
      out.terms.rho = tf.tidy(() => {
        const xI = tf.matMul(A, b.x) as tf.Tensor2D;
        const e = this.encode(xI, undefined);
        const zI = this.sample(e.qm, e.qv, nextSeed(rng));
        return meanRowPearson(tf.matMul(A, q.z), zI);
      });
    }
    return out;
  }

  /** Posterior means `[n, d]` (eval mode), the latent representation. */
  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.encode(x, undefined).qm);
  }

  dispose(): void {
    for (const [, v] of this.params()) v.dispose();
  }
}

/**
 * Mean over rows of the Pearson correlation between matching rows of `a` and `b` (`[M, d]`): the
 * mixup correlation ρ of [P App. D] when a = mean of the cells' codes and b = the pseudobulk's code.
 */
export function meanRowPearson(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const ac = tf.sub(a, tf.mean(a, 1, true));
    const bc = tf.sub(b, tf.mean(b, 1, true));
    const num = tf.sum(tf.mul(ac, bc), 1);
    const den = tf.sqrt(tf.mul(tf.sum(tf.square(ac), 1), tf.sum(tf.square(bc), 1)));
    return tf.mean(tf.div(num, tf.add(den, 1e-12))) as tf.Scalar;
  });
}
