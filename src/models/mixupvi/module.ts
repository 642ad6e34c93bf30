/**
 * MixupVI's network and loss: scVI (models/scvi/module.ts) plus the latent mixup penalty; pure tensor
 * math, no Datasets.
 *
 * Loss [P Eq. 2; FORK `loss`]: scVI's ELBO + Mix, Mix = mean over pseudobulks of
 * ‖z_I − mean_{i∈I} z_i‖² (L2) or a KL variant, plus an optional pseudobulk NB reconstruction term
 * (weight 0 by default, as in the fork's code). With `mixupPenalty: 'none'` it is scVI exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { matMul2d, nextSeed } from '../../nn/dense.js';
import { logNb } from '../../nn/likelihoods.js';
import type { LossOutput, StepContext } from '../../nn/training.js';
import { meanRowPearson, ScviModule, type VaeBatch } from '../scvi/module.js';

export { meanRowPearson, VAR_EPS, type VaeBatch, type VaeConfig } from '../scvi/module.js';

/** Named loss terms (means over the batch). */
export type VaeTerms = 'reconstruction' | 'kl' | 'elbo' | 'mixup' | 'rho' | 'pseudobulk_reconstruction';

/** scVI + the mixup penalty. */
export class MixupVAE extends ScviModule {
  protected override extraTerms(
    b: VaeBatch,
    q: { qm: tf.Tensor2D; qv: tf.Tensor2D; z: tf.Tensor2D },
    ctx: StepContext,
    rng: Rng,
    out: LossOutput,
  ): LossOutput {
    if (!b.pbAverage || this.config.mixupPenalty === 'none') return super.extraTerms(b, q, ctx, rng, out);
    const mix = this.mixup(b, q.qm, q.qv, q.z, ctx.training ? nextSeed(rng) : undefined, nextSeed(rng));
    let loss = tf.add(out.loss, mix.penalty) as tf.Scalar;
    out.terms.mixup = mix.penalty;
    out.terms.rho = mix.rho;
    if (mix.pbRecon) {
      loss = tf.add(loss, tf.mul(mix.pbRecon, this.config.pseudobulkReconWeight)) as tf.Scalar;
      out.terms.pseudobulk_reconstruction = mix.pbRecon;
    }
    return { loss, terms: out.terms };
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
}
