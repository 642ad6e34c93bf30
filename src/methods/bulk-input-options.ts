/**
 * Options of the real-bulk input step that wraps every method's `deconvolve` (see `bulk-input.ts`).
 * Kept apart from the implementation so that `types.ts` can name them without importing it.
 */
import type { DuplicateGenesPolicy, GeneMap } from '../preprocess/bulk-genes.js';
import type { FractionKind } from '../preprocess/mrna-fractions.js';

/** Gene-wise platform correction between the reference and the bulk cohort. */
export type PlatformCorrection = 'none' | 'bmode';
export const PLATFORM_CORRECTIONS: readonly PlatformCorrection[] = ['none', 'bmode'];

/** Options of the shared real-bulk input step (`DeconvolveOptions.bulkInput`). */
export interface BulkInputOptions {
  /**
   * Units of the bulk's X: `counts`, `cpm`, `tpm`, `fpkm`, `relative` (per 1e4), `proportions`,
   * or `log1p-<unit>` / `log2-<unit>`; `auto` or undefined = detected (the detection is reported).
   */
  units?: string;
  /** Report cell fractions (default) or mRNA fractions (see `preprocess/mrna-fractions.ts`). */
  fractions?: FractionKind;
  /**
   * Gene-wise platform correction: `bmode` (CIBERSORTx B-mode, ComBat against mixtures reconstituted
   * from a first pass) or `none`. Default: `none` for signature methods, DeCovarT, MixupVI and scVI; `bmode` for Scaden, TAPE, SimpleDNN.
   */
  platformCorrection?: PlatformCorrection;
  /** Duplicated bulk gene names: keep the first (default, with a warning), sum, mean, or refuse. */
  duplicateGenes?: DuplicateGenesPolicy;
  /** Orthologue / identifier map (file path or parsed), applied to the bulk's gene names first. */
  geneMap?: string | GeneMap;
  /** Degenerate results (a type at 0 in every sample, identical samples) throw `E_DEGENERATE_RESULT`. */
  strict?: boolean;
}
