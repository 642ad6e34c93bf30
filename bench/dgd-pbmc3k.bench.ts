/**
 * DGD vs scVI on PBMC3k (issue 12): held-out NB reconstruction log-likelihood per cell on the same
 * genes, and clustering of the held-out cells against `cell_type` (DGD: GMM component argmax; scVI:
 * k-means with k = number of types on the posterior means): ARI and Hungarian accuracy.
 *
 * Protocol: 70/30 split of the cells (seed), genes = the training cells' top `--genes` seurat_v3 HVGs
 * (0 = all genes with counts; the DGD's default, too slow for a shared 2-core machine), both models
 * trained for `--epochs` epochs with their library defaults otherwise (DGD: unsupervised, K = number
 * of types, batch 128, scDGD optimiser settings; scVI: NB likelihood, latent 10, 1 hidden layer of 128).
 * Held-out cells: DGD representations by the multiDGD procedure (decoder and GMM frozen); scVI:
 * posterior mean z, log p(x | z, observed library). Both log-likelihoods include −Σ lgamma(x+1).
 *
 * Usage: node --import tsx bench/dgd-pbmc3k.bench.ts [--genes 2000] [--epochs 40] [--scvi-epochs 40] [--seed 0]
 */
import * as tf from '@tensorflow/tfjs-core';
import { adjustedRandIndex, hungarianAccuracy } from '../src/benchmark/clustering.js';
import { Rng } from '../src/core/rng.js';
import type { Dataset } from '../src/data/dataset.js';
import { pbmc3k } from '../src/datasets/pbmc3k.js';
import { DgdModel } from '../src/models/dgd/model.js';
import { trainScvi } from '../src/models/scvi/model.js';
import { initBackend } from '../src/nn/backend.js';
import { gatherRowsF32, rowSource } from '../src/nn/batches.js';
import { lgammaX1RowSums } from '../src/nn/likelihoods.js';
import { highlyVariableGenes } from '../src/preprocess/hvg.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** Lloyd's k-means with k-means++ seeding (best of `restarts` by inertia). */
function kmeans(x: Float32Array, n: number, d: number, k: number, rng: Rng, restarts = 5): Int32Array {
  let best: Int32Array = new Int32Array(n);
  let bestInertia = Number.POSITIVE_INFINITY;
  for (let r = 0; r < restarts; r++) {
    const c = new Float64Array(k * d);
    const first = rng.int(n);
    for (let j = 0; j < d; j++) c[j] = x[first * d + j] as number;
    const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    for (let m = 1; m < k; m++) {
      let tot = 0;
      for (let i = 0; i < n; i++) {
        let q = 0;
        for (let j = 0; j < d; j++) q += ((x[i * d + j] as number) - (c[(m - 1) * d + j] as number)) ** 2;
        dist[i] = Math.min(dist[i] as number, q);
        tot += dist[i] as number;
      }
      let u = rng.uniform() * tot;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        u -= dist[i] as number;
        if (u <= 0) {
          pick = i;
          break;
        }
      }
      for (let j = 0; j < d; j++) c[m * d + j] = x[pick * d + j] as number;
    }
    const lab = new Int32Array(n);
    let inertia = 0;
    for (let it = 0; it < 100; it++) {
      inertia = 0;
      let changed = false;
      for (let i = 0; i < n; i++) {
        let bi = 0;
        let bq = Number.POSITIVE_INFINITY;
        for (let m = 0; m < k; m++) {
          let q = 0;
          for (let j = 0; j < d; j++) q += ((x[i * d + j] as number) - (c[m * d + j] as number)) ** 2;
          if (q < bq) {
            bq = q;
            bi = m;
          }
        }
        if (lab[i] !== bi) changed = true;
        lab[i] = bi;
        inertia += bq;
      }
      c.fill(0);
      const cnt = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        cnt[lab[i] as number]! += 1;
        for (let j = 0; j < d; j++) c[(lab[i] as number) * d + j]! += x[i * d + j] as number;
      }
      for (let m = 0; m < k; m++) for (let j = 0; j < d; j++) c[m * d + j] = (c[m * d + j] as number) / Math.max(1, cnt[m] as number);
      if (!changed && it > 0) break;
    }
    if (inertia < bestInertia) {
      bestInertia = inertia;
      best = lab;
    }
  }
  return best;
}

const nGenes = arg('genes', 2000);
const epochs = arg('epochs', 40);
const scviEpochs = arg('scvi-epochs', epochs);
const seed = arg('seed', 0);
await initBackend('auto');
const all = await pbmc3k();
const { codes, categories } = all.labels('cell_type');
const labelled = Int32Array.from(Array.from(codes.keys()).filter((i) => (codes[i] as number) >= 0));
const perm = new Rng(seed).fork('split').permutation(labelled.length);
const nTest = Math.round(0.3 * labelled.length);
const testIdx = Int32Array.from(perm.subarray(0, nTest), (p) => labelled[p] as number).sort();
const trainIdx = Int32Array.from(perm.subarray(nTest), (p) => labelled[p] as number).sort();
let genes: Int32Array;
const trainAll = all.selectObs(trainIdx);
if (nGenes > 0) {
  const hvg = highlyVariableGenes(trainAll.X, { flavor: 'seurat_v3', nTopGenes: nGenes });
  genes = Int32Array.from(Array.from(hvg.highlyVariable.keys()).filter((j) => hvg.highlyVariable[j]));
} else {
  const cs = trainAll.X.colSums();
  genes = Int32Array.from(Array.from(cs.keys()).filter((j) => (cs[j] as number) > 0));
}
const train: Dataset = trainAll.selectVars(genes);
const test: Dataset = all.selectObs(testIdx).selectVars(genes);
const K = categories.length;
console.log(
  `PBMC3k: ${train.nObs} training / ${test.nObs} held-out cells, ${genes.length} genes, ${K} types; epochs DGD ${epochs}, scVI ${scviEpochs}`,
);
const truthTest = Int32Array.from(testIdx, (i) => codes[i] as number);

// DGD.
let t0 = performance.now();
const dgd = await DgdModel.train(train, {}, { seed, options: { epochs, components: K, validationFraction: 0 } });
const dgdTrainS = (performance.now() - t0) / 1000;
t0 = performance.now();
const emb = await dgd.embed(test);
const dgdEmbedS = (performance.now() - t0) / 1000;
const dgdLl = emb.logLik.reduce((a, b) => a + b, 0) / emb.logLik.length;
const dgdAri = adjustedRandIndex(truthTest, emb.clusters);
const dgdAcc = hungarianAccuracy(truthTest, emb.clusters);

// scVI on the same genes, NB likelihood.
t0 = performance.now();
const scvi = await trainScvi(train, { labelsKey: 'cell_type' }, { epochs: scviEpochs, likelihood: 'nb', nHvg: 0 }, { seed });
const scviTrainS = (performance.now() - t0) / 1000;
const G = genes.length;
const src = rowSource(test.X);
const x = gatherRowsF32(
  src,
  Int32Array.from({ length: test.nObs }, (_, i) => i),
  new Float32Array(test.nObs * G),
);
const lg = lgammaX1RowSums(x, test.nObs, G);
const llT = tf.tidy(() => {
  const xt = tf.tensor2d(x, [test.nObs, G]);
  const z = scvi.module.encodeMean(xt);
  const lib = tf.sum(xt, 1, true) as tf.Tensor2D;
  const p = scvi.module.decoder.forward(z, lib);
  return tf.sum(scvi.module.decoder.logLikelihood(xt, p), 1);
});
const llv = (await llT.data()) as Float32Array;
llT.dispose();
let scviLl = 0;
for (let i = 0; i < test.nObs; i++) scviLl += (llv[i] as number) - (lg[i] as number);
scviLl /= test.nObs;
const zS = await scvi.latentOf(x, test.nObs);
const km = kmeans(zS, test.nObs, zS.length / test.nObs, K, new Rng(seed).fork('kmeans'));
const kmAri = adjustedRandIndex(truthTest, km);
const kmAcc = hungarianAccuracy(truthTest, km);

console.log('\n| model | held-out NB log-lik. per cell | ARI vs cell_type | Hungarian accuracy | training (s) |');
console.log('| --- | --- | --- | --- | --- |');
console.log(
  `| DGD (K = ${K}, GMM clusters) | ${dgdLl.toFixed(1)} | ${dgdAri.toFixed(3)} | ${dgdAcc.toFixed(3)} | ${dgdTrainS.toFixed(0)} (+ ${dgdEmbedS.toFixed(0)} s held-out inference) |`,
);
console.log(
  `| scVI (NB, latent 10) + k-means (k = ${K}) | ${scviLl.toFixed(1)} | ${kmAri.toFixed(3)} | ${kmAcc.toFixed(3)} | ${scviTrainS.toFixed(0)} |`,
);
console.log(`\nDGD final training loss per cell ${dgd.history.epochs.at(-1)?.train.loss.toFixed(1)}; backend ${tf.getBackend()}`);
dgd.dispose();
scvi.dispose();
