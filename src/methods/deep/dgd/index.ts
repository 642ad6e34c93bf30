/**
 * Registers `dgd`: deconvolution with a supervised Deep Generative Decoder (scDGD, Schuster & Krogh;
 * issue 12). The model code (and TensorFlow.js) loads on the first `fit` or `load`
 * (`method.ts`), not at registration.
 */
import { lazyMethod } from '../../lazy-method.js';
import { registerMethod } from '../../registry.js';
import { DGD_INFO } from './config.js';

registerMethod(lazyMethod(DGD_INFO, async () => (await import('./method.js')).dgdImplementation));
