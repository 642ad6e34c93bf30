import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/core/rng.js';
import { DgdDecoder } from '../../../src/models/dgd/decoder.js';
import { GaussianMixturePrior } from '../../../src/models/dgd/gmm.js';
import { dgdLoss } from '../../../src/models/dgd/module.js';
import { ownedVariable } from '../../../src/nn/adam.js';
import { initBackend } from '../../../src/nn/backend.js';

/**
 * Central finite differences of the DGD batch loss against the tfjs gradients, for every parameter
 * group (representations, decoder weights, log-dispersions, GMM means, log-precisions, logits), for
 * each output activation and for the supervised variant.
 */
for (const activation of ['softmax', 'softplus', 'sigmoid'] as const) {
  test(`finite differences: DGD loss gradients (${activation})`, async () => {
    await initBackend('cpu');
    const n0 = tf.memory().numTensors;
    const rng = new Rng(2);
    const B = 4;
    const G = 6;
    const L = 3;
    const dec = new DgdDecoder({ latent: L, hidden: [5, 4], nGenes: G, activation, rInit: 2.5 }, rng.fork('d'));
    const gmm = new GaussianMixturePrior(
      { components: 2, dim: L, softballScale: 1.5, softballSharpness: 2, dirichletAlpha: 2, logbetaPriorSd: 1 },
      rng.fork('g'),
    );
    // Moderate precisions so the GMM term does not swamp the rest in float32.
    tf.tidy(() => {
      gmm.logbeta.assign(tf.fill([2, L], 0.3) as tf.Tensor2D);
      gmm.weight.assign(tf.tensor1d([0.2, -0.4]));
    });
    const zv = ownedVariable(
      tf.tensor2d(
        Float32Array.from({ length: B * L }, () => rng.normal() * 0.7),
        [B, L],
      ),
    );
    const x = tf.tensor2d(
      Float32Array.from({ length: B * G }, () => Math.floor(rng.uniform() * 9)),
      [B, G],
    );
    const scale = tf.tensor2d([[20], [35], [12], [50]]);
    const b = { x, scale };
    for (const classes of [undefined, Int32Array.from([0, 1, -1, 1])]) {
      const f = () => dgdLoss(dec, gmm, zv, b, { priorWeight: 0.5, classes, perClass: 1 }).loss;
      const vars: tf.Variable[] = [
        zv,
        (dec.layers[0] as { w: tf.Variable }).w,
        (dec.layers[2] as { b: tf.Variable }).b,
        dec.logR,
        gmm.mean,
        gmm.logbeta,
        gmm.weight,
      ];
      const { value, grads } = tf.variableGrads(f as () => tf.Scalar, vars);
      value.dispose();
      for (const v of vars) {
        const g = (grads[v.name] as tf.Tensor).dataSync();
        const vals = Float32Array.from(v.dataSync() as Float32Array);
        for (let k = 0; k < Math.min(vals.length, 6); k++) {
          const h = 1e-2;
          const at = (d: number) => {
            const c = Float32Array.from(vals);
            c[k] = (c[k] as number) + d;
            const t = tf.tensor(c, v.shape);
            v.assign(t);
            t.dispose();
            const l = tf.tidy(() => f().dataSync()[0] as number);
            return l;
          };
          // Richardson-extrapolated central difference (error O(h^4)) to beat float32 noise.
          const d1 = (at(h) - at(-h)) / (2 * h);
          const d2 = (at(2 * h) - at(-2 * h)) / (4 * h);
          const fd = (4 * d1 - d2) / 3;
          const t0 = tf.tensor(vals, v.shape);
          v.assign(t0);
          t0.dispose();
          const an = g[k] as number;
          assert.ok(
            Math.abs(an - fd) <= 2e-2 * Math.max(1, Math.abs(fd)),
            `${v.name}[${k}] ${classes ? 'supervised' : ''}: analytic ${an} vs FD ${fd}`,
          );
        }
      }
      tf.dispose(Object.values(grads));
    }
    tf.dispose([zv, x, scale]);
    dec.dispose();
    gmm.dispose();
    assert.equal(tf.memory().numTensors, n0);
  });
}
