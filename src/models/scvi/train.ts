/**
 * Training of the scVI family (scVI, MixupVI) on a labelled Dataset of raw counts: the data contract,
 * HVG selection, a seeded train/validation split, Dirichlet-composed minibatches (the MixupVI fork's
 * splitter), per-batch pseudobulks (MixupVI's penalty; ρ monitoring for scVI), per-epoch validation
 * (ELBO, ρ, and any metric the caller adds on the validation pseudobulks), data-parallel shards on
 * worker threads, checkpoints and resumption.
 *
 * Knows nothing of deconvolution: methods/deep/mixupvi builds its latent signature from
 * {@link TrainedVae.data} and solves proportions itself.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticWarning } from '../../core/diagnostics.js';
import { fmtInt, InputError } from '../../core/errors.js';
import type { LongRunOptions } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { backendInfo, initBackend } from '../../nn/backend.js';
import { gatherRowsF32, type RowSource, rowSource } from '../../nn/batches.js';
import { lgammaX1RowSums } from '../../nn/likelihoods.js';
import { type EpochRecord, type StepContext, type TrainHistory, trainLoop } from '../../nn/trainer.js';
import { highlyVariableGenes } from '../../preprocess/hvg.js';
import { checkedCounts, type DataFields, requireLabelsKey } from '../data.js';
import {
  type BatchPseudobulks,
  dirichletBatches,
  dirichletPseudobulks,
  pseudobulkProportions,
  trainValidationSplit,
  uniformPseudobulks,
} from './batching.js';
import { type CheckpointOptions, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { VaeTrainOptions } from './config.js';
import type { ScviModule, VaeBatch, VaeConfig } from './module.js';
import { averageShards, makeShards, type ShardInput, type ShardResult, shardGradients } from './shards.js';
import { StepWorkerPool } from './step-pool.js';

/** Seed of the pseudobulk index pattern (the fork re-creates RandomState(42) each forward pass). */
const PSEUDOBULK_PATTERN_SEED = 42;

/** The network's shape and settings from the training options. */
export function vaeConfig(o: VaeTrainOptions, nGenes: number): VaeConfig {
  return {
    nGenes,
    latent: o.latent,
    hidden: o.hidden,
    dropout: o.dropout,
    likelihood: o.likelihood,
    mixupPenalty: o.mixupPenalty,
    pseudobulkReconWeight: o.pseudobulkReconWeight,
    init: o.init,
  };
}

/** 'auto' keeps a backend chosen earlier (e.g. by `--backend`); a named one switches to it. */
export async function ensureBackend(choice: VaeTrainOptions['backend']): Promise<void> {
  const cur = backendInfo();
  if (!cur || (choice !== 'auto' && cur.name !== choice)) await initBackend(choice);
}

/** The training cells as the model saw them (for queries right after training, e.g. a signature). */
export interface TrainingData {
  /** kept cells x model genes, raw counts. */
  src: RowSource;
  /** Cell-type code of each kept cell (0..C−1). */
  codes: Int32Array;
  /** Rows of `src` in the training split. */
  trainIdx: Int32Array;
}

/** What {@link trainVae} returns. */
export interface TrainedVae<M extends ScviModule> {
  module: M;
  genes: string[];
  cellTypes: string[];
  fields: DataFields & { layer: string };
  history: TrainHistory;
  medianCellLibrary: number;
  warnings: DiagnosticWarning[];
  training: Record<string, unknown>;
  data: TrainingData;
}

/** Extra per-epoch validation on the validation pseudobulks (e.g. the deconvolution correlation d). */
export type PseudobulkValidation = (
  module: ScviModule,
  data: TrainingData,
) => Promise<(zI: Float32Array, truth: Float64Array, nPseudobulks: number) => number>;

/** Options of {@link trainVae} besides the model options. */
export interface TrainVaeOptions extends LongRunOptions {
  seed: number;
  /** Builds the network (scVI or MixupVI) from its config and the init stream. */
  createModule: (config: VaeConfig, rng: Rng) => ScviModule;
  /** Model name for messages and checkpoints. */
  modelName: string;
  /** Extra validation metric `d` on the validation pseudobulks (latent posterior means vs truth). */
  pseudobulkValidation?: PseudobulkValidation;
  /** Called once the cell types are known, before training (e.g. to check they fit the latent size). */
  onCellTypes?: (cellTypes: string[]) => void;
  /** Checkpoints every N epochs to a directory, and resumption from it. */
  checkpoint?: CheckpointOptions;
}

/** A batch in JS form (indices + pseudobulks), turned into tensors right before its step. */
interface HostBatch {
  cells: Int32Array;
  pb?: BatchPseudobulks;
}

/** What the training loop iterates over: host indices, plus tensors when the step runs unsharded. */
interface StepBatch {
  host: HostBatch;
  t?: VaeBatch;
}

/**
 * Trains an scVI-family network on a labelled single-cell Dataset of raw counts.
 *
 * @throws {@link InputError}: `E_NO_LABELS`, `E_NEGATIVE_COUNTS`/`E_NAN`, `E_TOO_FEW_CELLS`,
 *   `E_CHECKPOINT` (a checkpoint of another run); {@link AbortError} on abort (the last checkpoint stays).
 */
export async function trainVae<M extends ScviModule>(
  ds: Dataset,
  fields: DataFields,
  o: VaeTrainOptions,
  opts: TrainVaeOptions,
): Promise<TrainedVae<M>> {
  const seed = opts.seed;
  const rng = new Rng(seed);
  await ensureBackend(o.backend);
  const labelsKey = requireLabelsKey(fields.labelsKey, opts.modelName);
  const checked = checkedCounts(ds, { ...fields, labelsKey });
  const warnings: DiagnosticWarning[] = [...checked.warnings];
  const full = checked.counts;
  const { codes: allCodes, categories } = ds.labels(labelsKey);

  // Cells: labelled and with at least one count (log library of 0 is −inf) [spec: edge cases].
  const libAll = full.rowSums();
  const keep: number[] = [];
  let dropped = 0;
  for (let i = 0; i < ds.nObs; i++) {
    if ((allCodes[i] as number) >= 0 && (libAll[i] as number) >= 1) keep.push(i);
    else dropped++;
  }
  if (dropped > 0)
    warnings.push({ code: 'W_CELLS_DROPPED', message: `${fmtInt(dropped)} cells without a label or without counts were left out` });

  // Genes: seurat_v3 HVGs on raw counts [P App. E: 2500], kept in the reference's order.
  let geneIdx = Int32Array.from({ length: ds.nVars }, (_, j) => j);
  if (o.nHvg > 0 && o.nHvg < ds.nVars) {
    const hvg = highlyVariableGenes(full, { flavor: 'seurat_v3', nTopGenes: o.nHvg });
    geneIdx = Int32Array.from(Array.from(hvg.highlyVariable.keys()).filter((j) => hvg.highlyVariable[j]));
  }
  const genes = Array.from(geneIdx, (j) => ds.varNames[j] as string);
  const G = genes.length;
  const src: RowSource = rowSource(full.selectRows(keep).selectCols(geneIdx));
  const N = src.rows;
  // Cell types present, in the reference's category order.
  const counts = new Int32Array(categories.length);
  for (const i of keep) counts[allCodes[i] as number]! += 1;
  const present = categories.map((_, c) => c).filter((c) => (counts[c] as number) > 0);
  const remap = new Int32Array(categories.length).fill(-1);
  present.forEach((c, k) => {
    remap[c] = k;
  });
  const cellTypes = present.map((c) => categories[c] as string);
  const C = cellTypes.length;
  const codes = Int32Array.from(keep, (i) => remap[allCodes[i] as number] as number);
  opts.onCellTypes?.(cellTypes);

  const split = trainValidationSplit(N, o.trainSize, rng.fork('split'));
  const trainCounts = new Int32Array(C);
  for (const i of split.train) trainCounts[codes[i] as number]! += 1;
  const tooFew = cellTypes.filter((_, c) => (trainCounts[c] as number) < o.minCellsPerType);
  if (tooFew.length > 0) {
    throw new InputError(`too few training cells for ${tooFew.length === 1 ? 'cell type' : 'cell types'} ${tooFew.join(', ')}`, {
      code: 'E_TOO_FEW_CELLS',
      field: labelsKey,
      got: tooFew.map((t) => `${t}: ${trainCounts[cellTypes.indexOf(t)]}`).join(', '),
      expected: `>= ${o.minCellsPerType} training cells per type (trainSize ${o.trainSize})`,
      hint: 'Merge rare types into a broader label, drop them, or lower --min-cells-per-type (pseudobulks need cells of every type)',
    });
  }

  // Per-cell constants: library sizes and Σ lgamma(x+1).
  const lib = new Float32Array(N);
  const lgx1 = new Float32Array(N);
  {
    const row = new Float32Array(G);
    for (let i = 0; i < N; i++) {
      gatherRowsF32(src, [i], row);
      let s = 0;
      for (let g = 0; g < G; g++) s += row[g] as number;
      lib[i] = s;
      lgx1[i] = lgammaX1RowSums(row, 1, G)[0] as number;
    }
  }
  const sortedLib = Float32Array.from(lib).sort();
  const medianCellLibrary = sortedLib[Math.floor(N / 2)] ?? 1;

  const trainBatches = dirichletBatches(split.train, codes, C, o.batchSize, rng.fork('batches'));
  const pbRng = rng.fork('pseudobulks');
  const usePb = o.nPseudobulks > 0;
  const pattern = () => new Rng(PSEUDOBULK_PATTERN_SEED);
  const makePb = (cells: Int32Array, r: Rng, M = o.nPseudobulks): BatchPseudobulks | undefined =>
    !usePb
      ? undefined
      : o.pseudobulkSampling === 'dirichlet-per-pseudobulk'
        ? dirichletPseudobulks(
            Int32Array.from(cells, (i) => codes[i] as number),
            C,
            M,
            o.nCellsPerPseudobulk,
            r,
          )
        : uniformPseudobulks(cells.length, M, o.nCellsPerPseudobulk, pattern);
  // Validation: plain blocks of the validation cells, each with its pseudobulks (fixed across epochs).
  const valRng = rng.fork('validation');
  const valBatches: HostBatch[] = [];
  for (let s = 0; s < split.validation.length && valBatches.length < Math.max(1, o.validationBatches); s += o.batchSize) {
    const cells = split.validation.subarray(s, Math.min(split.validation.length, s + o.batchSize));
    valBatches.push({ cells, pb: makePb(cells, valRng) });
  }

  const vae = opts.createModule(vaeConfig(o, G), rng.fork('init')) as M;
  const stepRng = rng.fork('steps');
  let scratch = new Float32Array(0);
  const toTensors = (hb: HostBatch, withPb: boolean): VaeBatch => {
    const B = hb.cells.length;
    if (scratch.length < B * G) scratch = new Float32Array(B * G);
    gatherRowsF32(src, hb.cells, scratch);
    const b: VaeBatch = {
      x: tf.tensor2d(scratch.subarray(0, B * G), [B, G]),
      lib: tf.tensor2d(
        Float32Array.from(hb.cells, (i) => lib[i] as number),
        [B, 1],
      ),
      lgammaX1: tf.tensor1d(Float32Array.from(hb.cells, (i) => lgx1[i] as number)),
    };
    if (withPb && hb.pb) {
      b.pbAverage = tf.tensor2d(hb.pb.average, [hb.pb.nPseudobulks, B]);
      b.pbCells = hb.pb.nCells;
    }
    return b;
  };
  const disposeBatch = (b: VaeBatch) => tf.dispose([b.x, b.lib, b.lgammaX1, ...(b.pbAverage ? [b.pbAverage] : [])]);

  const validate = async (ctx: StepContext): Promise<Record<string, number>> => {
    let elbo = 0;
    let rec = 0;
    let kl = 0;
    let nCells = 0;
    const rhos: number[] = [];
    const ds_: number[] = [];
    const metric = opts.pseudobulkValidation ? await opts.pseudobulkValidation(vae, { src, codes, trainIdx: split.train }) : undefined;
    const vRng = new Rng(seed).fork(`val-${ctx.epoch}`);
    for (const hb of valBatches) {
      const b = toTensors(hb, true);
      try {
        const out = tf.tidy(() => {
          const lo = vae.loss(b, { ...ctx, training: false }, vRng);
          return [lo.terms.elbo, lo.terms.reconstruction, lo.terms.kl, lo.terms.rho].map((t) => (t ? tf.keep(t) : undefined));
        });
        const [e, r, k, rho] = await Promise.all(out.map(async (t) => (t ? ((await t.data())[0] as number) : Number.NaN)));
        tf.dispose(out.filter((t): t is tf.Scalar => t !== undefined));
        const B = hb.cells.length;
        elbo += (e as number) * B;
        rec += (r as number) * B;
        kl += (k as number) * B;
        nCells += B;
        if (Number.isFinite(rho)) rhos.push(rho as number);
        if (metric && hb.pb && b.pbAverage) {
          const zI = tf.tidy(() => vae.encodeMean(tf.matMul(b.pbAverage as tf.Tensor2D, b.x) as tf.Tensor2D));
          const zv = (await zI.data()) as Float32Array;
          zI.dispose();
          const truth = pseudobulkProportions(
            hb.pb,
            Int32Array.from(hb.cells, (i) => codes[i] as number),
            C,
          );
          const v = metric(zv, truth, hb.pb.nPseudobulks);
          if (Number.isFinite(v)) ds_.push(v);
        }
      } finally {
        disposeBatch(b);
      }
    }
    const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
    if (nCells === 0) return {};
    const out: Record<string, number> = { elbo: elbo / nCells, reconstruction: rec / nCells, kl: kl / nCells, rho: mean(rhos) };
    if (metric) out.d = mean(ds_);
    return out;
  };

  // Data-parallel steps (shards.ts): the shard count fixes the math, the worker count only the speed.
  const nShards = Math.min(o.shards, Math.max(1, Math.floor(o.batchSize / 2)));
  const nThreads = Math.min(nShards, o.workers > 0 ? o.workers : availableParallelism());
  const vars = vae.variables();
  const shardPb = rng.fork('shard-pseudobulks');
  // Streams a resumed run must continue from where the checkpoint left them.
  const streams = { steps: stepRng, pseudobulks: pbRng, shardPseudobulks: shardPb };
  const ck = opts.checkpoint;
  const runKey = { model: opts.modelName, seed, options: o, genes: G, cells: N };
  const resume = ck?.resume ? await readCheckpoint(ck.dir, runKey, vae.params(), streams) : undefined;
  let pool: StepWorkerPool | undefined;
  let history: TrainHistory;
  const t0 = performance.now();
  try {
    if (nShards > 1 && nThreads > 1) {
      const nParams = vars.reduce((a, v) => a + v.size, 0);
      pool = await StepWorkerPool.create(nThreads - 1, vaeConfig(o, G), backendInfo()?.name ?? 'wasm', nParams);
    }
    const computeGradients =
      nShards > 1
        ? async (b: StepBatch, ctx: StepContext) => {
            const shards = makeShards(
              b.host.cells,
              nShards,
              src,
              lib,
              lgx1,
              (sc) => makePb(sc, shardPb, Math.max(1, Math.round(o.nPseudobulks / nShards))),
              stepRng.nextUint32(),
              ctx,
            );
            pool?.writeWeights(vars);
            const remote = shards.slice(1).map((sh, k) => (pool && k < pool.size ? pool.run(k, sh) : undefined));
            const results: ShardResult[] = [shardGradients(vae, shards[0] as ShardInput)];
            for (let k = 1; k < nShards; k++) {
              const r = remote[k - 1];
              results.push(r ? await r : shardGradients(vae, shards[k] as ShardInput));
            }
            return averageShards(
              results,
              vars.map((v) => v.shape),
            );
          }
        : undefined;
    history = await trainLoop<StepBatch>({
      epochs: o.epochs,
      variables: vars,
      optimizer: { lr: o.lr, weightDecay: o.weightDecay, eps: o.eps },
      batchesPerEpoch: trainBatches.length,
      trainBatches: function* () {
        for (const cells of trainBatches) {
          // scVI gets pseudobulks too: no penalty, but rho is monitored (Table 1 of the paper).
          if (computeGradients) yield { host: { cells } };
          else {
            const host = { cells, pb: makePb(cells, pbRng) };
            yield { host, t: toTensors(host, true) };
          }
        }
      },
      batchSize: (b) => b.host.cells.length,
      loss: (b, ctx) => vae.loss(b.t as VaeBatch, ctx, stepRng),
      computeGradients,
      disposeBatch: (b) => {
        if (b.t) disposeBatch(b.t);
      },
      validate: valBatches.length > 0 ? validate : undefined,
      klWarmup: { nEpochs: o.nEpochsKlWarmup },
      earlyStopping:
        o.earlyStoppingPatience > 0 && valBatches.length > 0 ? { monitor: 'val_elbo', patience: o.earlyStoppingPatience } : undefined,
      checkpoint: ck ? { every: ck.every, save: (state) => writeCheckpoint(ck.dir, runKey, state, vae.params(), streams) } : undefined,
      resume,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  } catch (e) {
    vae.dispose();
    throw e;
  } finally {
    await pool?.terminate();
  }
  const seconds = (performance.now() - t0) / 1000;
  const last: EpochRecord | undefined = history.epochs[history.epochs.length - 1];
  return {
    module: vae,
    genes,
    cellTypes,
    fields: checked.fields,
    history,
    medianCellLibrary,
    warnings,
    data: { src, codes, trainIdx: split.train },
    training: {
      cells: N,
      trainCells: split.train.length,
      validationCells: split.validation.length,
      batchesPerEpoch: trainBatches.length,
      seconds,
      cellsPerSecond: history.samplesPerSecond,
      backend: backendInfo()?.name,
      shards: nShards,
      threads: nShards > 1 ? nThreads : 1,
      layer: checked.fields.layer,
      labelsKey,
      resumedFromEpoch: resume?.nextEpoch,
      finalValidation: last?.val,
    },
  };
}
