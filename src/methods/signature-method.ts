/**
 * The shared machinery of every signature-based linear method (OLS, NNLS, RLR, WNNLS, DWLS, nu-SVR).
 *
 * A method file supplies a {@link SignatureSolver} that works on plain typed arrays (S: genes x cell
 * types, y: one bulk sample) and calls {@link defineSignatureMethod}. This module does everything
 * else once, for all of them: building or taking the signature, validating it, aligning genes with
 * the bulk (never shrinking the shared signature), choosing the bulk layer, flagging degenerate
 * samples, solving samples (optionally on two worker threads), `formatOutput` and diagnostics.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { InputError, NotFittedError } from '../core/errors.js';
import { LAYERS } from '../core/keys.js';
import { throttledProgress, throwIfAborted } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { toDense } from '../data/matrix.js';
import { writeFileAtomic } from '../io/atomic.js';
import { buildSignature } from '../signature/build-signature.js';
import { Signature } from '../signature/signature.js';
import { alignGenes } from './align-genes.js';
import { bootstrapIntervals } from './bootstrap-intervals.js';
import { checkOptions, type OptionSchema } from './option-schema.js';
import { chooseThreads, solveSamplesInWorkers } from './parallel/run-parallel.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from './types.js';

/** What one sample's solve reports back. */
export interface SampleOutcome {
  /** Iterations used (0 for closed-form solvers). */
  iterations: number;
  converged: boolean;
  /** Per-sample numbers worth reporting (e.g. `dampening`); keys must be listed in `extraKeys`. */
  extra?: Record<string, number>;
}

/**
 * A per-sample solver on plain typed arrays.
 *
 * `prepare` runs once per (signature, options) and may precompute anything shared by all samples
 * (Gram matrix, SVD, per-gene outer products, random subsets). `solve` must be a pure function of
 * `(prepared, y)`, so that splitting samples across worker threads gives identical bytes.
 */
export interface SignatureSolver<O, P = unknown> {
  /**
   * @param S genes x cell types, row-major (S[g * nTypes + c]).
   * @param nGenes number of genes (rows of S, length of every y).
   * @param nTypes number of cell types (columns of S).
   * @param opts the merged method options.
   * @param seed seed of every random step (e.g. random gene subsets).
   */
  prepare(S: Float64Array, nGenes: number, nTypes: number, opts: O, seed: number): P;
  /**
   * Solves one sample `y` (length nGenes) into `out` (length nTypes, unnormalised coefficients).
   * `y` may be the caller's own data: it must not be modified.
   * `sample` is the row of the sample in the bulk (for per-sample options such as fixed constants).
   */
  solve(prep: P, y: Float64Array, out: Float64Array, sample: number): SampleOutcome;
  /** Names of the numbers `solve` may return in `extra` (reported per sample in diagnostics.extra). */
  extraKeys?: readonly string[];
  /** Rough floating-point operations per sample, used to decide whether worker threads pay off. */
  costPerSample?(nGenes: number, nTypes: number, opts: O): number;
}

/** Options every signature method understands (merged under the method's own defaults). */
export interface SignatureMethodBaseOptions {
  /** Clip negative coefficients to 0 before normalising (PyDeconv `only_positive`). */
  onlyPositive: boolean;
  /** Worker threads: 0 = decide from the problem size (at most 2), 1 = this thread only, 2+ = that many workers. */
  threads: number;
  /** Also return `lower`/`upper` from a bootstrap over genes (see `bootstrap-intervals.ts`); default false. */
  intervals?: boolean;
  /** Bootstrap resamples B (default 100). */
  intervalSamples?: number;
  /** Central mass of the intervals (default 0.9: the 5th and 95th percentiles). */
  intervalLevel?: number;
}

/** Context of {@link SignatureMethodDefinition.sampleStatistics}. */
export interface SampleStatisticsContext<O> {
  /** genes x cell types on the genes in use, row-major. */
  S: Float64Array;
  G: number;
  C: number;
  options: O;
  seed: number;
  /** samples x genes in use. */
  Y: DenseMatrix<Float64Array>;
  /** The rows that were solved (non-degenerate samples). */
  rows: readonly number[];
  /** Per-sample numbers the solver reported (`extraKeys`), NaN where not solved. */
  extras: Record<string, number[]>;
  signal?: AbortSignal;
}

/** Where a worker thread finds the solver: the module URL (`import.meta.url`) and its export name. */
export interface SolverLocation {
  module: string;
  exportName: string;
}

/** Arguments of {@link defineSignatureMethod}. */
export interface SignatureMethodDefinition<O> {
  name: string;
  description: string;
  reference?: string;
  /** Published defaults of the method (without the base options, which default to onlyPositive false, threads 0). */
  defaults: O;
  /** Type, range and help of each option in `defaults` (the base options are added). */
  options: OptionSchema<O>;
  solve: SignatureSolver<O & SignatureMethodBaseOptions>;
  /** Lets worker threads import the solver; without it the method always runs on one thread. */
  solverLocation?: SolverLocation;
  /** Checks merged options at fit time (throw InputError on a bad option). */
  validateOptions?(opts: O & SignatureMethodBaseOptions): void;
  /** Faster settings for the demo and quick benchmarks (see MethodSpec.quickOptions). */
  quickOptions?: Partial<O>;
  /**
   * Per-sample statistics that need every sample (e.g. CIBERSORT's permutation p-value, whose null
   * mixtures are drawn from all the bulk's values); returned arrays (length = samples) are added to
   * `diagnostics.extra`.
   */
  sampleStatistics?(ctx: SampleStatisticsContext<O & SignatureMethodBaseOptions>): Record<string, number[]>;
}

const BASE_DEFAULTS: SignatureMethodBaseOptions = {
  onlyPositive: false,
  threads: 0,
  intervals: false,
  intervalSamples: 100,
  intervalLevel: 0.9,
};

/** Checks the options every signature method shares. */
function validateBaseOptions(name: string, o: SignatureMethodBaseOptions): void {
  const bad = (field: string, got: unknown, expected: string) =>
    new InputError(`${name}: invalid option '${field}'`, {
      code: 'E_OPTION',
      field,
      got,
      expected,
      hint: 'See the signature-method options in docs/METHODS.md',
    });
  const B = o.intervalSamples ?? 100;
  const level = o.intervalLevel ?? 0.9;
  if (!(Number.isInteger(B) && B >= 2)) throw bad('intervalSamples', B, 'an integer >= 2, e.g. 100');
  if (!(level > 0 && level < 1)) throw bad('intervalLevel', level, 'a number in (0, 1), e.g. 0.9');
}

/** Schema of the options every signature method understands. */
export const SIGNATURE_BASE_SCHEMA: OptionSchema<SignatureMethodBaseOptions> = {
  onlyPositive: { type: 'boolean', help: 'Clip negative coefficients to 0 before normalising (PyDeconv only_positive)' },
  threads: { type: 'integer', min: 0, help: 'Worker threads: 0 = automatic (at most 2), 1 = this thread only' },
  intervals: { type: 'boolean', help: 'Bootstrap over genes for per-sample intervals of the proportions (seeded)' },
  intervalSamples: { type: 'integer', min: 2, help: 'Bootstrap replicates B of --intervals (default 100)' },
  intervalLevel: { type: 'number', gt: 0, lt: 1, help: 'Nominal level of the intervals (default 0.9: 5th-95th percentiles)' },
};

/** Manifest version written by `save` / read by `load`. */
const MANIFEST_VERSION = 1;

/**
 * PyDeconv's `format_output`, in place on one row: clip negatives (onlyPositive), then divide by
 * the row sum (ratio).
 *
 * @param values one sample's coefficients (modified in place).
 * @returns false when the row cannot be normalised (sum 0 or not finite); the row is then zeroed,
 *   where PyDeconv would return NaN.
 */
export function formatOutputRow(values: Float64Array, ratio: boolean, onlyPositive: boolean): boolean {
  const n = values.length;
  if (onlyPositive) for (let c = 0; c < n; c++) if (values[c]! < 0) values[c] = 0;
  if (!ratio) return true;
  let s = 0;
  for (let c = 0; c < n; c++) s += values[c]!;
  if (s === 0 || !Number.isFinite(s)) {
    values.fill(0);
    return false;
  }
  for (let c = 0; c < n; c++) values[c] = values[c]! / s;
  return true;
}

/**
 * Checks that a signature restricted to the genes in use can be solved for: at least as many
 * genes as cell types, no all-zero cell type, no two identical cell types.
 *
 * @param S genes x cell types, row-major.
 * @throws InputError `E_SIGNATURE_TOO_FEW_GENES`, `E_SIGNATURE_ZERO_TYPE` or `E_SIGNATURE_DUPLICATE_TYPE`.
 */
export function validateSignatureMatrix(S: Float64Array, nGenes: number, cellTypes: readonly string[], context = 'signature'): void {
  const C = cellTypes.length;
  if (nGenes < C) {
    throw new InputError(`${context} has fewer genes than cell types`, {
      code: 'E_SIGNATURE_TOO_FEW_GENES',
      got: `${nGenes} genes`,
      expected: `at least ${C} genes (one per cell type)`,
      hint: 'Use a signature with more marker genes, or check the gene overlap with the bulk',
    });
  }
  for (let c = 0; c < C; c++) {
    let nz = false;
    for (let g = 0; g < nGenes; g++) {
      if (S[g * C + c] !== 0) {
        nz = true;
        break;
      }
    }
    if (!nz) {
      throw new InputError(`${context}: cell type '${cellTypes[c]}' is zero on every gene in use`, {
        code: 'E_SIGNATURE_ZERO_TYPE',
        field: cellTypes[c],
        hint: 'Its proportion cannot be estimated: drop the cell type or add its marker genes',
      });
    }
  }
  for (let a = 0; a < C; a++) {
    for (let b = a + 1; b < C; b++) {
      let same = true;
      for (let g = 0; g < nGenes; g++) {
        if (S[g * C + a] !== S[g * C + b]) {
          same = false;
          break;
        }
      }
      if (same) {
        throw new InputError(`${context}: cell types '${cellTypes[a]}' and '${cellTypes[b]}' have identical columns`, {
          code: 'E_SIGNATURE_DUPLICATE_TYPE',
          field: `${cellTypes[a]} / ${cellTypes[b]}`,
          hint: 'Their proportions cannot be told apart: merge the two cell types or rebuild the signature',
        });
      }
    }
  }
}

/** Genes x types copy of the signature restricted to `idx` (the signature itself is untouched). */
function designMatrix(sig: Signature, idx: Int32Array): Float64Array {
  const C = sig.nTypes;
  const G0 = sig.nGenes;
  const src = sig.values.data;
  const S = new Float64Array(idx.length * C);
  for (let k = 0; k < idx.length; k++) {
    const j = idx[k]!;
    for (let c = 0; c < C; c++) S[k * C + c] = src[c * G0 + j]!;
  }
  return S;
}

/**
 * Reason a bulk sample cannot be solved (NaN, infinite or negative values, zero total), or undefined.
 *
 * @param y one sample over the genes in use.
 * @param genes what those genes are, for the message ('signature genes', 'model genes').
 */
export function degenerateReason(y: Float64Array, genes = 'signature genes'): string | undefined {
  // Fast path: a finite positive sum and no negative value mean the row is fine (NaN and ±Infinity
  // all make the sum non-finite). Two partial sums and minima halve the latency chains.
  let s0 = 0;
  let s1 = 0;
  let m0 = 0;
  let m1 = 0;
  const n = y.length;
  let g = 0;
  for (; g + 1 < n; g += 2) {
    const u = y[g]!;
    const v = y[g + 1]!;
    s0 += u;
    s1 += v;
    if (u < m0) m0 = u;
    if (v < m1) m1 = v;
  }
  if (g < n) {
    const u = y[g]!;
    s0 += u;
    if (u < m0) m0 = u;
  }
  const s = s0 + s1;
  if (m0 >= 0 && m1 >= 0 && s > 0 && s < Number.POSITIVE_INFINITY) return undefined;
  for (let k = 0; k < n; k++) if (Number.isNaN(y[k])) return 'contains NaN';
  for (let k = 0; k < n; k++) if (y[k]! < 0 && Number.isFinite(y[k])) return 'contains negative values';
  for (let k = 0; k < n; k++) if (!Number.isFinite(y[k])) return 'contains an infinite value';
  if (s === 0) return `has zero total over the ${genes}`;
  return undefined;
}

/** The `W_DEGENERATE_SAMPLE` warning for bulk sample `i`, which {@link degenerateReason} rejected with `why`. */
export function degenerateSampleWarning(bulk: Dataset, i: number, why: string): DiagnosticWarning {
  return {
    code: 'W_DEGENERATE_SAMPLE',
    sample: bulk.obsNames[i],
    message: `bulk sample '${bulk.obsNames[i]}' ${why}; its proportions are set to 0`,
  };
}

/**
 * The bulk values of the genes in use: samples x `bulkIdx.length`, from `layer`, else
 * `relative_counts` when the bulk has it (pseudobulks), else X.
 *
 * @returns the dense matrix and the layer read (undefined = X).
 */
export function bulkValues(
  bulk: Dataset,
  bulkIdx: Int32Array,
  layer?: string,
  opts: { readOnly?: boolean } = {},
): { Y: DenseMatrix<Float64Array>; layerName: string | undefined } {
  const layerName = layer ?? (bulk.layers.has(LAYERS.relativeCounts) ? LAYERS.relativeCounts : undefined);
  const m = bulk.layer(layerName);
  if (opts.readOnly && m.kind === 'dense' && m.data instanceof Float64Array && bulkIdx.length === m.cols) {
    // The bulk already holds exactly these genes in this order: hand out its own storage (the
    // caller promised not to write to it) instead of copying, e.g. 4.5 MB for 400 x 1,400.
    let identity = true;
    for (let k = 0; k < bulkIdx.length && identity; k++) identity = bulkIdx[k] === k;
    if (identity) return { Y: m as DenseMatrix<Float64Array>, layerName };
  }
  return { Y: toDense(m, bulkIdx, 'float64') as DenseMatrix<Float64Array>, layerName };
}

/** A fitted signature method: holds the signature and the merged options. */
class SignatureFitted<O> implements Fitted {
  readonly method: string;
  readonly genes: readonly string[];
  readonly cellTypes: readonly string[];
  private readonly def: SignatureMethodDefinition<O>;
  readonly signature: Signature;
  readonly options: O & SignatureMethodBaseOptions;
  readonly seed: number;

  constructor(def: SignatureMethodDefinition<O>, signature: Signature, options: O & SignatureMethodBaseOptions, seed: number) {
    this.def = def;
    this.method = def.name;
    this.signature = signature;
    this.genes = signature.genes;
    this.cellTypes = signature.cellTypes;
    this.options = options;
    this.seed = seed;
  }

  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    throwIfAborted(opts.signal);
    const options = { ...this.options, ...(opts.options ?? {}) } as O & SignatureMethodBaseOptions;
    const seed = opts.seed ?? this.seed;
    const sig = this.signature;
    const C = sig.nTypes;
    const align = alignGenes(sig.genes, bulk.varNames, opts.minGeneOverlap);
    const G = align.fittedIdx.length;
    const S = designMatrix(sig, align.fittedIdx);
    validateSignatureMatrix(S, G, sig.cellTypes, 'signature restricted to the genes found in the bulk');

    // Solvers never write to y (see SignatureSolver.solve), so the bulk's own storage can be used.
    const { Y, layerName } = bulkValues(bulk, align.bulkIdx, opts.layer, { readOnly: true });
    const N = Y.rows;
    const warnings: DiagnosticWarning[] = [...align.warnings];
    const degenerate: boolean[] = new Array(N).fill(false);
    /** Samples that can be solved, in order; rows are checked by `checkRow` (NaN, negatives, zero total). */
    const todo: number[] = [];
    const checkRow = (i: number): boolean => {
      const why = degenerateReason(Y.row(i));
      if (why === undefined) {
        todo.push(i);
        return true;
      }
      degenerate[i] = true;
      warnings.push(degenerateSampleWarning(bulk, i, why));
      return false;
    };

    const raw = new Float64Array(N * C);
    const iterations: number[] = new Array(N).fill(0);
    const converged: boolean[] = new Array(N).fill(true);
    const extraKeys = this.def.solve.extraKeys ?? [];
    const extras: Record<string, number[]> = {};
    for (const k of extraKeys) extras[k] = new Array(N).fill(Number.NaN);

    // On this thread each row is checked just before it is solved, so the bulk is read once
    // (a 400 x 1,400 bulk is 4.5 MB: a second pass costs as much as OLS's arithmetic).
    const solveHere = (check: boolean) => {
      const prep = this.def.solve.prepare(S, G, C, options, seed);
      const out = new Float64Array(C);
      const rows = check ? N : todo.length;
      const progress = throttledProgress(opts.onProgress, 'deconvolve', rows, this.method);
      for (let t = 0; t < rows; t++) {
        if ((t & 7) === 0) throwIfAborted(opts.signal);
        const i = check ? t : todo[t]!;
        if (check && !checkRow(i)) {
          progress(t + 1);
          continue;
        }
        out.fill(0);
        const o = this.def.solve.solve(prep, Y.row(i), out, i);
        raw.set(out, i * C);
        iterations[i] = o.iterations;
        converged[i] = o.converged;
        if (o.extra) for (const k of extraKeys) if (o.extra[k] !== undefined) extras[k]![i] = o.extra[k]!;
        progress(t + 1);
      }
    };

    const cost = this.def.solve.costPerSample?.(G, C, options) ?? G * C * C;
    let nThreads = chooseThreads(options.threads, N, cost, this.def.solverLocation !== undefined);
    if (nThreads > 1 && this.def.solverLocation) {
      for (let i = 0; i < N; i++) checkRow(i);
      nThreads = Math.min(nThreads, todo.length);
      if (nThreads < 2) {
        nThreads = 1;
        solveHere(false);
      } else {
        const res = await solveSamplesInWorkers({
          location: this.def.solverLocation,
          S,
          nGenes: G,
          nTypes: C,
          options,
          seed,
          Y: Y.data,
          rows: Int32Array.from(todo),
          threads: nThreads,
          extraKeys,
          signal: opts.signal,
          onDone: throttledProgress(opts.onProgress, 'deconvolve', todo.length, this.method),
        });
        for (let t = 0; t < todo.length; t++) {
          const i = todo[t]!;
          raw.set(res.raw.subarray(t * C, (t + 1) * C), i * C);
          iterations[i] = res.iterations[t]!;
          converged[i] = res.converged[t] === 1;
          for (const k of extraKeys) extras[k]![i] = res.extra[k]![t]!;
        }
      }
    } else solveHere(true);

    // formatOutput: raw = PyDeconv's output with ratio=false, proportions = with ratio=true.
    const props = new Float64Array(N * C);
    for (let i = 0; i < N; i++) {
      const r = raw.subarray(i * C, (i + 1) * C);
      let finite = true;
      for (let c = 0; c < C; c++) if (!Number.isFinite(r[c]!)) finite = false;
      if (!finite) {
        r.fill(0);
        if (!degenerate[i]) {
          degenerate[i] = true;
          warnings.push({
            code: 'W_DEGENERATE_SAMPLE',
            sample: bulk.obsNames[i],
            message: `solver gave non-finite values for '${bulk.obsNames[i]}'; set to 0`,
          });
        }
      }
      formatOutputRow(r, false, options.onlyPositive);
      const p = props.subarray(i * C, (i + 1) * C);
      p.set(r);
      if (!formatOutputRow(p, true, false) && !degenerate[i]) {
        degenerate[i] = true;
        warnings.push({
          code: 'W_DEGENERATE_SAMPLE',
          sample: bulk.obsNames[i],
          message: `coefficients of '${bulk.obsNames[i]}' sum to 0; its proportions are set to 0`,
        });
      }
    }
    // Intervals and whole-bulk statistics are computed on this thread after the main solve.
    let bounds: { lower: DenseMatrix<Float64Array>; upper: DenseMatrix<Float64Array> } | undefined;
    let intervalInfo: Record<string, unknown> | undefined;
    if (options.intervals === true || (options.intervals as unknown) === 'true') {
      validateBaseOptions(this.method, options);
      const iv = bootstrapIntervals({
        solver: this.def.solve,
        S,
        G,
        C,
        options,
        Y,
        rows: todo,
        samples: options.intervalSamples ?? 100,
        level: options.intervalLevel ?? 0.9,
        onlyPositive: options.onlyPositive,
        seed,
        validate: (Sb, Gb) => validateSignatureMatrix(Sb, Gb, sig.cellTypes, 'bootstrap resample of the signature'),
        signal: opts.signal,
        onProgress: opts.onProgress,
        label: this.method,
      });
      bounds = { lower: iv.lower, upper: iv.upper };
      intervalInfo = { method: 'gene bootstrap', samples: iv.used, level: options.intervalLevel ?? 0.9, redrawn: iv.redrawn };
    }
    if (this.def.sampleStatistics) {
      Object.assign(extras, this.def.sampleStatistics({ S, G, C, options, seed, Y, rows: todo, extras, signal: opts.signal }));
    }
    const nNotConverged = todo.filter((i) => !converged[i]).length;
    if (nNotConverged > 0) {
      warnings.push({
        code: 'W_NOT_CONVERGED',
        message: `${this.method}: ${nNotConverged} of ${todo.length} samples did not converge within the iteration limit`,
      });
    }
    return {
      method: this.method,
      proportions: new DenseMatrix(N, C, props),
      raw: new DenseMatrix(N, C, raw),
      ...(bounds ?? {}),
      sampleNames: [...bulk.obsNames],
      cellTypes: [...sig.cellTypes],
      diagnostics: {
        converged,
        iterations,
        genesUsed: G,
        genesMissing: align.missing.length,
        warnings,
        seed,
        extra: {
          layer: layerName ?? 'X',
          degenerate,
          threads: nThreads,
          missingGenes: align.missing.slice(0, 20),
          ...extras,
          ...(intervalInfo ? { intervals: intervalInfo } : {}),
        },
      },
    };
  }

  toJSON(): FittedManifest {
    return {
      method: this.method,
      version: MANIFEST_VERSION,
      kind: 'signature',
      genes: this.genes,
      cellTypes: this.cellTypes,
      seed: this.seed,
      options: this.options as unknown as Record<string, unknown>,
      signature: this.signature.values.toRows(),
    };
  }

  /** Writes `dir/manifest.json` (the signature inline, so the directory is self-contained); creates dir. */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(this.toJSON())}\n`);
  }
}

/**
 * Builds the `MethodSpec` of a signature-based method from its solver.
 *
 * `fit(ref, opts)` uses `opts.signature`, or builds one from the labelled reference with
 * `buildSignature(ref, {labelsKey, layer, seed})`. `deconvolve(bulk)` aligns genes (typed error
 * below `minGeneOverlap`, default 0.7), reads the bulk layer (`opts.layer`, else `relative_counts`
 * when present, else X), flags NaN/negative/zero-total samples (all-zero row + warning), solves
 * every sample and returns `raw` (PyDeconv output, ratio=false) and `proportions` (ratio=true).
 *
 * @throws InputError from `fit` when neither a signature nor a labelled reference is given, or the
 *   signature is unusable (`E_SIGNATURE_*`); from `deconvolve` on too little gene overlap.
 * @example
 * const nnls = defineSignatureMethod({ name: 'nnls', description: '...', defaults: {}, solve: nnlsSolver });
 * const fitted = await nnls.fit(null, { signature });
 * const res = await fitted.deconvolve(bulk); // res.proportions: samples x cell types
 */
export function defineSignatureMethod<O extends object>(def: SignatureMethodDefinition<O>): MethodSpec<O & SignatureMethodBaseOptions> {
  const defaults = { ...BASE_DEFAULTS, ...def.defaults } as O & SignatureMethodBaseOptions;
  const schema = { ...SIGNATURE_BASE_SCHEMA, ...def.options } as OptionSchema<O & SignatureMethodBaseOptions>;
  const spec: MethodSpec<O & SignatureMethodBaseOptions> = {
    name: def.name,
    kind: 'signature',
    description: def.description,
    reference: def.reference,
    defaults,
    options: schema,
    ...(def.quickOptions ? { quickOptions: def.quickOptions as Partial<O & SignatureMethodBaseOptions> } : {}),
    bulkLayer: LAYERS.relativeCounts,
    async fit(ref: Dataset | null, opts: FitOptions<O & SignatureMethodBaseOptions> = {}): Promise<Fitted> {
      throwIfAborted(opts.signal);
      const options = { ...defaults, ...checkOptions(def.name, schema, opts.options) } as O & SignatureMethodBaseOptions;
      validateBaseOptions(def.name, options);
      def.validateOptions?.(options);
      let sig = opts.signature;
      if (!sig) {
        if (!ref) {
          throw new InputError(`${def.name}: no signature and no reference to build one from`, {
            code: 'E_NO_SIGNATURE',
            hint: 'Pass a signature (--signature SIG.csv) or a labelled reference (--reference REF --labels COLUMN)',
          });
        }
        if (!opts.labelsKey) {
          throw new InputError(`${def.name}: building a signature needs the cell-type label column`, {
            code: 'E_NO_LABELS',
            field: 'labelsKey',
            hint: 'Pass labelsKey (--labels COLUMN) naming the obs column with cell types',
          });
        }
        sig = buildSignature(ref, { labelsKey: opts.labelsKey, layer: opts.layer, onProgress: opts.onProgress, signal: opts.signal });
      }
      validateSignatureMatrix(sig.values.transpose().data, sig.nGenes, sig.cellTypes);
      return new SignatureFitted(def, sig, options, opts.seed ?? 0);
    },
    async load(dir: string): Promise<Fitted> {
      const file = join(dir, 'manifest.json');
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new NotFittedError('cannot read the model manifest', {
          code: 'E_MODEL_MANIFEST',
          file,
          cause: e,
          hint: 'Pass a directory written by save()',
        });
      }
      if (m.method !== def.name || !Array.isArray(m.signature) || !Array.isArray(m.genes) || !Array.isArray(m.cellTypes)) {
        throw new NotFittedError('model manifest is not a signature-method fit', {
          code: 'E_MODEL_MANIFEST',
          file,
          got: m.method,
          expected: `method '${def.name}' with genes, cellTypes and signature`,
        });
      }
      const sig = new Signature(m.cellTypes as string[], m.genes as string[], DenseMatrix.fromRows(m.signature as number[][]), {
        loadedFrom: dir,
      });
      return spec.fit(null, {
        signature: sig,
        seed: typeof m.seed === 'number' ? m.seed : 0,
        options: (m.options ?? {}) as Partial<O & SignatureMethodBaseOptions>,
      });
    },
  };
  return spec;
}
