/**
 * Registers `scvi`: the same VAE as MixupVI without the mixup penalty (the paper's baseline, Table 1),
 * deconvolving with the same latent NNLS. It exists to show what the penalty buys.
 */
import type { Dataset } from '../../../data/dataset.js';
import { registerMethod } from '../../registry.js';
import type { FitOptions, MethodSpec } from '../../types.js';
import { MIXUPVI_QUICK, type MixupVIOptions, SCVI_DEFAULTS } from '../mixupvi/config.js';
import { fitMixupVI, loadMixupVI, requireRef } from '../mixupvi/model.js';

/** The scVI method spec (MixupVI with `mixupPenalty: 'none'`). */
export const scviMethod: MethodSpec<MixupVIOptions> = {
  name: 'scvi',
  kind: 'trained',
  description: 'scVI baseline: the MixupVI VAE without the mixup penalty, NNLS on a latent signature',
  reference: 'Lopez et al. 2018 (scVI); baseline of the MixupVI paper',
  defaults: SCVI_DEFAULTS,
  quickOptions: MIXUPVI_QUICK,
  bulkLayer: 'raw_counts',
  checkpoints: true,
  fit: async (ref: Dataset | null, opts: FitOptions<MixupVIOptions>) => fitMixupVI('scvi', requireRef(ref, 'scvi'), opts),
  load: (dir: string) => loadMixupVI(dir, 'scvi'),
};

registerMethod(scviMethod);
