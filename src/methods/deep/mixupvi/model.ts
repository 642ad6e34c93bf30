/**
 * MixupVI and scVI on Datasets: data checks, HVG selection, Dirichlet-composed minibatches, training
 * with per-epoch validation (ELBO, mixup correlation ρ, deconvolution correlation d), the latent
 * signature, deconvolution by latent NNLS with posterior intervals, and save/load.
 *
 * @example
 * ```ts
 * const fitted = await fitMixupVI('mixupvi', ref, { labelsKey: 'cell_type', seed: 0 });
 * const res = await fitted.deconvolve(bulk, { options: { intervals: true } });
 * await fitted.save('model/');
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticWarning } from '../../../core/diagnostics.js';
import { fmtInt, InputError } from '../../../core/errors.js';
import { DEFAULT_MIN_GENE_OVERLAP } from '../../../core/keys.js';
import { throwIfAborted } from '../../../core/progress.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import { checkCounts, countsLayerOf, requireLabelsKey } from '../../../models/data.js';
import { loadMixupVIModel, trainMixupVI } from '../../../models/mixupvi/model.js';
import { type RunOptions, trainScvi, type VaeModel } from '../../../models/scvi/model.js';
import type { ScviModule } from '../../../models/scvi/module.js';
import { ensureBackend, type TrainingData } from '../../../models/scvi/train.js';
import { backendInfo } from '../../../nn/backend.js';
import { gatherRowsF32, type RowSource, rowSource } from '../../../nn/batches.js';
import type { TrainHistory } from '../../../nn/training.js';
import { alignGenes } from '../../align-genes.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest } from '../../types.js';
import { MIXUPVI_DEFAULTS, type MixupVIOptions, resolveOptions, SCVI_DEFAULTS } from './config.js';
import { latentNnls, pearson, quantileSorted } from './latent.js';

/** The two registered names that share this model. */
export type MixupVIMethod = 'mixupvi' | 'scvi';

/** The reference is mandatory for trained methods: a typed error otherwise. */
export function requireRef(ref: Dataset | null, method: string): Dataset {
  if (ref) return ref;
  throw new InputError(`${method} needs a single-cell reference to train on`, {
    code: 'E_NO_REFERENCE',
    field: 'reference',
    hint: 'Pass --reference REF.h5ad with raw counts and a cell-type column',
  });
}

/** Defaults of each method name. */
export function defaultsFor(method: MixupVIMethod): MixupVIOptions {
  return method === 'scvi' ? SCVI_DEFAULTS : MIXUPVI_DEFAULTS;
}

/** Everything a fitted MixupVI/scVI keeps (and saves). */
interface FittedState {
  method: MixupVIMethod;
  options: MixupVIOptions;
  genes: string[];
  cellTypes: string[];
  /** Row-major `[d, C]` latent signature. */
  signature: Float64Array;
  /** Median library size of the training cells (for the bulk-scale check). */
  medianCellLibrary: number;
  history: TrainHistory;
  seed: number;
  warnings: DiagnosticWarning[];
  training: Record<string, unknown>;
}

/** A trained MixupVI or scVI model. */
export class MixupVIModel implements Fitted {
  readonly method: MixupVIMethod;
  readonly genes: readonly string[];
  readonly cellTypes: readonly string[];
  readonly options: MixupVIOptions;
  readonly vae: ScviModule;
  readonly state: FittedState;

  constructor(model: VaeModel<ScviModule>, state: FittedState) {
    this.model = model;
    this.vae = model.module;
    this.state = state;
    this.method = state.method;
    this.genes = state.genes;
    this.cellTypes = state.cellTypes;
    this.options = state.options;
  }

  /** The trained model (scVI or MixupVI) this deconvolution adapter wraps. */
  readonly model: VaeModel<ScviModule>;

  /** Training history (per-epoch losses and validation ρ, d, ELBO). */
  get history(): TrainHistory {
    return this.state.history;
  }

  /** The latent signature as a `[d, C]` matrix. */
  latentSignature(): DenseMatrix<Float64Array> {
    return new DenseMatrix(this.options.latent, this.cellTypes.length, Float64Array.from(this.state.signature));
  }

  /**
   * Proportions of each bulk sample: posterior mean of z (eval mode) → latent NNLS → normalised.
   * With `options.intervals: true`, also `lower`/`upper` from `intervalSamples` posterior draws
   * (quantiles (1 ± intervalLevel)/2) and the draws' median in `diagnostics.extra.median`.
   *
   * @param bulk - samples x genes; layer `raw_counts` (MEAN raw counts per cell, PyDeconv) when present.
   * @throws {@link InputError} `E_GENE_OVERLAP` below `minGeneOverlap` of the model's genes; counts errors as in fit.
   */
  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    await ensureBackend(this.options.backend);
    const layer = countsLayerOf(bulk, opts.layer);
    const m = bulk.layer(layer);
    const warnings: DiagnosticWarning[] = [...checkCounts(m, `bulk ${layer ?? 'X'}`, false)];
    const align = alignGenes(this.genes, bulk.varNames, opts.minGeneOverlap ?? DEFAULT_MIN_GENE_OVERLAP, 'model genes');
    warnings.push(...align.warnings);
    if (align.missing.length > 0) {
      warnings.push({
        code: 'W_GENES_ZERO_FILLED',
        message: `${fmtInt(align.missing.length)} model genes missing from the bulk were set to 0 (the encoder needs every input gene)`,
      });
    }
    const G = this.genes.length;
    const colMap = new Int32Array(bulk.nVars).fill(-1);
    for (let k = 0; k < align.bulkIdx.length; k++) colMap[align.bulkIdx[k] as number] = align.fittedIdx[k] as number;
    const src = rowSource(m);
    const S = bulk.nObs;
    const rows = Int32Array.from({ length: S }, (_, i) => i);
    const x = gatherRowsF32(src, rows, new Float32Array(S * G), G, colMap);
    // The encoder saw single cells' raw counts: a bulk of SUMMED counts is far outside that range.
    const libs: number[] = [];
    for (let i = 0; i < S; i++) {
      let s = 0;
      for (let g = 0; g < G; g++) s += x[i * G + g] as number;
      libs.push(s);
    }
    const medBulk = [...libs].sort((a, b) => a - b)[Math.floor(S / 2)] ?? 0;
    if (medBulk > 20 * this.state.medianCellLibrary) {
      warnings.push({
        code: 'W_BULK_SCALE',
        message: `bulk library sizes (median ${medBulk.toFixed(0)}) are ${Math.round(medBulk / this.state.medianCellLibrary)}x those of the training cells; MixupVI expects MEAN raw counts per cell (layer raw_counts of a pseudobulk), not summed counts`,
      });
    }
    const d = this.options.latent;
    const C = this.cellTypes.length;
    const xT = tf.tensor2d(x, [S, G]);
    const zT = this.vae.encodeMean(xT);
    const z = (await zT.data()) as Float32Array;
    zT.dispose();
    const props = new Float64Array(S * C);
    const raw = new Float64Array(S * C);
    const converged: boolean[] = [];
    const iterations: number[] = [];
    for (let i = 0; i < S; i++) {
      const f = latentNnls(this.state.signature, z.subarray(i * d, (i + 1) * d), d, C, this.options.fitIntercept);
      props.set(f.proportions, i * C);
      raw.set(f.coef, i * C);
      converged.push(f.converged);
      iterations.push(f.iterations);
      if (f.degenerate)
        warnings.push({ code: 'W_ZERO_SOLUTION', message: 'all NNLS coefficients are 0; proportions set to 0', sample: bulk.obsNames[i] });
    }
    const result: DeconvolutionResult = {
      method: this.method,
      proportions: new DenseMatrix(S, C, props),
      raw: new DenseMatrix(S, C, raw),
      sampleNames: [...bulk.obsNames],
      cellTypes: [...this.cellTypes],
      diagnostics: {
        converged,
        iterations,
        genesUsed: align.fittedIdx.length,
        genesMissing: align.missing.length,
        warnings,
        seed: opts.seed ?? this.state.seed,
        extra: { backend: backendInfo()?.name, latent: d },
      },
    };
    const o = opts.options ?? {};
    const K = o.intervalSamples !== undefined ? Number(o.intervalSamples) : this.options.intervalSamples;
    if (o.intervals === true || o.intervals === 'true') {
      const level = o.intervalLevel !== undefined ? Number(o.intervalLevel) : this.options.intervalLevel;
      const iv = await this.intervals(xT, S, K, level, opts.seed ?? this.state.seed, opts.signal);
      result.lower = iv.lower;
      result.upper = iv.upper;
      (result.diagnostics.extra as Record<string, unknown>).median = iv.median;
      (result.diagnostics.extra as Record<string, unknown>).intervals = { samples: K, level };
    }
    xT.dispose();
    return result;
  }

  /** K posterior draws of z per sample → K latent NNLS → per-type quantiles. */
  private async intervals(
    xT: tf.Tensor2D,
    S: number,
    K: number,
    level: number,
    seed: number,
    signal?: AbortSignal,
  ): Promise<{ lower: DenseMatrix<Float64Array>; upper: DenseMatrix<Float64Array>; median: DenseMatrix<Float64Array> }> {
    if (!(K >= 2))
      throw new InputError('intervals need at least 2 posterior samples', {
        code: 'E_OPTION',
        field: 'intervalSamples',
        got: K,
        expected: '>= 2',
      });
    const d = this.options.latent;
    const C = this.cellTypes.length;
    const rng = new Rng(seed).fork('intervals');
    const { qm, qv } = tf.tidy(() => this.vae.encode(xT, undefined));
    const draws = new Float64Array(K * S * C);
    for (let k = 0; k < K; k++) {
      throwIfAborted(signal);
      const zT = tf.tidy(() => this.vae.sample(qm, qv, rng.nextUint32() >>> 1));
      const z = (await zT.data()) as Float32Array;
      zT.dispose();
      for (let i = 0; i < S; i++) {
        const f = latentNnls(this.state.signature, z.subarray(i * d, (i + 1) * d), d, C, this.options.fitIntercept);
        draws.set(f.proportions, (k * S + i) * C);
      }
    }
    tf.dispose([qm, qv]);
    const lower = new Float64Array(S * C);
    const upper = new Float64Array(S * C);
    const median = new Float64Array(S * C);
    const col = new Float64Array(K);
    for (let i = 0; i < S; i++) {
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < K; k++) col[k] = draws[(k * S + i) * C + c] as number;
        col.sort();
        lower[i * C + c] = quantileSorted(col, (1 - level) / 2);
        upper[i * C + c] = quantileSorted(col, (1 + level) / 2);
        median[i * C + c] = quantileSorted(col, 0.5);
      }
    }
    return { lower: new DenseMatrix(S, C, lower), upper: new DenseMatrix(S, C, upper), median: new DenseMatrix(S, C, median) };
  }

  toJSON(): FittedManifest {
    const s = this.state;
    return {
      method: s.method,
      version: 1,
      genes: s.genes,
      cellTypes: s.cellTypes,
      config: { ...s.options },
      latentSignature: {
        shape: [s.options.latent, s.cellTypes.length],
        orientation: 'latent x cellTypes',
        values: Array.from(s.signature),
      },
      medianCellLibrary: s.medianCellLibrary,
      history: s.history,
      seed: s.seed,
      training: s.training,
      warnings: s.warnings,
    };
  }

  /** Writes `manifest.json` + `weights.bin` (see model-io.ts). */
  async save(dir: string): Promise<void> {
    const { method, version: _v, genes: _g, cellTypes: _c, ...rest } = this.toJSON();
    await this.model.save(dir, method, rest);
  }

  /** Frees the network's tensors (the model is unusable afterwards). */
  dispose(): void {
    this.vae.dispose();
  }
}

/**
 * Loads a model saved by {@link MixupVIModel.save}.
 *
 * @throws see `loadModelDir` (missing files, checksum, wrong method); `E_MODEL_WEIGHTS` on a shape
 *   mismatch; `E_MODEL_MANIFEST` without a valid latent signature.
 */
export async function loadMixupVI(dir: string, method?: MixupVIMethod): Promise<MixupVIModel> {
  let options: MixupVIOptions | undefined;
  const { model, manifest } = await loadMixupVIModel(dir, method ?? ['mixupvi', 'scvi'], (m) => {
    options = resolveOptions(defaultsFor(m.method as MixupVIMethod), (m.config ?? {}) as Record<string, unknown>);
    return options;
  });
  const o = options as MixupVIOptions;
  const sig = manifest.latentSignature as { values: number[]; shape: number[] } | undefined;
  if (!sig || sig.values.length !== o.latent * manifest.cellTypes.length) {
    model.dispose();
    throw new InputError('model manifest has no valid latent signature', {
      code: 'E_MODEL_MANIFEST',
      file: dir,
      hint: 'Train the model again',
    });
  }
  const i = model.info;
  return new MixupVIModel(model as VaeModel<ScviModule>, {
    method: manifest.method as MixupVIMethod,
    options: o,
    genes: i.genes,
    cellTypes: i.cellTypes,
    signature: Float64Array.from(sig.values),
    medianCellLibrary: i.medianCellLibrary,
    history: i.history,
    seed: i.seed,
    warnings: i.warnings,
    training: i.training,
  });
}

/**
 * Trains MixupVI (or scVI) on a labelled single-cell reference of raw counts and builds the latent
 * signature: the deconvolution adapter over models/mixupvi and models/scvi.
 *
 * @param method - 'mixupvi' or 'scvi' (defaults differ only in the mixup penalty).
 * @param ref - cells x genes Dataset; layer `raw_counts` is used when present (else X, or `opts.layer`).
 * @param opts - `labelsKey` (required), `seed` (default 0), `options` (see {@link MixupVIOptions}),
 *   `onProgress` (stage 'train', metrics: loss terms, val_rho, val_d, val_elbo), `signal`.
 * @throws {@link InputError}: `E_NO_LABELS`, `E_NEGATIVE_COUNTS`/`E_NAN`, `E_TOO_FEW_CELLS` (a type has
 *   fewer than `minCellsPerType` training cells), `E_LATENT_TOO_SMALL` (latent ≤ number of types),
 *   `E_OPTION`, `E_CHECKPOINT`; {@link AbortError} on abort.
 */
export async function fitMixupVI(method: MixupVIMethod, ref: Dataset, opts: FitOptions<MixupVIOptions>): Promise<MixupVIModel> {
  const o = resolveOptions(defaultsFor(method), (opts.options ?? {}) as Record<string, unknown>);
  const seed = opts.seed ?? 0;
  await ensureBackend(o.backend);
  const labelsKey = requireLabelsKey(opts.labelsKey, method);
  // Per-type mean counts of the training cells (pre-encoded signature), computed once.
  let typeMeans: Float32Array | undefined;
  const signatureOf = (module: ScviModule, data: TrainingData, C: number) => {
    typeMeans ??= typeMeanCounts(data.src, data.trainIdx, data.codes, C, data.src.cols);
    return computeSignature(module, o, data.src, data.trainIdx, data.codes, C, data.src.cols, typeMeans);
  };
  let C = 0;
  const run: RunOptions = {
    seed,
    onProgress: opts.onProgress,
    signal: opts.signal,
    checkpoint: opts.checkpoint,
    onCellTypes: (types) => {
      C = types.length;
      if (o.latent <= C) {
        throw new InputError(`latent size ${o.latent} must exceed the number of cell types (${C})`, {
          code: 'E_LATENT_TOO_SMALL',
          field: 'latent',
          got: o.latent,
          expected: `>= ${C + 1}`,
          hint: 'The latent NNLS solves d equations for C unknowns: with d <= C the signature columns cannot be told apart (MixupVI paper, section 4.1). Use --latent 30 (the paper uses 10 for 5 types, 30 for 9)',
        });
      }
    },
    // d: latent NNLS of each validation pseudobulk's posterior mean vs its true composition.
    pseudobulkValidation: async (module, data) => {
      const sig = await signatureOf(module, data, C);
      return (zv, truth, M) => {
        const dd = o.latent;
        const per: number[] = [];
        for (let m = 0; m < M; m++) {
          const f = latentNnls(sig, zv.subarray(m * dd, (m + 1) * dd), dd, C, o.fitIntercept);
          const r2 = pearson(truth.subarray(m * C, (m + 1) * C), f.proportions);
          if (Number.isFinite(r2)) per.push(r2);
        }
        return per.length ? per.reduce((a, v) => a + v, 0) / per.length : Number.NaN;
      };
    },
  };
  const fields = { layer: opts.layer, labelsKey };
  const model = (
    method === 'scvi' ? await trainScvi(ref, fields, o, run) : await trainMixupVI(ref, fields, o, run)
  ) as VaeModel<ScviModule>;
  const data = model.trainingData as TrainingData;
  const signature = await signatureOf(model.module, data, C);
  const i = model.info;
  return new MixupVIModel(model, {
    method,
    options: o,
    genes: i.genes,
    cellTypes: i.cellTypes,
    signature,
    medianCellLibrary: i.medianCellLibrary,
    history: i.history,
    seed,
    warnings: i.warnings,
    training: i.training,
  });
}

/** Mean raw counts `[C, G]` (Float32, row-major) of each type's cells in `idx`. */
function typeMeanCounts(src: RowSource, idx: Int32Array, codes: Int32Array, C: number, G: number): Float32Array {
  const sums = new Float64Array(C * G);
  const n = new Float64Array(C);
  const row = new Float32Array(G);
  for (const i of idx) {
    const c = codes[i] as number;
    gatherRowsF32(src, [i], row);
    for (let g = 0; g < G; g++) sums[c * G + g]! += row[g] as number;
    n[c]! += 1;
  }
  const out = new Float32Array(C * G);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) out[c * G + g] = (sums[c * G + g] as number) / Math.max(1, n[c] as number);
  return out;
}

/**
 * The latent signature `[d, C]` (row-major) [P §2.3; FORK `create_latent_signature`, all cells]:
 * pre_encoded = posterior mean of each type's mean counts; post_inference = mean of the posterior
 * means of the type's cells.
 */
async function computeSignature(
  vae: ScviModule,
  o: MixupVIOptions,
  src: RowSource,
  trainIdx: Int32Array,
  codes: Int32Array,
  C: number,
  G: number,
  typeMeans: Float32Array,
): Promise<Float64Array> {
  const d = o.latent;
  const sig = new Float64Array(d * C);
  if (o.signatureType === 'pre_encoded') {
    const zT = tf.tidy(() => vae.encodeMean(tf.tensor2d(typeMeans, [C, G])));
    const z = (await zT.data()) as Float32Array;
    zT.dispose();
    for (let c = 0; c < C; c++) for (let k = 0; k < d; k++) sig[k * C + c] = z[c * d + k] as number;
    return sig;
  }
  const n = new Float64Array(C);
  const buf = new Float32Array(Math.min(1024, trainIdx.length) * G);
  for (let s = 0; s < trainIdx.length; s += 1024) {
    const cells = trainIdx.subarray(s, Math.min(trainIdx.length, s + 1024));
    gatherRowsF32(src, cells, buf);
    const zT = tf.tidy(() => vae.encodeMean(tf.tensor2d(buf.subarray(0, cells.length * G), [cells.length, G])));
    const z = (await zT.data()) as Float32Array;
    zT.dispose();
    cells.forEach((i, r) => {
      const c = codes[i] as number;
      n[c]! += 1;
      for (let k = 0; k < d; k++) sig[k * C + c]! += z[r * d + k] as number;
    });
  }
  for (let c = 0; c < C; c++) for (let k = 0; k < d; k++) sig[k * C + c] = (sig[k * C + c] as number) / Math.max(1, n[c] as number);
  return sig;
}
