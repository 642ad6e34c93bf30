/**
 * Count data for the DGD: checks (raw integer counts), cell and gene filters, scaling factors M_i,
 * per-cell Σ lgamma(x+1), and the mapping of new data onto the model's genes.
 */
import { fmtInt, InputError } from '../../core/errors.js';
import type { Dataset } from '../../data/dataset.js';
import type { Matrix } from '../../data/matrix.js';
import type { CsrMatrix } from '../../data/sparse.js';
import { type RowSource, rowSource } from '../../nn/batches.js';
import { lgammaF64 } from '../../nn/likelihoods.js';
import { highlyVariableGenes } from '../../preprocess/hvg.js';
import type { DgdScaling } from './config.js';

/** Stored values of any matrix (dense: all values; sparse: the non-zeros). */
function storedValues(m: Matrix): ArrayLike<number> {
  return m.data;
}

/**
 * Checks that a matrix holds raw counts: finite, ≥ 0 and integers.
 *
 * @param what - Name for messages, e.g. "reference X".
 * @param integers - Require integers (cells: yes; bulk means of counts: no).
 * @throws {@link InputError} `E_NAN`, `E_NEGATIVE_COUNTS` or `E_NOT_COUNTS`.
 */
export function checkCounts(m: Matrix, what: string, integers = true): void {
  const vals = storedValues(m);
  let nonInt = 0;
  let example = 0;
  for (let k = 0; k < vals.length; k++) {
    const v = vals[k] as number;
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
      throw new InputError(`${what} contains ${Number.isNaN(v) ? 'NaN' : v < 0 ? 'negative' : 'infinite'} values`, {
        code: Number.isNaN(v) ? 'E_NAN' : 'E_NEGATIVE_COUNTS',
        field: what,
        got: v,
        expected: 'raw counts >= 0',
        hint: 'The DGD models raw counts with a negative binomial: pass the raw_counts layer (--layer), not log-normalised or scaled data',
      });
    }
    if (integers && v !== Math.floor(v)) {
      if (nonInt === 0) example = v;
      nonInt++;
    }
  }
  if (nonInt > 0) {
    throw new InputError(`${what} is not count data: ${fmtInt(nonInt)} values are not integers`, {
      code: 'E_NOT_COUNTS',
      field: what,
      got: example,
      expected: 'non-negative integer counts',
      hint: 'Pass raw UMI/read counts (e.g. --layer raw_counts or the un-normalised X), not normalised or log-transformed values',
    });
  }
}

/** Scaling factor of one row of counts. */
export function scalingFactor(row: ArrayLike<number>, scaling: DgdScaling): number {
  let s = 0;
  let mx = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j] as number;
    s += v;
    if (v > mx) mx = v;
  }
  return scaling === 'sum' ? s : scaling === 'max' ? mx : s / Math.max(1, row.length);
}

let logFact: Float64Array | undefined;
function logFactorial(v: number): number {
  if (!logFact) {
    logFact = new Float64Array(65536);
    for (let k = 2; k < 65536; k++) logFact[k] = (logFact[k - 1] as number) + Math.log(k);
  }
  return v < 65536 && Number.isInteger(v) ? (logFact[v] as number) : lgammaF64(v + 1);
}

/** Per-row scaling factors and Σ_g lgamma(x+1) of a row source restricted to `colMap` (−1 = dropped). */
export function rowConstants(
  src: RowSource,
  scaling: DgdScaling,
  colMap?: Int32Array,
  nOut?: number,
): { scale: Float32Array; lgammaX1: Float64Array } {
  const n = src.rows;
  const G = nOut ?? src.cols;
  const scale = new Float32Array(n);
  const lg = new Float64Array(n);
  const row = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    if (src.kind === 'csr') {
      const c = src as CsrMatrix;
      for (let k = c.indptr[i] as number; k < (c.indptr[i + 1] as number); k++) {
        const j = colMap ? (colMap[c.indices[k] as number] as number) : (c.indices[k] as number);
        if (j >= 0) row[j] = c.data[k] as number;
      }
    } else {
      for (let j0 = 0; j0 < src.cols; j0++) {
        const j = colMap ? (colMap[j0] as number) : j0;
        if (j >= 0) row[j] = src.data[i * src.cols + j0] as number;
      }
    }
    scale[i] = scalingFactor(row, scaling);
    let s = 0;
    for (let j = 0; j < G; j++) if ((row[j] as number) > 0) s += logFactorial(row[j] as number);
    lg[i] = s;
  }
  return { scale, lgammaX1: lg };
}

/** The training data as the model sees it. */
export interface DgdTrainingData {
  /** Kept cells x kept genes, row access. */
  src: RowSource;
  /** Gene names, in the model's order. */
  genes: string[];
  /** Indices (into the Dataset) of the kept cells. */
  cells: Int32Array;
  /** Scaling factor M_i per kept cell. */
  scale: Float32Array;
  /** Σ_g lgamma(x_ig + 1) per kept cell. */
  lgammaX1: Float64Array;
  /** Label code per kept cell (−1 = none / unlabelled). */
  labels: Int32Array;
  /** Label categories present (empty without labels). */
  labelCategories: string[];
  /** Cells dropped for having no counts. */
  droppedCells: number;
  /** Genes dropped for never being expressed. */
  droppedGenes: number;
}

/**
 * Builds the training data: checks counts, drops cells with M_i = 0 and genes never expressed
 * [spec: edge cases], reads labels.
 *
 * @throws {@link InputError} `E_NOT_COUNTS`/`E_NEGATIVE_COUNTS`/`E_NAN`; `E_NO_COLUMN` for an unknown
 *   label column (with the available columns); `E_TOO_FEW_CELLS` when fewer than 2 cells remain.
 */
export function prepareTrainingData(
  ds: Dataset,
  opts: { layer?: string; labelsKey?: string; dropZeroGenes: boolean; scaling: DgdScaling; nHvg?: number },
): DgdTrainingData {
  const m = ds.layer(opts.layer);
  const what = `cells ${opts.layer ?? 'X'}`;
  checkCounts(m, what);
  let codes: Int32Array = new Int32Array(ds.nObs).fill(-1);
  let categories: string[] = [];
  if (opts.labelsKey) {
    const lab = ds.labels(opts.labelsKey);
    codes = lab.codes;
    categories = lab.categories;
  }
  let geneIdx = Int32Array.from({ length: ds.nVars }, (_, j) => j);
  if (opts.dropZeroGenes) {
    const cs = m.colSums();
    geneIdx = Int32Array.from(Array.from(geneIdx).filter((j) => (cs[j] as number) > 0));
  }
  if (opts.nHvg && opts.nHvg > 0 && opts.nHvg < geneIdx.length) {
    const hvg = highlyVariableGenes(m.selectCols(geneIdx), { flavor: 'seurat_v3', nTopGenes: opts.nHvg });
    geneIdx = Int32Array.from(Array.from(geneIdx).filter((_, k) => hvg.highlyVariable[k]));
  }
  // No copy of the counts when every gene is kept.
  const sub = rowSource(geneIdx.length === ds.nVars ? m : m.selectCols(geneIdx));
  const all = rowConstants(sub, opts.scaling);
  const keep: number[] = [];
  for (let i = 0; i < ds.nObs; i++) if ((all.scale[i] as number) > 0) keep.push(i);
  if (keep.length < 2) {
    throw new InputError('fewer than 2 cells with counts to train on', {
      code: 'E_TOO_FEW_CELLS',
      field: what,
      got: keep.length,
      expected: '>= 2 cells with a non-zero scaling factor',
      hint: 'Check that the layer holds counts of cells (rows) x genes (columns)',
    });
  }
  const cells = Int32Array.from(keep);
  const src = keep.length === ds.nObs ? sub : rowSource(sub.selectRows(cells));
  // Compact the label codes to the categories present.
  const present = new Int32Array(categories.length).fill(-1);
  const cats: string[] = [];
  const labels = new Int32Array(keep.length);
  keep.forEach((i, r) => {
    const c = codes[i] as number;
    if (c < 0) {
      labels[r] = -1;
      return;
    }
    if ((present[c] as number) < 0) present[c] = 0;
    labels[r] = c;
  });
  let next = 0;
  for (let c = 0; c < categories.length; c++) {
    if ((present[c] as number) >= 0) {
      present[c] = next++;
      cats.push(categories[c] as string);
    }
  }
  for (let r = 0; r < labels.length; r++) if ((labels[r] as number) >= 0) labels[r] = present[labels[r] as number] as number;
  return {
    src,
    genes: Array.from(geneIdx, (j) => ds.varNames[j] as string),
    cells,
    scale: Float32Array.from(cells, (i) => all.scale[i] as number),
    lgammaX1: Float64Array.from(cells, (i) => all.lgammaX1[i] as number),
    labels,
    labelCategories: cats,
    droppedCells: ds.nObs - keep.length,
    droppedGenes: ds.nVars - geneIdx.length,
  };
}

/** New data mapped onto the model's genes. */
export interface AlignedData {
  src: RowSource;
  /** Source column → model gene (−1 = not a model gene). */
  colMap: Int32Array;
  /** `[G]` 1 where the model gene is in the data, else 0; undefined when every gene is present. */
  mask?: Float32Array;
  /** Model genes found. */
  found: number;
}

/**
 * Maps a data set's genes onto the model's; missing model genes are masked out of the likelihood.
 *
 * @param minOverlap - Minimum fraction of model genes present.
 * @throws {@link InputError} `E_GENE_OVERLAP` below `minOverlap`.
 */
export function alignToModel(
  m: Matrix,
  varNames: readonly string[],
  genes: readonly string[],
  minOverlap: number,
  what: string,
): AlignedData {
  const index = new Map<string, number>();
  genes.forEach((g, j) => {
    index.set(g, j);
  });
  const colMap = new Int32Array(varNames.length).fill(-1);
  const seen = new Uint8Array(genes.length);
  let found = 0;
  varNames.forEach((v, c) => {
    const j = index.get(v);
    if (j !== undefined && !seen[j]) {
      seen[j] = 1;
      colMap[c] = j;
      found++;
    }
  });
  const frac = genes.length ? found / genes.length : 1;
  if (frac < minOverlap) {
    throw new InputError(`only ${fmtInt(found)} of the model's ${fmtInt(genes.length)} genes are in ${what}`, {
      code: 'E_GENE_OVERLAP',
      field: what,
      got: `${(frac * 100).toFixed(1)}%`,
      expected: `>= ${(minOverlap * 100).toFixed(0)}% of the model genes`,
      hint: 'Are the gene names of the same kind (symbols vs Ensembl IDs) in both files? Map the IDs first, or lower --min-gene-overlap',
    });
  }
  const mask = found < genes.length ? Float32Array.from(seen) : undefined;
  return { src: rowSource(m), colMap, mask, found };
}
