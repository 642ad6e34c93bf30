/**
 * Per-gene and per-cell summaries of any {@link Matrix} (dense, CSR, CSC), computed from the
 * stored values only, so sparse inputs are never densified.
 */
import type { DenseMatrix } from '../data/dense.js';
import type { Matrix } from '../data/matrix.js';
import { type CscMatrix, CsrMatrix } from '../data/sparse.js';

/** Per-column (gene) sum and number of non-zero values. */
export interface AxisCounts {
  /** Sum of the values, one per gene (columns) or cell (rows). */
  sums: Float64Array;
  /** Number of non-zero values, one per gene or cell. */
  nonzero: Float64Array;
}

/**
 * Column sums and non-zero counts (per gene for an observations x genes matrix).
 *
 * @param m - n x g matrix.
 * @returns `sums` and `nonzero`, each of length g.
 */
export function columnCounts(m: Matrix): AxisCounts {
  const sums = new Float64Array(m.cols);
  const nonzero = new Float64Array(m.cols);
  if (m.kind === 'dense') {
    const { data, rows, cols } = m;
    for (let i = 0; i < rows; i++) {
      const b = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[b + j] as number;
        if (v !== 0) {
          sums[j] = (sums[j] as number) + v;
          nonzero[j] = (nonzero[j] as number) + 1;
        }
      }
    }
    return { sums, nonzero };
  }
  if (m.kind === 'csr') {
    const s = m.indptr[0] as number;
    const e = m.indptr[m.rows] as number;
    for (let p = s; p < e; p++) {
      const v = m.data[p] as number;
      if (v === 0) continue;
      const j = m.indices[p] as number;
      sums[j] = (sums[j] as number) + v;
      nonzero[j] = (nonzero[j] as number) + 1;
    }
    return { sums, nonzero };
  }
  for (let j = 0; j < m.cols; j++) {
    let s = 0;
    let c = 0;
    const b = m.indptr[j + 1] as number;
    for (let p = m.indptr[j] as number; p < b; p++) {
      const v = m.data[p] as number;
      if (v !== 0) {
        s += v;
        c++;
      }
    }
    sums[j] = s;
    nonzero[j] = c;
  }
  return { sums, nonzero };
}

/**
 * Row sums and non-zero counts (per cell for an observations x genes matrix).
 *
 * @param m - n x g matrix.
 * @returns `sums` and `nonzero`, each of length n.
 */
export function rowCounts(m: Matrix): AxisCounts {
  if (m.kind === 'csc') {
    const t = columnCounts(m.transpose());
    return t;
  }
  const sums = new Float64Array(m.rows);
  const nonzero = new Float64Array(m.rows);
  if (m.kind === 'dense') {
    const { data, rows, cols } = m;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      let c = 0;
      const b = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[b + j] as number;
        if (v !== 0) {
          s += v;
          c++;
        }
      }
      sums[i] = s;
      nonzero[i] = c;
    }
    return { sums, nonzero };
  }
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    let c = 0;
    const b = m.indptr[i + 1] as number;
    for (let p = m.indptr[i] as number; p < b; p++) {
      const v = m.data[p] as number;
      if (v !== 0) {
        s += v;
        c++;
      }
    }
    sums[i] = s;
    nonzero[i] = c;
  }
  return { sums, nonzero };
}

/** Compressed-column view of any matrix: CSC as is, CSR transposed by counting sort, dense compressed. */
export function toCscMatrix(m: Matrix): CscMatrix {
  if (m.kind === 'csc') return m;
  if (m.kind === 'csr') return m.toCsc();
  return denseToCsr(m).toCsc();
}

/** Compressed-row form of any matrix (dense values are compressed, zeros dropped). */
export function toCsrMatrix(m: Matrix): CsrMatrix {
  if (m.kind === 'csr') return m;
  if (m.kind === 'csc') return m.toCsr();
  return denseToCsr(m);
}

function denseToCsr(m: DenseMatrix): CsrMatrix {
  // keeps the input precision (Float32 stays Float32)
  return CsrMatrix.fromDense(m);
}

/**
 * Finds the first value that cannot be a count (NaN, infinite or negative), without densifying.
 *
 * @param m - any matrix (inspected without densifying).
 * @returns `{value, row, col}` of the first bad value, or undefined when all are finite and >= 0.
 */
export function firstBadCount(m: Matrix): { value: number; row: number; col: number } | undefined {
  if (m.kind === 'dense') {
    const { data, cols } = m;
    for (let k = 0; k < data.length; k++) {
      const v = data[k] as number;
      if (!(v >= 0) || v === Number.POSITIVE_INFINITY) return { value: v, row: Math.floor(k / cols), col: k % cols };
    }
    return undefined;
  }
  const major = m.kind === 'csr' ? m.rows : m.cols;
  for (let a = 0; a < major; a++) {
    const b = m.indptr[a + 1] as number;
    for (let p = m.indptr[a] as number; p < b; p++) {
      const v = m.data[p] as number;
      if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
        const minor = m.indices[p] as number;
        return m.kind === 'csr' ? { value: v, row: a, col: minor } : { value: v, row: minor, col: a };
      }
    }
  }
  return undefined;
}

/** True when every stored value is an integer (raw counts). */
export function allIntegers(m: Matrix): boolean {
  const data = m.data;
  if (m.kind === 'dense') {
    for (let k = 0; k < data.length; k++) if (!Number.isInteger(data[k] as number)) return false;
    return true;
  }
  const major = m.kind === 'csr' ? m.rows : m.cols;
  const s = m.indptr[0] as number;
  const e = m.indptr[major] as number;
  for (let p = s; p < e; p++) if (!Number.isInteger(data[p] as number)) return false;
  return true;
}
