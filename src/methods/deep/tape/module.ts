/**
 * TAPE's autoencoder (Chen & Wang 2022, Nat. Commun. 13:6735; `poseidonchan/TAPE`, `TAPE/model.py`
 * `AutoEncoder`; PyDeconv `TapeModule`): tensors only.
 *
 * Encoder: Dropout(0.5) → Linear(G,512) → CELU → Dropout → Linear(512,256) → CELU → Dropout →
 * Linear(256,128) → CELU → Dropout → Linear(128,64) → CELU → Linear(64,C): z ∈ R^C (no output
 * activation in train mode). CELU with α = 1 is ELU.
 * Decoder: Linear(C,64) → … → Linear(512,G), all bias-free and linear, so it collapses to one
 * signature matrix Sig = ReLU(W0ᵀW1ᵀW2ᵀW3ᵀW4ᵀ) (C × G; PyTorch weights are out × in). We store
 * weights in × out, so Sig = ReLU(W0·W1·W2·W3·W4). Reconstruction x̂ = z · Sig.
 * Test mode: z ← ReLU(z) / Σ_c ReLU(z)_c ("refraction").
 * Init: PyTorch `nn.Linear` defaults (U(±1/√fanIn) for weights and biases).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../core/rng.js';
import { ownedVariable } from '../../../nn/adam.js';
import { Dense, initWeights, nextVariableId } from '../../../nn/dense.js';
import { rngDropout } from '../common-baselines/dropout.js';
import { applyInputLayer } from '../common-baselines/input-layer.js';

import { TAPE_ARCH, type TapeArch } from './config.js';

export { TAPE_ARCH, type TapeArch };

/** Outputs of a forward pass. */
export interface TapeForward {
  /** `[batch, G]` reconstruction z · Sig. */
  recon: tf.Tensor2D;
  /** `[batch, C]` proportions (raw in train mode, ReLU-normalised in test mode). */
  z: tf.Tensor2D;
  /** `[C, G]` signature. */
  sig: tf.Tensor2D;
}

/** TAPE's autoencoder. */
export class TapeAutoEncoder {
  readonly nGenes: number;
  readonly nTypes: number;
  readonly arch: TapeArch;
  readonly encoder: Dense[];
  /** Decoder weights, `[in, out]`, input side (C) first. */
  readonly decoder: tf.Variable<tf.Rank.R2>[];

  constructor(nGenes: number, nTypes: number, rng: Rng, arch: TapeArch = TAPE_ARCH) {
    this.nGenes = nGenes;
    this.nTypes = nTypes;
    this.arch = arch;
    const enc = [nGenes, ...arch.hidden, nTypes];
    this.encoder = [];
    for (let k = 0; k + 1 < enc.length; k++)
      this.encoder.push(new Dense(`encoder.${k}`, enc[k] as number, enc[k + 1] as number, rng, 'torch'));
    const dec = [nTypes, ...[...arch.hidden].reverse(), nGenes];
    this.decoder = [];
    for (let k = 0; k + 1 < dec.length; k++) {
      const fanIn = dec[k] as number;
      const fanOut = dec[k + 1] as number;
      const { w } = initWeights(fanIn, fanOut, 'torch', rng);
      this.decoder.push(ownedVariable(tf.tensor2d(w, [fanIn, fanOut]), true, `decoder.${k}.weight#${nextVariableId()}`));
    }
  }

  /** Raw encoder output `[batch, C]`; dropout active when `dropoutRng` is given. */
  encode(x: tf.Tensor2D, dropoutRng?: Rng): tf.Tensor2D {
    let h = x;
    const last = this.encoder.length - 1;
    this.encoder.forEach((l, k) => {
      // Dropout precedes every Linear except the last one.
      if (k < last && dropoutRng) h = rngDropout(h, this.arch.dropout, dropoutRng);
      h = k === 0 ? applyInputLayer(l, h) : l.apply(h);
      if (k < last) h = tf.elu(h);
    });
    return h;
  }

  /** Sig = ReLU(W0·W1·…·W4), `[C, G]`. */
  sigmatrix(): tf.Tensor2D {
    let s: tf.Tensor2D = this.decoder[0] as tf.Tensor2D;
    for (let k = 1; k < this.decoder.length; k++) s = tf.matMul(s, this.decoder[k] as tf.Tensor2D);
    return tf.relu(s);
  }

  /**
   * Forward pass. 'train': raw z, dropout from `dropoutRng`; 'test': no dropout, z ← ReLU(z)/Σ.
   */
  forward(x: tf.Tensor2D, mode: 'train' | 'test', dropoutRng?: Rng): TapeForward {
    const sig = this.sigmatrix();
    let z = this.encode(x, mode === 'train' ? dropoutRng : undefined);
    if (mode === 'test') z = refraction(tf.relu(z));
    return { recon: tf.matMul(z, sig), z, sig };
  }

  encoderParams(): [string, tf.Variable][] {
    return this.encoder.flatMap((l) => l.params());
  }

  decoderParams(): [string, tf.Variable][] {
    return this.decoder.map((v, k) => [`decoder.${k}.weight`, v]);
  }

  params(): [string, tf.Variable][] {
    return [...this.encoderParams(), ...this.decoderParams()];
  }

  dispose(): void {
    for (const l of this.encoder) l.dispose();
    for (const v of this.decoder) v.dispose();
  }
}

/** Row normalisation z / Σ_c z_c (TAPE's `refraction`). A zero row gives NaN there; we keep 0. */
export function refraction(z: tf.Tensor2D): tf.Tensor2D {
  const s = tf.sum(z, 1, true);
  return tf.div(z, tf.where(tf.greater(s, 0), s, tf.onesLike(s)));
}

/** Mean absolute error (PyTorch `F.l1_loss`, reduction 'mean'). */
export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar;
}

/** TAPE's training loss: L1(z, y) + L1(x̂, x), with the two terms. */
export function tapeLoss(out: TapeForward, x: tf.Tensor2D, y: tf.Tensor2D): { loss: tf.Scalar; prop: tf.Scalar; recon: tf.Scalar } {
  const prop = l1Loss(out.z, y);
  const recon = l1Loss(out.recon, x);
  return { loss: tf.add(prop, recon) as tf.Scalar, prop, recon };
}
