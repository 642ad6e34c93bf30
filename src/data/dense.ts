/**
 * Dense row-major matrix over one flat typed buffer.
 *
 * Linear methods use Float64Array; neural code uses Float32Array. Row views (`row(i)`,
 * `rowRange`) share the buffer; everything else returns a new matrix.
 */
import { ShapeError } from '../core/errors.js';

export type FloatArray = Float64Array | Float32Array;
export type FloatArrayCtor = Float64ArrayConstructor | Float32ArrayConstructor;

export class DenseMatrix<T extends FloatArray = FloatArray> {
  readonly kind = 'dense' as const;
  readonly rows: number;
  readonly cols: number;
  /** Row-major values, length rows*cols. */
  readonly data: T;

  constructor(rows: number, cols: number, data: T) {
    if (data.length !== rows * cols) {
      throw new ShapeError('dense matrix buffer has the wrong length', {
        code: 'E_SHAPE',
        got: data.length,
        expected: `${rows} x ${cols} = ${rows * cols}`,
      });
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /** A zero matrix of the given shape (Float64 by default). */
  static zeros(rows: number, cols: number, dtype: 'float64' | 'float32' = 'float64'): DenseMatrix {
    return new DenseMatrix(rows, cols, dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols));
  }

  /** Builds a Float64 matrix from an array of rows (tests, small inputs). */
  static fromRows(rows: ArrayLike<number>[]): DenseMatrix<Float64Array> {
    const r = rows.length;
    const c = r === 0 ? 0 : (rows[0] as ArrayLike<number>).length;
    const data = new Float64Array(r * c);
    for (let i = 0; i < r; i++) {
      const row = rows[i] as ArrayLike<number>;
      if (row.length !== c) {
        throw new ShapeError('rows have different lengths', { code: 'E_SHAPE', field: `row ${i}`, got: row.length, expected: c });
      }
      for (let j = 0; j < c; j++) data[i * c + j] = row[j] as number;
    }
    return new DenseMatrix(r, c, data);
  }

  get dtype(): 'float64' | 'float32' {
    return this.data instanceof Float32Array ? 'float32' : 'float64';
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j] as number;
  }

  set(i: number, j: number, v: number): void {
    this.data[i * this.cols + j] = v;
  }

  /** Zero-copy view of row i. */
  row(i: number): T {
    return this.data.subarray(i * this.cols, (i + 1) * this.cols) as T;
  }

  /** Copy of column j. */
  col(j: number): Float64Array {
    const out = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.data[i * this.cols + j] as number;
    return out;
  }

  /** Zero-copy view of rows [start, end). */
  rowRange(start: number, end: number): DenseMatrix<T> {
    return new DenseMatrix(end - start, this.cols, this.data.subarray(start * this.cols, end * this.cols) as T);
  }

  /** New matrix with the given rows, in the given order. */
  selectRows(idx: ArrayLike<number>): DenseMatrix<T> {
    const c = this.cols;
    const out = new (this.data.constructor as FloatArrayCtor)(idx.length * c) as T;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] as number;
      out.set(this.data.subarray(i * c, (i + 1) * c), k * c);
    }
    return new DenseMatrix(idx.length, c, out);
  }

  /** New matrix with the given columns, in the given order. */
  selectCols(idx: ArrayLike<number>): DenseMatrix<T> {
    const r = this.rows;
    const c = this.cols;
    const m = idx.length;
    let identity = m === c;
    for (let k = 0; k < m && identity; k++) identity = idx[k] === k;
    // The common case (the bulk's genes are the signature's, in order) is a plain copy.
    if (identity) return new DenseMatrix(r, m, this.data.slice() as T);
    const out = new (this.data.constructor as FloatArrayCtor)(r * m) as T;
    if (out instanceof Float64Array && this.data instanceof Float64Array && idx instanceof Int32Array) {
      gatherCols64(this.data, r, c, idx, out);
    } else {
      for (let i = 0; i < r; i++) {
        const base = i * c;
        const ob = i * m;
        for (let k = 0; k < m; k++) out[ob + k] = this.data[base + (idx[k] as number)] as number;
      }
    }
    return new DenseMatrix(r, m, out);
  }

  /** New transposed matrix (blocked for cache friendliness). */
  transpose(): DenseMatrix<T> {
    const r = this.rows;
    const c = this.cols;
    const src = this.data;
    const out = new (src.constructor as FloatArrayCtor)(r * c) as T;
    const B = 32;
    for (let ii = 0; ii < r; ii += B) {
      const iEnd = Math.min(ii + B, r);
      for (let jj = 0; jj < c; jj += B) {
        const jEnd = Math.min(jj + B, c);
        for (let i = ii; i < iEnd; i++) {
          for (let j = jj; j < jEnd; j++) out[j * r + i] = src[i * c + j] as number;
        }
      }
    }
    return new DenseMatrix(c, r, out);
  }

  copy(): DenseMatrix<T> {
    return new DenseMatrix(this.rows, this.cols, this.data.slice() as T);
  }

  /** Copy converted to the given precision. */
  astype(dtype: 'float64' | 'float32'): DenseMatrix {
    if (dtype === this.dtype) return this.copy();
    return new DenseMatrix(this.rows, this.cols, dtype === 'float32' ? Float32Array.from(this.data) : Float64Array.from(this.data));
  }

  rowSums(): Float64Array {
    const out = new Float64Array(this.rows);
    const c = this.cols;
    for (let i = 0; i < this.rows; i++) {
      let s = 0;
      const b = i * c;
      for (let j = 0; j < c; j++) s += this.data[b + j] as number;
      out[i] = s;
    }
    return out;
  }

  colSums(): Float64Array {
    const out = new Float64Array(this.cols);
    const c = this.cols;
    for (let i = 0; i < this.rows; i++) {
      const b = i * c;
      for (let j = 0; j < c; j++) out[j] = (out[j] as number) + (this.data[b + j] as number);
    }
    return out;
  }

  /** Array of rows (for tests and JSON output). */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.row(i)));
    return out;
  }
}

/** out = the columns idx of a row-major r x c float64 matrix (a monomorphic loop: V8 keeps it fast). */
function gatherCols64(src: Float64Array, r: number, c: number, idx: Int32Array, out: Float64Array): void {
  const m = idx.length;
  for (let i = 0; i < r; i++) {
    const base = i * c;
    const ob = i * m;
    for (let k = 0; k < m; k++) out[ob + k] = src[base + idx[k]!]!;
  }
}
