/**
 * The DGD's loss on one minibatch: tensors only (scvi-tools' "module").
 *
 * For representations z (`[B, L]`), counts x (`[B, G]`) and scaling factors M (`[B, 1]`):
 *   loss = −Σ_i Σ_g log NB(x_ig; M_i m̂_ig(z_i), r_g) − Σ_i log p(z_i | φ) − w·log P(φ)
 * [TH Eqs. 1–3, Algorithm 1], summed over the batch as in `dgd_train`. The weight of log P(φ) is B/N
 * by default (so that an epoch adds it once) or B (scDGD's per-sample quirk, option `priorPerSample`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DgdDecoder } from './decoder.js';
import type { GaussianMixturePrior } from './gmm.js';
import { logNbNoFactorial } from './nb.js';

/** Tensors of one minibatch. */
export interface DgdBatch {
  /** Counts `[B, G]`. */
  x: tf.Tensor2D;
  /** Scaling factors `[B, 1]`. */
  scale: tf.Tensor2D;
  /** `[G]` 0/1 gene mask (new data lacking some model genes); absent = all genes. */
  mask?: tf.Tensor1D;
}

/**
 * Σ_g log NB(x_ig; M_i m̂_ig, r_g) per cell WITHOUT −Σ lgamma(x+1), `[B]`. With a mask, missing genes
 * are left out and a softmax output is renormalised over the present genes.
 */
export function reconstructionLogLik(decoder: DgdDecoder, z: tf.Tensor2D, b: DgdBatch, r?: tf.Tensor1D): tf.Tensor1D {
  let mhat = decoder.scaledMean(z);
  if (b.mask && decoder.config.activation === 'softmax') {
    const mm = tf.mul(mhat, b.mask);
    mhat = tf.div(mm, tf.sum(mm, 1, true)) as tf.Tensor2D;
  }
  const m = tf.mul(mhat, b.scale);
  let ll = logNbNoFactorial(b.x, m, r ?? decoder.dispersion());
  if (b.mask) ll = tf.mul(ll, b.mask);
  return tf.sum(ll, 1) as tf.Tensor1D;
}

/** Named sums of one batch's loss. */
export interface DgdLoss {
  /** Scalar to minimise. */
  loss: tf.Scalar;
  /** −Σ reconstruction log-likelihood (without the lgamma(x+1) constant). */
  reconstruction: tf.Scalar;
  /** −Σ log p(z | φ). */
  gmm: tf.Scalar;
  /** −log P(φ) (unweighted). */
  prior: tf.Scalar;
}

/**
 * The batch loss (call inside a tidy / `tf.variableGrads`).
 *
 * @param decoder - Decoder and dispersions.
 * @param gmm - Mixture prior.
 * @param z - Representations of the batch `[B, L]`.
 * @param b - Counts and scaling factors.
 * @param opts.priorWeight - Weight of −log P(φ) (0 leaves it out, e.g. with a frozen GMM).
 * @param opts.classes - Supervised variant: class of each row (−1 = unlabelled).
 * @param opts.perClass - Components per class (supervised).
 */
export function dgdLoss(
  decoder: DgdDecoder,
  gmm: GaussianMixturePrior,
  z: tf.Tensor2D,
  b: DgdBatch,
  opts: { priorWeight: number; classes?: Int32Array; perClass?: number },
): DgdLoss {
  const rec = tf.neg(tf.sum(reconstructionLogLik(decoder, z, b))) as tf.Scalar;
  const lp = opts.classes ? gmm.supervisedLogProb(z, opts.classes, opts.perClass ?? 1) : gmm.logProb(z);
  const g = tf.neg(tf.sum(lp)) as tf.Scalar;
  const prior = opts.priorWeight !== 0 ? (tf.neg(gmm.logPrior()) as tf.Scalar) : tf.scalar(0);
  const loss = tf.add(tf.add(rec, g), tf.mul(prior, opts.priorWeight)) as tf.Scalar;
  return { loss, reconstruction: rec, gmm: g, prior };
}
