/**
 * Registers `scvi`: scVI (models/scvi) trained with MixupVI's settings but no mixup penalty (the
 * paper's baseline, Table 1), deconvolving with the same latent NNLS as MixupVI (the shared adapter in
 * ../mixupvi/model.ts). It exists to show what the penalty buys.
 *
 * The model code (and TensorFlow.js) loads on the first `fit` or `load`, not at registration.
 */
import type { Dataset } from '../../../data/dataset.js';
import { checkOptions } from '../../option-schema.js';
import { registerMethod } from '../../registry.js';
import type { FitOptions, MethodSpec } from '../../types.js';
import { MIXUPVI_QUICK, type MixupVIOptions, SCVI_DEFAULTS } from '../mixupvi/config.js';
import { MIXUPVI_SCHEMA } from '../mixupvi/option-schema.js';

/** The scVI method spec (the paper's baseline settings, `SCVI_DEFAULTS`). */
export const scviMethod: MethodSpec<MixupVIOptions> = {
  name: 'scvi',
  kind: 'trained',
  description: 'scVI baseline: the MixupVI VAE without the mixup penalty, NNLS on a latent signature',
  reference: 'Lopez et al. 2018 (scVI); baseline of the MixupVI paper',
  defaults: SCVI_DEFAULTS,
  quickOptions: MIXUPVI_QUICK,
  options: MIXUPVI_SCHEMA,
  bulkLayer: 'raw_counts',
  checkpoints: true,
  async fit(ref: Dataset | null, opts: FitOptions<MixupVIOptions>) {
    const options = checkOptions('scvi', MIXUPVI_SCHEMA, opts.options) as Partial<MixupVIOptions>;
    const { fitMixupVI, requireRef } = await import('../mixupvi/model.js');
    return fitMixupVI('scvi', requireRef(ref, 'scvi'), { ...opts, options });
  },
  load: async (dir: string) => (await import('../mixupvi/model.js')).loadMixupVI(dir, 'scvi'),
};

registerMethod(scviMethod);
