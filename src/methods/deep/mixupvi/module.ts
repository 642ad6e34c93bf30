/**
 * The MixupVI / scVI network and loss: pure tensor math, no Datasets (scvi-tools' "module").
 *
 * Architecture [SCVI Encoder/DecoderSCVI; P App. E; spec mixupvi.md]:
 * - encoder: log(1+x) of RAW counts → Linear(G→H) → ReLU → Dropout → mean head Linear(H→d),
 *   variance head Linear(H→d), var = exp(·) + 1e-4; z = μ + √var·ε;
 * - decoder: Linear(d→H) → ReLU (no dropout) → px_scale = softmax(Linear(H→G)),
 *   px_dropout = Linear(H→G) (ZINB logits); μ = ℓ·px_scale with ℓ the OBSERVED library size;
 *   θ_g = exp(px_r_g), gene-wise, px_r ~ N(0, 1) at initialisation.
 * Loss [P Eq. 2; FORK `loss`]: mean over cells of (−log p(x|z) + klWeight·KL(q(z|x) ‖ N(0, I)))
 * + Mix, Mix = mean over pseudobulks of ‖z_I − mean_{i∈I} z_i‖² (L2) or a KL variant, plus an optional
 * pseudobulk NB reconstruction term (weight 0 by default, as in the fork's code).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../core/rng.js';
import { ownedVariable } from '../../../nn/adam.js';
import { Dense, dropout, type InitScheme, matMul2d, nextSeed, nextVariableId } from '../../../nn/dense.js';
import { logNb, logZinbFused } from '../../../nn/likelihoods.js';
import type { LossOutput, StepContext } from '../../../nn/trainer.js';

/** Minimum variance of q(z|x) (scvi-tools Encoder `var_eps`). */
export const VAR_EPS = 1e-4;

/** Shape and settings of the network. */
export interface VaeConfig {
  nGenes: number;
  latent: number;
  hidden: number;
  dropout: number;
  likelihood: 'zinb' | 'nb';
  mixupPenalty: 'l2' | 'kl' | 'none';
  pseudobulkReconWeight: number;
  init: InitScheme;
}

/** One training/validation minibatch, as tensors. */
export interface VaeBatch {
  /** Raw counts `[B, G]`. */
  x: tf.Tensor2D;
  /** Observed library sizes `[B, 1]`. */
  lib: tf.Tensor2D;
  /** Σ_g lgamma(x+1) per cell `[B]` (constant part of the likelihood, computed in float64). */
  lgammaX1: tf.Tensor1D;
  /** Pseudobulk averaging matrix `[M, B]`: A[m, i] = (times cell i is in pseudobulk m) / nCells. Absent for scVI. */
  pbAverage?: tf.Tensor2D;
  /** Cells per pseudobulk n (for the KL penalty's averaged variance). */
  pbCells?: number;
}

/** Named loss terms (means over the batch). */
export type VaeTerms = 'reconstruction' | 'kl' | 'elbo' | 'mixup' | 'rho' | 'pseudobulk_reconstruction';

/** The VAE's parameters and forward passes. */
export class MixupVAE {
  readonly config: VaeConfig;
  readonly encoderHidden: Dense;
  readonly meanEncoder: Dense;
  readonly varEncoder: Dense;
  readonly decoderHidden: Dense;
  readonly scaleDecoder: Dense;
  readonly dropoutDecoder?: Dense;
  /** Gene-wise log inverse dispersion `[G]`. */
  readonly pxR: tf.Variable<tf.Rank.R1>;

  /**
   * @param config - Shapes and settings.
   * @param rng - Seeded stream for the initial weights (forked per layer, so adding a layer does not move the others).
   */
  constructor(config: VaeConfig, rng: Rng) {
    this.config = config;
    const { nGenes: G, latent: d, hidden: H, init } = config;
    // Parameter names follow scvi-tools' state dict (spec: "expected parameter names").
    this.encoderHidden = new Dense('z_encoder.encoder.fc_layers.Layer 0.0', G, H, rng.fork('enc0'), init);
    this.meanEncoder = new Dense('z_encoder.mean_encoder', H, d, rng.fork('enc_mean'), init);
    this.varEncoder = new Dense('z_encoder.var_encoder', H, d, rng.fork('enc_var'), init);
    this.decoderHidden = new Dense('decoder.px_decoder.fc_layers.Layer 0.0', d, H, rng.fork('dec0'), init);
    this.scaleDecoder = new Dense('decoder.px_scale_decoder.0', H, G, rng.fork('dec_scale'), init);
    if (config.likelihood === 'zinb') this.dropoutDecoder = new Dense('decoder.px_dropout_decoder', H, G, rng.fork('dec_dropout'), init);
    const r = rng.fork('px_r');
    const pr = new Float32Array(G);
    for (let g = 0; g < G; g++) pr[g] = r.normal();
    this.pxR = ownedVariable(tf.tensor1d(pr), true, `px_r#${nextVariableId()}`);
  }

  /** Named parameters, for saving and loading (scvi-tools names; weights stored `[in, out]`). */
  params(): [string, tf.Variable][] {
    const layers = [this.encoderHidden, this.meanEncoder, this.varEncoder, this.decoderHidden, this.scaleDecoder];
    if (this.dropoutDecoder) layers.push(this.dropoutDecoder);
    return [...layers.flatMap((l) => l.params()), ['px_r', this.pxR]];
  }

  /** All trainable variables. */
  variables(): tf.Variable[] {
    return this.params().map(([, v]) => v);
  }

  /**
   * q(z|x): mean and variance `[n, d]` from raw counts `[n, G]`.
   *
   * @param dropoutSeed - Seed of the dropout mask (training); `undefined` = eval mode (no dropout).
   */
  encode(x: tf.Tensor2D, dropoutSeed?: number): { qm: tf.Tensor2D; qv: tf.Tensor2D } {
    let h = tf.relu(this.encoderHidden.apply(tf.log1p(x) as tf.Tensor2D));
    if (dropoutSeed !== undefined) h = dropout(h, this.config.dropout, dropoutSeed);
    const qm = this.meanEncoder.apply(h);
    const qv = tf.add(tf.exp(this.varEncoder.apply(h)), VAR_EPS) as tf.Tensor2D;
    return { qm, qv };
  }

  /** Reparameterised sample z = μ + √var·ε, ε ~ N(0, I) from `seed`. */
  sample(qm: tf.Tensor2D, qv: tf.Tensor2D, seed: number): tf.Tensor2D {
    return tf.add(qm, tf.mul(tf.sqrt(qv), tf.randomNormal(qm.shape, 0, 1, 'float32', seed))) as tf.Tensor2D;
  }

  /** p(x|z): NB/ZINB parameters for latent codes `[n, d]` and library sizes `[n, 1]`. */
  decode(z: tf.Tensor2D, lib: tf.Tensor2D): { mu: tf.Tensor2D; theta: tf.Tensor1D; piLogits?: tf.Tensor2D } {
    const h = tf.relu(this.decoderHidden.apply(z));
    const scale = tf.softmax(this.scaleDecoder.apply(h));
    const mu = tf.mul(scale, lib) as tf.Tensor2D;
    const theta = tf.exp(this.pxR) as tf.Tensor1D;
    return { mu, theta, piLogits: this.dropoutDecoder?.apply(h) };
  }

  /**
   * Total loss and named terms of one minibatch (call inside a tidy / `tf.variableGrads`).
   *
   * @param b - The batch.
   * @param ctx - Epoch/step/KL weight; `ctx.training` switches dropout on.
   * @param rng - Stream for dropout masks and ε (one draw per call, so replaying a run replays it).
   */
  loss(b: VaeBatch, ctx: StepContext, rng: Rng): LossOutput {
    const cfg = this.config;
    const seedDrop = ctx.training ? nextSeed(rng) : undefined;
    const seedZ = nextSeed(rng);
    const { qm, qv } = this.encode(b.x, seedDrop);
    const z = this.sample(qm, qv, seedZ);
    const { mu, theta, piLogits } = this.decode(z, b.lib);
    const ll =
      cfg.likelihood === 'zinb' && piLogits ? logZinbFused(b.x, mu, theta, piLogits) : logNb(b.x, mu, theta, { includeLgammaX1: false });
    // −log p(x|z) per cell; lgamma(x+1) sums are added back here (constant in the parameters).
    const rec = tf.add(tf.neg(tf.sum(ll, 1)), b.lgammaX1);
    const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(qm), qv), tf.add(tf.log(qv), 1)), 1), 0.5);
    const recMean = tf.mean(rec) as tf.Scalar;
    const klMean = tf.mean(kl) as tf.Scalar;
    let loss = tf.add(recMean, tf.mul(klMean, ctx.klWeight)) as tf.Scalar;
    const terms: Record<string, tf.Scalar> = { reconstruction: recMean, kl: klMean, elbo: tf.add(recMean, klMean) as tf.Scalar };
    if (b.pbAverage && cfg.mixupPenalty !== 'none') {
      const mix = this.mixup(b, qm, qv, z, ctx.training ? nextSeed(rng) : undefined, nextSeed(rng));
      loss = tf.add(loss, mix.penalty) as tf.Scalar;
      terms.mixup = mix.penalty;
      terms.rho = mix.rho;
      if (mix.pbRecon) {
        loss = tf.add(loss, tf.mul(mix.pbRecon, cfg.pseudobulkReconWeight)) as tf.Scalar;
        terms.pseudobulk_reconstruction = mix.pbRecon;
      }
    } else if (b.pbAverage) {
      // scVI: no penalty, but rho is still monitored (paper Table 1 compares it).
      terms.rho = tf.tidy(() => {
        const xI = tf.matMul(b.pbAverage as tf.Tensor2D, b.x) as tf.Tensor2D;
        const e = this.encode(xI, undefined);
        const zI = this.sample(e.qm, e.qv, nextSeed(rng));
        return meanRowPearson(tf.matMul(b.pbAverage as tf.Tensor2D, z), zI);
      });
    }
    return { loss, terms };
  }

  /**
   * The mixup penalty of [P Eq. 2]: pseudobulks built in input space (mean raw counts), encoded with
   * the same encoder, compared with the mean of their cells' codes.
   */
  private mixup(
    b: VaeBatch,
    qm: tf.Tensor2D,
    qv: tf.Tensor2D,
    z: tf.Tensor2D,
    seedDrop: number | undefined,
    seedZ: number,
  ): { penalty: tf.Scalar; rho: tf.Scalar; pbRecon?: tf.Scalar } {
    const A = b.pbAverage as tf.Tensor2D;
    const xI = tf.matMul(A, b.x) as tf.Tensor2D; // mean raw counts of each pseudobulk (no gradient needed: data)
    const e = this.encode(xI, seedDrop);
    const zI = this.sample(e.qm, e.qv, seedZ);
    const zBar = matMul2d(A, z); // mean of the cells' sampled codes
    let penalty: tf.Scalar;
    if (this.config.mixupPenalty === 'kl') {
      // N(mean μ_i, sd = √(Σ var_i)/n) vs q(z|x_I) [FORK]; Σ var_i over the n members (with
      // multiplicity) = n · (A · var), so the averaged variance is (A · var) / n.
      const muAvg = matMul2d(A, qm);
      const varAvg = tf.div(matMul2d(A, qv), b.pbCells ?? 1);
      const kl = tf.mul(
        tf.sum(tf.sub(tf.add(tf.log(tf.div(e.qv, varAvg)), tf.div(tf.add(varAvg, tf.square(tf.sub(muAvg, e.qm))), e.qv)), 1), 1),
        0.5,
      );
      penalty = tf.mean(kl) as tf.Scalar;
    } else {
      penalty = tf.mean(tf.sum(tf.square(tf.sub(zI, zBar)), 1)) as tf.Scalar;
    }
    const rho = meanRowPearson(zBar, zI);
    let pbRecon: tf.Scalar | undefined;
    if (this.config.pseudobulkReconWeight > 0) {
      const libI = tf.sum(xI, 1, true) as tf.Tensor2D;
      const { mu, theta } = this.decode(zI, libI);
      pbRecon = tf.mean(tf.neg(tf.sum(logNb(xI, mu, theta), 1))) as tf.Scalar;
    }
    return { penalty, rho, pbRecon };
  }

  /** Posterior means `[n, d]` (eval mode), as used for signatures and deconvolution. */
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
