/**
 * Structure checks for compressed sparse (CSR/CSC) elements, run once when a file is read: the
 * `shape` attribute against the arrays, a non-decreasing `indptr` inside [0, nnz], and every minor
 * index inside the shape. Damaged groups otherwise pass silently and give wrong results later (a
 * column index beyond the genes becomes an out-of-bounds read in a kernel). Each check is one
 * streaming pass with no allocation, so it can run block by block on files read from disk.
 */
import { FormatError } from '../../core/errors.js';

/** Where the checked element lives, for messages. */
export interface SparseWhere {
  file: string;
  /** Element path, e.g. 'X' or 'layers/counts'. */
  path: string;
  fmt: 'csr' | 'csc';
  shape: readonly [number, number];
}

function damaged(w: SparseWhere, what: string, got?: unknown, expected?: unknown): FormatError {
  return new FormatError(`sparse element '${w.path}' is damaged: ${what}`, {
    code: 'E_H5AD_STRUCTURE',
    file: w.file,
    field: w.path,
    got,
    expected,
    hint: 'The file was written incorrectly or corrupted; re-create it (e.g. adata.write_h5ad in Python) from the source data',
  });
}

/**
 * Checks array lengths against the shape attribute.
 *
 * @param indptrLength - Length of `indptr`.
 * @param nStored - Lengths of `indices` and `data`.
 * @throws {@link FormatError} `E_H5AD_STRUCTURE`.
 */
export function checkSparseLengths(w: SparseWhere, indptrLength: number, nIndices: number, nData: number): void {
  const [rows, cols] = w.shape;
  if (!(Number.isSafeInteger(rows) && Number.isSafeInteger(cols) && rows >= 0 && cols >= 0)) {
    throw damaged(w, "the 'shape' attribute is not two non-negative integers", w.shape);
  }
  const major = w.fmt === 'csr' ? rows : cols;
  if (indptrLength !== major + 1) {
    throw damaged(
      w,
      `the 'shape' attribute (${rows} x ${cols}) disagrees with indptr (${indptrLength} entries)`,
      indptrLength,
      `${major + 1} (${w.fmt === 'csr' ? 'rows' : 'columns'} + 1)`,
    );
  }
  if (nIndices !== nData)
    throw damaged(w, 'indices and data have different lengths', `indices ${nIndices}, data ${nData}`, 'equal lengths');
}

/**
 * Checks `indptr[from..to)` (absolute positions) is non-decreasing and inside [0, nnz]; `prev` is
 * indptr[from - 1] (or 0 for the first block). Returns the last value, to chain blocks.
 *
 * @throws {@link FormatError} `E_H5AD_STRUCTURE` naming the first bad position.
 */
export function checkIndptrBlock(w: SparseWhere, block: ArrayLike<number>, from: number, prev: number, nnz: number): number {
  let last = prev;
  for (let i = 0; i < block.length; i++) {
    const v = block[i] as number;
    const at = from + i;
    if (at === 0 && v !== 0) throw damaged(w, `indptr[0] is ${v}`, v, 0);
    if (!(v >= last)) throw damaged(w, `indptr is not non-decreasing at position ${at} (${last} then ${v})`, v, `>= ${last}`);
    if (v > nnz) throw damaged(w, `indptr[${at}] = ${v} points past the ${nnz} stored values`, v, `<= ${nnz}`);
    last = v;
  }
  return last;
}

/**
 * Checks that every minor index in `block` (stored positions from `offset`) is inside the shape.
 *
 * @throws {@link FormatError} `E_H5AD_STRUCTURE` naming the position and the bound.
 */
export function checkIndicesBlock(w: SparseWhere, block: ArrayLike<number>, offset: number): void {
  const minor = w.fmt === 'csr' ? w.shape[1] : w.shape[0];
  for (let k = 0; k < block.length; k++) {
    const v = block[k] as number;
    // One comparison pair per value in the common case.
    if (v >= 0 && v < minor) continue;
    const axis = w.fmt === 'csr' ? 'column' : 'row';
    throw damaged(
      w,
      `${axis} index ${v} at stored position ${offset + k} is outside 0..${minor - 1} (the 'shape' attribute says ${minor} ${axis}s)`,
      v,
      `0 <= index < ${minor}`,
    );
  }
}
