/**
 * Numeric kernels on plain typed arrays (matrices are row-major Float64Array unless a function
 * says otherwise). Knows matrices, not genes or cells.
 */
export {
  daxpy,
  ddot,
  dnrm2,
  gemv,
  gemvT,
  packedSize,
  rowOuterProducts,
  unpackSymmetric,
  weightedGramColMajor,
  weightedPackedGram,
} from './blas.js';
export { cholesky, choleskySolve, choleskySubset } from './cholesky.js';
export { HuberRlm, type HuberRlmOptions, huberRho, huberWeight, MAD_NORMAL_CONSTANT } from './huber-irls.js';
export { type NnlsOptions, type NnlsResult, NnlsWorkspace, nnls, nnlsGram } from './nnls.js';
export { MT19937, numpyChoiceWithoutReplacement } from './numpy-random.js';
export { medianInPlace, pearson, quantileSorted } from './stats.js';
export { lstsq, pinv, type Svd, svd } from './svd.js';
export { DampeningSearch, type DampeningSearchOptions, WeightedNnls, type WlsIterateOptions } from './weighted-nnls.js';
