/**
 * DeCovarT's options, defaults, quick settings and option schema, and the per-type covariance
 * summary saved with a model (shared by method.ts and model-dir.ts without an import circle).
 */
import type { OptionSchema } from '../option-schema.js';
import { GLASSO_SELECTION_DEFAULTS } from './glasso.js';

/** Options of `decovart` (defaults: {@link DECOVART_DEFAULTS}). */
export interface DecovartOptions {
  /**
   * 'mle' (default): the correct Gaussian log-likelihood, −½ log det Σ(p) − ½ rᵀΘr.
   * 'decovart-r': the seed's Eq. 8 / R package, −log det Σ(p) − ½ rᵀΘr (missing ½; different maximiser).
   */
  compat: 'mle' | 'decovart-r';
  /** At most this many signature genes are used (most type-specific first, round robin over types); 0 = all. Default 50: on PBMC3k 100 genes were both slower and less accurate (docs/DECOVART.md). */
  maxGenes: number;
  /** Fewer cells than this in a type: see `tooFewCells`. Two cells are the least that give a variance. */
  minCells: number;
  /** 'error' (default): typed error naming the type; 'pooled': that type uses the covariance of all cells, with a warning. */
  tooFewCells: 'error' | 'pooled';
  /** Fixed graphical-lasso penalty on the correlation scale; undefined = EBIC path selection. */
  glassoAlpha?: number;
  /** Penalties on the EBIC path (20 in the spec). */
  glassoPathLength: number;
  /** EBIC γ (0.5). */
  ebicGamma: number;
  /**
   * Multiplies every Σ_j. Σ_j estimated from single cells is the covariance of ONE cell; a bulk or
   * pseudobulk averages many cells, and the covariance of the mean of n cells is Σ_cell / n. Default
   * 0.01 (n = 100, the benchmark's pseudobulk size); 1 = the single-cell covariance taken literally
   * (much worse on PBMC3k pseudobulks, see docs/DECOVART.md).
   */
  covarianceScale: number;
  /** Starting point of the optimiser. */
  init: 'nnls' | 'uniform';
  /** marqLevAlg thresholds and iteration cap (DeCovarT's call: 1e-4, 1e-4, 1e-4, 200). */
  epsa: number;
  epsb: number;
  epsd: number;
  maxIter: number;
}

/** Published defaults: marqLevAlg settings of the R package's call; graphical lasso per specs/decovart.md. */
export const DECOVART_DEFAULTS: DecovartOptions = {
  compat: 'mle',
  maxGenes: 50,
  minCells: 2,
  tooFewCells: 'error',
  glassoAlpha: undefined,
  glassoPathLength: GLASSO_SELECTION_DEFAULTS.nAlphas,
  ebicGamma: GLASSO_SELECTION_DEFAULTS.gamma,
  covarianceScale: 0.01,
  init: 'nnls',
  epsa: 1e-4,
  epsb: 1e-4,
  epsd: 1e-4,
  maxIter: 200,
};

/**
 * Demo/benchmark settings: a 10-point graphical-lasso penalty path instead of 20 (halves the fit);
 * everything else as default (50 genes; the per-iteration cost is O(J G³), see docs/DECOVART.md).
 */
export const DECOVART_QUICK: Partial<DecovartOptions> = { glassoPathLength: 10 };

/** Per-type summary of the covariance estimation. */
export interface TypeCovarianceInfo {
  cellType: string;
  nCells: number;
  alpha: number;
  rule: string;
  edges: number;
  zeroVarianceGenes: number;
  ridge: number;
  pooled: boolean;
}

/** Type, range and help of every DeCovarT option. */
export const DECOVART_SCHEMA: OptionSchema<DecovartOptions> = {
  compat: { type: 'enum', values: ['mle', 'decovart-r'], help: "Log-likelihood: the correct Gaussian one (mle) or the R package's Eq. 8" },
  maxGenes: { type: 'integer', min: 0, help: 'Signature genes used (most type-specific first); 0 = all' },
  minCells: { type: 'integer', min: 2, help: 'Fewer cells than this in a type: see tooFewCells' },
  tooFewCells: {
    type: 'enum',
    values: ['error', 'pooled'],
    help: 'A type with too few cells: typed error, or the pooled covariance with a warning',
  },
  glassoAlpha: {
    type: 'number',
    min: 0,
    optional: true,
    help: 'Fixed graphical-lasso penalty (correlation scale); unset = EBIC path selection',
  },
  glassoPathLength: { type: 'integer', min: 1, help: 'Penalties on the EBIC path' },
  ebicGamma: { type: 'number', min: 0, help: 'EBIC gamma' },
  covarianceScale: { type: 'number', gt: 0, help: 'Multiplies every covariance (0.01 = mean of 100 cells)' },
  init: { type: 'enum', values: ['nnls', 'uniform'], help: 'Starting point of the optimiser' },
  epsa: { type: 'number', gt: 0, help: 'marqLevAlg parameter-change threshold' },
  epsb: { type: 'number', gt: 0, help: 'marqLevAlg objective-change threshold' },
  epsd: { type: 'number', gt: 0, help: 'marqLevAlg relative-distance threshold' },
  maxIter: { type: 'integer', min: 1, help: 'marqLevAlg iteration cap' },
};
