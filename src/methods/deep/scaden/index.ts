/** Registers the `scaden` method (imported once from `methods/all-methods.ts`). */
import { registerMethod } from '../../registry.js';
import { scaden } from './model.js';

registerMethod(scaden);

export { scaden };
