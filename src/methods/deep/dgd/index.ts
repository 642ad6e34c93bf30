/**
 * Registers `dgd`: deconvolution with a supervised Deep Generative Decoder (scDGD, Schuster & Krogh;
 * issue 12). The model code (and TensorFlow.js) loads on the first `fit` or `load`
 * (`method.ts`), not at registration.
 */
import { lazyMethod } from '../../lazy-method.js';
import { registerMethod } from '../../registry.js';
import { DGD_METHOD_DEFAULTS, DGD_QUICK, DGD_SCHEMA } from './config.js';

registerMethod(
  lazyMethod(
    {
      name: 'dgd',
      kind: 'trained',
      description: 'DGD: supervised Deep Generative Decoder (GMM per cell type); NB fit of proportions + per-type profiles',
      reference: 'Schuster & Krogh 2023 (scDGD, Bioinformatics); multiDGD (Schuster et al. 2024)',
      defaults: DGD_METHOD_DEFAULTS,
      quickOptions: DGD_QUICK,
      options: DGD_SCHEMA,
      bulkLayer: 'counts_sum',
    },
    async () => (await import('./method.js')).dgdImplementation,
  ),
);
