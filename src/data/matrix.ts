/** The matrix union a Dataset holds, and helpers that work on any member. */
import type { DenseMatrix } from './dense.js';
import type { CscMatrix, CsrMatrix } from './sparse.js';

export type Matrix = DenseMatrix | CsrMatrix | CscMatrix;

export function isSparse(m: Matrix): m is CsrMatrix | CscMatrix {
  return m.kind !== 'dense';
}

/** Number of stored values (rows*cols for dense). */
export function storedCount(m: Matrix): number {
  return m.kind === 'dense' ? m.rows * m.cols : m.nnz;
}

export function rowSums(m: Matrix): Float64Array {
  return m.rowSums();
}

export function colSums(m: Matrix): Float64Array {
  return m.colSums();
}

/** Rows in the given order (CSC is converted to CSR first: row access is what callers want). */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  if (m.kind === 'csc') return m.selectRows(idx);
  return m.selectRows(idx);
}

export function selectCols(m: Matrix, idx: ArrayLike<number>): Matrix {
  return m.selectCols(idx);
}

/** Dense copy, optionally restricted to some columns. */
export function toDense(m: Matrix, colIdx?: ArrayLike<number>, dtype: 'float64' | 'float32' = 'float64'): DenseMatrix {
  if (m.kind === 'dense') {
    const d = colIdx ? m.selectCols(colIdx) : m.copy();
    return d.dtype === dtype ? d : d.astype(dtype);
  }
  if (m.kind === 'csr') return m.toDense(colIdx, dtype);
  return colIdx ? m.densifyCols(colIdx, dtype) : m.toDense(dtype);
}

/** Row-oriented form: dense stays dense, CSC becomes CSR. */
export function toRowMajor(m: Matrix): DenseMatrix | CsrMatrix {
  return m.kind === 'csc' ? m.toCsr() : m;
}

/** Zero-copy row range where the storage allows it (dense, CSR); CSC is converted. */
export function rowRange(m: Matrix, start: number, end: number): DenseMatrix | CsrMatrix {
  const r = toRowMajor(m);
  return r.rowRange(start, end);
}

/** Row i densified into `out`. */
export function rowDense(m: DenseMatrix | CsrMatrix, i: number, out: Float64Array | Float32Array): Float64Array | Float32Array {
  if (m.kind === 'csr') return m.rowDense(i, out);
  out.set(m.row(i));
  return out;
}

/** Sum of the given rows, the pseudobulk kernel, for any row-major matrix. */
export function gatherSumRows(m: DenseMatrix | CsrMatrix, idx: ArrayLike<number>, out?: Float64Array): Float64Array {
  if (m.kind === 'csr') return m.gatherSumRows(idx, out);
  const res = out ?? new Float64Array(m.cols);
  res.fill(0);
  for (let k = 0; k < idx.length; k++) {
    const row = m.row(idx[k] as number);
    for (let j = 0; j < row.length; j++) res[j] = (res[j] as number) + (row[j] as number);
  }
  return res;
}

/** Visits every stored value (v may be 0 for dense). Stops early if fn returns false. */
export function forEachStored(m: Matrix, fn: (v: number) => boolean | void): void {
  const data = m.data;
  if (m.kind === 'dense') {
    for (let k = 0; k < data.length; k++) if (fn(data[k] as number) === false) return;
    return;
  }
  const major = m.kind === 'csr' ? m.rows : m.cols;
  const s = m.indptr[0] as number;
  const e = m.indptr[major] as number;
  for (let k = s; k < e; k++) if (fn(data[k] as number) === false) return;
}

/** Short description for `info`: "csr float32, 8.3% dense". */
export function describeMatrix(m: Matrix): string {
  const base = `${m.kind} ${m.dtype}`;
  if (m.kind === 'dense') return base;
  return `${base}, ${(m.density * 100).toFixed(2)}% non-zero (${m.nnz.toLocaleString('en-US')} stored)`;
}
