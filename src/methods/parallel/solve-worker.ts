/**
 * Worker-thread entry point of {@link solveSamplesInWorkers}: a long-lived loop that, for each
 * job message, imports the solver module named in `location` (cached by the module loader),
 * prepares once, solves its block of samples and posts the results back.
 */
import { parentPort } from 'node:worker_threads';
import type { SignatureSolver } from '../signature-method.js';
import type { WorkerMessage, WorkerSolverLocation } from './run-parallel.js';

interface WorkerJob {
  type: 'job';
  id: number;
  location: WorkerSolverLocation;
  S: Float64Array;
  nGenes: number;
  nTypes: number;
  options: unknown;
  seed: number;
  Y: Float64Array;
  nRows: number;
  rows: Int32Array;
  extraKeys: string[];
}

const port = parentPort!;

async function runJob(d: WorkerJob): Promise<void> {
  try {
    const mod = (await import(d.location.module)) as Record<string, unknown>;
    const solver = mod[d.location.exportName] as SignatureSolver<unknown> | undefined;
    if (!solver || typeof solver.solve !== 'function') throw new Error(`${d.location.exportName} is not a solver in ${d.location.module}`);
    const prep = solver.prepare(d.S, d.nGenes, d.nTypes, d.options, d.seed);
    const C = d.nTypes;
    const G = d.nGenes;
    const raw = new Float64Array(d.nRows * C);
    const iterations = new Int32Array(d.nRows);
    const converged = new Uint8Array(d.nRows);
    const extra: Record<string, Float64Array> = {};
    for (const k of d.extraKeys) extra[k] = new Float64Array(d.nRows).fill(Number.NaN);
    const out = new Float64Array(C);
    let lastPost = Date.now();
    for (let r = 0; r < d.nRows; r++) {
      out.fill(0);
      const o = solver.solve(prep, d.Y.subarray(r * G, (r + 1) * G), out, d.rows[r]!);
      raw.set(out, r * C);
      iterations[r] = o.iterations;
      converged[r] = o.converged ? 1 : 0;
      if (o.extra) for (const k of d.extraKeys) if (o.extra[k] !== undefined) extra[k]![r] = o.extra[k]!;
      const now = Date.now();
      if (now - lastPost > 200) {
        lastPost = now;
        port.postMessage({ type: 'progress', id: d.id, done: r + 1 } satisfies WorkerMessage);
      }
    }
    const msg: WorkerMessage = { type: 'done', id: d.id, raw, iterations, converged, extra };
    port.postMessage(msg, [raw.buffer, iterations.buffer, converged.buffer, ...Object.values(extra).map((a) => a.buffer)] as ArrayBuffer[]);
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: string };
    port.postMessage({
      type: 'error',
      id: d.id,
      error: { name: err.name ?? 'Error', message: err.message ?? String(e), code: err.code },
    } satisfies WorkerMessage);
  }
}

port.on('message', (m: WorkerJob) => {
  if (m && m.type === 'job') void runJob(m);
});
