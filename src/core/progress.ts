/** Progress events and cancellation shared by every long-running call. */
import { AbortError } from './errors.js';

/** A plain progress event; the CLI turns these into bars, the library never draws. */
export interface ProgressEvent {
  /** What is running, e.g. 'read', 'train', 'simulate', 'deconvolve'. */
  stage: string;
  /** Units done so far. */
  step: number;
  /** Total units, when known. */
  total?: number;
  /** Extra label, e.g. the method name. */
  label?: string;
  /** Named numbers to show (loss terms, rho, ...). */
  metrics?: Record<string, number>;
}

/** Options every long call accepts. */
export interface LongRunOptions {
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** Throws an {@link AbortError} if the signal was aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * Returns a function that reports progress at most every `minIntervalMs` (plus the final step),
 * so that hot loops can call it freely.
 */
export function throttledProgress(
  onProgress: ((e: ProgressEvent) => void) | undefined,
  stage: string,
  total: number | undefined,
  label?: string,
  minIntervalMs = 100,
): (step: number, metrics?: Record<string, number>) => void {
  if (!onProgress) return () => {};
  let last = 0;
  return (step, metrics) => {
    const now = Date.now();
    if (now - last >= minIntervalMs || (total !== undefined && step >= total)) {
      last = now;
      onProgress({ stage, step, total, label, metrics });
    }
  };
}
