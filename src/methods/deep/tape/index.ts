/** Registers the `tape` method (imported once from `methods/all-methods.ts`). */
import { registerMethod } from '../../registry.js';
import { tape } from './model.js';

registerMethod(tape);

export { tape };
