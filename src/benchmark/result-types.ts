/**
 * Row types of a benchmark's results, shared by the runner and the report (kept apart so that the
 * report, which loads vega, is imported only when a report is drawn).
 */
import type { Summary } from './metrics.js';

/** One row of the summary: a metric's distribution for one method x granularity x n_cells. */
export interface SummaryRow extends Summary {
  method: string;
  granularity: string;
  nCells: number;
  metric: string;
}

/** Timing of one method at one granularity (seconds; not part of results.csv). */
export interface TimingRow {
  method: string;
  granularity: string;
  fitSeconds: number;
  /** Deconvolution time per n_cells setting. */
  deconvolveSeconds: Record<string, number>;
}

/** A method run that threw; the other methods still run. */
export interface BenchmarkFailure {
  method: string;
  granularity: string;
  nCells?: number;
  stage: 'fit' | 'deconvolve';
  code?: string;
  message: string;
}

/** How often the truth fell inside a method's intervals, at the main n_cells. */
export interface CoverageRow {
  method: string;
  granularity: string;
  /** Nominal level of the intervals (0.9 for 5th-95th percentiles). */
  level: number;
  /** Share of (sample, cell type) pairs whose true proportion lies in [lower, upper]. */
  coverage: number;
  /** Mean interval width. */
  meanWidth: number;
}
