/**
 * The one seeded splitter and batch sampler of the networks: index sets only (typed arrays), so any
 * row source (dense, CSR streamed row by row by `gatherRowsF32`/`batchTensor` in batches.ts) can be
 * batched without densifying it.
 *
 * - {@link trainValidationSplit}: a seeded permutation split (the MixupVI fork's DataSplitter).
 * - {@link epochBatches}: one shuffled pass per epoch in blocks of `batchSize` (PyTorch DataLoader
 *   with shuffle=True; Keras `fit(shuffle=True)`).
 * - {@link repeatedBatches}: tf.data `shuffle().repeat().batch()`: an endless stream whose batches
 *   run across pass boundaries (Scaden's step-based schedule).
 * - {@link tensorBatch}: rows of an input and a target matrix as a pair of tensors.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../core/rng.js';
import { batchTensor, indexBatches, type RowSource } from './batches.js';

/**
 * Splits row indices into validation (the first nVal of a permutation) and training (the rest), as
 * the MixupVI fork's splitter does with RandomState(42); here from `rng`.
 *
 * @param n - Number of rows.
 * @param trainSize - Fraction for training (nTrain = ceil(trainSize·n), at least 1).
 */
export function trainValidationSplit(n: number, trainSize: number, rng: Rng): { train: Int32Array; validation: Int32Array } {
  const perm = rng.permutation(n);
  const nTrain = Math.max(1, Math.min(n, Math.ceil(trainSize * n)));
  const nVal = n - nTrain;
  return { validation: perm.slice(0, nVal), train: perm.slice(nVal) };
}

/** One shuffled pass over `n` rows in blocks of `batchSize` (a fresh permutation from `rng` each call). */
export function epochBatches(n: number, batchSize: number, rng: Rng, dropLast = false): Generator<Int32Array> {
  return indexBatches(rng.permutation(n), batchSize, dropLast);
}

/** Endless stream of batches of row indices: shuffled passes, concatenated (tf.data repeat().batch()). */
export function* repeatedBatches(n: number, batchSize: number, rng: Rng): Generator<Int32Array> {
  let perm = rng.permutation(n);
  let pos = 0;
  const buf = new Int32Array(batchSize);
  for (;;) {
    for (let k = 0; k < batchSize; k++) {
      if (pos === n) {
        perm = rng.permutation(n);
        pos = 0;
      }
      buf[k] = perm[pos++] as number;
    }
    yield buf;
  }
}

/** Rows `idx` of inputs `X` and targets `Y` as tensors (scratch buffers reused; the caller disposes). */
export function tensorBatch(
  X: RowSource,
  Y: RowSource,
  idx: ArrayLike<number>,
  xb?: Float32Array,
  yb?: Float32Array,
): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return { x: batchTensor(X, idx, xb), y: batchTensor(Y, idx, yb) };
}
