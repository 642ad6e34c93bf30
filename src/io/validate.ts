/**
 * Checks that callers run on matrices that must hold counts (NB/ZINB models, simulation from raw
 * counts, CPM from counts...). Readers do not enforce this themselves: a file of normalised values
 * is valid input for many methods.
 */
import { InputError } from '../core/errors.js';
import type { Matrix } from '../data/matrix.js';

/** Options for {@link assertCounts}. */
export interface AssertCountsOptions {
  /** Also reject non-integer values (default false: fractional counts, e.g. from EM, are allowed). */
  integer?: boolean;
  /** What the matrix is, for the message (e.g. 'layers/raw_counts'). */
  field?: string;
}

/** Row and column of stored value k. */
function locate(m: Matrix, k: number): [number, number] {
  if (m.kind === 'dense') return [Math.floor(k / m.cols), k % m.cols];
  const major = m.kind === 'csr' ? m.rows : m.cols;
  let lo = 0;
  let hi = major - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((m.indptr[mid] as number) <= k) lo = mid;
    else hi = mid - 1;
  }
  const minor = m.indices[k] as number;
  return m.kind === 'csr' ? [lo, minor] : [minor, lo];
}

/**
 * Throws unless every value is a finite, non-negative number (and an integer with `integer`).
 *
 * @param m - Any matrix (dense, CSR or CSC; views are checked over their own range only).
 * @param file - File the matrix came from, for the message.
 * @throws {@link InputError} `E_NONFINITE` (NaN/Inf), `E_NEGATIVE_COUNTS`, `E_NOT_INTEGER`, each
 *   with the row, column and value of the first offender and how many values are affected.
 * @example
 * ```ts
 * assertCounts(ref.layer('raw_counts'), 'ref.h5ad', { field: 'layers/raw_counts' });
 * ```
 */
export function assertCounts(m: Matrix, file?: string, opts: AssertCountsOptions = {}): void {
  const data = m.data;
  let start = 0;
  let end = data.length;
  if (m.kind !== 'dense') {
    const major = m.kind === 'csr' ? m.rows : m.cols;
    start = m.indptr[0] as number;
    end = m.indptr[major] as number;
  }
  let firstBad = -1;
  let badKind: 'nonfinite' | 'negative' | 'fraction' | undefined;
  let nBad = 0;
  for (let k = start; k < end; k++) {
    const v = data[k] as number;
    // One comparison covers the common case; the rest only runs on offenders.
    if (v >= 0 && v !== Infinity && (!opts.integer || Math.floor(v) === v)) continue;
    const kind = !Number.isFinite(v) ? 'nonfinite' : v < 0 ? 'negative' : 'fraction';
    const rank = { nonfinite: 0, negative: 1, fraction: 2 } as const;
    if (badKind === undefined || rank[kind] < rank[badKind]) {
      badKind = kind;
      firstBad = k;
    }
    nBad++;
  }
  if (badKind === undefined) return;
  const [i, j] = locate(m, firstBad);
  const v = data[firstBad] as number;
  const where = `row ${i}, column ${j}`;
  const field = opts.field ?? 'X';
  const more = nBad > 1 ? ` (${nBad.toLocaleString('en-US')} values are not valid counts)` : '';
  if (badKind === 'nonfinite') {
    throw new InputError(`counts contain ${Number.isNaN(v) ? 'NaN' : 'infinite'} values, first at ${where}${more}`, {
      code: 'E_NONFINITE',
      file,
      field,
      got: String(v),
      expected: 'finite non-negative counts',
      hint: 'Pass raw counts (e.g. the raw_counts layer), not a transformed matrix with missing values',
    });
  }
  if (badKind === 'negative') {
    throw new InputError(`counts contain negative values, first at ${where}${more}`, {
      code: 'E_NEGATIVE_COUNTS',
      file,
      field,
      got: v,
      expected: 'counts >= 0',
      hint: 'This looks like scaled or log-ratio data; pass raw counts instead (e.g. --layer raw_counts)',
    });
  }
  throw new InputError(`counts contain non-integer values, first at ${where}${more}`, {
    code: 'E_NOT_INTEGER',
    file,
    field,
    got: v,
    expected: 'integer counts',
    hint: 'This looks like normalised data; pass raw integer counts (e.g. --layer raw_counts)',
  });
}
