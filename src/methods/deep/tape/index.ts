/**
 * Registers the `tape` method (imported once from `methods/all-methods.ts`). The model code and
 * TensorFlow.js load on the first `fit` / `load` (see lazy-method.ts); import `./model.js` for the
 * implementation itself.
 */
import { LAYERS } from '../../../core/keys.js';
import { lazyMethod } from '../../lazy-method.js';
import { registerMethod } from '../../registry.js';
import { TAPE_DEFAULTS, TAPE_INFO, TAPE_QUICK, TAPE_SCHEMA } from './config.js';

/** The registry entry of tape (kind 'trained', bulk layer `counts_sum`). */
export const tapeMethod = lazyMethod(
  { ...TAPE_INFO, kind: 'trained', defaults: TAPE_DEFAULTS, quickOptions: TAPE_QUICK, options: TAPE_SCHEMA, bulkLayer: LAYERS.countsSum },
  async () => (await import('./model.js')).tape,
);

registerMethod(tapeMethod);
