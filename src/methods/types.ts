/**
 * One interface for every deconvolution method (signature-based, reference-based, trained).
 *
 * `MethodSpec.fit` takes a labelled single-cell reference (or a prebuilt signature) and returns a
 * `Fitted`, whose `deconvolve` maps a bulk Dataset (samples x genes) to proportions. The CLI and the
 * benchmark reach methods only through the registry, so they have no per-method branches.
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import type { LongRunOptions } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import type { DenseMatrix } from '../data/dense.js';
import type { Signature } from '../signature/signature.js';

export type MethodKind = 'signature' | 'reference' | 'trained';

/** Options of `MethodSpec.fit`. */
export interface FitOptions<O = Record<string, unknown>> extends LongRunOptions {
  /** obs column with cell-type labels (required when fitting on a reference). */
  labelsKey?: string;
  /** Layer of the reference holding raw counts (default: X). */
  layer?: string;
  /** Seed of every random step. */
  seed?: number;
  /** A prebuilt signature; signature methods use it instead of building one from the reference. */
  signature?: Signature;
  /** Method-specific options overriding `MethodSpec.defaults`. */
  options?: Partial<O>;
  /**
   * Training checkpoints (methods with `MethodSpec.checkpoints`): saved every `every` epochs into
   * `dir`; `resume` continues an interrupted run from there with the same result.
   */
  checkpoint?: { dir: string; every: number; resume?: boolean };
}

/** Options of `Fitted.deconvolve`. */
export interface DeconvolveOptions extends LongRunOptions {
  /** Bulk layer to read (default: the method's `bulkLayer` when present, else X). */
  layer?: string;
  /** Minimum fraction of the fitted genes that must be in the bulk (default 0.7). */
  minGeneOverlap?: number;
  seed?: number;
  /** Method-specific deconvolution options (e.g. `{intervals: true}` for MixupVI). */
  options?: Record<string, unknown>;
}

export interface DeconvolutionDiagnostics {
  /** Per sample: did the solver converge. */
  converged: boolean[];
  /** Per sample: iterations used (0 for closed-form solvers). */
  iterations: number[];
  /** Genes of the fit found in the bulk, and how many were missing. */
  genesUsed: number;
  genesMissing: number;
  warnings: DiagnosticWarning[];
  seed?: number;
  /** Anything else worth reporting (chosen nu, dampening constants, ...). */
  extra?: Record<string, unknown>;
}

export interface DeconvolutionResult {
  method: string;
  /** samples x cellTypes, each row sums to 1 (all-zero row for a degenerate sample, flagged in warnings). */
  proportions: DenseMatrix<Float64Array>;
  /** Unnormalised coefficients, when the method has them. */
  raw?: DenseMatrix<Float64Array>;
  /** Optional lower/upper interval bounds (samples x cellTypes), e.g. MixupVI's 90% intervals. */
  lower?: DenseMatrix<Float64Array>;
  upper?: DenseMatrix<Float64Array>;
  sampleNames: string[];
  cellTypes: string[];
  diagnostics: DeconvolutionDiagnostics;
}

/** JSON manifest of a fitted method (weights, if any, live in a separate file). */
export interface FittedManifest {
  method: string;
  version: number;
  genes: readonly string[];
  cellTypes: readonly string[];
  [k: string]: unknown;
}

export interface Fitted {
  readonly method: string;
  /** The genes (in order) this fit expects in a bulk. */
  readonly genes: readonly string[];
  readonly cellTypes: readonly string[];
  deconvolve(bulk: Dataset, opts?: DeconvolveOptions): Promise<DeconvolutionResult>;
  toJSON(): FittedManifest;
  /** Writes the fit to a directory (trained methods); absent for methods with nothing to save. */
  save?(dir: string): Promise<void>;
}

export interface MethodSpec<O = Record<string, unknown>> {
  /** Stable registry name: 'nnls', 'dwls', 'mixupvi' ... */
  readonly name: string;
  readonly kind: MethodKind;
  /** One line for `--help` and the report. */
  readonly description: string;
  /** Paper the method comes from. */
  readonly reference?: string;
  /** Published defaults (documented with their source in the method's file). */
  readonly defaults: O;
  /**
   * Smaller settings for the demo and quick benchmarks (e.g. fewer epochs for deep models), applied
   * under user options when the runner asks for a quick run. Document the trade-off where defined.
   */
  readonly quickOptions?: Partial<O>;
  /** Bulk layer the method reads when the bulk has it (pseudobulks carry all of them). */
  readonly bulkLayer?: string;
  /** True when `fit` honours `FitOptions.checkpoint` (`celldeconv train --resume`). */
  readonly checkpoints?: boolean;
  fit(ref: Dataset | null, opts: FitOptions<O>): Promise<Fitted>;
  /** Loads a fit saved with `Fitted.save` (trained methods). */
  load?(dir: string): Promise<Fitted>;
}
