/**
 * Gene alignment between a fitted method's genes (e.g. a signature) and a bulk Dataset.
 *
 * Mirrors PyDeconv's `valid_anndata(tol=0.3)`: keep the fitted genes present in the bulk, in the
 * fitted order, and refuse when too few are present. Unlike PyDeconv it never shrinks the shared
 * signature in place: it returns index arrays, and callers build new matrices from them.
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { fmtInt, InputError } from '../core/errors.js';
import { DEFAULT_MIN_GENE_OVERLAP } from '../core/keys.js';

/** Result of {@link alignGenes}. */
export interface GeneAlignment {
  /** Positions (into the fitted genes) of the genes found in the bulk, in fitted order. */
  fittedIdx: Int32Array;
  /** Matching column positions in the bulk (first occurrence of a duplicated bulk gene). */
  bulkIdx: Int32Array;
  /** Fitted genes absent from the bulk, in fitted order. */
  missing: string[];
  /** found / total fitted genes (1 when there are no fitted genes). */
  fraction: number;
  /** Number of bulk gene names that occur more than once (the first occurrence is used). */
  duplicatedBulkGenes: number;
  /** Non-fatal notes (dropped genes, duplicated bulk genes). */
  warnings: DiagnosticWarning[];
}

/** Formats a percentage with at most one decimal, never rounding up across a threshold. */
export function fmtPercent(fraction: number): string {
  const p = Math.floor(fraction * 1000) / 10;
  return `${Number.isInteger(p) ? p.toFixed(0) : p.toFixed(1)}%`;
}

/**
 * Finds the fitted genes in a bulk's gene names.
 *
 * @param fittedGenes genes the method expects, in order (signature genes).
 * @param bulkGenes the bulk's `varNames` (columns of a samples x genes matrix).
 * @param minOverlap minimum fraction of `fittedGenes` that must be found (default 0.7, i.e.
 *   PyDeconv's tol = 0.3 of genes allowed missing).
 * @param what how to call the fitted genes in messages (default 'signature genes').
 * @returns index arrays into both gene lists, the missing genes and warnings.
 * @throws InputError `E_GENE_OVERLAP` when fewer than `minOverlap` of the fitted genes are found;
 *   the message says how many of how many were found and what to check.
 * @example
 * const a = alignGenes(['A', 'B', 'C'], ['C', 'A', 'X'], 0.5);
 * // a.fittedIdx = [0, 2], a.bulkIdx = [1, 0], a.missing = ['B']
 */
export function alignGenes(
  fittedGenes: readonly string[],
  bulkGenes: readonly string[],
  minOverlap: number = DEFAULT_MIN_GENE_OVERLAP,
  what = 'signature genes',
): GeneAlignment {
  if (!(minOverlap >= 0 && minOverlap <= 1)) {
    throw new InputError('minimum gene overlap must be a fraction in [0, 1]', {
      code: 'E_OPTION',
      field: 'minGeneOverlap',
      got: minOverlap,
      expected: 'a number between 0 and 1, e.g. 0.7',
    });
  }
  const index = new Map<string, number>();
  let dup = 0;
  for (let j = 0; j < bulkGenes.length; j++) {
    const g = bulkGenes[j]!;
    if (index.has(g)) dup++;
    else index.set(g, j);
  }
  const fIdx: number[] = [];
  const bIdx: number[] = [];
  const missing: string[] = [];
  for (let k = 0; k < fittedGenes.length; k++) {
    const j = index.get(fittedGenes[k]!);
    if (j === undefined) missing.push(fittedGenes[k]!);
    else {
      fIdx.push(k);
      bIdx.push(j);
    }
  }
  const total = fittedGenes.length;
  const found = fIdx.length;
  const fraction = total === 0 ? 1 : found / total;
  if (fraction < minOverlap || (total > 0 && found === 0)) {
    throw new InputError(
      `only ${fmtInt(found)} of ${fmtInt(total)} ${what} found in the bulk (${fmtPercent(fraction)}, need >= ${fmtPercent(minOverlap)})`,
      {
        code: 'E_GENE_OVERLAP',
        field: 'genes',
        got: missing.slice(0, 5),
        expected: `at least ${fmtInt(Math.ceil(minOverlap * total))} shared genes`,
        hint:
          'Check that both files use the same gene identifiers (Ensembl IDs vs symbols, case, version suffixes like .1), ' +
          'that the bulk orientation is right (--genes-in rows|columns), or lower the threshold (--min-overlap)',
      },
    );
  }
  const warnings: DiagnosticWarning[] = [];
  if (missing.length > 0) {
    warnings.push({
      code: 'W_GENES_DROPPED',
      message: `${fmtInt(missing.length)} of ${fmtInt(total)} ${what} are not in the bulk and were dropped (${fmtPercent(fraction)} found), e.g. ${missing.slice(0, 3).join(', ')}`,
    });
  }
  if (dup > 0) {
    warnings.push({
      code: 'W_DUPLICATED_BULK_GENES',
      message: `${fmtInt(dup)} bulk gene names occur more than once; the first occurrence of each is used`,
    });
  }
  return {
    fittedIdx: Int32Array.from(fIdx),
    bulkIdx: Int32Array.from(bIdx),
    missing,
    fraction,
    duplicatedBulkGenes: dup,
    warnings,
  };
}
