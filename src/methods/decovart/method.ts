/**
 * `decovart`: covariance-aware maximum-likelihood deconvolution (DeCovarT, seed 002; R package
 * bastienchassagnol/DeCovarT), as a registered reference-based method.
 *
 * fit: the signature builder picks the marker genes (or a prebuilt signature names them); on those
 * genes, each cell type's mean μ_j and covariance Σ_j are estimated from the reference cells of that
 * type in relative counts (counts / total × 1e4, the scale of the signature values and of the bulk's
 * `relative_counts` layer). Σ_j = D_j W_j D_j where W_j is the graphical-lasso estimate on the
 * type's correlation matrix (penalty by EBIC) and D_j the gene SDs.
 *
 * deconvolve: per bulk sample, maximise ℓ_c(p) of y ~ N(μp, Σ_j p_j² Σ_j) over the simplex with
 * Levenberg–Marquardt from the NNLS solution (see solve.ts, lm.ts, likelihood.ts).
 */
import type { DiagnosticWarning } from '../../core/diagnostics.js';
import { fmtInt, InputError } from '../../core/errors.js';
import { LAYERS, RELATIVE_COUNTS_TARGET } from '../../core/keys.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../../core/progress.js';
import type { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { type Matrix, toDense, toRowMajor } from '../../data/matrix.js';
import { buildSignature } from '../../signature/build-signature.js';
import { alignGenes } from '../align-genes.js';
import { checkOptions } from '../option-schema.js';
import { bulkValues, degenerateReason, degenerateSampleWarning } from '../signature-method.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from '../types.js';
import { DECOVART_DEFAULTS, DECOVART_QUICK, DECOVART_SCHEMA, type DecovartOptions, type TypeCovarianceInfo } from './config.js';
import { glassoEbic } from './glasso.js';
import { DecovartLikelihood } from './likelihood.js';
import { choleskyInPlace } from './linalg.js';
import { loadDecovartModel, saveDecovartModel } from './model-dir.js';
import { SAMPLE_SOLVE_DEFAULTS, solveSample } from './solve.js';

export { DECOVART_DEFAULTS, DECOVART_QUICK, type DecovartOptions, type TypeCovarianceInfo } from './config.js';

/**
 * Means and covariances of each cell type on the given genes, from labelled reference cells.
 *
 * @param X cells x genes (already restricted to the model genes), relative counts, dense row-major.
 * @param codes per cell the type index (−1 = unlabelled, skipped).
 * @param cellTypes names, index = code.
 * @returns mu (types x genes), sigmas (genes x genes each) and per-type info; warnings appended to `warnings`.
 * @throws InputError `E_TOO_FEW_CELLS` when a type has fewer than `minCells` cells and `tooFewCells` is 'error'.
 */
export function estimateTypeModels(
  X: DenseMatrix<Float64Array>,
  codes: Int32Array,
  cellTypes: readonly string[],
  opts: DecovartOptions,
  warnings: DiagnosticWarning[],
  progress?: LongRunOptions,
): { mu: Float64Array; sigmas: Float64Array[]; info: TypeCovarianceInfo[] } {
  const G = X.cols;
  const J = cellTypes.length;
  const members: number[][] = Array.from({ length: J }, () => []);
  const all: number[] = [];
  for (let i = 0; i < X.rows; i++) {
    const c = codes[i]!;
    if (c >= 0 && c < J) {
      members[c]!.push(i);
      all.push(i);
    }
  }
  // Per-gene SD over all labelled cells: the floor for a gene that does not vary within a type.
  const allStats = meanCov(X, all);
  const sdFloor = new Float64Array(G);
  for (let g = 0; g < G; g++) sdFloor[g] = Math.max(1e-2 * Math.sqrt(allStats.cov[g * G + g]!), 1e-6);

  const mu = new Float64Array(J * G);
  const sigmas: Float64Array[] = [];
  const info: TypeCovarianceInfo[] = [];
  const report = throttledProgress(progress?.onProgress, 'fit', J, 'decovart covariances');
  for (let j = 0; j < J; j++) {
    throwIfAborted(progress?.signal);
    const idx = members[j]!;
    let pooled = false;
    let stats: { mean: Float64Array; cov: Float64Array };
    if (idx.length < opts.minCells) {
      if (opts.tooFewCells === 'error') {
        throw new InputError(
          `decovart: cell type '${cellTypes[j]}' has ${fmtInt(idx.length)} reference cell(s), too few to estimate its covariance`,
          {
            code: 'E_TOO_FEW_CELLS',
            field: cellTypes[j],
            got: idx.length,
            expected: `at least ${opts.minCells} cells per cell type`,
            hint: "Add cells of this type to the reference, merge it with a related type, or pass options {tooFewCells: 'pooled'}",
          },
        );
      }
      pooled = true;
      warnings.push({
        code: 'W_TOO_FEW_CELLS',
        message: `decovart: cell type '${cellTypes[j]}' has ${idx.length} reference cell(s) (< ${opts.minCells}); its covariance is the pooled covariance of all cells`,
      });
      const m = idx.length > 0 ? meanCov(X, idx).mean : allStats.mean;
      stats = { mean: m, cov: allStats.cov };
    } else stats = meanCov(X, idx);
    mu.set(stats.mean, j * G);
    const nj = pooled ? all.length : idx.length;

    // Correlation matrix with floored SDs; genes constant within the type get no correlations.
    const sd = new Float64Array(G);
    let zeroVar = 0;
    for (let g = 0; g < G; g++) {
      const s = Math.sqrt(Math.max(stats.cov[g * G + g]!, 0));
      if (s < sdFloor[g]!) {
        zeroVar++;
        sd[g] = sdFloor[g]!;
      } else sd[g] = s;
    }
    const R = new Float64Array(G * G);
    for (let a = 0; a < G; a++) {
      const va = Math.sqrt(Math.max(stats.cov[a * G + a]!, 0));
      for (let b = 0; b < G; b++) {
        const vb = Math.sqrt(Math.max(stats.cov[b * G + b]!, 0));
        R[a * G + b] = a === b ? 1 : va >= sdFloor[a]! && vb >= sdFloor[b]! ? stats.cov[a * G + b]! / (va * vb) : 0;
      }
    }
    const sel = glassoEbic(R, G, nj, {
      alpha: opts.glassoAlpha,
      nAlphas: opts.glassoPathLength,
      gamma: opts.ebicGamma,
    });
    const S = new Float64Array(G * G);
    for (let a = 0; a < G; a++) {
      for (let b = 0; b < G; b++) S[a * G + b] = opts.covarianceScale * sd[a]! * sel.covariance[a * G + b]! * sd[b]!;
    }
    const ridge = ensurePositiveDefinite(S, G);
    if (ridge > 0) {
      warnings.push({
        code: 'W_COVARIANCE_REGULARISED',
        message: `decovart: the covariance of '${cellTypes[j]}' was not numerically positive definite; ${ridge.toExponential(1)} x mean variance added to its diagonal`,
      });
    }
    if (zeroVar > 0) {
      warnings.push({
        code: 'W_ZERO_VARIANCE_GENES',
        message: `decovart: ${zeroVar} of ${G} genes do not vary within '${cellTypes[j]}' (${idx.length} cells); their SD is floored at 1% of the gene's SD over all cells`,
      });
    }
    let edges = 0;
    for (let a = 0; a < G; a++) for (let b = a + 1; b < G; b++) if (sel.precision[a * G + b] !== 0) edges++;
    sigmas.push(S);
    info.push({
      cellType: cellTypes[j]!,
      nCells: idx.length,
      alpha: sel.alpha,
      rule: sel.rule,
      edges,
      zeroVarianceGenes: zeroVar,
      ridge,
      pooled,
    });
    report(j + 1);
  }
  return { mu, sigmas, info };
}

/** Mean and biased (1/n) covariance of the listed rows. */
function meanCov(X: DenseMatrix<Float64Array>, rows: readonly number[]): { mean: Float64Array; cov: Float64Array } {
  const G = X.cols;
  const n = rows.length;
  const mean = new Float64Array(G);
  const cov = new Float64Array(G * G);
  if (n === 0) return { mean, cov };
  for (const i of rows) {
    const r = X.row(i);
    for (let g = 0; g < G; g++) mean[g] = mean[g]! + r[g]!;
  }
  for (let g = 0; g < G; g++) mean[g] = mean[g]! / n;
  const d = new Float64Array(G);
  for (const i of rows) {
    const r = X.row(i);
    for (let g = 0; g < G; g++) d[g] = r[g]! - mean[g]!;
    for (let a = 0; a < G; a++) {
      const da = d[a]!;
      if (da === 0) continue;
      const ra = a * G;
      for (let b = a; b < G; b++) cov[ra + b] = cov[ra + b]! + da * d[b]!;
    }
  }
  for (let a = 0; a < G; a++) {
    for (let b = a; b < G; b++) {
      const v = cov[a * G + b]! / n;
      cov[a * G + b] = v;
      cov[b * G + a] = v;
    }
  }
  return { mean, cov };
}

/**
 * Adds the smallest ridge (1e-10 … 1 × mean variance, ×10 steps) that makes S Cholesky-factorable.
 * @returns the relative ridge added (0 when S was already positive definite).
 */
function ensurePositiveDefinite(S: Float64Array, G: number): number {
  const L = S.slice();
  if (choleskyInPlace(L, G)) return 0;
  let md = 0;
  for (let g = 0; g < G; g++) md += S[g * G + g]!;
  md = md / G || 1;
  for (let rel = 1e-10; rel <= 1; rel *= 10) {
    const T = S.slice();
    for (let g = 0; g < G; g++) T[g * G + g] = T[g * G + g]! + rel * md;
    L.set(T);
    if (choleskyInPlace(L, G)) {
      S.set(T);
      return rel;
    }
  }
  for (let g = 0; g < G; g++) S[g * G + g] = S[g * G + g]! + md;
  return 1;
}

/**
 * Picks at most `k` genes, most type-specific first, taking one gene per type in turn: gene g's
 * score for type j is log((μ_jg + ε)/(max_{i≠j} μ_ig + ε)).
 *
 * @param mu types x genes means.
 * @returns gene indices in ascending order.
 */
export function selectSpecificGenes(mu: Float64Array, J: number, G: number, k: number): number[] {
  if (k <= 0 || k >= G) return Array.from({ length: G }, (_, g) => g);
  const eps = 1e-3;
  const ranked: number[][] = [];
  for (let j = 0; j < J; j++) {
    const score = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      let other = 0;
      for (let i = 0; i < J; i++) if (i !== j) other = Math.max(other, mu[i * G + g]!);
      score[g] = Math.log((mu[j * G + g]! + eps) / (other + eps));
    }
    ranked.push(Array.from({ length: G }, (_, g) => g).sort((a, b) => score[b]! - score[a]! || a - b));
  }
  const chosen = new Set<number>();
  const pos = new Array(J).fill(0);
  while (chosen.size < k) {
    for (let j = 0; j < J && chosen.size < k; j++) {
      const r = ranked[j]!;
      while (pos[j] < G && chosen.has(r[pos[j]]!)) pos[j]++;
      if (pos[j] < G) chosen.add(r[pos[j]++]!);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

/** Relative counts (per cell: counts / total over all genes × 1e4) of the chosen columns, dense. */
function referenceRelativeCounts(ref: Dataset, layer: string | undefined, cols: Int32Array): DenseMatrix<Float64Array> {
  if (ref.layers.has(LAYERS.relativeCounts) && layer === undefined) {
    return toDense(ref.layer(LAYERS.relativeCounts), cols, 'float64') as DenseMatrix<Float64Array>;
  }
  const m: Matrix = ref.layer(layer);
  const totals = toRowMajor(m).rowSums();
  const D = toDense(m, cols, 'float64') as DenseMatrix<Float64Array>;
  const C = D.cols;
  for (let i = 0; i < D.rows; i++) {
    const t = totals[i]!;
    const f = t > 0 ? RELATIVE_COUNTS_TARGET / t : 0;
    for (let c = 0; c < C; c++) D.data[i * C + c] = D.data[i * C + c]! * f;
  }
  return D;
}

const MANIFEST_VERSION = 1;

/** A fitted DeCovarT model: genes, cell types, μ_j and Σ_j. */
export class DecovartFitted implements Fitted {
  readonly method = 'decovart';
  readonly genes: readonly string[];
  readonly cellTypes: readonly string[];
  /** types x genes. */
  readonly mu: Float64Array;
  /** genes x genes per type. */
  readonly sigmas: readonly Float64Array[];
  readonly options: DecovartOptions;
  readonly covarianceInfo: readonly TypeCovarianceInfo[];
  readonly fitWarnings: readonly DiagnosticWarning[];
  readonly seed?: number;

  constructor(
    genes: readonly string[],
    cellTypes: readonly string[],
    mu: Float64Array,
    sigmas: Float64Array[],
    options: DecovartOptions,
    info: TypeCovarianceInfo[],
    warnings: DiagnosticWarning[],
    seed?: number,
  ) {
    this.genes = genes;
    this.cellTypes = cellTypes;
    this.mu = mu;
    this.sigmas = sigmas;
    this.options = options;
    this.covarianceInfo = info;
    this.fitWarnings = warnings;
    this.seed = seed;
  }

  /**
   * Proportions of every bulk sample (rows of `bulk`, genes matched by name).
   *
   * @throws InputError `E_GENE_OVERLAP` when fewer than `minGeneOverlap` of the model genes are in the bulk.
   */
  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    throwIfAborted(opts.signal);
    const o = { ...this.options, ...(opts.options ?? {}) } as DecovartOptions;
    const J = this.cellTypes.length;
    const G0 = this.genes.length;
    const align = alignGenes(this.genes, bulk.varNames, opts.minGeneOverlap, 'decovart model genes');
    const G = align.fittedIdx.length;
    // A Gaussian's marginal on a gene subset is the sub-vector / sub-matrix: exact for missing genes.
    const mu = new Float64Array(J * G);
    const muGT = new Float64Array(G * J);
    const sigmas: Float64Array[] = [];
    for (let j = 0; j < J; j++) {
      const S0 = this.sigmas[j]!;
      const S = new Float64Array(G * G);
      for (let a = 0; a < G; a++) {
        const fa = align.fittedIdx[a]!;
        const v = this.mu[j * G0 + fa]!;
        mu[j * G + a] = v;
        muGT[a * J + j] = v;
        for (let b = 0; b < G; b++) S[a * G + b] = S0[fa * G0 + align.fittedIdx[b]!]!;
      }
      sigmas.push(S);
    }
    const lik = new DecovartLikelihood(G, J, mu, sigmas, o.compat === 'decovart-r' ? 1 : 0.5);
    const { Y, layerName } = bulkValues(bulk, align.bulkIdx, opts.layer);
    const N = Y.rows;
    const warnings: DiagnosticWarning[] = [...this.fitWarnings, ...align.warnings];
    const props = new Float64Array(N * J);
    const init = new Float64Array(N * J);
    const converged: boolean[] = new Array(N).fill(false);
    const iterations: number[] = new Array(N).fill(0);
    const stops: string[] = new Array(N).fill('degenerate');
    const rdm: number[] = new Array(N).fill(Number.NaN);
    const logLik: number[] = new Array(N).fill(Number.NaN);
    const solveOpts = { ...SAMPLE_SOLVE_DEFAULTS, init: o.init, epsa: o.epsa, epsb: o.epsb, epsd: o.epsd, maxIter: o.maxIter };
    const progress = throttledProgress(opts.onProgress, 'deconvolve', N, this.method);
    let nFallback = 0;
    for (let i = 0; i < N; i++) {
      throwIfAborted(opts.signal);
      const y = Y.row(i);
      const why = degenerateReason(y, 'model genes');
      if (why !== undefined) {
        warnings.push(degenerateSampleWarning(bulk, i, why));
        progress(i + 1);
        continue;
      }
      const sol = solveSample(lik, muGT, y, solveOpts);
      props.set(sol.p, i * J);
      init.set(sol.p0, i * J);
      converged[i] = sol.converged;
      iterations[i] = sol.iterations;
      stops[i] = sol.stop;
      rdm[i] = sol.rdm;
      logLik[i] = sol.logLik;
      if (sol.stop === 'fallback') nFallback++;
      progress(i + 1);
    }
    const nNot = converged.filter((c, i) => !c && stops[i] !== 'degenerate').length;
    if (nNot > 0) {
      warnings.push({
        code: 'W_NOT_CONVERGED',
        message: `decovart: ${nNot} of ${N} samples did not meet all three convergence criteria (parameters, objective, RDM) within ${o.maxIter} iterations; typical when a proportion is at the simplex boundary (see diagnostics.extra.stop and rdm)`,
      });
    }
    if (nFallback > 0) {
      warnings.push({
        code: 'W_NUMERICAL_FAILURE',
        message: `decovart: the optimiser failed numerically on ${nFallback} samples; their proportions are the NNLS starting point`,
      });
    }
    return {
      method: this.method,
      proportions: new DenseMatrix(N, J, props),
      sampleNames: [...bulk.obsNames],
      cellTypes: [...this.cellTypes],
      diagnostics: {
        converged,
        iterations,
        genesUsed: G,
        genesMissing: align.missing.length,
        warnings,
        seed: opts.seed ?? this.seed,
        extra: {
          layer: layerName ?? 'X',
          stop: stops,
          rdm,
          logLik,
          init: new DenseMatrix(N, J, init).toRows(),
          compat: o.compat,
          covariance: this.covarianceInfo.map((x) => ({ ...x })),
        },
      },
    };
  }

  /** Writes the model (μ and every Σ_j in float64) to a directory; `load` reads it back exactly. */
  async save(dir: string): Promise<void> {
    await saveDecovartModel(dir, this);
  }

  toJSON(): FittedManifest {
    return {
      method: this.method,
      version: MANIFEST_VERSION,
      kind: 'reference',
      genes: this.genes,
      cellTypes: this.cellTypes,
      seed: this.seed,
      options: { ...this.options },
      means: new DenseMatrix(this.cellTypes.length, this.genes.length, this.mu).toRows(),
      covariance: this.covarianceInfo.map((x) => ({ ...x })),
    };
  }
}

function validateOptions(o: DecovartOptions): void {
  const bad = (field: string, got: unknown, expected: string) =>
    new InputError(`decovart: invalid option '${field}'`, { code: 'E_OPTION', field, got, expected });
  if (o.compat !== 'mle' && o.compat !== 'decovart-r') throw bad('compat', o.compat, "'mle' or 'decovart-r'");
  if (o.tooFewCells !== 'error' && o.tooFewCells !== 'pooled') throw bad('tooFewCells', o.tooFewCells, "'error' or 'pooled'");
  if (o.init !== 'nnls' && o.init !== 'uniform') throw bad('init', o.init, "'nnls' or 'uniform'");
  if (!(Number.isInteger(o.maxGenes) && o.maxGenes >= 0)) throw bad('maxGenes', o.maxGenes, 'an integer >= 0 (0 = all)');
  if (!(Number.isInteger(o.minCells) && o.minCells >= 2)) throw bad('minCells', o.minCells, 'an integer >= 2');
  if (!(o.covarianceScale > 0)) throw bad('covarianceScale', o.covarianceScale, 'a positive number');
  if (o.glassoAlpha !== undefined && !(o.glassoAlpha >= 0)) throw bad('glassoAlpha', o.glassoAlpha, 'a number >= 0');
  if (!(Number.isInteger(o.maxIter) && o.maxIter >= 1)) throw bad('maxIter', o.maxIter, 'an integer >= 1');
}

/**
 * The `decovart` method.
 *
 * @example
 * const fitted = await decovart.fit(reference, { labelsKey: 'cell_type' });
 * const res = await fitted.deconvolve(bulk); // res.proportions: samples x cell types
 */
export const decovart: MethodSpec<DecovartOptions> = {
  name: 'decovart',
  kind: 'reference',
  description: 'DeCovarT: Gaussian ML deconvolution with per-cell-type covariances (graphical lasso), Levenberg-Marquardt on the simplex',
  reference: 'Chassagnol et al., DeCovarT, a multivariate Gaussian model for deconvolution using cell-type covariance structure (preprint)',
  defaults: DECOVART_DEFAULTS,
  quickOptions: DECOVART_QUICK,
  options: DECOVART_SCHEMA,
  // A granularity with a 1-cell type (PBMC3k's platelets in a train split) would fail the fit; the
  // benchmark pools that type's covariance instead (with a W_ warning), as `tooFewCells: 'pooled'`.
  benchmarkOptions: { tooFewCells: 'pooled' },
  bulkLayer: LAYERS.relativeCounts,
  /** Reads a model written by `save` (e.g. `celldeconv train decovart --out DIR`). */
  async load(dir: string): Promise<Fitted> {
    const m = await loadDecovartModel(dir);
    return new DecovartFitted(m.genes, m.cellTypes, m.mu, [...m.sigmas], m.options, [...m.covarianceInfo], [...m.fitWarnings], m.seed);
  },
  /**
   * @throws InputError `E_DECOVART_NEEDS_REFERENCE` without a reference (a signature alone has no
   *   covariances), `E_NO_LABELS`, `E_TOO_FEW_CELLS`, `E_OPTION`, `E_GENE_OVERLAP` (signature genes
   *   missing from the reference).
   */
  async fit(ref: Dataset | null, opts: FitOptions<DecovartOptions> = {}): Promise<Fitted> {
    throwIfAborted(opts.signal);
    const options = { ...DECOVART_DEFAULTS, ...checkOptions('decovart', DECOVART_SCHEMA, opts.options) } as DecovartOptions;
    validateOptions(options);
    if (!ref) {
      throw new InputError('decovart needs a labelled single-cell reference: a signature alone has no covariances', {
        code: 'E_DECOVART_NEEDS_REFERENCE',
        hint: 'Pass the reference cells and their label column (--reference REF --labels COLUMN); a signature may be given too, to fix the genes',
      });
    }
    if (!opts.labelsKey) {
      throw new InputError('decovart: fitting needs the cell-type label column', {
        code: 'E_NO_LABELS',
        field: 'labelsKey',
        hint: 'Pass labelsKey (--labels COLUMN) naming the obs column with cell types',
      });
    }
    let sig = opts.signature;
    if (!sig) {
      throwIfAborted(opts.signal);
      sig = buildSignature(ref, { labelsKey: opts.labelsKey, layer: opts.layer });
    }
    const warnings: DiagnosticWarning[] = [];
    const align = alignGenes(sig.genes, ref.varNames, undefined, 'signature genes (in the reference)');
    warnings.push(...align.warnings);
    const { codes: rawCodes, categories } = ref.labels(opts.labelsKey);
    // Map reference labels onto the signature's cell types (its order is the output order).
    const typeIndex = new Map(sig.cellTypes.map((t, j) => [t, j]));
    const catToType = categories.map((c) => typeIndex.get(c) ?? -1);
    const codes = new Int32Array(rawCodes.length);
    for (let i = 0; i < codes.length; i++) codes[i] = rawCodes[i]! >= 0 ? catToType[rawCodes[i]!]! : -1;
    const missingTypes = sig.cellTypes.filter((t) => !categories.includes(t));
    if (missingTypes.length > 0 && options.tooFewCells === 'error') {
      const t = missingTypes[0]!;
      throw new InputError(`decovart: cell type '${t}' has 0 reference cells, too few to estimate its covariance`, {
        code: 'E_TOO_FEW_CELLS',
        field: t,
        got: 0,
        expected: `at least ${options.minCells} cells per cell type`,
        hint: `The signature's cell types must be labels of the reference (column '${opts.labelsKey}')`,
      });
    }
    const Xall = referenceRelativeCounts(ref, opts.layer, align.bulkIdx);
    // Gene cap: choose on the means over all model genes.
    const J = sig.cellTypes.length;
    const GA = Xall.cols;
    let genes = align.fittedIdx;
    let X = Xall;
    if (options.maxGenes > 0 && GA > options.maxGenes) {
      const m = new Float64Array(J * GA);
      const cnt = new Float64Array(J);
      for (let i = 0; i < Xall.rows; i++) {
        const c = codes[i]!;
        if (c < 0) continue;
        cnt[c] = cnt[c]! + 1;
        const r = Xall.row(i);
        for (let g = 0; g < GA; g++) m[c * GA + g] = m[c * GA + g]! + r[g]!;
      }
      for (let c = 0; c < J; c++) for (let g = 0; g < GA; g++) m[c * GA + g] = cnt[c]! > 0 ? m[c * GA + g]! / cnt[c]! : 0;
      const keep = selectSpecificGenes(m, J, GA, options.maxGenes);
      X = Xall.selectCols(keep);
      genes = Int32Array.from(keep, (k) => align.fittedIdx[k]!);
    }
    const { mu, sigmas, info } = estimateTypeModels(X, codes, sig.cellTypes, options, warnings, opts);
    const geneNames = Array.from(genes, (k) => sig.genes[k]!);
    return new DecovartFitted(geneNames, [...sig.cellTypes], mu, sigmas, options, info, warnings, opts.seed);
  },
};
