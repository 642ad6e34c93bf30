/**
 * Compressed sparse matrices (CSR and CSC).
 *
 * Layout follows scipy: `indptr` (length major+1), `indices` (minor index per stored value),
 * `data`. `indptr[0]` need not be 0: a row-range view of a CSR matrix shares `indices`/`data`
 * with its parent and only slices `indptr`, so it copies nothing. `indptr` is a Float64Array so
 * that more than 2^31 stored values stay addressable.
 */
import { ShapeError } from '../core/errors.js';
import { DenseMatrix, type FloatArray, type FloatArrayCtor } from './dense.js';

export interface CompressedParts {
  indptr: Float64Array;
  indices: Int32Array;
  data: FloatArray;
}

function checkParts(major: number, minor: number, p: CompressedParts, what: string): void {
  if (p.indptr.length !== major + 1) {
    throw new ShapeError(`${what} indptr has the wrong length`, { code: 'E_SHAPE', got: p.indptr.length, expected: major + 1 });
  }
  if (p.indices.length !== p.data.length) {
    throw new ShapeError(`${what} indices and data differ in length`, {
      code: 'E_SHAPE',
      got: `${p.indices.length} indices, ${p.data.length} values`,
    });
  }
  void minor;
}

/** Counting-sort transpose of compressed storage: CSR <-> CSC of the same matrix. */
function transposeParts(major: number, minor: number, p: CompressedParts): CompressedParts {
  const { indptr, indices, data } = p;
  const start = indptr[0] as number;
  const end = indptr[major] as number;
  const nnz = end - start;
  const counts = new Float64Array(minor + 1);
  for (let k = start; k < end; k++) {
    const j = (indices[k] as number) + 1;
    counts[j] = (counts[j] as number) + 1;
  }
  for (let j = 0; j < minor; j++) counts[j + 1] = (counts[j + 1] as number) + (counts[j] as number);
  const outPtr = counts.slice();
  const next = counts.slice(0, minor);
  const outIdx = new Int32Array(nnz);
  const outData = new (data.constructor as FloatArrayCtor)(nnz);
  for (let i = 0; i < major; i++) {
    const a = indptr[i] as number;
    const b = indptr[i + 1] as number;
    for (let k = a; k < b; k++) {
      const j = indices[k] as number;
      const pos = next[j] as number;
      next[j] = pos + 1;
      outIdx[pos] = i;
      outData[pos] = data[k] as number;
    }
  }
  return { indptr: outPtr, indices: outIdx, data: outData };
}

/** Compressed sparse row matrix (rows = observations, the usual cells x genes layout). */
export class CsrMatrix {
  readonly kind = 'csr' as const;
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Float64Array;
  readonly indices: Int32Array;
  readonly data: FloatArray;

  constructor(rows: number, cols: number, parts: CompressedParts) {
    checkParts(rows, cols, parts, 'CSR');
    this.rows = rows;
    this.cols = cols;
    this.indptr = parts.indptr;
    this.indices = parts.indices;
    this.data = parts.data;
  }

  /** Number of stored values in this (possibly view) matrix. */
  get nnz(): number {
    return (this.indptr[this.rows] as number) - (this.indptr[0] as number);
  }

  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.nnz / (this.rows * this.cols);
  }

  get dtype(): 'float64' | 'float32' {
    return this.data instanceof Float32Array ? 'float32' : 'float64';
  }

  /** Builds a CSR matrix from a dense one, keeping non-zeros. */
  static fromDense(m: DenseMatrix): CsrMatrix {
    const { rows, cols, data } = m;
    let nnz = 0;
    for (let k = 0; k < data.length; k++) if (data[k] !== 0) nnz++;
    const indptr = new Float64Array(rows + 1);
    const indices = new Int32Array(nnz);
    const vals = new (data.constructor as FloatArrayCtor)(nnz);
    let p = 0;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j] as number;
        if (v !== 0) {
          indices[p] = j;
          vals[p] = v;
          p++;
        }
      }
      indptr[i + 1] = p;
    }
    return new CsrMatrix(rows, cols, { indptr, indices, data: vals });
  }

  /** Value at (i, j); O(log nnz in row) when indices are sorted, as they are for our builders. */
  get(i: number, j: number): number {
    let lo = this.indptr[i] as number;
    let hi = (this.indptr[i + 1] as number) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.indices[mid] as number;
      if (c === j) return this.data[mid] as number;
      if (c < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Zero-copy view of rows [start, end). */
  rowRange(start: number, end: number): CsrMatrix {
    return new CsrMatrix(end - start, this.cols, {
      indptr: this.indptr.subarray(start, end + 1),
      indices: this.indices,
      data: this.data,
    });
  }

  /** New compact matrix with the given rows in the given order. */
  selectRows(idx: ArrayLike<number>): CsrMatrix {
    let nnz = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      nnz += (this.indptr[i + 1] as number) - (this.indptr[i] as number);
    }
    const indptr = new Float64Array(idx.length + 1);
    const indices = new Int32Array(nnz);
    const data = new (this.data.constructor as FloatArrayCtor)(nnz);
    let p = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      const a = this.indptr[i] as number;
      const b = this.indptr[i + 1] as number;
      indices.set(this.indices.subarray(a, b), p);
      data.set(this.data.subarray(a, b), p);
      p += b - a;
      indptr[k + 1] = p;
    }
    return new CsrMatrix(idx.length, this.cols, { indptr, indices, data });
  }

  /** New matrix with the given columns (in the given order; duplicates allowed). */
  selectCols(idx: ArrayLike<number>): CsrMatrix {
    // map old column -> list of new positions (usually one)
    const first = new Int32Array(this.cols).fill(-1);
    const nextDup = new Int32Array(idx.length).fill(-1);
    for (let k = idx.length - 1; k >= 0; k--) {
      const j = idx[k] as number;
      nextDup[k] = first[j] as number;
      first[j] = k;
    }
    let isAscending = true;
    for (let k = 1; k < idx.length; k++) if ((idx[k] as number) <= (idx[k - 1] as number)) isAscending = false;
    let nnz = 0;
    const s = this.indptr[0] as number;
    const e = this.indptr[this.rows] as number;
    for (let p = s; p < e; p++) {
      for (let k = first[this.indices[p] as number] as number; k >= 0; k = nextDup[k] as number) nnz++;
    }
    const indptr = new Float64Array(this.rows + 1);
    const indices = new Int32Array(nnz);
    const data = new (this.data.constructor as FloatArrayCtor)(nnz);
    let q = 0;
    for (let i = 0; i < this.rows; i++) {
      const a = this.indptr[i] as number;
      const b = this.indptr[i + 1] as number;
      const rowStart = q;
      for (let p = a; p < b; p++) {
        for (let k = first[this.indices[p] as number] as number; k >= 0; k = nextDup[k] as number) {
          indices[q] = k;
          data[q] = this.data[p] as number;
          q++;
        }
      }
      if (!isAscending) sortSegment(indices, data, rowStart, q);
      indptr[i + 1] = q;
    }
    return new CsrMatrix(this.rows, idx.length, { indptr, indices, data });
  }

  /** Sum of each row. */
  rowSums(): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      let s = 0;
      const b = this.indptr[i + 1] as number;
      for (let p = this.indptr[i] as number; p < b; p++) s += this.data[p] as number;
      out[i] = s;
    }
    return out;
  }

  /** Number of stored non-zero values per row. */
  rowNnz(): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      let c = 0;
      const b = this.indptr[i + 1] as number;
      for (let p = this.indptr[i] as number; p < b; p++) if (this.data[p] !== 0) c++;
      out[i] = c;
    }
    return out;
  }

  /** Sum of each column. */
  colSums(): Float64Array {
    const out = new Float64Array(this.cols);
    const s = this.indptr[0] as number;
    const e = this.indptr[this.rows] as number;
    for (let p = s; p < e; p++) {
      const j = this.indices[p] as number;
      out[j] = (out[j] as number) + (this.data[p] as number);
    }
    return out;
  }

  /** Number of non-zero values per column. */
  colNnz(): Float64Array {
    const out = new Float64Array(this.cols);
    const s = this.indptr[0] as number;
    const e = this.indptr[this.rows] as number;
    for (let p = s; p < e; p++) {
      if (this.data[p] === 0) continue;
      const j = this.indices[p] as number;
      out[j] = (out[j] as number) + 1;
    }
    return out;
  }

  /**
   * Per-group column sums: `groups[i]` in 0..nGroups-1 (or -1 to skip the row).
   * Returns a nGroups x cols Float64 matrix and the row count per group.
   */
  groupColSums(groups: ArrayLike<number>, nGroups: number): { sums: DenseMatrix<Float64Array>; counts: Float64Array } {
    const sums = new Float64Array(nGroups * this.cols);
    const counts = new Float64Array(nGroups);
    for (let i = 0; i < this.rows; i++) {
      const g = groups[i] as number;
      if (g < 0) continue;
      counts[g] = (counts[g] as number) + 1;
      const base = g * this.cols;
      const b = this.indptr[i + 1] as number;
      for (let p = this.indptr[i] as number; p < b; p++) {
        const j = base + (this.indices[p] as number);
        sums[j] = (sums[j] as number) + (this.data[p] as number);
      }
    }
    return { sums: new DenseMatrix(nGroups, this.cols, sums), counts };
  }

  /** Per-group column means (groups as in {@link groupColSums}); empty groups give zeros. */
  groupColMeans(groups: ArrayLike<number>, nGroups: number): DenseMatrix<Float64Array> {
    const { sums, counts } = this.groupColSums(groups, nGroups);
    for (let g = 0; g < nGroups; g++) {
      const n = counts[g] as number;
      if (n === 0) continue;
      const row = sums.row(g);
      for (let j = 0; j < row.length; j++) row[j] = (row[j] as number) / n;
    }
    return sums;
  }

  /**
   * Sum of the given rows (repeats count again) into `out` (length cols, zeroed first unless
   * `accumulate`). The pseudobulk kernel: O(nnz of the chosen rows).
   */
  gatherSumRows(idx: ArrayLike<number>, out?: Float64Array, accumulate = false): Float64Array {
    const res = out ?? new Float64Array(this.cols);
    if (!accumulate) res.fill(0);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      const b = this.indptr[i + 1] as number;
      for (let p = this.indptr[i] as number; p < b; p++) {
        const j = this.indices[p] as number;
        res[j] = (res[j] as number) + (this.data[p] as number);
      }
    }
    return res;
  }

  /** Row i as a dense vector (written into `out` when given). */
  rowDense(i: number, out?: Float64Array | Float32Array): Float64Array | Float32Array {
    const res = out ?? new Float64Array(this.cols);
    res.fill(0);
    const b = this.indptr[i + 1] as number;
    for (let p = this.indptr[i] as number; p < b; p++) res[this.indices[p] as number] = this.data[p] as number;
    return res;
  }

  /** Dense rows x cols matrix (optionally only the listed columns, in that order). */
  toDense(colIdx?: ArrayLike<number>, dtype: 'float64' | 'float32' = 'float64'): DenseMatrix {
    if (!colIdx) {
      const out = dtype === 'float32' ? new Float32Array(this.rows * this.cols) : new Float64Array(this.rows * this.cols);
      for (let i = 0; i < this.rows; i++) {
        const base = i * this.cols;
        const b = this.indptr[i + 1] as number;
        for (let p = this.indptr[i] as number; p < b; p++) out[base + (this.indices[p] as number)] = this.data[p] as number;
      }
      return new DenseMatrix(this.rows, this.cols, out);
    }
    const map = new Int32Array(this.cols).fill(-1);
    for (let k = 0; k < colIdx.length; k++) map[colIdx[k] as number] = k;
    const m = colIdx.length;
    const out = dtype === 'float32' ? new Float32Array(this.rows * m) : new Float64Array(this.rows * m);
    for (let i = 0; i < this.rows; i++) {
      const base = i * m;
      const b = this.indptr[i + 1] as number;
      for (let p = this.indptr[i] as number; p < b; p++) {
        const k = map[this.indices[p] as number] as number;
        if (k >= 0) out[base + k] = this.data[p] as number;
      }
    }
    // duplicated columns in colIdx: fill the later copies from the first
    if (new Set(Array.from(colIdx)).size !== m) {
      for (let k = 0; k < m; k++) {
        const first = map[colIdx[k] as number] as number;
        if (first !== k) for (let i = 0; i < this.rows; i++) out[i * m + k] = out[i * m + first] as number;
      }
    }
    return new DenseMatrix(this.rows, m, out);
  }

  /** Same matrix in CSC storage. */
  toCsc(): CscMatrix {
    return new CscMatrix(this.rows, this.cols, transposeParts(this.rows, this.cols, this));
  }

  /** The transpose, zero-copy (CSR of A is CSC of A^T). */
  transpose(): CscMatrix {
    return new CscMatrix(this.cols, this.rows, { indptr: this.indptr, indices: this.indices, data: this.data });
  }

  /** Compact deep copy (a view's unused parent storage is dropped). */
  copy(): CsrMatrix {
    const s = this.indptr[0] as number;
    const e = this.indptr[this.rows] as number;
    const indptr = new Float64Array(this.rows + 1);
    for (let i = 0; i <= this.rows; i++) indptr[i] = (this.indptr[i] as number) - s;
    return new CsrMatrix(this.rows, this.cols, {
      indptr,
      indices: this.indices.slice(s, e),
      data: this.data.slice(s, e) as FloatArray,
    });
  }

  /** Copy with each row multiplied by `factors[i]`. */
  scaleRows(factors: ArrayLike<number>): CsrMatrix {
    const c = this.copy();
    for (let i = 0; i < c.rows; i++) {
      const f = factors[i] as number;
      const b = c.indptr[i + 1] as number;
      for (let p = c.indptr[i] as number; p < b; p++) c.data[p] = (c.data[p] as number) * f;
    }
    return c;
  }

  /** Copy with `fn` applied to every stored value (fn(0) must be 0 to keep sparsity meaningful). */
  mapValues(fn: (v: number) => number): CsrMatrix {
    const c = this.copy();
    for (let p = 0; p < c.data.length; p++) c.data[p] = fn(c.data[p] as number);
    return c;
  }
}

/** Compressed sparse column matrix. */
export class CscMatrix {
  readonly kind = 'csc' as const;
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Float64Array;
  readonly indices: Int32Array;
  readonly data: FloatArray;

  constructor(rows: number, cols: number, parts: CompressedParts) {
    checkParts(cols, rows, parts, 'CSC');
    this.rows = rows;
    this.cols = cols;
    this.indptr = parts.indptr;
    this.indices = parts.indices;
    this.data = parts.data;
  }

  get nnz(): number {
    return (this.indptr[this.cols] as number) - (this.indptr[0] as number);
  }

  get density(): number {
    return this.rows * this.cols === 0 ? 0 : this.nnz / (this.rows * this.cols);
  }

  get dtype(): 'float64' | 'float32' {
    return this.data instanceof Float32Array ? 'float32' : 'float64';
  }

  /** The transpose, zero-copy. */
  transpose(): CsrMatrix {
    return new CsrMatrix(this.cols, this.rows, { indptr: this.indptr, indices: this.indices, data: this.data });
  }

  /** Same matrix in CSR storage. */
  toCsr(): CsrMatrix {
    return new CsrMatrix(this.rows, this.cols, transposeParts(this.cols, this.rows, this));
  }

  get(i: number, j: number): number {
    return this.transpose().get(j, i);
  }

  /** Zero-copy view of columns [start, end). */
  colRange(start: number, end: number): CscMatrix {
    return this.transpose().rowRange(start, end).transpose();
  }

  /** New matrix with the given columns. */
  selectCols(idx: ArrayLike<number>): CscMatrix {
    return this.transpose().selectRows(idx).transpose();
  }

  /** New matrix with the given rows. */
  selectRows(idx: ArrayLike<number>): CscMatrix {
    return this.transpose().selectCols(idx).transpose();
  }

  colSums(): Float64Array {
    return this.transpose().rowSums();
  }

  rowSums(): Float64Array {
    return this.transpose().colSums();
  }

  /** Dense matrix of the listed columns only (the fast way to densify a gene subset). */
  densifyCols(colIdx: ArrayLike<number>, dtype: 'float64' | 'float32' = 'float64'): DenseMatrix {
    const m = colIdx.length;
    const out = dtype === 'float32' ? new Float32Array(this.rows * m) : new Float64Array(this.rows * m);
    for (let k = 0; k < m; k++) {
      const j = colIdx[k] as number;
      const b = this.indptr[j + 1] as number;
      for (let p = this.indptr[j] as number; p < b; p++) out[(this.indices[p] as number) * m + k] = this.data[p] as number;
    }
    return new DenseMatrix(this.rows, m, out);
  }

  toDense(dtype: 'float64' | 'float32' = 'float64'): DenseMatrix {
    const all = new Int32Array(this.cols);
    for (let j = 0; j < this.cols; j++) all[j] = j;
    return this.densifyCols(all, dtype);
  }

  copy(): CscMatrix {
    return this.transpose().copy().transpose();
  }
}

/** Sorts (indices, data) in [a, b) by index: insertion sort for short segments, else an index sort. */
function sortSegment(indices: Int32Array, data: FloatArray, a: number, b: number): void {
  if (b - a > 32) {
    const order = Array.from({ length: b - a }, (_, k) => k);
    const keys = indices.slice(a, b);
    const vals = data.slice(a, b);
    order.sort((x, y) => (keys[x] as number) - (keys[y] as number));
    for (let k = 0; k < order.length; k++) {
      indices[a + k] = keys[order[k] as number] as number;
      data[a + k] = vals[order[k] as number] as number;
    }
    return;
  }
  for (let i = a + 1; i < b; i++) {
    const ki = indices[i] as number;
    const vi = data[i] as number;
    let j = i - 1;
    while (j >= a && (indices[j] as number) > ki) {
      indices[j + 1] = indices[j] as number;
      data[j + 1] = data[j] as number;
      j--;
    }
    indices[j + 1] = ki;
    data[j + 1] = vi;
  }
}
