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
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticWarning } from '../../../core/diagnostics.js';
import { fmtInt, InputError } from '../../../core/errors.js';
import { DEFAULT_MIN_GENE_OVERLAP, LAYERS } from '../../../core/keys.js';
import { throwIfAborted } from '../../../core/progress.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import type { Matrix } from '../../../data/matrix.js';
import { backendInfo, initBackend } from '../../../nn/backend.js';
import { gatherRowsF32, type RowSource, rowSource } from '../../../nn/batches.js';
import { lgammaX1RowSums } from '../../../nn/likelihoods.js';
import { type EpochRecord, type StepContext, type TrainHistory, trainLoop } from '../../../nn/trainer.js';
import { highlyVariableGenes } from '../../../preprocess/hvg.js';
import { alignGenes } from '../../align-genes.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest } from '../../types.js';
import { assignWeights, loadModelDir, saveModelDir, variablesToWeights } from '../model-io.js';
import {
  type BatchPseudobulks,
  dirichletBatches,
  dirichletPseudobulks,
  pseudobulkProportions,
  trainValidationSplit,
  uniformPseudobulks,
} from './batching.js';
import { MIXUPVI_DEFAULTS, type MixupVIOptions, resolveOptions, SCVI_DEFAULTS } from './config.js';
import { latentNnls, pearson, quantileSorted } from './latent.js';
import { MixupVAE, type VaeBatch } from './module.js';
import { averageShards, makeShards, type ShardInput, type ShardResult, shardGradients } from './shards.js';
import { StepWorkerPool } from './step-pool.js';

/** The two registered names that share this model. */
export type MixupVIMethod = 'mixupvi' | 'scvi';

/** Seed of the pseudobulk index pattern (the fork re-creates RandomState(42) each forward pass). */
const PSEUDOBULK_PATTERN_SEED = 42;

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

/** Checks a count matrix for a count model: NaN/negative → error; non-integers → warning. */
function checkCounts(m: Matrix, what: string, integers = true): DiagnosticWarning[] {
  const vals = m.kind === 'dense' ? m.data : m.data;
  let nonInt = 0;
  for (let k = 0; k < vals.length; k++) {
    const v = vals[k] as number;
    if (!(v >= 0)) {
      throw new InputError(`${what} contains ${Number.isNaN(v) ? 'NaN' : 'negative'} values`, {
        code: Number.isNaN(v) ? 'E_NAN' : 'E_NEGATIVE_COUNTS',
        field: what,
        got: v,
        expected: 'raw counts >= 0',
        hint: 'MixupVI/scVI model raw counts (NB/ZINB): pass the raw_counts layer, not log-normalised or scaled data',
      });
    }
    if (v !== Math.floor(v)) nonInt++;
  }
  // Bulk raw_counts are MEANS of cells' counts (PyDeconv): non-integers are expected there.
  if (nonInt === 0 || !integers) return [];
  return [
    {
      code: 'W_NON_INTEGER_COUNTS',
      message: `${what}: ${fmtInt(nonInt)} values are not integers; the NB/ZINB likelihood expects raw counts (scvi-tools gives the same warning). Is this normalised data?`,
    },
  ];
}

function pickLayer(ds: Dataset, layer: string | undefined): string | undefined {
  if (layer !== undefined) return layer;
  return ds.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : undefined;
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
  readonly vae: MixupVAE;
  readonly state: FittedState;

  constructor(vae: MixupVAE, state: FittedState) {
    this.vae = vae;
    this.state = state;
    this.method = state.method;
    this.genes = state.genes;
    this.cellTypes = state.cellTypes;
    this.options = state.options;
  }

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
    const layer = pickLayer(bulk, opts.layer);
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
    const { method, version: _v, genes, cellTypes, ...rest } = this.toJSON();
    await saveModelDir(dir, { method, genes, cellTypes, ...rest }, variablesToWeights(this.vae.params()));
  }

  /** Frees the network's tensors (the model is unusable afterwards). */
  dispose(): void {
    this.vae.dispose();
  }
}

/** 'auto' keeps a backend chosen earlier (e.g. by `--backend`); a named one switches to it. */
async function ensureBackend(choice: MixupVIOptions['backend']): Promise<void> {
  const cur = backendInfo();
  if (!cur || (choice !== 'auto' && cur.name !== choice)) await initBackend(choice);
}

/**
 * Loads a model saved by {@link MixupVIModel.save}.
 *
 * @throws see `loadModelDir` (missing files, checksum, wrong method); `E_MODEL_WEIGHTS` on a shape mismatch.
 */
export async function loadMixupVI(dir: string, method?: MixupVIMethod): Promise<MixupVIModel> {
  const { manifest, weights } = await loadModelDir(dir, method ?? ['mixupvi', 'scvi']);
  const m = manifest.method as MixupVIMethod;
  const options = resolveOptions(defaultsFor(m), (manifest.config ?? {}) as Record<string, unknown>);
  await ensureBackend(options.backend);
  const sig = manifest.latentSignature as { values: number[]; shape: number[] } | undefined;
  if (!sig || sig.values.length !== options.latent * manifest.cellTypes.length) {
    throw new InputError('model manifest has no valid latent signature', {
      code: 'E_MODEL_MANIFEST',
      file: dir,
      hint: 'Train the model again',
    });
  }
  const vae = new MixupVAE(vaeConfig(options, manifest.genes.length), new Rng(0));
  try {
    assignWeights(vae.params(), weights, dir);
  } catch (e) {
    vae.dispose();
    throw e;
  }
  return new MixupVIModel(vae, {
    method: m,
    options,
    genes: [...manifest.genes],
    cellTypes: [...manifest.cellTypes],
    signature: Float64Array.from(sig.values),
    medianCellLibrary: Number(manifest.medianCellLibrary ?? 1),
    history: (manifest.history as TrainHistory) ?? { epochs: [], steps: 0, stoppedEarly: false },
    seed: Number(manifest.seed ?? 0),
    warnings: (manifest.warnings as DiagnosticWarning[]) ?? [],
    training: (manifest.training as Record<string, unknown>) ?? {},
  });
}

function vaeConfig(o: MixupVIOptions, nGenes: number) {
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
 * Trains MixupVI (or scVI) on a labelled single-cell reference of raw counts.
 *
 * @param method - 'mixupvi' or 'scvi' (defaults differ only in the mixup penalty).
 * @param ref - cells x genes Dataset; layer `raw_counts` is used when present (else X, or `opts.layer`).
 * @param opts - `labelsKey` (required), `seed` (default 0), `options` (see {@link MixupVIOptions}),
 *   `onProgress` (stage 'train', metrics: loss terms, val_rho, val_d, val_elbo), `signal`.
 * @throws {@link InputError}: `E_NO_LABELS`, `E_NEGATIVE_COUNTS`/`E_NAN`, `E_TOO_FEW_CELLS` (a type has
 *   fewer than `minCellsPerType` training cells), `E_LATENT_TOO_SMALL` (latent ≤ number of types),
 *   `E_OPTION`; {@link AbortError} on abort.
 */
export async function fitMixupVI(method: MixupVIMethod, ref: Dataset, opts: FitOptions<MixupVIOptions>): Promise<MixupVIModel> {
  const o = resolveOptions(defaultsFor(method), (opts.options ?? {}) as Record<string, unknown>);
  const seed = opts.seed ?? 0;
  const rng = new Rng(seed);
  await ensureBackend(o.backend);
  if (!opts.labelsKey) {
    throw new InputError(`${method} needs cell-type labels`, {
      code: 'E_NO_LABELS',
      field: 'labelsKey',
      hint: 'Pass --labels COLUMN (an obs column of the reference)',
    });
  }
  const layer = pickLayer(ref, opts.layer);
  const warnings: DiagnosticWarning[] = [];
  const full = ref.layer(layer);
  warnings.push(...checkCounts(full, `reference ${layer ?? 'X'}`));
  const { codes: allCodes, categories } = ref.labels(opts.labelsKey);

  // Cells: labelled and with at least one count (log library of 0 is −inf) [spec: edge cases].
  const libAll = full.rowSums();
  const keep: number[] = [];
  let dropped = 0;
  for (let i = 0; i < ref.nObs; i++) {
    if ((allCodes[i] as number) >= 0 && (libAll[i] as number) >= 1) keep.push(i);
    else dropped++;
  }
  if (dropped > 0)
    warnings.push({ code: 'W_CELLS_DROPPED', message: `${fmtInt(dropped)} cells without a label or without counts were left out` });

  // Genes: seurat_v3 HVGs on raw counts [P App. E: 2500], kept in the reference's order.
  let geneIdx = Int32Array.from({ length: ref.nVars }, (_, j) => j);
  if (o.nHvg > 0 && o.nHvg < ref.nVars) {
    const hvg = highlyVariableGenes(full, { flavor: 'seurat_v3', nTopGenes: o.nHvg });
    geneIdx = Int32Array.from(Array.from(hvg.highlyVariable.keys()).filter((j) => hvg.highlyVariable[j]));
  }
  const genes = Array.from(geneIdx, (j) => ref.varNames[j] as string);
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
  if (o.latent <= C) {
    throw new InputError(`latent size ${o.latent} must exceed the number of cell types (${C})`, {
      code: 'E_LATENT_TOO_SMALL',
      field: 'latent',
      got: o.latent,
      expected: `>= ${C + 1}`,
      hint: 'The latent NNLS solves d equations for C unknowns: with d <= C the signature columns cannot be told apart (MixupVI paper, section 4.1). Use --latent 30 (the paper uses 10 for 5 types, 30 for 9)',
    });
  }

  const split = trainValidationSplit(N, o.trainSize, rng.fork('split'));
  const trainCounts = new Int32Array(C);
  for (const i of split.train) trainCounts[codes[i] as number]! += 1;
  const tooFew = cellTypes.filter((_, c) => (trainCounts[c] as number) < o.minCellsPerType);
  if (tooFew.length > 0) {
    throw new InputError(`too few training cells for ${tooFew.length === 1 ? 'cell type' : 'cell types'} ${tooFew.join(', ')}`, {
      code: 'E_TOO_FEW_CELLS',
      field: opts.labelsKey,
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
  const pattern = () => new Rng(PSEUDOBULK_PATTERN_SEED);
  const makePb = (cells: Int32Array, r: Rng, M = o.nPseudobulks): BatchPseudobulks =>
    o.pseudobulkSampling === 'dirichlet-per-pseudobulk'
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

  const vae = new MixupVAE(vaeConfig(o, G), rng.fork('init'));
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

  // Per-type mean counts of the training cells (for the pre-encoded signature).
  const typeMeans = typeMeanCounts(src, split.train, codes, C, G);
  const signatureNow = async (): Promise<Float64Array> => computeSignature(vae, o, src, split.train, codes, C, G, typeMeans);

  const validate = async (ctx: StepContext): Promise<Record<string, number>> => {
    let elbo = 0;
    let rec = 0;
    let kl = 0;
    let nCells = 0;
    const rhos: number[] = [];
    const ds: number[] = [];
    const sig = await signatureNow();
    const vRng = new Rng(seed).fork(`val-${ctx.epoch}`);
    for (const hb of valBatches) {
      const b = toTensors(hb, true);
      try {
        const out = tf.tidy(() => {
          const lo = vae.loss(b, { ...ctx, training: false }, vRng);
          const keepT = [lo.terms.elbo, lo.terms.reconstruction, lo.terms.kl, lo.terms.rho].map((t) => (t ? tf.keep(t) : undefined));
          return keepT;
        });
        const [e, r, k, rho] = await Promise.all(out.map(async (t) => (t ? ((await t.data())[0] as number) : Number.NaN)));
        tf.dispose(out.filter((t): t is tf.Scalar => t !== undefined));
        const B = hb.cells.length;
        elbo += (e as number) * B;
        rec += (r as number) * B;
        kl += (k as number) * B;
        nCells += B;
        if (Number.isFinite(rho)) rhos.push(rho as number);
        if (hb.pb && b.pbAverage) {
          // d: latent NNLS of each pseudobulk's posterior mean vs its true composition.
          const zI = tf.tidy(() => vae.encodeMean(tf.matMul(b.pbAverage as tf.Tensor2D, b.x) as tf.Tensor2D));
          const zv = (await zI.data()) as Float32Array;
          zI.dispose();
          const truth = pseudobulkProportions(
            hb.pb,
            Int32Array.from(hb.cells, (i) => codes[i] as number),
            C,
          );
          const dd = o.latent;
          const per: number[] = [];
          for (let m = 0; m < hb.pb.nPseudobulks; m++) {
            const f = latentNnls(sig, zv.subarray(m * dd, (m + 1) * dd), dd, C, o.fitIntercept);
            const r2 = pearson(truth.subarray(m * C, (m + 1) * C), f.proportions);
            if (Number.isFinite(r2)) per.push(r2);
          }
          if (per.length) ds.push(per.reduce((a, v) => a + v, 0) / per.length);
        }
      } finally {
        disposeBatch(b);
      }
    }
    const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
    return nCells > 0 ? { elbo: elbo / nCells, reconstruction: rec / nCells, kl: kl / nCells, rho: mean(rhos), d: mean(ds) } : {};
  };

  // Data-parallel steps (shards.ts): the shard count fixes the math, the worker count only the speed.
  const nShards = Math.min(o.shards, Math.max(1, Math.floor(o.batchSize / 2)));
  const nThreads = Math.min(nShards, o.workers > 0 ? o.workers : availableParallelism());
  const vars = vae.variables();
  let pool: StepWorkerPool | undefined;
  let history: TrainHistory;
  const t0 = performance.now();
  try {
    if (nShards > 1 && nThreads > 1) {
      const nParams = vars.reduce((a, v) => a + v.size, 0);
      pool = await StepWorkerPool.create(nThreads - 1, vaeConfig(o, G), backendInfo()?.name ?? 'wasm', nParams);
    }
    const shardPb = rng.fork('shard-pseudobulks');
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
  const signature = await signatureNow();
  const last: EpochRecord | undefined = history.epochs[history.epochs.length - 1];
  return new MixupVIModel(vae, {
    method,
    options: o,
    genes,
    cellTypes,
    signature,
    medianCellLibrary,
    history,
    seed,
    warnings,
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
      layer: layer ?? 'X',
      labelsKey: opts.labelsKey,
      finalValidation: last?.val,
    },
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
  vae: MixupVAE,
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
