/** Registers the `simplednn` method (imported once from `methods/all-methods.ts`). */
import { registerMethod } from '../../registry.js';
import { simplednn } from './model.js';

registerMethod(simplednn);

export { simplednn };
