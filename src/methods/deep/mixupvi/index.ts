/**
 * Registers `mixupvi`: scVI-style VAE with the latent mixup (linearity) penalty, trained here,
 * deconvolving by NNLS in latent space (MixupVI paper, ICML 2025 GenBio workshop; spec mixupvi.md).
 */
import type { Dataset } from '../../../data/dataset.js';
import { registerMethod } from '../../registry.js';
import type { FitOptions, MethodSpec } from '../../types.js';
import { MIXUPVI_DEFAULTS, MIXUPVI_QUICK, type MixupVIOptions } from './config.js';
import { fitMixupVI, loadMixupVI, requireRef } from './model.js';

/** The MixupVI method spec (kind 'trained', reads the bulk's `raw_counts` layer). */
export const mixupviMethod: MethodSpec<MixupVIOptions> = {
  name: 'mixupvi',
  kind: 'trained',
  description: 'MixupVI: scVI VAE with a latent mixup penalty, NNLS on a latent signature (trained in Node)',
  reference: 'MixupVI / PyDeconv (Owkin), ICML 2025 GenBio workshop',
  defaults: MIXUPVI_DEFAULTS,
  quickOptions: MIXUPVI_QUICK,
  bulkLayer: 'raw_counts',
  checkpoints: true,
  fit: async (ref: Dataset | null, opts: FitOptions<MixupVIOptions>) => fitMixupVI('mixupvi', requireRef(ref, 'mixupvi'), opts),
  load: (dir: string) => loadMixupVI(dir, 'mixupvi'),
};

registerMethod(mixupviMethod);
