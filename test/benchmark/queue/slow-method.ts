/**
 * A test-only method for the queue test: NNLS whose deconvolution waits `QUEUE_TEST_DELAY_MS`
 * (default 600 ms) first, so that a worker can be killed while it is surely mid-job. Its numbers are
 * NNLS's, so the queue run and the in-process run must agree to the byte.
 */
import '../../../src/methods/all-methods.js';
import { getMethod, listMethods, registerMethod } from '../../../src/methods/registry.js';
import type { Fitted, MethodSpec } from '../../../src/methods/types.js';

export const SLOW_METHOD = 'queue-test-slow';

export function registerSlowMethod(delayMs = Number(process.env.QUEUE_TEST_DELAY_MS ?? 600)): void {
  if (listMethods().includes(SLOW_METHOD)) return;
  const nnls = getMethod('nnls') as MethodSpec;
  registerMethod({
    ...nnls,
    name: SLOW_METHOD,
    description: 'NNLS after a pause (queue test only)',
    async fit(ref, opts): Promise<Fitted> {
      const inner = await nnls.fit(ref, opts);
      return {
        method: SLOW_METHOD,
        genes: inner.genes,
        cellTypes: inner.cellTypes,
        toJSON: () => inner.toJSON(),
        async deconvolve(bulk, o) {
          await new Promise((r) => setTimeout(r, delayMs));
          return inner.deconvolve(bulk, o);
        },
      };
    },
  });
}
