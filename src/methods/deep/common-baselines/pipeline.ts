/**
 * Data plumbing shared by the trained baselines (Scaden, TAPE, SimpleDNN): gene selection, the
 * training set (simulated pseudobulks by default, or augmented paired data), bulk alignment at
 * prediction time, and the result record.
 */
import type { DiagnosticWarning } from '../../../core/diagnostics.js';
import { fmtInt, InputError } from '../../../core/errors.js';
import { DEFAULT_MIN_GENE_OVERLAP, LAYERS } from '../../../core/keys.js';
import type { LongRunOptions } from '../../../core/progress.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import { type Matrix, toDense } from '../../../data/matrix.js';
import { countsLayerOf, requireLabelsKey } from '../../../models/data.js';
import { highlyVariableGenes } from '../../../preprocess/hvg.js';
import { log1p, normalizeTotal } from '../../../preprocess/normalize.js';
import { augmentPaired, type PairedSet } from '../../../simulate/paired-augmentation.js';
import { simulateScadenPseudobulks } from '../../../simulate/scaden-simulation.js';
import { simulateTapePseudobulks } from '../../../simulate/tape-simulation.js';
import { alignGenes } from '../../align-genes.js';
import type { DeconvolutionResult, DeconvolveOptions } from '../../types.js';
import { loadPairedData } from '../paired/paired-data.js';

/** Where the training pairs come from, and how they are made. */
export interface TrainingDataOptions {
  /** 'simulated' pseudobulks from the reference (default) or 'paired' bulk/single-cell data. */
  trainingData: 'simulated' | 'paired';
  /** Simulator of the pseudobulks: Scaden's (uniform fractions, 100 cells) or TAPE's (Dir(1), 500 cells). */
  simulator: 'scaden' | 'tape';
  /** Number of simulated pseudobulks. */
  nSamples: number;
  /** Cells per simulated pseudobulk. */
  nCells: number;
  /** Number of highly variable genes the model uses; 0 = all genes. */
  nGenes: number;
  /**
   * HVG flavour (scanpy): 'seurat_v3' on raw counts (default), or 'seurat' / 'cell_ranger' on
   * log1p(counts per 10k).
   */
  hvgFlavor?: 'seurat_v3' | 'seurat' | 'cell_ranger';
  /** Paired data (in memory), when trainingData = 'paired'. */
  paired?: PairedSet;
  /** Paired data from files: bulk table, per-cell table (sample, cell_type) or proportions table. */
  pairedBulk?: string;
  pairedCells?: string;
  pairedProportions?: string;
  /** Augmentation copies per paired sample (required with paired data). */
  nAug?: number;
  /** Fraction of a sample's cells per augmentation draw (required with paired data). */
  augRatio?: number;
}

/** Raw (unscaled) training pairs. */
export interface RawTrainingSet {
  /** n x G expression on the count scale (summed counts or measured bulk). */
  X: DenseMatrix;
  /** n x C target fractions. */
  Y: DenseMatrix<Float64Array>;
  genes: string[];
  cellTypes: string[];
  /** For paired data: the patient of each row (splits must be by patient). */
  patient?: Int32Array;
  /** How the set was made (for the manifest). */
  description: Record<string, unknown>;
}

/** The reference's raw-count layer: `layer` when given, else `raw_counts` when present, else X. */
export const countsLayer: (ref: Dataset, layer?: string) => string | undefined = countsLayerOf;

/** The bulk layer a trained baseline reads: `layer`, else `counts_sum` when present, else X. */
export function bulkLayerOf(bulk: Dataset, layer?: string): string | undefined {
  if (layer) return layer;
  return bulk.layers.has(LAYERS.countsSum) ? LAYERS.countsSum : undefined;
}

/**
 * Indices (ascending) of the `nGenes` most variable genes of a cells x genes raw-count matrix
 * (scanpy `highly_variable_genes(flavor)`; 'seurat' / 'cell_ranger' on log1p(counts per 10k)), or all
 * genes when nGenes is 0 or ≥ G.
 */
export function selectVariableGenes(
  counts: Matrix,
  nGenes: number,
  flavor: 'seurat_v3' | 'seurat' | 'cell_ranger' = 'seurat_v3',
): Int32Array {
  const G = counts.cols;
  if (!(nGenes > 0) || nGenes >= G) return Int32Array.from({ length: G }, (_, j) => j);
  const input = flavor === 'seurat_v3' ? counts : log1p(normalizeTotal(counts));
  const hvg = highlyVariableGenes(input, { flavor, nTopGenes: nGenes });
  const keep: number[] = [];
  for (let j = 0; j < G; j++) if (hvg.highlyVariable[j]) keep.push(j);
  return Int32Array.from(keep);
}

function requireAug(opts: Partial<TrainingDataOptions>): { nAug: number; augRatio: number } {
  if (opts.nAug === undefined || opts.augRatio === undefined) {
    throw new InputError('paired training needs nAug and augRatio (no defaults: the source publishes none)', {
      code: 'E_AUG_REQUIRED',
      field: opts.nAug === undefined ? 'nAug' : 'augRatio',
      hint: 'Pass e.g. --option nAug=10 --option augRatio=0.8',
    });
  }
  return { nAug: Number(opts.nAug), augRatio: Number(opts.augRatio) };
}

/**
 * Builds the raw training pairs: simulated pseudobulks from the reference (restricted to the
 * selected genes first, so the dense output stays small) or augmented paired samples.
 *
 * @param ref labelled cells x genes reference (may be null with paired data).
 * @throws InputError `E_NO_REFERENCE` without a reference for simulated data, `E_NO_PAIRED` without
 *   paired data, `E_AUG_REQUIRED` without nAug / augRatio, and the simulators' errors.
 */
export async function buildTrainingSet(
  ref: Dataset | null,
  opts: TrainingDataOptions & { labelsKey?: string; layer?: string; seed: number } & LongRunOptions,
): Promise<RawTrainingSet> {
  const rng = new Rng(opts.seed);
  if (opts.trainingData === 'paired') {
    let paired = opts.paired;
    if (!paired && opts.pairedBulk) {
      paired = await loadPairedData({ bulk: opts.pairedBulk, cells: opts.pairedCells, proportions: opts.pairedProportions });
    }
    if (!paired) {
      throw new InputError('trainingData = paired needs paired data', {
        code: 'E_NO_PAIRED',
        field: 'paired',
        hint: 'Pass options.paired, or pairedBulk with pairedCells / pairedProportions',
      });
    }
    const { nAug, augRatio } = requireAug(opts);
    // Genes: the most variable log2 bulk genes across samples (there are no cells to rank them on).
    let geneIdx = Int32Array.from(paired.genes, (_, j) => j);
    if (opts.nGenes > 0 && opts.nGenes < paired.genes.length) {
      const logBulk = new DenseMatrix(
        paired.bulk.rows,
        paired.bulk.cols,
        Float64Array.from(paired.bulk.data, (v) => Math.log2(v + 1)),
      );
      const v = columnVariances(logBulk);
      geneIdx = Int32Array.from(
        Array.from(v.keys())
          .sort((a, b) => (v[b] as number) - (v[a] as number) || a - b)
          .slice(0, opts.nGenes)
          .sort((a, b) => a - b),
      );
    }
    const sub: PairedSet = {
      ...paired,
      bulk: paired.bulk.selectCols(geneIdx),
      genes: Array.from(geneIdx, (j) => paired.genes[j] as string),
    };
    const aug = augmentPaired(sub, { nAug, augRatio, rng: rng.fork('augment') });
    return {
      X: aug.X,
      Y: aug.fractions,
      genes: aug.genes,
      cellTypes: aug.cellTypes,
      patient: aug.patient,
      description: { trainingData: 'paired', nPatients: paired.sampleNames.length, nAug, augRatio, nGenes: geneIdx.length },
    };
  }
  if (!ref) {
    throw new InputError('simulated training data needs a labelled single-cell reference', {
      code: 'E_NO_REFERENCE',
      hint: 'Pass --ref cells.h5ad --labels cell_type, or train on paired data (--option trainingData=paired)',
    });
  }
  // The data contract of every model (models/data.ts): labels present, counts layer resolved once.
  const labelsKey = requireLabelsKey(opts.labelsKey, 'simulated training data');
  const layer = countsLayerOf(ref, opts.layer);
  const geneIdx = selectVariableGenes(ref.layer(layer), opts.nGenes, opts.hvgFlavor);
  const sel = ref.selectVars(geneIdx);
  const simOpts = {
    labelsKey,
    layer,
    nSamples: opts.nSamples,
    nCells: opts.nCells,
    seed: rng.fork('simulate').seed,
    onProgress: opts.onProgress,
    signal: opts.signal,
  };
  const sim = opts.simulator === 'tape' ? simulateTapePseudobulks(sel, simOpts) : simulateScadenPseudobulks(sel, simOpts);
  return {
    X: sim.X,
    Y: sim.fractions,
    genes: sim.genes,
    cellTypes: sim.cellTypes,
    description: {
      trainingData: 'simulated',
      fields: { layer: layer ?? 'X', labelsKey },
      simulator: opts.simulator,
      nSamples: sim.X.rows,
      nCells: opts.nCells,
      nGenes: geneIdx.length,
      genesFrom: opts.nGenes > 0 && opts.nGenes < ref.nVars ? `hvg ${opts.hvgFlavor ?? 'seurat_v3'}` : 'all',
    },
  };
}

/** Column variances (ddof 1). */
export function columnVariances(X: DenseMatrix): Float64Array {
  const n = X.rows;
  const g = X.cols;
  const mean = new Float64Array(g);
  const out = new Float64Array(g);
  for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) mean[j] = (mean[j] as number) + (X.data[i * g + j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      const d = (X.data[i * g + j] as number) - (mean[j] as number);
      out[j] = (out[j] as number) + d * d;
    }
  }
  for (let j = 0; j < g; j++) out[j] = n > 1 ? (out[j] as number) / (n - 1) : 0;
  return out;
}

/** A bulk reordered to the fitted genes (missing genes filled with 0), with what was found. */
export interface AlignedBulk {
  /** samples x fitted genes, count scale. */
  X: DenseMatrix<Float64Array>;
  genesUsed: number;
  genesMissing: number;
  warnings: DiagnosticWarning[];
}

/**
 * Reorders a bulk to the fitted genes. Genes absent from the bulk are filled with 0 (a network
 * needs every input), and reported.
 *
 * @throws InputError `E_GENE_OVERLAP` below `minGeneOverlap` (default 0.7) of the fitted genes.
 */
export function alignBulk(bulk: Dataset, genes: readonly string[], opts: DeconvolveOptions = {}): AlignedBulk {
  const a = alignGenes(genes, bulk.varNames, opts.minGeneOverlap ?? DEFAULT_MIN_GENE_OVERLAP, 'model genes');
  const src = toDense(bulk.layer(bulkLayerOf(bulk, opts.layer)), a.bulkIdx, 'float64');
  const n = bulk.nObs;
  const G = genes.length;
  const out = new Float64Array(n * G);
  const m = a.fittedIdx.length;
  for (let i = 0; i < n; i++) for (let k = 0; k < m; k++) out[i * G + (a.fittedIdx[k] as number)] = src.data[i * m + k] as number;
  const warnings = a.warnings.map((w) =>
    w.code === 'W_GENES_DROPPED' ? { ...w, message: w.message.replace('were dropped', 'were set to 0 in the network input') } : w,
  );
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < G; j++) {
      const v = out[i * G + j] as number;
      if (!(v >= 0)) {
        throw new InputError(`bulk value ${v} at sample '${bulk.obsNames[i]}', gene '${genes[j]}' is negative or not a number`, {
          code: 'E_BULK_VALUES',
          hint: 'Trained baselines expect non-negative counts (the counts_sum layer of a pseudobulk, or raw bulk counts)',
        });
      }
    }
  }
  return { X: new DenseMatrix(n, G, out), genesUsed: m, genesMissing: G - m, warnings };
}

/**
 * Result record from per-sample proportions (rows renormalised to sum to 1; a row of zeros stays
 * zero and is flagged).
 */
export function makeResult(
  method: string,
  props: Float32Array | Float64Array,
  bulk: Dataset,
  cellTypes: readonly string[],
  aligned: AlignedBulk,
  seed: number | undefined,
  extra?: Record<string, unknown>,
  raw?: Float32Array | Float64Array,
): DeconvolutionResult {
  const n = bulk.nObs;
  const C = cellTypes.length;
  const out = new Float64Array(n * C);
  const warnings = [...aligned.warnings];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += props[i * C + c] as number;
    if (s > 0) for (let c = 0; c < C; c++) out[i * C + c] = (props[i * C + c] as number) / s;
    else warnings.push({ code: 'W_ZERO_PREDICTION', message: 'all predicted proportions are 0', sample: bulk.obsNames[i] });
  }
  return {
    method,
    proportions: new DenseMatrix(n, C, out),
    raw: raw ? new DenseMatrix(n, C, Float64Array.from(raw)) : undefined,
    sampleNames: [...bulk.obsNames],
    cellTypes: [...cellTypes],
    diagnostics: {
      converged: new Array(n).fill(true),
      iterations: new Array(n).fill(0),
      genesUsed: aligned.genesUsed,
      genesMissing: aligned.genesMissing,
      warnings,
      seed,
      extra,
    },
  };
}

/** n x C Float64 targets as Float32 (network dtype). */
export function toFloat32(m: DenseMatrix): DenseMatrix<Float32Array> {
  return new DenseMatrix(m.rows, m.cols, m.data instanceof Float32Array ? m.data : Float32Array.from(m.data));
}

/** Parses an option that may arrive as a string from the CLI (`--option steps=5000`). */
export function numOption(v: unknown, field: string, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const x = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(x)) throw new InputError(`option ${field} must be a number`, { code: 'E_OPTION', field, got: v });
  return x;
}

/** Formats a count for messages. */
export const fmt = fmtInt;
