/**
 * MixupVI as a model on Datasets: scVI (models/scvi) trained with the mixup penalty. Same queries,
 * save and load as scVI; knows nothing of deconvolution (methods/deep/mixupvi adapts it).
 *
 * @example
 * ```ts
 * const model = await trainMixupVI(ref, { labelsKey: 'cell_type' }, { epochs: 50 }, { seed: 0 });
 * const z = await model.latent(pseudobulks);
 * ```
 */
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import type { ModelManifest } from '../../nn/model-io.js';
import type { DataFields } from '../data.js';
import type { VaeTrainOptions } from '../scvi/config.js';
import { loadVaeModel, modelFromTraining, type RunOptions, type VaeModel } from '../scvi/model.js';
import { trainVae, vaeConfig } from '../scvi/train.js';
import { MIXUPVI_MODEL_DEFAULTS } from './config.js';
import { MixupVAE } from './module.js';

/**
 * Trains MixupVI (scVI's ELBO + the mixup penalty).
 *
 * @param options - Overrides of {@link MIXUPVI_MODEL_DEFAULTS} (validated by the caller).
 */
export async function trainMixupVI(
  ds: Dataset,
  fields: DataFields,
  options: Partial<VaeTrainOptions>,
  run: RunOptions,
): Promise<VaeModel<MixupVAE>> {
  const o: VaeTrainOptions = { ...MIXUPVI_MODEL_DEFAULTS, ...options };
  const t = await trainVae<MixupVAE>(ds, fields, o, { ...run, modelName: 'mixupvi', createModule: (cfg, rng) => new MixupVAE(cfg, rng) });
  return modelFromTraining(t, o, run.seed);
}

/** Loads a MixupVI model. */
export async function loadMixupVIModel(
  dir: string,
  methods: string | string[],
  options: (m: ModelManifest) => VaeTrainOptions,
): Promise<{ model: VaeModel<MixupVAE>; manifest: ModelManifest }> {
  return loadVaeModel(dir, methods, options, (o, G) => new MixupVAE(vaeConfig(o, G), new Rng(0)));
}
