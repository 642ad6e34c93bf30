/**
 * `npm run bench -- tape-full`: TAPE on PBMC3k at its published number of steps, with a learning
 * curve (training steps -> median Pearson, with and without the adaptive stage), next to NNLS.
 *
 * Protocol: exactly the one of `runBenchmark` (bench/deep-baselines.bench.ts): PBMC3k,
 * `filter_genes(min_counts=3)`, 50/50 stratified split by cell (seed `Rng(0).fork('split')`), fine
 * granularity (9 labels), 400 Dirichlet pseudobulks of 100 test cells (seed
 * `fork('simulate|fine|100')`), the fit seed `fork('fit|tape|fine')`. The runner only returns the
 * final model, so TAPE's training is replayed here with the same calls as `fitTape`
 * (src/methods/deep/tape/model.ts: `buildTrainingSet`, variance filter, `tapeScale`, the same Rng
 * forks, `trainLoop`), snapshotting the weights after the checkpoint epochs; every snapshot is
 * scored through `TapeFitted.deconvolve`, the method's own prediction path. `TAPE_FULL_CHECK=1`
 * first checks that the replay gives the same predictions as `tape.fit` (2 epochs).
 *
 * Environment: TAPE_FULL_GENES (HVGs before TAPE's variance filter, default 250 as in the docs
 * profile; TAPE default 2,500), TAPE_FULL_EPOCHS (default 128 = 5,120 steps of 128 on 5,000
 * samples, TAPE's default), TAPE_FULL_CHECKPOINTS (epochs, default 8,16,32,64,128),
 * TAPE_FULL_ADAPTIVE_AT (checkpoint epochs also scored with the adaptive stage, default 64,128),
 * TAPE_FULL_ADAPTIVE_STEPS (default 300, TAPE's; 3 rounds), TAPE_FULL_SAMPLES (default 400),
 * TAPE_FULL_SIM_CELLS (cells per TAPE-simulated training sample, default 500, TAPE's). At the last
 * checkpoint the test bulks are also scored with their counts multiplied by SIM_CELLS / 100.
 */

import { applyGranularity, bundledGranularityPath, readGranularityMap } from '../src/benchmark/granularity.js';
import { mse, pearson, perSample, r2Score, summarize } from '../src/benchmark/metrics.js';
import { alignToTruth, GROUP_KEY } from '../src/benchmark/runner.js';
import { LAYERS } from '../src/core/keys.js';
import { Rng } from '../src/core/rng.js';
import type { Dataset } from '../src/data/dataset.js';
import { DenseMatrix } from '../src/data/dense.js';
import { pbmc3k } from '../src/datasets/index.js';
import '../src/methods/all-methods.js';
import * as tf from '@tensorflow/tfjs-core';
import { buildTrainingSet, toFloat32 } from '../src/methods/deep/common-baselines/pipeline.js';
import { assignWeights, variablesToWeights, type WeightArray } from '../src/methods/deep/model-io.js';
import { ensureBackend } from '../src/methods/deep/scaden/model.js';
import { TAPE_DEFAULTS, TapeFitted, type TapeOptions } from '../src/methods/deep/tape/model.js';
import { TapeAutoEncoder, tapeLoss } from '../src/methods/deep/tape/module.js';
import { tapeScale, tapeVarianceFilter } from '../src/methods/deep/tape/preprocess.js';
import { getMethod } from '../src/methods/registry.js';
import type { Fitted } from '../src/methods/types.js';
import { batchTensor, indexBatches } from '../src/nn/batches.js';
import { trainLoop } from '../src/nn/trainer.js';
import { preprocessScrna } from '../src/preprocess/normalize.js';
import { simulatePseudobulks } from '../src/simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../src/simulate/split.js';

const ints = (s: string) =>
  s
    .split(',')
    .filter((x) => x !== '')
    .map(Number);
const nGenes = Number(process.env.TAPE_FULL_GENES ?? 250);
const epochs = Number(process.env.TAPE_FULL_EPOCHS ?? 128);
const checkpoints = ints(process.env.TAPE_FULL_CHECKPOINTS ?? '8,16,32,64,128').filter((e) => e <= epochs);
const adaptiveAt = new Set(ints(process.env.TAPE_FULL_ADAPTIVE_AT ?? '64,128'));
const adaptiveSteps = Number(process.env.TAPE_FULL_ADAPTIVE_STEPS ?? 300);
const nSamples = Number(process.env.TAPE_FULL_SAMPLES ?? 400);
const simCells = Number(process.env.TAPE_FULL_SIM_CELLS ?? 500);
const t00 = performance.now();
const clock = () => `${((performance.now() - t00) / 1000).toFixed(0)} s`;

function score(truth: DenseMatrix, truthTypes: string[], res: { proportions: DenseMatrix; cellTypes: string[] }, name: string) {
  const p = alignToTruth(res.proportions, res.cellTypes, truthTypes, name);
  return {
    pearson: summarize(perSample(truth, p, pearson)).median,
    mse: summarize(perSample(truth, p, mse)).median,
    r2: r2Score(truth, p),
  };
}
const f4 = (x: number) => (Math.abs(x) < 1e-2 ? x.toExponential(2) : x.toFixed(4));

/** The replay of `fitTape` with weight snapshots after the checkpoint epochs. */
async function trainWithSnapshots(train: Dataset, o: TapeOptions, seed: number, snapAt: number[]) {
  await ensureBackend(o.backend);
  const rng = new Rng(seed);
  const raw = await buildTrainingSet(train, { ...o, labelsKey: GROUP_KEY, layer: LAYERS.rawCounts, seed });
  const keep = o.varianceThreshold < 1 ? tapeVarianceFilter(raw.X, o.varianceThreshold) : Int32Array.from(raw.genes, (_, j) => j);
  const X = tapeScale(raw.X.selectCols(keep), o.scaler);
  const genes = Array.from(keep, (j) => raw.genes[j] as string);
  const Y = toFloat32(raw.Y);
  console.error(`[${clock()}] training set ${X.rows} x ${X.cols} (after variance filter), ${Y.cols} types`);
  const model = new TapeAutoEncoder(X.cols, Y.cols, rng.fork('init'), o.arch);
  const shuffle = rng.fork('shuffle');
  const dropRng = rng.fork('dropout');
  const n = X.rows;
  const bs = Math.min(o.batchSize, n);
  const xb = new Float32Array(bs * X.cols);
  const yb = new Float32Array(bs * Y.cols);
  type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };
  function* batches(): Generator<Batch> {
    for (const idx of indexBatches(shuffle.permutation(n), bs)) yield { x: batchTensor(X, idx, xb), y: batchTensor(Y, idx, yb) };
  }
  const snaps = new Map<number, { weights: Map<string, WeightArray>; steps: number; prop: number; recon: number; seconds: number }>();
  let steps = 0;
  const t1 = performance.now();
  await trainLoop<Batch>({
    epochs: o.epochs,
    variables: model.params().map(([, v]) => v),
    optimizer: { lr: o.lr, eps: 1e-8, weightDecay: 0 },
    trainBatches: () => batches(),
    batchesPerEpoch: Math.ceil(n / bs),
    batchSize: (b) => b.x.shape[0],
    loss: (b) => {
      const l = tapeLoss(model.forward(b.x, 'train', dropRng), b.x, b.y);
      return { loss: l.loss, terms: { prop: l.prop, recon: l.recon } };
    },
    disposeBatch: (b) => tf.dispose([b.x, b.y]),
    onEpochEnd: (rec) => {
      steps += Math.ceil(n / bs);
      const e = rec.epoch + 1;
      if (e % 8 === 0 || e === 1) {
        console.error(`[${clock()}] epoch ${e} steps ${steps} propL1 ${rec.train.prop?.toFixed(4)} reconL1 ${rec.train.recon?.toFixed(4)}`);
      }
      if (snapAt.includes(e)) {
        snaps.set(e, {
          weights: variablesToWeights(model.params()),
          steps,
          prop: rec.train.prop as number,
          recon: rec.train.recon as number,
          seconds: (performance.now() - t1) / 1000,
        });
      }
    },
  });
  return { model, genes, cellTypes: raw.cellTypes, snaps };
}

async function main(): Promise<void> {
  console.log(`TAPE full-schedule bench: genes ${nGenes}, epochs ${epochs}, checkpoints ${checkpoints}, adaptive at ${[...adaptiveAt]}`);
  const raw = await pbmc3k();
  const root = new Rng(0);
  const countsLayer = raw.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : undefined;
  const { dataset: prepared } = preprocessScrna(raw, { layer: countsLayer, minCounts: 3 });
  const split = splitTrainTest(prepared, { labelsKey: 'cell_type', trainFraction: 0.5, seed: root.fork('split').seed });
  const g = readGranularityMap(bundledGranularityPath('pbmc3k-fine') as string);
  const train = applyGranularity(split.train, 'cell_type', g, GROUP_KEY);
  const test = applyGranularity(split.test, 'cell_type', g, GROUP_KEY);
  const sim = simulatePseudobulks(test, { labelsKey: GROUP_KEY, nSamples, nCells: 100, seed: root.fork(`simulate|${g.name}|100`).seed });
  const truth = sim.truth.proportions;
  const types = sim.truth.cellTypes;
  const fitSeed = (m: string) => root.fork(`fit|${m}|${g.name}`).seed;
  const dopts = (m: string) => ({ layer: getMethod(m).bulkLayer, seed: root.fork(`deconvolve|${m}|${g.name}|100`).seed });

  const nnls = await getMethod('nnls').fit(train, { labelsKey: GROUP_KEY, layer: LAYERS.rawCounts, seed: fitSeed('nnls') });
  const sN = score(truth, types, await nnls.deconvolve(sim.bulk, dopts('nnls')), 'nnls');
  console.log(`\nnnls: median Pearson ${f4(sN.pearson)}, median MSE ${f4(sN.mse)}, R² ${f4(sN.r2)}`);

  const o: TapeOptions = { ...TAPE_DEFAULTS, nGenes, epochs, adaptiveSteps, nCells: simCells };
  // The test pseudobulks sum 100 cells, TAPE's training samples 500: the same bulks with counts x 500/100
  // tell whether the library size (through ln(x+1)) matters.
  const scaled = sim.bulk.copy();
  const cs = scaled.layer(LAYERS.countsSum) as DenseMatrix;
  scaled.layers.set(
    LAYERS.countsSum,
    new DenseMatrix(
      cs.rows,
      cs.cols,
      Float64Array.from(cs.data, (v) => (v * simCells) / 100),
    ),
  );
  if (process.env.TAPE_FULL_CHECK === '1') {
    // The replay must be the method's own fit: same predictions after 2 epochs.
    const small = { ...o, epochs: 2 };
    const ref = (await getMethod('tape').fit(train, {
      labelsKey: GROUP_KEY,
      layer: LAYERS.rawCounts,
      seed: fitSeed('tape'),
      options: small,
    })) as Fitted;
    const a = await ref.deconvolve(sim.bulk, { ...dopts('tape'), options: { adaptive: false } });
    const rep = await trainWithSnapshots(train, small, fitSeed('tape'), []);
    const b = await new TapeFitted(rep.genes, rep.cellTypes, rep.model, small, 0, {}).deconvolve(sim.bulk, {
      ...dopts('tape'),
      options: { adaptive: false },
    });
    let maxDiff = 0;
    for (let i = 0; i < a.proportions.data.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs((a.proportions.data[i] as number) - (b.proportions.data[i] as number)));
    console.log(`replay check (2 epochs, no adaptive): max |tape.fit - replay| = ${maxDiff.toExponential(2)}`);
  }

  const t0 = performance.now();
  const run = await trainWithSnapshots(train, o, fitSeed('tape'), checkpoints);
  const trainSeconds = (performance.now() - t0) / 1000;
  run.model.dispose();
  console.log(
    `\nTAPE trained ${epochs} epochs in ${trainSeconds.toFixed(0)} s (incl. simulation), ${run.genes.length} genes after the variance filter\n`,
  );
  console.log(
    '| epochs | steps | train propL1 | train reconL1 | median Pearson (no adaptive) | median MSE (no adaptive) | median Pearson (adaptive) | median MSE (adaptive) | adaptive s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const e of checkpoints) {
    const s = run.snaps.get(e);
    if (!s) continue;
    const m = new TapeAutoEncoder(run.genes.length, run.cellTypes.length, new Rng(0), o.arch);
    assignWeights(m.params(), s.weights);
    const fitted = new TapeFitted(run.genes, run.cellTypes, m, o, fitSeed('tape'), {});
    const a = score(truth, types, await fitted.deconvolve(sim.bulk, { ...dopts('tape'), options: { adaptive: false } }), 'tape');
    let b = { pearson: Number.NaN, mse: Number.NaN };
    let secs = Number.NaN;
    if (adaptiveAt.has(e)) {
      const ta = performance.now();
      b = score(truth, types, await fitted.deconvolve(sim.bulk, dopts('tape')), 'tape');
      secs = (performance.now() - ta) / 1000;
    }
    if (e === checkpoints.at(-1) && simCells !== 100) {
      const c = score(truth, types, await fitted.deconvolve(scaled, { ...dopts('tape'), options: { adaptive: false } }), 'tape');
      console.log(`(epoch ${e}, no adaptive, test counts x ${simCells / 100}: median Pearson ${f4(c.pearson)}, median MSE ${f4(c.mse)})`);
    }
    fitted.dispose();
    console.log(
      `| ${e} | ${s.steps} | ${f4(s.prop)} | ${f4(s.recon)} | ${f4(a.pearson)} | ${f4(a.mse)} | ${Number.isNaN(b.pearson) ? '–' : f4(b.pearson)} | ${Number.isNaN(b.mse) ? '–' : f4(b.mse)} | ${Number.isNaN(secs) ? '–' : secs.toFixed(0)} |`,
    );
  }
  console.log(`\ntotal ${clock()}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
