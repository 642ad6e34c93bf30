/**
 * DGD training, exactly the spec's Algorithm 1 [TH; SC `dgd_train`]:
 *
 * ```
 * Z = 0 (N x L); Adam groups (betas (0.5, 0.7), weight decay wd): decoder lr_dec, representations lr_rep, GMM lr_gmm
 * for each epoch:
 *   at a schedule epoch: re-create the decoder and GMM optimisers with the new rates (as scDGD does)
 *   zero the representation gradient ONCE
 *   for each minibatch (x, M, idx):  loss = recon + (−log p(z_idx | φ)) + prior term
 *       backprop; step decoder and GMM; ADD the batch gradient to rows idx of the table
 *   step the representation optimiser ONCE (gradients accumulated over the epoch)
 *   validation: the validation cells' own representations (init 0, own Adam, lr_rep), decoder and GMM
 *       frozen, one step per epoch in the same way
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../core/errors.js';
import { type LongRunOptions, throwIfAborted } from '../../core/progress.js';
import type { Rng } from '../../core/rng.js';
import { Adam, ownedVariable } from '../../nn/adam.js';
import { gatherRowsF32, type RowSource } from '../../nn/batches.js';
import { type DgdOptions, learningRatesAt } from './config.js';
import type { DgdDecoder } from './decoder.js';
import type { GaussianMixturePrior } from './gmm.js';
import { type DgdBatch, dgdLoss } from './module.js';
import { RepresentationTable } from './representations.js';

/** Per-cell means of one epoch's terms (reconstruction includes lgamma(x+1): a true NLL). */
export interface DgdEpochTerms {
  /** Loss per cell: reconstruction + gmm (+ the prior share). */
  loss: number;
  /** −log p(x | z) per cell. */
  reconstruction: number;
  /** −log p(z | φ) per cell. */
  gmm: number;
}

/** One epoch of the history. */
export interface DgdEpochRecord {
  epoch: number;
  train: DgdEpochTerms;
  val?: DgdEpochTerms;
  /** [decoder, representation, GMM] learning rates in force. */
  lr: [number, number, number];
  seconds: number;
}

/** The full history, saved in the manifest. */
export interface DgdHistory {
  epochs: DgdEpochRecord[];
  /** Decoder/GMM optimiser steps. */
  steps: number;
  /** Representation optimiser steps (one per epoch). */
  representationSteps: number;
  stoppedEarly: boolean;
  /** Training cells processed per second over the run. */
  cellsPerSecond?: number;
}

/** Rows of a data source with their constants. */
export interface RowSet {
  src: RowSource;
  /** Rows of `src` in this set. */
  rows: Int32Array;
  scale: Float32Array;
  lgammaX1: Float64Array;
  /** Class per row of `src` (supervised), −1 = none. */
  classes?: Int32Array;
}

/** What {@link trainDgd} needs. */
export interface TrainDgdInput extends LongRunOptions {
  decoder: DgdDecoder;
  gmm: GaussianMixturePrior;
  options: DgdOptions;
  train: RowSet;
  validation?: RowSet;
  rng: Rng;
  /** Called after epochs that are multiples of `options.checkpointEvery`. */
  onCheckpoint?: (epoch: number, reps: RepresentationTable, valReps: RepresentationTable | undefined, history: DgdHistory) => Promise<void>;
  /** Test hook: called after each representation optimiser step. */
  onRepresentationStep?: (epoch: number) => void;
}

/** A batch's tensors from rows of a source (counts gathered into a reusable buffer). */
export function makeBatch(
  set: RowSet,
  rows: Int32Array,
  G: number,
  scratch: { buf: Float32Array },
  colMap?: Int32Array,
  mask?: tf.Tensor1D,
): DgdBatch {
  const B = rows.length;
  if (scratch.buf.length < B * G) scratch.buf = new Float32Array(B * G);
  gatherRowsF32(set.src, rows, scratch.buf, G, colMap);
  return {
    x: tf.tensor2d(scratch.buf.subarray(0, B * G), [B, G]),
    scale: tf.tensor2d(
      Float32Array.from(rows, (i) => set.scale[i] as number),
      [B, 1],
    ),
    mask,
  };
}

function disposeBatch(b: DgdBatch): void {
  b.x.dispose();
  b.scale.dispose();
}

/**
 * One pass over `rows` in minibatches that accumulates the representation gradient of `table`
 * (row r of `table` belongs to row `rows[r]` of the source) and, when `groups` is given, steps those
 * optimisers after each batch. Returns the summed terms.
 */
export async function representationPass(args: {
  decoder: DgdDecoder;
  gmm: GaussianMixturePrior;
  set: RowSet;
  /** Table rows of the pass, aligned with `rows`. */
  tableRows: Int32Array;
  rows: Int32Array;
  table: RepresentationTable;
  batchSize: number;
  priorWeight: number;
  perClass: number;
  groups?: { decoder: Adam; gmm: Adam };
  colMap?: Int32Array;
  mask?: tf.Tensor1D;
  nGenes: number;
  signal?: AbortSignal;
  onBatch?: () => void;
}): Promise<{ loss: number; reconstruction: number; gmm: number; batches: number }> {
  const { decoder, gmm, set, table, groups } = args;
  const G = args.nGenes;
  const L = table.dim;
  const scratch = { buf: new Float32Array(0) };
  const trainable = groups ? [...decoder.variables(), ...gmm.variables()] : [];
  let loss = 0;
  let rec = 0;
  let gm = 0;
  let nb = 0;
  for (let s = 0; s < args.rows.length; s += args.batchSize) {
    throwIfAborted(args.signal);
    const rows = args.rows.subarray(s, Math.min(args.rows.length, s + args.batchSize));
    const tRows = args.tableRows.subarray(s, s + rows.length);
    const b = makeBatch(set, rows, G, scratch, args.colMap, args.mask);
    const zVar = ownedVariable(tf.tensor2d(table.gather(tRows), [rows.length, L]), true);
    const classes = set.classes ? Int32Array.from(rows, (i) => set.classes?.[i] as number) : undefined;
    let terms: tf.Scalar[] = [];
    try {
      const { value, grads } = tf.variableGrads(() => {
        const out = dgdLoss(decoder, gmm, zVar, b, { priorWeight: args.priorWeight, classes, perClass: args.perClass });
        terms = [tf.keep(tf.clone(out.reconstruction)), tf.keep(tf.clone(out.gmm))];
        return out.loss;
      }, [...trainable, zVar]);
      if (groups) {
        groups.decoder.apply(grads);
        groups.gmm.apply(grads);
      }
      table.accumulate(tRows, (await (grads[zVar.name] as tf.Tensor).data()) as Float32Array);
      loss += ((await value.data())[0] as number) ?? 0;
      rec += (await (terms[0] as tf.Scalar).data())[0] as number;
      gm += (await (terms[1] as tf.Scalar).data())[0] as number;
      value.dispose();
      tf.dispose(grads);
    } finally {
      tf.dispose(terms);
      zVar.dispose();
      disposeBatch(b);
    }
    nb++;
    args.onBatch?.();
    if (!Number.isFinite(loss)) {
      throw new InputError('DGD training loss became non-finite', {
        code: 'E_NAN_LOSS',
        got: loss,
        hint: 'Check the input for non-count data, or lower the learning rates (--set lrSchedule=...)',
      });
    }
    // Let timers and signal handlers run between steps.
    await new Promise<void>((r) => setImmediate(r));
  }
  return { loss, reconstruction: rec, gmm: gm, batches: nb };
}

function sumOf(a: Float64Array, rows: Int32Array): number {
  let s = 0;
  for (const i of rows) s += a[i] as number;
  return s;
}

/**
 * Trains decoder, GMM and the representations of the training cells (and fits the validation cells'
 * representations with everything else frozen).
 *
 * @returns The two representation tables (rows aligned with `train.rows` / `validation.rows`) and the history.
 * @throws {@link AbortError} when `signal` aborts; {@link InputError} `E_NAN_LOSS`.
 */
export async function trainDgd(
  input: TrainDgdInput,
): Promise<{ reps: RepresentationTable; valReps?: RepresentationTable; history: DgdHistory }> {
  const { decoder, gmm, options: o, train, validation } = input;
  const L = o.latent;
  const N = train.rows.length;
  const G = decoder.config.nGenes;
  const adamFor = (lr: number) => ({ lr, beta1: o.betas[0], beta2: o.betas[1], weightDecay: o.weightDecay, eps: o.adamEps });
  const rates0 = learningRatesAt(o, 0).rates;
  let init: Float32Array | undefined;
  if (o.initRepresentations === 'component-mean' && train.classes) {
    // Supervised: each cell starts at the mean of its class's first component.
    const mean = gmm.snapshot().mean;
    init = new Float32Array(N * L);
    train.rows.forEach((row, r) => {
      const c = train.classes?.[row] ?? -1;
      if (c >= 0) init?.set(mean.subarray(c * o.componentsPerClass * L, (c * o.componentsPerClass + 1) * L), r * L);
    });
  }
  const reps = new RepresentationTable(N, L, adamFor(rates0[1]), init);
  const valReps =
    validation && validation.rows.length > 0 ? new RepresentationTable(validation.rows.length, L, adamFor(rates0[1])) : undefined;
  const history: DgdHistory = { epochs: [], steps: 0, representationSteps: 0, stoppedEarly: false };
  const shuffleRng = input.rng.fork('batches');
  const priorWeight = o.priorPerSample ? Math.min(o.batchSize, N) : Math.min(o.batchSize, N) / N;
  const valIdentity = valReps ? Int32Array.from({ length: valReps.n }, (_, i) => i) : undefined;
  let groups: { decoder: Adam; gmm: Adam } | undefined;
  let best = Number.POSITIVE_INFINITY;
  let bad = 0;
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const te = performance.now();
      const { rates, changes } = learningRatesAt(o, epoch);
      if (changes || !groups) {
        groups?.decoder.dispose();
        groups?.gmm.dispose();
        groups = { decoder: new Adam(decoder.variables(), adamFor(rates[0])), gmm: new Adam(gmm.variables(), adamFor(rates[2])) };
        reps.opts.lr = rates[1];
        if (valReps) valReps.opts.lr = rates[1];
      }
      // Training: shuffled minibatches; table row r belongs to source row train.rows[r].
      const perm = shuffleRng.permutation(N);
      const rows = Int32Array.from(perm, (r) => train.rows[r] as number);
      reps.zeroGrad();
      const tr = await representationPass({
        decoder,
        gmm,
        set: train,
        rows,
        tableRows: perm,
        table: reps,
        batchSize: o.batchSize,
        priorWeight,
        perClass: o.componentsPerClass,
        groups,
        nGenes: G,
        signal: input.signal,
        onBatch: () => {
          history.steps++;
        },
      });
      reps.step();
      history.representationSteps = reps.steps;
      input.onRepresentationStep?.(epoch);
      const lgTrain = sumOf(train.lgammaX1, train.rows);
      const rec: DgdEpochRecord = {
        epoch,
        train: { loss: (tr.loss + lgTrain) / N, reconstruction: (tr.reconstruction + lgTrain) / N, gmm: tr.gmm / N },
        lr: rates,
        seconds: 0,
      };
      if (validation && valReps && valIdentity) {
        valReps.zeroGrad();
        const va = await representationPass({
          decoder,
          gmm,
          set: validation,
          rows: validation.rows,
          tableRows: valIdentity,
          table: valReps,
          batchSize: o.batchSize,
          priorWeight: 0,
          perClass: o.componentsPerClass,
          nGenes: G,
          signal: input.signal,
        });
        valReps.step();
        const nv = validation.rows.length;
        const lgVal = sumOf(validation.lgammaX1, validation.rows);
        rec.val = { loss: (va.loss + lgVal) / nv, reconstruction: (va.reconstruction + lgVal) / nv, gmm: va.gmm / nv };
      }
      rec.seconds = (performance.now() - te) / 1000;
      history.epochs.push(rec);
      const metrics: Record<string, number> = {
        epoch,
        loss: rec.train.loss,
        reconstruction: rec.train.reconstruction,
        gmm: rec.train.gmm,
      };
      if (rec.val) {
        metrics.val_loss = rec.val.loss;
        metrics.val_reconstruction = rec.val.reconstruction;
        metrics.val_gmm = rec.val.gmm;
      }
      input.onProgress?.({ stage: 'train', step: epoch + 1, total: o.epochs, metrics });
      if (o.checkpointEvery > 0 && (epoch + 1) % o.checkpointEvery === 0 && input.onCheckpoint) {
        await input.onCheckpoint(epoch, reps, valReps, history);
      }
      if (o.earlyStopping && rec.val) {
        if (rec.val.loss < best) {
          best = rec.val.loss;
          bad = 0;
        } else if (++bad >= o.earlyStoppingPatience && epoch >= o.earlyStoppingStart) {
          history.stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    groups?.decoder.dispose();
    groups?.gmm.dispose();
  }
  const secs = (performance.now() - t0) / 1000;
  if (secs > 0) history.cellsPerSecond = (N * history.epochs.length) / secs;
  return { reps, valReps, history };
}
