/**
 * Signature matrix from a labelled single-cell reference (spec `signature-matrix.md`; MixupVI /
 * PyDeconv paper §3.1; Owkin's `create_signature.R`; DWLS `buildSignatureMatrixMAST`).
 *
 * 0. Genes with fewer than 3 counts are dropped (PyDeconv `preprocess_scrna`), counts are scaled to
 *    1e4 per cell (relative counts) and log1p-transformed for the tests.
 * 1. Per cell type, one-vs-rest Wilcoxon rank-sum test (scanpy's z and p, tie-corrected by default)
 *    on genes expressed in >= 1% of either group; Benjamini-Hochberg; markers = adjusted p < 0.05 and
 *    log2 fold change > 0.25 (Seurat's formula by default), sorted by fold change, descending.
 * 2. For n = 50..200 top markers per type, S_n = mean relative counts of the union of the markers;
 *    n* = argmin kappa(S_n) (R's `kappa`, QR 1-norm by default; first minimiser).
 * 3. Values = per-type means of the value layer (relative counts by default) on the genes of n*.
 *
 * Works on sparse CSR/CSC counts without densifying: one pass over a column-compressed copy ranks
 * only each gene's non-zero values (the zeros are one tie block).
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { InputError } from '../core/errors.js';
import { LAYERS, RELATIVE_COUNTS_TARGET } from '../core/keys.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { selectRows } from '../data/matrix.js';
import { allIntegers, firstBadCount, toCscMatrix } from '../preprocess/matrix-stats.js';
import { conditionNumber, type KappaNorm } from './kappa.js';
import { benjaminiHochberg, bonferroni } from './multitest.js';
import { twoSidedNormalP } from './normal.js';
import { Signature } from './signature.js';
import { twoSidedTP } from './student-t.js';
import { rankScratch, rankSumsOfColumn, rankSumZ } from './wilcoxon.js';

/** Ribosomal / mitochondrial genes removed by Owkin's script (optional blacklist). */
export const RIBO_MITO_GENES = /^RP[SL][0-9]|^RP[0-9]|^RPSA|^RPS|^RPL|^MT-|^MRPL/;
/** House-keeping / patient-specific genes removed by Owkin's script (optional blacklist). */
export const HOUSEKEEPING_GENES = /^ACTB$|TMSB4X|IGKC|^IG[HL]|HLA-[ABC]|B2M|UBC|^H3-|TPT1|ACTG1/;
/** microRNA genes dropped by the Owkin and DWLS scripts (optional blacklist). */
export const MIRNA_GENES = /MIR|Mir/;

/** Options of {@link buildSignature}; defaults are the spec's (paper values). */
export interface BuildSignatureOptions extends LongRunOptions {
  /** obs column with the cell-type labels. */
  labelsKey: string;
  /** Layer with raw counts (default X). */
  layer?: string;
  /** Cell types to use, in column order (default: the labels present, sorted). Cells of other types are left out. */
  cellTypes?: string[];
  /** Layer the signature values are the per-type mean of (default relative_counts). */
  valueLayer?: 'relative_counts' | 'raw_counts';
  /** Only cells with a truthy mask value are used (e.g. the training half). */
  cellMask?: ArrayLike<number | boolean>;
  /** Genes with a total count below this are dropped first (default 3, PyDeconv). */
  minGeneCounts?: number;
  /** Target sum of the relative counts (default 1e4). */
  targetSum?: number;
  /** Genes never used as markers: a regular expression on the gene name, or a list of names (default none). */
  excludeGenes?: RegExp | readonly string[];
  /** Test a gene only if expressed (> 0) in at least this fraction of either group (default 0.01). */
  minPct?: number;
  /**
   * Differential-expression test, one type vs the rest: 'wilcoxon' (default, the paper) or 't-test'
   * (Welch, scanpy `method='t-test'`: scipy `ttest_ind_from_stats(equal_var=False)` on log1p data).
   */
  deTest?: 'wilcoxon' | 't-test';
  /** Tie-corrected Wilcoxon variance (default true; scanpy's default is false). */
  tieCorrect?: boolean;
  /** Multiple-testing correction (default 'bh'; 'bonferroni' = Seurat's p_val_adj). */
  pAdjust?: 'bh' | 'bonferroni';
  /** Adjusted p-value cutoff (default 0.05, strict <). */
  pvalCutoff?: number;
  /** log2 fold-change cutoff (default 0.25, strict >). */
  logfcCutoff?: number;
  /** 'seurat' (default): log2(mean(expm1 x1) + 1) - log2(mean(expm1 x2) + 1); 'scanpy': log2((expm1(mean x1) + 1e-9) / (expm1(mean x2) + 1e-9)). */
  logfcFormula?: 'seurat' | 'scanpy';
  /** 'up' (default): only up-regulated markers; 'abs': |logFC| > cutoff. */
  direction?: 'up' | 'abs';
  /** Smallest and largest number of top markers per type tried (default 50 and 200). */
  minMarkers?: number;
  maxMarkers?: number;
  /**
   * Condition number: 'r1' (default, spec: exact 1-norm condition of the QR factor R), 'linpack'
   * (what R 4.2's `kappa()` returns: LINPACK dtrco estimate, as in Owkin's script), '2' (exact 2-norm).
   */
  kappaNorm?: KappaNorm;
  /** Types with fewer cells are not tested (no markers, warning); default 2. */
  minCellsPerType?: number;
}

/** Differential-expression table of one cell type against the rest (arrays over `genes` of the result). */
export interface DeTable {
  cellType: string;
  nCells: number;
  /** 1 when the gene passed the expression-fraction filter and was tested. */
  tested: Uint8Array;
  /** Test statistic: Wilcoxon z-score, or Welch t for deTest 't-test' (scanpy's `scores`). */
  z: Float64Array;
  pvals: Float64Array;
  pvalsAdj: Float64Array;
  logfc: Float64Array;
  /** Fraction of the type's cells / of the other cells expressing the gene. */
  pct1: Float64Array;
  pct2: Float64Array;
  /** Marker genes (indices into `genes`), by decreasing logFC. */
  markers: Int32Array;
}

/** Everything {@link buildSignatureDetailed} computed. */
export interface SignatureBuildResult {
  signature: Signature;
  /** The chosen number of top markers per type (n*). */
  nTopChosen: number;
  /** kappa for every n tried. */
  conditionNumbers: { n: number; nUniqueGenes: number; kappa: number }[];
  /** Genes that passed the count filter (the universe of the tests). */
  genes: string[];
  deTables: DeTable[];
  warnings: DiagnosticWarning[];
}

interface Resolved {
  layer?: string;
  valueLayer: 'relative_counts' | 'raw_counts';
  minGeneCounts: number;
  targetSum: number;
  minPct: number;
  deTest: 'wilcoxon' | 't-test';
  tieCorrect: boolean;
  pAdjust: 'bh' | 'bonferroni';
  pvalCutoff: number;
  logfcCutoff: number;
  logfcFormula: 'seurat' | 'scanpy';
  direction: 'up' | 'abs';
  minMarkers: number;
  maxMarkers: number;
  kappaNorm: KappaNorm;
  minCellsPerType: number;
}

/** Defaults of {@link BuildSignatureOptions} (spec "Defaults summary"). */
export const SIGNATURE_DEFAULTS: Readonly<Omit<Resolved, 'layer'>> = Object.freeze({
  valueLayer: 'relative_counts',
  minGeneCounts: 3,
  targetSum: RELATIVE_COUNTS_TARGET,
  minPct: 0.01,
  deTest: 'wilcoxon',
  tieCorrect: true,
  pAdjust: 'bh',
  pvalCutoff: 0.05,
  logfcCutoff: 0.25,
  logfcFormula: 'seurat',
  direction: 'up',
  minMarkers: 50,
  maxMarkers: 200,
  kappaNorm: 'r1',
  minCellsPerType: 2,
});

function optionError(field: string, got: unknown, expected: string): InputError {
  return new InputError(`invalid signature option '${field}'`, { code: 'E_OPTION', field, got, expected });
}

function resolve(o: BuildSignatureOptions): Resolved {
  const r: Resolved = { ...SIGNATURE_DEFAULTS, layer: o.layer };
  for (const k of Object.keys(SIGNATURE_DEFAULTS) as (keyof typeof SIGNATURE_DEFAULTS)[]) {
    const v = (o as unknown as Record<string, unknown>)[k];
    if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  }
  const nonNeg = (k: 'minGeneCounts' | 'minPct' | 'logfcCutoff') => {
    if (!(Number.isFinite(r[k]) && r[k] >= 0)) throw optionError(k, r[k], 'a number >= 0');
  };
  nonNeg('minGeneCounts');
  nonNeg('minPct');
  nonNeg('logfcCutoff');
  if (!(r.targetSum > 0 && Number.isFinite(r.targetSum))) throw optionError('targetSum', r.targetSum, 'a number > 0');
  if (!(r.pvalCutoff > 0 && r.pvalCutoff <= 1)) throw optionError('pvalCutoff', r.pvalCutoff, '0 < pvalCutoff <= 1');
  if (!(Number.isInteger(r.minMarkers) && r.minMarkers >= 1)) throw optionError('minMarkers', r.minMarkers, 'an integer >= 1');
  if (!(Number.isInteger(r.maxMarkers) && r.maxMarkers >= r.minMarkers))
    throw optionError('maxMarkers', r.maxMarkers, `an integer >= minMarkers (${r.minMarkers})`);
  if (!(Number.isInteger(r.minCellsPerType) && r.minCellsPerType >= 2))
    throw optionError('minCellsPerType', r.minCellsPerType, 'an integer >= 2');
  if (r.valueLayer !== 'relative_counts' && r.valueLayer !== 'raw_counts')
    throw optionError('valueLayer', r.valueLayer, "'relative_counts' or 'raw_counts'");
  if (r.deTest !== 'wilcoxon' && r.deTest !== 't-test') throw optionError('deTest', r.deTest, "'wilcoxon' or 't-test'");
  if (r.pAdjust !== 'bh' && r.pAdjust !== 'bonferroni') throw optionError('pAdjust', r.pAdjust, "'bh' or 'bonferroni'");
  if (r.logfcFormula !== 'seurat' && r.logfcFormula !== 'scanpy') throw optionError('logfcFormula', r.logfcFormula, "'seurat' or 'scanpy'");
  if (r.direction !== 'up' && r.direction !== 'abs') throw optionError('direction', r.direction, "'up' or 'abs'");
  if (r.kappaNorm !== 'r1' && r.kappaNorm !== 'linpack' && r.kappaNorm !== '2')
    throw optionError('kappaNorm', r.kappaNorm, "'r1', 'linpack' or '2'");
  return r;
}

/**
 * Builds a signature matrix (cell types x marker genes) from a labelled single-cell reference.
 *
 * @param ref - cells x genes Dataset with raw counts in `opts.layer` (default X), dense or sparse.
 * @param opts - `labelsKey` (required) and the spec's parameters; see {@link BuildSignatureOptions}.
 * @returns the {@link Signature}; `meta` holds nTopChosen, conditionNumber, conditionNumbers,
 *   nCellsPerType, warnings and the options used.
 * @throws {@link InputError} `E_NO_COLUMN` (unknown labels column), `E_LABELS_NUMERIC`,
 *   `E_UNKNOWN_CELL_TYPE` (a requested type has no cell), `E_TOO_FEW_TYPES` (< 2 types),
 *   `E_NONFINITE` / `E_NEGATIVE_COUNTS` (bad counts), `E_DUPLICATE_GENE` (var names not unique),
 *   `E_NO_GENES` (every gene filtered), `E_NO_MARKERS` (no type has a marker), `E_OPTION`,
 *   `E_NO_LAYER`; `AbortError` when the signal fires.
 * @example
 * const sig = buildSignature(pbmc, { labelsKey: 'cell_type' });
 * sig.meta.nTopChosen; // e.g. 50
 */
export function buildSignature(ref: Dataset, opts: BuildSignatureOptions): Signature {
  return buildSignatureDetailed(ref, opts).signature;
}

/**
 * {@link buildSignature} plus its intermediate results: the per-type DE tables, the condition
 * number for every n tried, and the warnings.
 *
 * @param ref - cells x genes Dataset with raw counts.
 * @param opts - see {@link BuildSignatureOptions}.
 * @returns a {@link SignatureBuildResult}.
 * @throws the errors of {@link buildSignature}.
 * @example
 * const { deTables, conditionNumbers } = buildSignatureDetailed(pbmc, { labelsKey: 'cell_type' });
 */
export function buildSignatureDetailed(ref: Dataset, opts: BuildSignatureOptions): SignatureBuildResult {
  const o = resolve(opts);
  const warnings: DiagnosticWarning[] = [];
  throwIfAborted(opts.signal);

  // ---- cells and cell types
  if (typeof opts.labelsKey !== 'string' || opts.labelsKey === '')
    throw optionError('labelsKey', opts.labelsKey, 'the name of an obs column');
  const { codes, categories } = ref.labels(opts.labelsKey);
  const mask = opts.cellMask;
  if (mask && mask.length !== ref.nObs) {
    throw new InputError('cellMask length does not match the number of cells', {
      code: 'E_SHAPE',
      field: 'cellMask',
      got: mask.length,
      expected: ref.nObs,
    });
  }
  const perCategory = new Float64Array(categories.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c >= 0 && (!mask || mask[i])) perCategory[c] = (perCategory[c] as number) + 1;
  }
  const present = categories.filter((_, k) => (perCategory[k] as number) > 0);
  let cellTypes: string[];
  if (opts.cellTypes) {
    cellTypes = [...opts.cellTypes];
    const seen = new Set<string>();
    for (const t of cellTypes) {
      if (seen.has(t))
        throw new InputError(`cell type '${t}' is listed twice`, { code: 'E_DUPLICATE_CELL_TYPE', field: 'cellTypes', got: t });
      seen.add(t);
      if (!present.includes(t)) {
        throw new InputError(`cell type '${t}' has no cell in column '${opts.labelsKey}'`, {
          code: 'E_UNKNOWN_CELL_TYPE',
          field: opts.labelsKey,
          got: t,
          expected: `one of ${JSON.stringify(present)}`,
          hint: 'Check the spelling of the cell types, or omit cellTypes to use every label',
        });
      }
    }
  } else cellTypes = [...present].sort();
  const C = cellTypes.length;
  if (C < 2) {
    throw new InputError('a signature needs at least 2 cell types', {
      code: 'E_TOO_FEW_TYPES',
      field: opts.labelsKey,
      got: cellTypes,
      hint: 'Pass a labels column with several cell types',
    });
  }
  const catToType = new Int32Array(categories.length).fill(-1);
  cellTypes.forEach((t, k) => {
    catToType[categories.indexOf(t)] = k;
  });
  const cellIdx: number[] = [];
  const typeOfCell: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < 0 || (mask && !mask[i])) continue;
    const t = catToType[c] as number;
    if (t < 0) continue;
    cellIdx.push(i);
    typeOfCell.push(t);
  }
  const n = cellIdx.length;
  const groups = Int32Array.from(typeOfCell);
  const nPerType = new Float64Array(C);
  for (let i = 0; i < n; i++) nPerType[groups[i] as number] = (nPerType[groups[i] as number] as number) + 1;

  // ---- counts
  const dupGene = firstDuplicate(ref.varNames);
  if (dupGene !== undefined) {
    throw new InputError(`gene name '${dupGene}' appears more than once`, {
      code: 'E_DUPLICATE_GENE',
      field: dupGene,
      hint: 'Use unique gene identifiers (e.g. Ensembl IDs) as var names',
    });
  }
  const full = ref.layer(o.layer);
  const bad = firstBadCount(full);
  if (bad) {
    const nan = !Number.isFinite(bad.value);
    throw new InputError(nan ? 'counts contain NaN or infinite values' : 'counts contain negative values', {
      code: nan ? 'E_NONFINITE' : 'E_NEGATIVE_COUNTS',
      field: `${o.layer ?? 'X'}[${ref.obsNames[bad.row]}, ${ref.varNames[bad.col]}]`,
      got: bad.value,
      expected: 'raw counts (finite, >= 0)',
      hint: 'Pass the raw-count layer with --layer / opts.layer (not log or scaled data)',
    });
  }
  const counts = toCscMatrix(n === ref.nObs ? full : selectRows(full, cellIdx));
  if (!allIntegers(counts))
    warnings.push({ code: 'W_NON_INTEGER_COUNTS', message: `layer ${o.layer ?? 'X'} holds non-integer values; raw counts are expected` });

  // ---- gene filter (PyDeconv filter_genes(min_counts=3), then the optional blacklist)
  const nAll = counts.cols;
  const geneKeep: number[] = [];
  const exclude = opts.excludeGenes;
  const excludeSet = exclude && !(exclude instanceof RegExp) ? new Set(exclude) : undefined;
  for (let j = 0; j < nAll; j++) {
    let s = 0;
    const b = counts.indptr[j + 1] as number;
    for (let p = counts.indptr[j] as number; p < b; p++) s += counts.data[p] as number;
    if (s < o.minGeneCounts || s === 0) continue;
    const name = ref.varNames[j] as string;
    if (exclude instanceof RegExp ? exclude.test(name) : excludeSet?.has(name)) continue;
    geneKeep.push(j);
  }
  const G = geneKeep.length;
  if (G === 0) {
    throw new InputError('every gene was filtered out', {
      code: 'E_NO_GENES',
      got: `${nAll} genes, none with >= ${o.minGeneCounts} counts (or all excluded)`,
      hint: 'Check that the layer holds raw counts, or lower minGeneCounts',
    });
  }
  const genes = geneKeep.map((j) => ref.varNames[j] as string);

  // cell totals over the kept genes: PyDeconv filters genes before normalize_total
  const totals = new Float64Array(n);
  for (const j of geneKeep) {
    const b = counts.indptr[j + 1] as number;
    for (let p = counts.indptr[j] as number; p < b; p++)
      totals[counts.indices[p] as number] = (totals[counts.indices[p] as number] as number) + (counts.data[p] as number);
  }
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) scale[i] = (totals[i] as number) > 0 ? (totals[i] as number) / o.targetSum : 1;

  // ---- one pass over the genes: per-type sums, expression counts, rank sums
  const sumRc = new Float64Array(C * G);
  const sumLog = new Float64Array(C * G);
  const sumRaw = new Float64Array(C * G);
  const isT = o.deTest === 't-test';
  const sumLogSq = isT ? new Float64Array(C * G) : undefined;
  const nzType = new Float64Array(C * G);
  const r1All = new Float64Array(C * G);
  const tieAll = new Float64Array(G);
  const vals = new Float64Array(n);
  const rows = new Int32Array(n);
  const scratch = rankScratch(n);
  const r1 = new Float64Array(C);
  const nzg = new Float64Array(C);
  const tick = throttledProgress(opts.onProgress, 'signature', G, 'wilcoxon');
  for (let k = 0; k < G; k++) {
    if ((k & 1023) === 0) {
      throwIfAborted(opts.signal);
      tick(k);
    }
    const j = geneKeep[k] as number;
    const a = counts.indptr[j] as number;
    const b = counts.indptr[j + 1] as number;
    let m = 0;
    for (let p = a; p < b; p++) {
      const v = counts.data[p] as number;
      if (v === 0) continue;
      const i = counts.indices[p] as number;
      const g = groups[i] as number;
      const rc = v / (scale[i] as number);
      const lg = Math.log1p(rc);
      const at = g * G + k;
      sumRc[at] = (sumRc[at] as number) + rc;
      sumLog[at] = (sumLog[at] as number) + lg;
      sumRaw[at] = (sumRaw[at] as number) + v;
      if (sumLogSq) sumLogSq[at] = (sumLogSq[at] as number) + lg * lg;
      // log1p is monotone, so ranking the relative counts gives the ranks of log1p(rc) (scanpy's X);
      // IEEE division is correctly rounded everywhere while libm log1p is not, so near-ties stay
      // reproducible across platforms
      vals[m] = rc;
      rows[m] = i;
      m++;
    }
    if (isT) {
      for (let t = 0; t < m; t++) {
        const at = (groups[rows[t] as number] as number) * G + k;
        nzType[at] = (nzType[at] as number) + 1;
      }
      continue;
    }
    tieAll[k] = rankSumsOfColumn(vals, rows, m, n, groups, nPerType, nzg, r1, scratch);
    for (let g = 0; g < C; g++) {
      r1All[g * G + k] = r1[g] as number;
      nzType[g * G + k] = nzg[g] as number;
    }
  }
  tick(G);

  // ---- per-type statistics, adjusted p-values, markers
  const totRc = new Float64Array(G);
  const totLog = new Float64Array(G);
  const totNz = new Float64Array(G);
  const totLogSq = new Float64Array(G);
  for (let g = 0; g < C; g++) {
    for (let k = 0; k < G; k++) {
      totRc[k] = (totRc[k] as number) + (sumRc[g * G + k] as number);
      totLog[k] = (totLog[k] as number) + (sumLog[g * G + k] as number);
      totNz[k] = (totNz[k] as number) + (nzType[g * G + k] as number);
      if (sumLogSq) totLogSq[k] = (totLogSq[k] as number) + (sumLogSq[g * G + k] as number);
    }
  }
  const deTables: DeTable[] = [];
  for (let g = 0; g < C; g++) {
    const n1 = nPerType[g] as number;
    const n2 = n - n1;
    const tested = new Uint8Array(G);
    const z = new Float64Array(G);
    const pvals = new Float64Array(G).fill(1);
    const logfc = new Float64Array(G);
    const pct1 = new Float64Array(G);
    const pct2 = new Float64Array(G);
    const canTest = n1 >= o.minCellsPerType && n2 >= 1;
    for (let k = 0; k < G; k++) {
      const at = g * G + k;
      const nz1 = nzType[at] as number;
      pct1[k] = nz1 / n1;
      pct2[k] = n2 > 0 ? ((totNz[k] as number) - nz1) / n2 : 0;
      if (o.logfcFormula === 'seurat') {
        // mean(expm1(log1p rc)) is the mean relative count
        const m1 = (sumRc[at] as number) / n1;
        const m2 = n2 > 0 ? ((totRc[k] as number) - (sumRc[at] as number)) / n2 : 0;
        logfc[k] = Math.log2(m1 + 1) - Math.log2(m2 + 1);
      } else {
        const m1 = (sumLog[at] as number) / n1;
        const m2 = n2 > 0 ? ((totLog[k] as number) - (sumLog[at] as number)) / n2 : 0;
        logfc[k] = Math.log2((Math.expm1(m1) + 1e-9) / (Math.expm1(m2) + 1e-9));
      }
      if (canTest && Math.max(pct1[k] as number, pct2[k] as number) >= o.minPct) {
        tested[k] = 1;
        if (sumLogSq) {
          const s1 = sumLog[at] as number;
          const q1 = sumLogSq[at] as number;
          const t = welchT(s1, q1, n1, (totLog[k] as number) - s1, (totLogSq[k] as number) - q1, n2);
          z[k] = t.t;
          pvals[k] = t.p;
        } else {
          const zv = rankSumZ(r1All[at] as number, n1, n, tieAll[k] as number, o.tieCorrect);
          z[k] = zv;
          pvals[k] = twoSidedNormalP(zv);
        }
      }
    }
    const pvalsAdj = o.pAdjust === 'bh' ? benjaminiHochberg(pvals) : bonferroni(pvals, G);
    const markers: number[] = [];
    for (let k = 0; k < G; k++) {
      if (!tested[k] || !((pvalsAdj[k] as number) < o.pvalCutoff)) continue;
      const lf = logfc[k] as number;
      if (o.direction === 'up' ? lf > o.logfcCutoff : Math.abs(lf) > o.logfcCutoff) markers.push(k);
    }
    markers.sort((x, y) => (logfc[y] as number) - (logfc[x] as number) || x - y);
    if (!canTest) {
      warnings.push({
        code: 'W_FEW_CELLS',
        message: `cell type '${cellTypes[g]}' has ${n1} cell(s) (< ${o.minCellsPerType}): not tested, it has no marker genes`,
      });
    } else if (markers.length === 0) {
      warnings.push({ code: 'W_NO_MARKERS', message: `cell type '${cellTypes[g]}' has no marker gene; the signature may not separate it` });
    }
    deTables.push({
      cellType: cellTypes[g] as string,
      nCells: n1,
      tested,
      z,
      pvals,
      pvalsAdj,
      logfc,
      pct1,
      pct2,
      markers: Int32Array.from(markers),
    });
  }
  if (deTables.every((t) => t.markers.length === 0)) {
    throw new InputError('no marker gene passed the filters for any cell type', {
      code: 'E_NO_MARKERS',
      got: `adjusted p < ${o.pvalCutoff} and logFC > ${o.logfcCutoff} in none of ${G} genes`,
      hint: 'Check the labels and that the layer holds raw counts; or relax pvalCutoff / logfcCutoff',
    });
  }

  // ---- number of markers per type: argmin of the condition number
  const meanRc = new Float64Array(C * G);
  for (let g = 0; g < C; g++) for (let k = 0; k < G; k++) meanRc[g * G + k] = (sumRc[g * G + k] as number) / (nPerType[g] as number);
  const inSet = new Uint8Array(G);
  const geneSet = (nTop: number): number[] => {
    const out: number[] = [];
    for (const t of deTables) {
      const lim = Math.min(nTop, t.markers.length);
      for (let r = 0; r < lim; r++) {
        const k = t.markers[r] as number;
        if (!inSet[k]) {
          inSet[k] = 1;
          out.push(k);
        }
      }
    }
    for (const k of out) inSet[k] = 0;
    return out;
  };
  const conditionNumbers: { n: number; nUniqueGenes: number; kappa: number }[] = [];
  const nCand = o.maxMarkers - o.minMarkers + 1;
  const kTick = throttledProgress(opts.onProgress, 'signature', nCand, 'kappa');
  let best = -1;
  let bestKappa = Number.POSITIVE_INFINITY;
  for (let nTop = o.minMarkers; nTop <= o.maxMarkers; nTop++) {
    throwIfAborted(opts.signal);
    const set = geneSet(nTop);
    const S = new Float64Array(set.length * C);
    set.forEach((k, r) => {
      for (let g = 0; g < C; g++) S[r * C + g] = meanRc[g * G + k] as number;
    });
    const kappa = conditionNumber(S, set.length, C, o.kappaNorm);
    conditionNumbers.push({ n: nTop, nUniqueGenes: set.length, kappa });
    // first minimiser (R which.min); an all-infinite run keeps the first n
    if (best < 0 || kappa < bestKappa) {
      best = nTop;
      bestKappa = kappa;
    }
    kTick(nTop - o.minMarkers + 1);
  }
  if (!Number.isFinite(bestKappa)) {
    warnings.push({
      code: 'W_RANK_DEFICIENT',
      message: 'the signature is rank-deficient for every number of markers tried (a cell type without distinctive markers?)',
    });
  }

  // ---- final values on the chosen genes
  const chosen = geneSet(best);
  const values = new Float64Array(C * chosen.length);
  const src = o.valueLayer === LAYERS.rawCounts ? sumRaw : sumRc;
  for (let g = 0; g < C; g++) {
    const n1 = nPerType[g] as number;
    chosen.forEach((k, r) => {
      values[g * chosen.length + r] = (src[g * G + k] as number) / n1;
    });
  }
  const nCellsPerType: Record<string, number> = {};
  cellTypes.forEach((t, g) => {
    nCellsPerType[t] = nPerType[g] as number;
  });
  const { onProgress: _p, signal: _s, cellMask: _m, excludeGenes, ...plain } = opts;
  const meta: Record<string, unknown> = {
    builder: 'buildSignature',
    nTopChosen: best,
    conditionNumber: bestKappa,
    kappaNorm: o.kappaNorm,
    conditionNumbers,
    nGenesTested: G,
    nCellsPerType,
    nMarkersPerType: Object.fromEntries(deTables.map((t) => [t.cellType, t.markers.length])),
    valueLayer: o.valueLayer,
    options: { ...plain, ...o, excludeGenes: excludeGenes instanceof RegExp ? excludeGenes.source : excludeGenes },
    warnings,
  };
  const signature = new Signature(
    cellTypes,
    chosen.map((k) => genes[k] as string),
    new DenseMatrix(C, chosen.length, values),
    meta,
  );
  return { signature, nTopChosen: best, conditionNumbers, genes, deTables, warnings };
}

/**
 * Welch's t from group sums (scipy `ttest_ind_from_stats(equal_var=False)` with scanpy's clean-up:
 * NaN t -> 0, NaN p -> 1; an undefined df (both variances 0) is set to 1 as scipy does).
 */
function welchT(s1: number, q1: number, n1: number, s2: number, q2: number, n2: number): { t: number; p: number } {
  const m1 = s1 / n1;
  const m2 = s2 / n2;
  // scanpy's mean_var: (mean of squares - square of mean) * n / (n - 1)
  const v1 = Math.max(0, q1 / n1 - m1 * m1) * (n1 / (n1 - 1));
  const v2 = Math.max(0, q2 / n2 - m2 * m2) * (n2 / (n2 - 1));
  const vn1 = v1 / n1;
  const vn2 = v2 / n2;
  let df = (vn1 + vn2) ** 2 / ((vn1 * vn1) / (n1 - 1) + (vn2 * vn2) / (n2 - 1));
  if (Number.isNaN(df)) df = 1;
  const t = (m1 - m2) / Math.sqrt(vn1 + vn2);
  if (Number.isNaN(t)) return { t: 0, p: 1 };
  const p = twoSidedTP(t, df);
  return { t, p: Number.isNaN(p) ? 1 : p };
}

function firstDuplicate(xs: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}
