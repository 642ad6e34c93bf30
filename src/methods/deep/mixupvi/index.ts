/**
 * Registers `mixupvi`: scVI-style VAE with the latent mixup (linearity) penalty, trained here,
 * deconvolving by NNLS in latent space (MixupVI paper, ICML 2025 GenBio workshop; spec mixupvi.md).
 *
 * The model code (and TensorFlow.js) loads on the first `fit` or `load`, not at registration.
 */
import type { Dataset } from '../../../data/dataset.js';
import { checkOptions } from '../../option-schema.js';
import { registerMethod } from '../../registry.js';
import type { FitOptions, MethodSpec } from '../../types.js';
import { MIXUPVI_DEFAULTS, MIXUPVI_QUICK, type MixupVIOptions } from './config.js';
import { MIXUPVI_SCHEMA } from './option-schema.js';

/** The MixupVI method spec (kind 'trained', reads the bulk's `raw_counts` layer). */
export const mixupviMethod: MethodSpec<MixupVIOptions> = {
  name: 'mixupvi',
  kind: 'trained',
  description: 'MixupVI: scVI VAE with a latent mixup penalty, NNLS on a latent signature (trained in Node)',
  reference: 'MixupVI / PyDeconv (Owkin), ICML 2025 GenBio workshop',
  defaults: MIXUPVI_DEFAULTS,
  quickOptions: MIXUPVI_QUICK,
  options: MIXUPVI_SCHEMA,
  bulkLayer: 'raw_counts',
  checkpoints: true,
  async fit(ref: Dataset | null, opts: FitOptions<MixupVIOptions>) {
    const options = checkOptions('mixupvi', MIXUPVI_SCHEMA, opts.options) as Partial<MixupVIOptions>;
    const { fitMixupVI, requireRef } = await import('./model.js');
    return fitMixupVI('mixupvi', requireRef(ref, 'mixupvi'), { ...opts, options });
  },
  load: async (dir: string) => (await import('./model.js')).loadMixupVI(dir, 'mixupvi'),
};

registerMethod(mixupviMethod);
