/**
 * Registers the `scaden` method (imported once from `methods/all-methods.ts`). The model code and
 * TensorFlow.js load on the first `fit` / `load` (see lazy-method.ts); import `./model.js` for the
 * implementation itself.
 */
import { LAYERS } from '../../../core/keys.js';
import { lazyMethod } from '../../lazy-method.js';
import { registerMethod } from '../../registry.js';
import { SCADEN_DEFAULTS, SCADEN_INFO, SCADEN_QUICK, SCADEN_SCHEMA } from './config.js';

/** The registry entry of scaden (kind 'trained', bulk layer `counts_sum`). */
export const scadenMethod = lazyMethod(
  {
    ...SCADEN_INFO,
    kind: 'trained',
    defaults: SCADEN_DEFAULTS,
    quickOptions: SCADEN_QUICK,
    options: SCADEN_SCHEMA,
    bulkLayer: LAYERS.countsSum,
  },
  async () => (await import('./model.js')).scaden,
);

registerMethod(scadenMethod);
