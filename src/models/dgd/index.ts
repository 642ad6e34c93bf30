/**
 * The Deep Generative Decoder (scDGD / multiDGD): a decoder-only generative model with one free
 * representation per cell and a Gaussian-mixture prior. See model.ts for the data-aware API.
 */
export {
  activationOf,
  DGD_DEFAULTS,
  type DgdActivation,
  type DgdOptions,
  type DgdScaling,
  learningRatesAt,
  resolveDgdOptions,
} from './config.js';
export { DgdDecoder } from './decoder.js';
export {
  clusterF64,
  componentLogDensityF64,
  GaussianMixturePrior,
  type GmmParams,
  logPriorF64,
  mixtureLogProbF64,
  sampleMixture,
  sampleSoftball,
  softballLogProbF64,
} from './gmm.js';
export { inferRepresentations } from './infer.js';
export { DGD_MODEL_NAME, type DgdEmbedding, type DgdFields, DgdModel, type DgdTrainOptions } from './model.js';
export { logNbDgdF64, sampleNb } from './nb.js';
export { RepresentationTable } from './representations.js';
export type { DgdHistory } from './train.js';
