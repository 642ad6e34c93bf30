/** Registers the `decovart` method (imported once from `src/methods/all-methods.ts`). */
import { registerMethod } from '../registry.js';
import { decovart } from './method.js';

registerMethod(decovart);

export { DECOVART_DEFAULTS, DECOVART_QUICK, DecovartFitted, type DecovartOptions, decovart } from './method.js';
