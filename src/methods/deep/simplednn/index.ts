/**
 * Registers the `simplednn` method (imported once from `methods/all-methods.ts`). The model code and
 * TensorFlow.js load on the first `fit` / `load` (see lazy-method.ts); import `./model.js` for the
 * implementation itself.
 */
import { LAYERS } from '../../../core/keys.js';
import { lazyMethod } from '../../lazy-method.js';
import { registerMethod } from '../../registry.js';
import { SIMPLEDNN_DEFAULTS, SIMPLEDNN_INFO, SIMPLEDNN_QUICK, SIMPLEDNN_SCHEMA } from './config.js';

/** The registry entry of simplednn (kind 'trained', bulk layer `counts_sum`). */
export const simplednnMethod = lazyMethod(
  {
    ...SIMPLEDNN_INFO,
    kind: 'trained',
    defaults: SIMPLEDNN_DEFAULTS,
    quickOptions: SIMPLEDNN_QUICK,
    options: SIMPLEDNN_SCHEMA,
    bulkLayer: LAYERS.countsSum,
  },
  async () => (await import('./model.js')).simplednn,
);

registerMethod(simplednnMethod);
