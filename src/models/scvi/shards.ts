/**
 * Data-parallel training steps for MixupVI/scVI: a minibatch is split into `nShards` interleaved parts
 * (so each part has the batch's cell-type composition), each part gets its own pseudobulks drawn from
 * its own cells, and the loss of the step is the mean of the parts' losses. The gradients of the parts
 * are computed on the main thread and on worker threads (one tfjs instance each) and averaged.
 *
 * Why shards and not "half a batch each" of one loss: the mixup term couples cells through the
 * pseudobulks, so a clean split needs pseudobulks that live inside one part. Drawing them inside an
 * interleaved half of a Dirichlet-composed batch keeps their expected composition. The split is fixed by
 * `nShards`, not by the number of threads, so a seed gives the same model with 1 or 2 workers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../core/rng.js';
import { gatherRowsF32, type RowSource } from '../../nn/batches.js';
import type { StepContext } from '../../nn/training.js';
import type { BatchPseudobulks } from './batching.js';
import type { ScviModule, VaeBatch } from './module.js';

/** One part of a minibatch, as plain (transferable) arrays. */
export interface ShardInput {
  B: number;
  G: number;
  /** Row-major `[B, G]` raw counts. */
  x: Float32Array;
  lib: Float32Array;
  lgammaX1: Float32Array;
  /** Pseudobulk averaging matrix `[M, B]` (M = 0: none). */
  M: number;
  average: Float32Array;
  pbCells: number;
  /** Seed of the shard's dropout masks and ε. */
  seed: number;
  ctx: StepContext;
}

/** Loss value, terms and gradients of one shard (gradients aligned with `vae.variables()`). */
export interface ShardResult {
  loss: number;
  terms: Record<string, number>;
  grads: Float32Array[];
}

/**
 * Splits a minibatch into interleaved shards with their own pseudobulks.
 *
 * @param cells - Cell indices of the batch.
 * @param makePb - Pseudobulks of a shard (from its size/cells), e.g. the fork's uniform pattern.
 */
export function makeShards(
  cells: Int32Array,
  nShards: number,
  src: RowSource,
  lib: Float32Array,
  lgx1: Float32Array,
  makePb: (shardCells: Int32Array, k: number) => BatchPseudobulks | undefined,
  seed: number,
  ctx: StepContext,
): ShardInput[] {
  const G = src.cols;
  const out: ShardInput[] = [];
  const seeds = new Rng(seed);
  for (let k = 0; k < nShards; k++) {
    const idx: number[] = [];
    for (let i = k; i < cells.length; i += nShards) idx.push(cells[i] as number);
    const sc = Int32Array.from(idx);
    const B = sc.length;
    const pb = makePb(sc, k);
    out.push({
      B,
      G,
      x: gatherRowsF32(src, sc, new Float32Array(B * G)),
      lib: Float32Array.from(sc, (i) => lib[i] as number),
      lgammaX1: Float32Array.from(sc, (i) => lgx1[i] as number),
      M: pb ? pb.nPseudobulks : 0,
      average: pb ? pb.average : new Float32Array(0),
      pbCells: pb ? pb.nCells : 0,
      seed: seeds.fork(`shard-${k}`).seed,
      ctx,
    });
  }
  return out;
}

/**
 * Loss and gradients of one shard on the current tfjs backend.
 *
 * @returns Gradients as Float32Arrays (copied out of the backend), aligned with `vae.variables()`.
 */
export function shardGradients(vae: ScviModule, s: ShardInput): ShardResult {
  const vars = vae.variables();
  const b: VaeBatch = {
    x: tf.tensor2d(s.x, [s.B, s.G]),
    lib: tf.tensor2d(s.lib, [s.B, 1]),
    lgammaX1: tf.tensor1d(s.lgammaX1),
  };
  if (s.M > 0) {
    b.pbAverage = tf.tensor2d(s.average, [s.M, s.B]);
    b.pbCells = s.pbCells;
  }
  const rng = new Rng(s.seed);
  let terms: Record<string, tf.Scalar> = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = vae.loss(b, s.ctx, rng);
      terms = {};
      for (const [k, v] of Object.entries(out.terms)) terms[k] = tf.keep(tf.clone(v));
      return out.loss;
    }, vars);
    const loss = value.dataSync()[0] as number;
    const g = vars.map((v) => {
      const t = grads[v.name];
      return t ? (t.dataSync() as Float32Array).slice() : new Float32Array(v.size);
    });
    tf.dispose([value, ...Object.values(grads)]);
    const tv: Record<string, number> = {};
    for (const [k, v] of Object.entries(terms)) tv[k] = v.dataSync()[0] as number;
    return { loss, terms: tv, grads: g };
  } finally {
    tf.dispose([...Object.values(terms), b.x, b.lib, b.lgammaX1, ...(b.pbAverage ? [b.pbAverage] : [])]);
  }
}

/** Mean of the shards' losses, terms and gradients (equal weights: shards have equal size ±1). */
export function averageShards(rs: ShardResult[], shapes: number[][]): { loss: number; terms: Record<string, number>; grads: tf.Tensor[] } {
  const n = rs.length;
  const terms: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.terms)) terms[k] = (terms[k] ?? 0) + v / n;
  const grads = shapes.map((shape, i) => {
    const acc = Float32Array.from((rs[0] as ShardResult).grads[i] as Float32Array);
    for (let k = 1; k < n; k++) {
      const g = (rs[k] as ShardResult).grads[i] as Float32Array;
      for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] as number) + (g[j] as number);
    }
    if (n > 1) for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] as number) / n;
    return tf.tensor(acc, shape, 'float32');
  });
  return { loss: rs.reduce((a, r) => a + r.loss, 0) / n, terms, grads };
}
