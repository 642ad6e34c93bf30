/**
 * What travels through the queue: one job per grid cell, everything a worker on another machine
 * needs to compute it (the reference by path and content hash, the settings, the cell), and the
 * id that makes re-enqueueing the same cell a no-op.
 */
import { createHash } from 'node:crypto';
import type { BenchmarkJob, CellSettings } from '../jobs.js';
import type { ReferenceLocator } from './inputs.js';

/** Version of {@link QueueJobData}; a worker refuses other versions. */
export const QUEUE_PROTOCOL = 1;

/** Sub-directory of the shared output directory where workers write finished cells. */
export const CELLS_DIR = 'cells';

/** The data of one queue job. */
export interface QueueJobData {
  protocol: number;
  /** Names the sweep: settings hash and seed (with the reference hash in the job id). */
  runId: string;
  reference: ReferenceLocator;
  settings: CellSettings;
  job: BenchmarkJob;
  /** The method's settings hash on the coordinator (a worker with other method defaults refuses the job). */
  methodHash: string;
  /** The benchmark's output directory on the coordinator (shared: inputs/ and cells/ live there). */
  outDir: string;
}

/** The run identity: the settings hash and the seed. */
export function runIdOf(settingsHash: string, seed: number): string {
  return `${settingsHash}-s${seed}`;
}

/**
 * A stable job id: the same cell of the same sweep (reference content, settings, seed) always gets
 * the same id, so a restarted coordinator finds the jobs already queued or done instead of adding them again.
 */
export function jobIdOf(runId: string, reference: ReferenceLocator, cellKey: string): string {
  const ref = reference.bundled ? `bundled:${reference.name}` : (reference.sha256 ?? reference.name);
  return `cell-${createHash('sha256').update(`${QUEUE_PROTOCOL}|${runId}|${ref}|${cellKey}`).digest('hex').slice(0, 32)}`;
}
