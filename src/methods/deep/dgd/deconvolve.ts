/**
 * Bulk deconvolution with a supervised DGD (issue 12): for a bulk sample y with library size M,
 * proportions p = softmax(w) on the simplex and one representation z_t per cell type (started at the
 * type's component mean) maximise
 *   log NB(y; M · Σ_t p_t · prof_t, r_bulk) + Σ_t log p(z_t | component(s) of t),
 * with prof_t = decoder(z_t) normalised to sum 1 over genes and a bulk-level dispersion r_bulk per gene
 * (r = exp(·) + 1, started at the model's; it absorbs the platform difference between cells and bulk).
 * Decoder and GMM stay frozen. Adam (betas (0.5, 0.7), as the model's optimisers) on w, z and r_bulk.
 *
 * Samples are fitted in chunks (their w and z are independent); r_bulk is shared and carried from one
 * chunk to the next, so the result depends on `chunk` but not on anything else.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../../../core/progress.js';
import type { DgdModel } from '../../../models/dgd/model.js';
import { Adam, ownedVariable } from '../../../nn/adam.js';
import { gatherRowsF32, type RowSource } from '../../../nn/batches.js';
import { logNb } from '../../../nn/likelihoods.js';

/** Settings of the bulk fit. */
export interface BulkFitOptions {
  /** Adam steps per chunk. */
  iterations: number;
  /** Adam learning rate. */
  lr: number;
  /** Samples fitted together. */
  chunk: number;
}

/** Result of {@link fitBulk}. */
export interface BulkFit {
  /** Row-major `[S, C]`. */
  proportions: Float64Array;
  /** Row-major `[S, C, G]`: each type's fitted expression profile in each sample (fractions of its counts, summing to 1 over the model's genes). */
  profiles: Float32Array;
  /** `[G]` fitted bulk dispersions. */
  bulkDispersion: Float32Array;
  /** Final negative log-likelihood per sample (with the prior terms, without lgamma(y+1)). */
  loss: Float64Array;
}

/**
 * Fits proportions and per-type profiles of each bulk sample.
 *
 * @param model - A supervised DGD (components in class blocks).
 * @param src - samples x (source genes) counts.
 * @param colMap - source column → model gene (−1 = not a model gene).
 * @param mask - `[G]` 1 for model genes present in the bulk; undefined = all present.
 */
export async function fitBulk(
  model: DgdModel,
  src: RowSource,
  colMap: Int32Array,
  mask: Float32Array | undefined,
  o: BulkFitOptions,
  signal?: AbortSignal,
): Promise<BulkFit> {
  const S = src.rows;
  const C = model.classes.length;
  const G = model.genes.length;
  const L = model.options.latent;
  const perClass = model.options.componentsPerClass;
  const snap = model.gmmParams();
  // Start of z_t: the mean of the class's most weighted component.
  const start = new Float32Array(C * L);
  for (let c = 0; c < C; c++) {
    let best = c * perClass;
    for (let j = 1; j < perClass; j++)
      if ((snap.weight[c * perClass + j] as number) > (snap.weight[best] as number)) best = c * perClass + j;
    start.set(snap.mean.subarray(best * L, (best + 1) * L), c * L);
  }
  const proportions = new Float64Array(S * C);
  const profiles = new Float32Array(S * C * G);
  const loss = new Float64Array(S);
  const logRb = ownedVariable(tf.tidy(() => tf.clone(model.decoder.logR)) as tf.Tensor1D, true);
  const maskT = mask ? tf.tensor1d(mask) : undefined;
  const classes = Int32Array.from({ length: o.chunk * C }, (_, i) => i % C);
  const buf = new Float32Array(o.chunk * G);
  try {
    for (let s0 = 0; s0 < S; s0 += o.chunk) {
      const n = Math.min(o.chunk, S - s0);
      const rows = Int32Array.from({ length: n }, (_, i) => s0 + i);
      gatherRowsF32(src, rows, buf, G, colMap);
      const y = tf.tensor2d(buf.subarray(0, n * G), [n, G]);
      let lib = 0;
      const libs = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        lib = 0;
        for (let g = 0; g < G; g++) lib += buf[i * G + g] as number;
        libs[i] = lib;
      }
      const M = tf.tensor3d(libs, [n, 1, 1]);
      const w = ownedVariable(tf.zeros([n, 1, C]) as tf.Tensor3D, true);
      const zInit = new Float32Array(n * C * L);
      for (let i = 0; i < n; i++) zInit.set(start, i * C * L);
      const z = ownedVariable(tf.tensor2d(zInit, [n * C, L]), true);
      const cls = classes.subarray(0, n * C);
      const profOf = () => {
        let prof = model.decoder.scaledMean(z);
        if (maskT) prof = tf.mul(prof, maskT);
        return tf.div(prof, tf.sum(prof, 1, true)) as tf.Tensor2D;
      };
      const objective = () => {
        const prof = tf.reshape(profOf(), [n, C, G]) as tf.Tensor3D;
        const p = tf.softmax(w) as tf.Tensor3D;
        const mix = tf.reshape(tf.mul(tf.matMul(p, prof), M), [n, G]);
        const r = tf.add(tf.exp(logRb), 1);
        let ll = logNb(y, mix, r, { includeLgammaX1: false });
        if (maskT) ll = tf.mul(ll, maskT);
        const perSample = tf.sum(ll, 1);
        const lp = tf.sum(tf.reshape(model.gmm.supervisedLogProb(z, cls, perClass), [n, C]), 1);
        return tf.neg(tf.add(perSample, lp)) as tf.Tensor1D;
      };
      const adam = new Adam([w, z, logRb], { lr: o.lr, beta1: 0.5, beta2: 0.7, weightDecay: 0, eps: 1e-8 });
      try {
        for (let it = 0; it < o.iterations; it++) {
          throwIfAborted(signal);
          const { value, grads } = tf.variableGrads(() => tf.sum(objective()) as tf.Scalar, [w, z, logRb]);
          adam.apply(grads);
          value.dispose();
          tf.dispose(Object.values(grads));
          if (it % 10 === 9) await new Promise<void>((r) => setImmediate(r));
        }
        const [pT, profT, lT] = tf.tidy(() => [tf.reshape(tf.softmax(w), [n, C]), profOf(), objective()]);
        const pv = (await (pT as tf.Tensor).data()) as Float32Array;
        const prv = (await (profT as tf.Tensor).data()) as Float32Array;
        const lv = (await (lT as tf.Tensor).data()) as Float32Array;
        tf.dispose([pT as tf.Tensor, profT as tf.Tensor, lT as tf.Tensor]);
        for (let i = 0; i < n * C; i++) proportions[s0 * C + i] = pv[i] as number;
        profiles.set(prv, s0 * C * G);
        for (let i = 0; i < n; i++) loss[s0 + i] = lv[i] as number;
      } finally {
        adam.dispose();
        tf.dispose([y, M, w, z]);
      }
    }
    const bulkDispersion = tf.tidy(() => tf.add(tf.exp(logRb), 1).dataSync() as Float32Array);
    return { proportions, profiles, bulkDispersion: Float32Array.from(bulkDispersion), loss };
  } finally {
    logRb.dispose();
    maskT?.dispose();
  }
}
