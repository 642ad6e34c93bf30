/**
 * Training curves taken from the progress events a fit emits (the training loop reports every
 * epoch's mean loss terms and validation numbers, e.g. `val_rho`, `val_d`), so the benchmark shows
 * how far each deep model got without any method-specific code. Methods that report no per-epoch
 * metrics (the linear ones, Scaden's step counter) have no curve.
 */
import type { ProgressEvent } from '../core/progress.js';

/** One epoch of one training run (a trial, an ensemble member...: `series`). */
export interface CurvePoint {
  series: string;
  epoch: number;
  metrics: Record<string, number>;
}

/** The training curve of one method at one granularity. */
export interface TrainingCurve {
  method: string;
  granularity: string;
  points: CurvePoint[];
}

/**
 * Collects epoch records from `train` progress events. Within an epoch the loop first sends
 * per-step events and then the epoch summary, so the last event of each (series, epoch) is kept.
 */
export class CurveRecorder {
  private readonly byKey = new Map<string, CurvePoint>();

  record(e: ProgressEvent): void {
    if (e.stage !== 'train' || !e.metrics) return;
    const epoch = e.metrics.epoch;
    if (epoch === undefined || !Number.isFinite(epoch)) return;
    const series = e.label ?? '';
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.metrics)) if (k !== 'epoch' && Number.isFinite(v)) metrics[k] = v;
    this.byKey.set(`${series}\u0000${epoch}`, { series, epoch, metrics });
  }

  /** The points in the order first seen (series, then epoch). */
  points(): CurvePoint[] {
    return [...this.byKey.values()];
  }
}
