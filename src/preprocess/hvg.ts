/**
 * Highly variable genes, the three single-batch flavours of scanpy
 * (`scanpy/preprocessing/_highly_variable_genes.py`):
 *
 * - `seurat_v3` (Stuart et al. 2019), on raw counts: a LOESS (span 0.3, degree 2) of log10 variance
 *   on log10 mean gives an expected standard deviation per gene; values are clipped at
 *   mean + sd * sqrt(n) and the variance of the standardised, clipped values ranks the genes.
 * - `seurat` (Satija et al. 2015), on log1p data: dispersion var/mean of expm1(X), log-dispersion
 *   z-scored within 20 equal-width bins of log1p(mean).
 * - `cell_ranger` (Zheng et al. 2017), on log data: dispersion z-scored with median / MAD within
 *   bins cut at the 10th, 15th, ..., 100th percentiles of the mean.
 *
 * Variances use ddof = 1, as scanpy's `mean_var(correction=1)`.
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { InputError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { Matrix } from '../data/matrix.js';
import { medianInPlace } from '../linalg/stats.js';
import { loessFit } from './loess.js';
import { allIntegers } from './matrix-stats.js';

export type HvgFlavor = 'seurat_v3' | 'seurat' | 'cell_ranger';

/** Options of {@link highlyVariableGenes} (scanpy's names and defaults). */
export interface HvgOptions {
  /** Default 'seurat' (scanpy's default). 'seurat_v3' expects raw counts, the others log1p data. */
  flavor?: HvgFlavor;
  /** Number of genes to flag; required semantics of seurat_v3 (default there 2000). Cutoffs are ignored when given. */
  nTopGenes?: number;
  /** Cutoffs for seurat / cell_ranger without nTopGenes (scanpy defaults). */
  minMean?: number;
  maxMean?: number;
  minDisp?: number;
  maxDisp?: number;
  /** Number of equal-width mean bins of the seurat flavour (default 20). */
  nBins?: number;
  /** LOESS span of seurat_v3 (default 0.3). */
  span?: number;
}

/** Per-gene HVG statistics (arrays of length nGenes). */
export interface HvgResult {
  flavor: HvgFlavor;
  /** Gene means (seurat: log1p of the mean of expm1(X); others: plain mean). */
  means: Float64Array;
  /** seurat_v3: variance (ddof 1). */
  variances?: Float64Array;
  /** seurat_v3: variance of the clipped standardised values. */
  variancesNorm?: Float64Array;
  /** seurat_v3: 0-based rank by variancesNorm (NaN beyond nTopGenes). */
  highlyVariableRank?: Float64Array;
  /** seurat / cell_ranger: dispersion (seurat: natural log of var/mean; NaN when var is 0). */
  dispersions?: Float64Array;
  /** seurat / cell_ranger: dispersion normalised within its mean bin. */
  dispersionsNorm?: Float64Array;
  /** 1 for highly variable genes. */
  highlyVariable: Uint8Array;
  warnings: DiagnosticWarning[];
}

/** Per-column mean and variance (ddof 1) of f(value), two-pass, from stored values only (f(0) = 0). */
function meanVar(m: Matrix, f?: (v: number) => number): { mean: Float64Array; variance: Float64Array } {
  const n = m.rows;
  const g = m.cols;
  const sum = new Float64Array(g);
  const ss = new Float64Array(g);
  const nz = new Float64Array(g);
  const visit = (pass: number, mean: Float64Array) => {
    const add = (j: number, raw: number) => {
      const v = f ? f(raw) : raw;
      if (pass === 0) sum[j] = (sum[j] as number) + v;
      else {
        const d = v - (mean[j] as number);
        ss[j] = (ss[j] as number) + d * d;
        nz[j] = (nz[j] as number) + 1;
      }
    };
    if (m.kind === 'dense') {
      for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) add(j, m.data[i * g + j] as number);
    } else if (m.kind === 'csr') {
      const e = m.indptr[m.rows] as number;
      for (let p = m.indptr[0] as number; p < e; p++) add(m.indices[p] as number, m.data[p] as number);
    } else {
      for (let j = 0; j < g; j++) {
        const b = m.indptr[j + 1] as number;
        for (let p = m.indptr[j] as number; p < b; p++) add(j, m.data[p] as number);
      }
    }
  };
  const mean = new Float64Array(g);
  visit(0, mean);
  for (let j = 0; j < g; j++) mean[j] = (sum[j] as number) / n;
  visit(1, mean);
  const variance = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    const mu = mean[j] as number;
    // values not stored are zeros: each contributes mu^2
    variance[j] = ((ss[j] as number) + (n - (nz[j] as number)) * mu * mu) / (n - 1);
  }
  return { mean, variance };
}

/**
 * Flags highly variable genes (scanpy `highly_variable_genes`, one batch).
 *
 * @param m - cells x genes: raw counts for seurat_v3, log1p(normalised) data for seurat / cell_ranger.
 * @param opts - flavour, nTopGenes or cutoffs (scanpy defaults).
 * @returns per-gene statistics and the `highlyVariable` flags.
 * @throws {@link InputError} `E_OPTION` for fewer than 2 cells or an invalid nTopGenes.
 * @example
 * const hvg = highlyVariableGenes(counts, { flavor: 'seurat_v3', nTopGenes: 2000 });
 */
export function highlyVariableGenes(m: Matrix, opts: HvgOptions = {}): HvgResult {
  const flavor = opts.flavor ?? 'seurat';
  if (m.rows < 2) {
    throw new InputError('highly variable genes need at least 2 cells', { code: 'E_OPTION', got: m.rows, expected: '>= 2 cells' });
  }
  if (opts.nTopGenes !== undefined && !(Number.isInteger(opts.nTopGenes) && opts.nTopGenes >= 1)) {
    throw new InputError('nTopGenes must be a positive integer', { code: 'E_OPTION', field: 'nTopGenes', got: opts.nTopGenes });
  }
  if (flavor === 'seurat_v3') return seuratV3(m, opts);
  if (flavor !== 'seurat' && flavor !== 'cell_ranger') {
    throw new InputError(`unknown HVG flavour '${String(flavor)}'`, {
      code: 'E_OPTION',
      field: 'flavor',
      got: flavor,
      expected: 'seurat_v3, seurat or cell_ranger',
    });
  }
  return dispersionFlavour(m, flavor, opts);
}

function seuratV3(m: Matrix, opts: HvgOptions): HvgResult {
  const warnings: DiagnosticWarning[] = [];
  if (!allIntegers(m))
    warnings.push({ code: 'W_NON_INTEGER_COUNTS', message: "flavor 'seurat_v3' expects raw count data, but non-integers were found" });
  const nTop = opts.nTopGenes ?? 2000;
  const n = m.rows;
  const g = m.cols;
  const { mean, variance } = meanVar(m);
  const idx: number[] = [];
  for (let j = 0; j < g; j++) if ((variance[j] as number) > 0) idx.push(j);
  const x = new Float64Array(idx.length);
  const y = new Float64Array(idx.length);
  idx.forEach((j, k) => {
    x[k] = Math.log10(mean[j] as number);
    y[k] = Math.log10(variance[j] as number);
  });
  const estimated = new Float64Array(g);
  if (idx.length > 0) {
    const fit = loessFit(x, y, { span: opts.span ?? 0.3, degree: 2 });
    idx.forEach((j, k) => {
      estimated[j] = fit[k] as number;
    });
  }
  const regStd = new Float64Array(g);
  const clip = new Float64Array(g);
  const vmax = Math.sqrt(n);
  for (let j = 0; j < g; j++) {
    regStd[j] = Math.sqrt(10 ** (estimated[j] as number));
    clip[j] = (regStd[j] as number) * vmax + (mean[j] as number);
  }
  const s = new Float64Array(g);
  const s2 = new Float64Array(g);
  const add = (j: number, v: number) => {
    const c = Math.min(v, clip[j] as number);
    s[j] = (s[j] as number) + c;
    s2[j] = (s2[j] as number) + c * c;
  };
  if (m.kind === 'dense') {
    for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) add(j, m.data[i * g + j] as number);
  } else if (m.kind === 'csr') {
    const e = m.indptr[m.rows] as number;
    for (let p = m.indptr[0] as number; p < e; p++) add(m.indices[p] as number, m.data[p] as number);
  } else {
    for (let j = 0; j < g; j++) {
      const b = m.indptr[j + 1] as number;
      for (let p = m.indptr[j] as number; p < b; p++) add(j, m.data[p] as number);
    }
  }
  const variancesNorm = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    const mu = mean[j] as number;
    const sd = regStd[j] as number;
    variancesNorm[j] = (1 / ((n - 1) * sd * sd)) * (n * mu * mu + (s2[j] as number) - 2 * (s[j] as number) * mu);
  }
  // rank 0 = most variable; ties keep gene order (numpy's argsort is not stable, so tied genes may differ)
  const order = Array.from({ length: g }, (_, j) => j).sort((a, b) => (variancesNorm[b] as number) - (variancesNorm[a] as number) || a - b);
  const rank = new Float64Array(g).fill(Number.NaN);
  const hv = new Uint8Array(g);
  for (let r = 0; r < Math.min(nTop, g); r++) {
    rank[order[r] as number] = r;
    hv[order[r] as number] = 1;
  }
  return { flavor: 'seurat_v3', means: mean, variances: variance, variancesNorm, highlyVariableRank: rank, highlyVariable: hv, warnings };
}

function dispersionFlavour(m: Matrix, flavor: 'seurat' | 'cell_ranger', opts: HvgOptions): HvgResult {
  const warnings: DiagnosticWarning[] = [];
  const g = m.cols;
  const { mean, variance } = meanVar(m, flavor === 'seurat' ? Math.expm1 : undefined);
  const disp = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    if (mean[j] === 0) mean[j] = 1e-12;
    let d = (variance[j] as number) / (mean[j] as number);
    if (flavor === 'seurat') {
      d = d === 0 ? Number.NaN : Math.log(d);
      mean[j] = Math.log1p(mean[j] as number);
    }
    disp[j] = d;
  }
  const bin = flavor === 'seurat' ? equalWidthBins(mean, opts.nBins ?? 20) : percentileBins(mean);
  const nBins = bin.nBins;
  const avg = new Float64Array(nBins);
  const dev = new Float64Array(nBins);
  const members: number[][] = Array.from({ length: nBins }, () => []);
  for (let j = 0; j < g; j++) {
    const b = bin.codes[j] as number;
    if (b >= 0 && !Number.isNaN(disp[j] as number)) (members[b] as number[]).push(disp[j] as number);
  }
  for (let b = 0; b < nBins; b++) {
    const v = members[b] as number[];
    if (flavor === 'seurat') {
      const k = v.length;
      let mu = Number.NaN;
      let sd = Number.NaN;
      if (k > 0) {
        mu = v.reduce((a, c) => a + c, 0) / k;
        if (k > 1) sd = Math.sqrt(v.reduce((a, c) => a + (c - mu) * (c - mu), 0) / (k - 1));
      }
      // scanpy: a bin whose std is undefined (one gene) gets avg 0 and dev = its mean, i.e. norm dispersion 1
      if (Number.isNaN(sd)) {
        avg[b] = 0;
        dev[b] = mu;
      } else {
        avg[b] = mu;
        dev[b] = sd;
      }
    } else {
      const med = median(v);
      avg[b] = med;
      // statsmodels.robust.mad: median(|a - median(a)| / Phi^-1(3/4))
      dev[b] = v.length === 0 ? Number.NaN : median(v.map((c) => Math.abs(c - med) / 0.6744897501960817));
    }
  }
  const dn = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    const b = bin.codes[j] as number;
    dn[j] = b < 0 ? Number.NaN : ((disp[j] as number) - (avg[b] as number)) / (dev[b] as number);
  }
  const hv = new Uint8Array(g);
  if (opts.nTopGenes !== undefined) {
    const finite = Array.from(dn).filter((v) => !Number.isNaN(v));
    finite.sort((a, b) => b - a);
    let nTop = Math.min(opts.nTopGenes, g);
    if (nTop > finite.length) {
      warnings.push({
        code: 'W_HVG_FEW_GENES',
        message: `nTopGenes (${nTop}) > number of normalised dispersions (${finite.length}): returning all genes with one`,
      });
      nTop = finite.length;
    }
    const cut = nTop > 0 ? (finite[nTop - 1] as number) : Number.POSITIVE_INFINITY;
    for (let j = 0; j < g; j++) hv[j] = !Number.isNaN(dn[j] as number) && (dn[j] as number) >= cut ? 1 : 0;
  } else {
    const minMean = opts.minMean ?? 0.0125;
    const maxMean = opts.maxMean ?? 3;
    const minDisp = opts.minDisp ?? 0.5;
    const maxDisp = opts.maxDisp ?? Number.POSITIVE_INFINITY;
    for (let j = 0; j < g; j++) {
      // numpy nan_to_num: NaN -> 0, +-inf -> +-max double
      let d = dn[j] as number;
      if (Number.isNaN(d)) d = 0;
      else if (d === Number.POSITIVE_INFINITY) d = Number.MAX_VALUE;
      else if (d === Number.NEGATIVE_INFINITY) d = -Number.MAX_VALUE;
      const mu = mean[j] as number;
      hv[j] = mu > minMean && mu < maxMean && d > minDisp && d < maxDisp ? 1 : 0;
    }
  }
  return { flavor, means: mean, dispersions: disp, dispersionsNorm: dn, highlyVariable: hv, warnings };
}

/** Median of `v` (numpy: mean of the two middle values for even length), by linalg's one median. */
function median(v: readonly number[]): number {
  return medianInPlace(Float64Array.from(v), v.length);
}

/** Bin code of each value for right-closed bins (edges[k], edges[k+1]], first edge included (pandas.cut). */
function assignBins(values: Float64Array, edges: number[]): Int32Array {
  const codes = new Int32Array(values.length);
  const last = edges.length - 1;
  for (let j = 0; j < values.length; j++) {
    const v = values[j] as number;
    if (Number.isNaN(v) || v < (edges[0] as number) || v > (edges[last] as number)) {
      codes[j] = -1;
      continue;
    }
    // first edge >= v (searchsorted side='left'), minus one; v equal to the first edge goes to bin 0
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((edges[mid] as number) >= v) hi = mid;
      else lo = mid + 1;
    }
    codes[j] = Math.max(0, lo - 1);
  }
  return codes;
}

/** pandas.cut(values, bins=n): n equal-width bins over [min, max], the lower edge moved down by 0.1% of the range. */
function equalWidthBins(values: Float64Array, n: number): { codes: Int32Array; nBins: number } {
  let mn = Number.POSITIVE_INFINITY;
  let mx = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const edges: number[] = [];
  if (mn === mx) {
    const adj = mn !== 0 ? 0.001 * Math.abs(mn) : 0.001;
    mn -= adj;
    mx += adj;
    const step = (mx - mn) / n;
    for (let k = 0; k <= n; k++) edges.push(k === n ? mx : mn + k * step);
  } else {
    const step = (mx - mn) / n;
    for (let k = 0; k <= n; k++) edges.push(k === n ? mx : mn + k * step);
    edges[0] = (edges[0] as number) - (mx - mn) * 0.001;
  }
  return { codes: assignBins(values, edges), nBins: n };
}

/** Bins cut at -inf, the 10th, 15th, ..., 100th percentiles (numpy linear interpolation), +inf; repeated edges merged. */
function percentileBins(values: Float64Array): { codes: Int32Array; nBins: number } {
  const s = Float64Array.from(values).sort();
  const edges: number[] = [Number.NEGATIVE_INFINITY];
  for (let p = 10; p <= 100; p += 5) {
    const pos = (p / 100) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, s.length - 1);
    const t = pos - lo;
    const a = s[lo] as number;
    const b = s[hi] as number;
    // numpy's _lerp: a + (b - a) t, computed from b when t >= 0.5
    const v = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
    if (v !== edges[edges.length - 1]) edges.push(v);
  }
  edges.push(Number.POSITIVE_INFINITY);
  return { codes: assignBins(values, edges), nBins: edges.length - 1 };
}

/**
 * Dataset wrapper of {@link highlyVariableGenes}: computes the flags on a layer and returns the
 * Dataset restricted to the highly variable genes, plus the statistics.
 *
 * @param ds - cells x genes Dataset.
 * @param opts - HVG options and the layer (default X; seurat_v3 wants raw counts).
 * @returns `{dataset, hvg}` where dataset keeps only the flagged genes (in their original order).
 * @example
 * const { dataset } = selectHighlyVariableGenes(ref, { flavor: 'seurat_v3', nTopGenes: 2000, layer: 'raw_counts' });
 */
export function selectHighlyVariableGenes(ds: Dataset, opts: HvgOptions & { layer?: string } = {}): { dataset: Dataset; hvg: HvgResult } {
  const hvg = highlyVariableGenes(ds.layer(opts.layer), opts);
  const keep: number[] = [];
  for (let j = 0; j < hvg.highlyVariable.length; j++) if (hvg.highlyVariable[j]) keep.push(j);
  return { dataset: ds.selectVars(keep), hvg };
}
