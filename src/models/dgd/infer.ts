/**
 * Representations of new cells with the decoder and the GMM frozen [TH §2.1.1, §4.2.8; MD
 * `learn_new_representations`].
 *
 * Default (multiDGD): one candidate per GMM component, started at the component MEAN; all candidates
 * trained for `inferResamplingEpochs` epochs (Adam lr 1e-2, betas (0.5, 0.7), wd 1e-4, one step per
 * epoch); for each cell the candidate with the lowest loss (reconstruction + (−log p(z|φ))) is kept and
 * trained for `inferEpochs` more epochs. Option `selectBeforeTraining` (the scDGD text): choose the
 * mean with the lowest reconstruction loss before any training, then train it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted } from '../../core/progress.js';
import type { DgdOptions } from './config.js';
import type { DgdDecoder } from './decoder.js';
import type { GaussianMixturePrior } from './gmm.js';
import { reconstructionLogLik } from './module.js';
import { RepresentationTable } from './representations.js';
import { makeBatch, type RowSet, representationPass } from './train.js';

/** Rows per tensor batch during inference (cells x candidates). */
const INFER_BATCH_ROWS = 512;

/**
 * Per-row reconstruction log-likelihood Σ_g log NB (INCLUDING −Σ lgamma(x+1)) and log p(z | φ), for
 * representations `z` (`[rows.length, L]`, aligned with `rows`). Forward only.
 */
export async function rowScores(args: {
  decoder: DgdDecoder;
  gmm: GaussianMixturePrior;
  set: RowSet;
  rows: Int32Array;
  z: Float32Array;
  nGenes: number;
  colMap?: Int32Array;
  mask?: tf.Tensor1D;
  batchRows?: number;
  signal?: AbortSignal;
}): Promise<{ logLik: Float64Array; logPrior: Float64Array }> {
  const L = args.gmm.config.dim;
  const n = args.rows.length;
  const logLik = new Float64Array(n);
  const logPrior = new Float64Array(n);
  const scratch = { buf: new Float32Array(0) };
  const bs = args.batchRows ?? INFER_BATCH_ROWS;
  for (let s = 0; s < n; s += bs) {
    throwIfAborted(args.signal);
    const rows = args.rows.subarray(s, Math.min(n, s + bs));
    const b = makeBatch(args.set, rows, args.nGenes, scratch, args.colMap, args.mask);
    const [ll, lp] = tf.tidy(() => {
      const z = tf.tensor2d(args.z.subarray(s * L, (s + rows.length) * L), [rows.length, L]);
      return [reconstructionLogLik(args.decoder, z, b), args.gmm.logProb(z)];
    });
    const llv = (await (ll as tf.Tensor).data()) as Float32Array;
    const lpv = (await (lp as tf.Tensor).data()) as Float32Array;
    tf.dispose([ll as tf.Tensor, lp as tf.Tensor, b.x, b.scale]);
    for (let r = 0; r < rows.length; r++) {
      logLik[s + r] = (llv[r] as number) - (args.set.lgammaX1[rows[r] as number] as number);
      logPrior[s + r] = lpv[r] as number;
    }
  }
  return { logLik, logPrior };
}

/** Options of {@link inferRepresentations}. */
export interface InferOptions {
  decoder: DgdDecoder;
  gmm: GaussianMixturePrior;
  options: Pick<
    DgdOptions,
    'inferEpochs' | 'inferResamplingEpochs' | 'inferLr' | 'betas' | 'weightDecay' | 'adamEps' | 'selectBeforeTraining'
  >;
  set: RowSet;
  nGenes: number;
  colMap?: Int32Array;
  mask?: tf.Tensor1D;
  signal?: AbortSignal;
  /** Test hook: the table of the final stage after each step. */
  onStep?: (stage: 'candidates' | 'refine', step: number) => void;
}

/**
 * Learns representations for the rows `set.rows` of `set.src`.
 *
 * @returns `z` row-major `[n, L]` (aligned with `set.rows`), the chosen starting component of each
 *   cell, and the final per-cell reconstruction log-likelihood (with the lgamma(x+1) term).
 */
export async function inferRepresentations(a: InferOptions): Promise<{ z: Float32Array; start: Int32Array; logLik: Float64Array }> {
  const { decoder, gmm, set, options: o } = a;
  const snap = gmm.snapshot();
  const { K, L } = snap;
  const n = set.rows.length;
  const adam = { lr: o.inferLr, beta1: o.betas[0], beta2: o.betas[1], weightDecay: o.weightDecay, eps: o.adamEps };
  // Candidate rows: cell c's candidate k is row c·K + k, started at mean k.
  const candRows = new Int32Array(n * K);
  const candInit = new Float32Array(n * K * L);
  for (let c = 0; c < n; c++) {
    for (let k = 0; k < K; k++) {
      candRows[c * K + k] = set.rows[c] as number;
      candInit.set(snap.mean.subarray(k * L, (k + 1) * L), (c * K + k) * L);
    }
  }
  const passArgs = { decoder, gmm, set, batchSize: Math.max(K, Math.floor(INFER_BATCH_ROWS / K) * K), priorWeight: 0, perClass: 1 };
  const common = { nGenes: a.nGenes, colMap: a.colMap, mask: a.mask, signal: a.signal };
  const start = new Int32Array(n);
  const init = new Float32Array(n * L);
  let candidates: RepresentationTable | undefined;
  if (K > 1) {
    candidates = new RepresentationTable(n * K, L, adam, candInit);
    const ids = Int32Array.from({ length: n * K }, (_, i) => i);
    if (!o.selectBeforeTraining) {
      for (let e = 0; e < o.inferResamplingEpochs; e++) {
        candidates.zeroGrad();
        await representationPass({ ...passArgs, ...common, rows: candRows, tableRows: ids, table: candidates });
        candidates.step();
        a.onStep?.('candidates', candidates.steps);
      }
    }
    const sc = await rowScores({ decoder, gmm, set, rows: candRows, z: candidates.values, ...common });
    for (let c = 0; c < n; c++) {
      let best = 0;
      let bestLoss = Number.POSITIVE_INFINITY;
      for (let k = 0; k < K; k++) {
        const i = c * K + k;
        // multiDGD keeps the lowest total loss; the select-first variant compares reconstruction only.
        const loss = -(sc.logLik[i] as number) - (o.selectBeforeTraining ? 0 : (sc.logPrior[i] as number));
        if (loss < bestLoss) {
          bestLoss = loss;
          best = k;
        }
      }
      start[c] = best;
      init.set(candidates.values.subarray((c * K + best) * L, (c * K + best + 1) * L), c * L);
    }
  } else {
    for (let c = 0; c < n; c++) init.set(snap.mean.subarray(0, L), c * L);
  }
  const table = new RepresentationTable(n, L, adam, init);
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  for (let e = 0; e < o.inferEpochs; e++) {
    table.zeroGrad();
    await representationPass({
      ...passArgs,
      ...common,
      batchSize: INFER_BATCH_ROWS,
      rows: set.rows,
      tableRows: ids,
      table,
    });
    table.step();
    a.onStep?.('refine', table.steps);
  }
  const fin = await rowScores({ decoder, gmm, set, rows: set.rows, z: table.values, ...common });
  return { z: table.values, start, logLik: fin.logLik };
}
