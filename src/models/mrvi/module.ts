/**
 * The MrVI network of the seed [P §2, Suppl. A]: tensors only (scvi-tools' "module").
 *
 * - q(u | x, s) = N(μ, diag σ²): log1p(x) → [Linear → conditional batch norm (γ_s, β_s) → ReLU] × 2
 *   → Linear heads for μ and log σ² (σ² = exp(·) + 1e-4). Conditional batch norm (de Vries et al.
 *   2017): batch statistics during training, running statistics (momentum 0.1, PyTorch's) in
 *   evaluation; scale and shift looked up per sample.
 * - z = u + A_s·sg(u) + a_s [P Eq. 1], sg = stop-gradient: A_s u sends no gradient into u.
 * - log h = C z + dropout(C_b·sg(z)) + c_b, h = softmax(log h) [P Eq. 2]: the seed leaves h
 *   unnormalised; we normalise with a softmax over genes (as scvi-tools does) so that h is a
 *   proportion vector and the NB mean ℓ·h has the observed library size ℓ as its total. C_b z
 *   sends no gradient into z and is dropped out during training [P Suppl. A].
 * - x_g ~ NB(ℓ h_g, θ_g), θ_g = exp(r_g) gene-wise; p(u) = N(0, I_L).
 * Loss per cell: −log p(x | z) + klWeight · KL(q(u | x, s) ‖ N(0, I)); the ELBO term reported is
 * the unweighted sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ownedVariable } from '../../nn/adam.js';
import { Dense, dropout, matMul2d, nextSeed, nextVariableId } from '../../nn/dense.js';
import { logNb } from '../../nn/likelihoods.js';
import { ConditionalBatchNorm } from '../../nn/modules/conditional-batch-norm.js';
import type { LossOutput, StepContext } from '../../nn/trainer.js';

/** Minimum variance of q(u | x, s) (scvi-tools `var_eps`). */
export const VAR_EPS = 1e-4;

/** Shapes and settings of the network. */
export interface MrviModuleConfig {
  nGenes: number;
  nSamples: number;
  /** Number of sites (batches); 1 when there is no batch key. */
  nSites: number;
  /** Dimension L of u and z (seed: 10). */
  latent: number;
  /** Hidden width of the encoder (default 128). */
  hidden: number;
  /** Hidden layers of the encoder (default 2). */
  layers: number;
  /** Dropout rate on C_b z (training only). */
  siteDropout: number;
}

/** One minibatch as tensors. */
export interface MrviBatch {
  /** Raw counts `[B, G]`. */
  x: tf.Tensor2D;
  /** Observed library sizes `[B, 1]`. */
  lib: tf.Tensor2D;
  /** Sample codes `[B]` (int32). */
  sample: tf.Tensor1D;
  /** Site codes `[B]` (int32). */
  site: tf.Tensor1D;
  /** Σ_g lgamma(x + 1) per cell `[B]` (constant part of the likelihood, float64 on the host). */
  lgammaX1: tf.Tensor1D;
}

/** Identity with zero gradient (tfjs has no stop_gradient op). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
})) as any) as unknown as (x: tf.Tensor) => tf.Tensor;

/** The MrVI parameters and forward passes. */
export class MrviModule {
  readonly config: MrviModuleConfig;
  readonly encLayers: Dense[];
  readonly encNorms: ConditionalBatchNorm[];
  readonly meanHead: Dense;
  readonly varHead: Dense;
  /** A_s, `[S, L·L]` row-major per sample ((A_s u)_i = Σ_j A_s[i, j] u_j). */
  readonly A: tf.Variable<tf.Rank.R2>;
  /** a_s, `[S, L]`. */
  readonly a: tf.Variable<tf.Rank.R2>;
  /** C, `[L, G]` (stored transposed: log h = z · C). */
  readonly C: tf.Variable<tf.Rank.R2>;
  /** C_b, one `[L, G]` per site (separate variables: slicing one table would put a Pad in the gradient). */
  readonly Cb: tf.Variable<tf.Rank.R2>[];
  /** c_b, `[nSites, G]`. */
  readonly cb: tf.Variable<tf.Rank.R2>;
  /** Gene-wise log inverse dispersion `[G]`. */
  readonly pxR: tf.Variable<tf.Rank.R1>;

  /**
   * @param config - Shapes.
   * @param rng - Seeded stream for initial values (forked per parameter).
   */
  constructor(config: MrviModuleConfig, rng: Rng) {
    this.config = config;
    const { nGenes: G, nSamples: S, nSites: B, latent: L, hidden: H, layers } = config;
    this.encLayers = [];
    this.encNorms = [];
    for (let k = 0; k < layers; k++) {
      this.encLayers.push(new Dense(`encoder.layer${k}`, k === 0 ? G : H, H, rng.fork(`enc${k}`)));
      this.encNorms.push(new ConditionalBatchNorm({ name: `encoder.norm${k}`, features: H, categories: S }));
    }
    this.meanHead = new Dense('encoder.mean', H, L, rng.fork('enc_mean'));
    this.varHead = new Dense('encoder.var', H, L, rng.fork('enc_var'));
    const uid = nextVariableId();
    // A_s = 0 and a_s = 0 at the start: every sample begins identical, differences are learned.
    this.A = ownedVariable(tf.zeros([S, L * L]) as tf.Tensor2D, true, `A#${uid}`);
    this.a = ownedVariable(tf.zeros([S, L]) as tf.Tensor2D, true, `a#${uid}`);
    const normal = (n: number, sd: number, r: Rng) => Float32Array.from({ length: n }, () => sd * r.normal());
    // PyTorch nn.Linear-like scale for the decoder maps (fan-in L)
    this.C = ownedVariable(tf.tensor2d(normal(L * G, 1 / Math.sqrt(L), rng.fork('C')), [L, G]), true, `C#${uid}`);
    this.Cb = Array.from({ length: B }, (_, b) => ownedVariable(tf.zeros([L, G]) as tf.Tensor2D, true, `C_b.${b}#${uid}`));
    this.cb = ownedVariable(tf.zeros([B, G]) as tf.Tensor2D, true, `c_b#${uid}`);
    this.pxR = ownedVariable(tf.tensor1d(normal(G, 1, rng.fork('px_r'))), true, `px_r#${uid}`);
  }

  /** Trainable parameters by name (saved in the model directory). */
  params(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    this.encLayers.forEach((l, k) => {
      out.push(...l.params(), ...(this.encNorms[k] as ConditionalBatchNorm).params().slice(0, 2));
    });
    out.push(...this.meanHead.params(), ...this.varHead.params());
    out.push(['A', this.A], ['a', this.a], ['C', this.C]);
    this.Cb.forEach((v, b) => {
      out.push([`C_b.${b}`, v]);
    });
    out.push(['c_b', this.cb], ['px_r', this.pxR]);
    return out;
  }

  /** Non-trained state (batch-norm running statistics), also saved. */
  buffers(): [string, tf.Variable][] {
    return this.encNorms.flatMap((n) => n.params().slice(2));
  }

  variables(): tf.Variable[] {
    return this.params().map(([, v]) => v);
  }

  /** q(u | x, s): mean and variance `[B, L]`. */
  encode(x: tf.Tensor2D, sample: tf.Tensor1D, training: boolean): { qm: tf.Tensor2D; qv: tf.Tensor2D } {
    let h = tf.log1p(x) as tf.Tensor2D;
    this.encLayers.forEach((layer, k) => {
      h = tf.relu((this.encNorms[k] as ConditionalBatchNorm).apply(layer.apply(h), sample, training)) as tf.Tensor2D;
    });
    const qm = this.meanHead.apply(h);
    const qv = tf.add(tf.exp(this.varHead.apply(h)), VAR_EPS) as tf.Tensor2D;
    return { qm, qv };
  }

  /** z = u + A_s·sg(u) + a_s for each row's sample. */
  sampleAware(u: tf.Tensor2D, sample: tf.Tensor1D): tf.Tensor2D {
    const L = this.config.latent;
    const n = u.shape[0];
    const As = tf.reshape(tf.gather(this.A, sample), [n, L, L]);
    const uStop = tf.reshape(stopGradient(u), [n, 1, L]);
    const Au = tf.sum(tf.mul(As, uStop), 2) as tf.Tensor2D;
    return tf.add(tf.add(u, Au), tf.gather(this.a, sample)) as tf.Tensor2D;
  }

  /** log h before the softmax: z·C + dropout(sg(z)·C_b) + c_b. */
  logits(z: tf.Tensor2D, site: tf.Tensor1D, dropoutSeed?: number): tf.Tensor2D {
    const { nSites: B, nGenes: G } = this.config;
    const n = z.shape[0];
    const base = matMul2d(z, this.C);
    const zStop = stopGradient(z) as tf.Tensor2D;
    // C_b z for each cell's site: one matmul per site, rows selected by a 0/1 mask
    let siteTerm: tf.Tensor2D;
    if (B === 1) siteTerm = matMul2d(zStop, this.Cb[0] as tf.Variable<tf.Rank.R2>);
    else {
      const oneHot = tf.cast(tf.oneHot(site, B), 'float32') as tf.Tensor2D;
      siteTerm = tf.zeros([n, G]);
      for (let b = 0; b < B; b++) {
        const mask = tf.slice(oneHot, [0, b], [n, 1]);
        siteTerm = tf.add(siteTerm, tf.mul(matMul2d(zStop, this.Cb[b] as tf.Variable<tf.Rank.R2>), mask)) as tf.Tensor2D;
      }
    }
    if (dropoutSeed !== undefined) siteTerm = dropout(siteTerm, this.config.siteDropout, dropoutSeed);
    // one site: c_b broadcasts (a gather over one row would need a depth-1 one-hot in its gradient)
    const bias = B === 1 ? this.cb : tf.gather(this.cb, site);
    return tf.add(tf.add(base, siteTerm), bias) as tf.Tensor2D;
  }

  /** Loss of a batch (call inside `tf.variableGrads` / a tidy). */
  loss(b: MrviBatch, ctx: StepContext, rng: Rng): LossOutput {
    const seedEps = nextSeed(rng);
    const seedDrop = ctx.training ? nextSeed(rng) : undefined;
    const { qm, qv } = this.encode(b.x, b.sample, ctx.training);
    const u = tf.add(qm, tf.mul(tf.sqrt(qv), tf.randomNormal(qm.shape, 0, 1, 'float32', seedEps))) as tf.Tensor2D;
    const z = this.sampleAware(u, b.sample);
    const h = tf.softmax(this.logits(z, b.site, seedDrop));
    const mu = tf.mul(h, b.lib);
    const theta = tf.exp(this.pxR);
    const ll = logNb(b.x, mu, theta, { includeLgammaX1: false });
    const rec = tf.add(tf.neg(tf.sum(ll, 1)), b.lgammaX1);
    const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(qm), qv), tf.add(tf.log(qv), 1)), 1), 0.5);
    const recMean = tf.mean(rec) as tf.Scalar;
    const klMean = tf.mean(kl) as tf.Scalar;
    const loss = tf.add(recMean, tf.mul(klMean, ctx.klWeight)) as tf.Scalar;
    return { loss, terms: { reconstruction: recMean, kl: klMean, elbo: tf.add(recMean, klMean) as tf.Scalar } };
  }

  /** Posterior means of u `[B, L]` (evaluation mode). */
  encodeMean(x: tf.Tensor2D, sample: tf.Tensor1D): tf.Tensor2D {
    return tf.tidy(() => this.encode(x, sample, false).qm);
  }

  dispose(): void {
    for (const [, v] of [...this.params(), ...this.buffers()]) v.dispose();
  }
}
