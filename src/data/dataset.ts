/**
 * `Dataset`: the one container, AnnData-like, observations x genes.
 *
 * `X` and each named layer have shape nObs x nVars and may be dense or sparse. `obs`/`var` hold
 * typed annotation columns, `obsNames`/`varNames` the row and column names, `uns` free JSON-like
 * metadata, `raw` an optional (X, var) pair of the unfiltered genes, as in AnnData.
 *
 * Selections return new Datasets whose matrices share storage where that is cheap (contiguous
 * row ranges of dense/CSR data) and copy otherwise. Treat matrices as read-only; call `copy()`
 * before writing.
 *
 * @example
 * const ds = new Dataset({ X: DenseMatrix.fromRows([[1, 0], [0, 2]]), obsNames: ['c1', 'c2'], varNames: ['g1', 'g2'] });
 * ds.selectObs([1]).X; // 1 x 2
 */
import { InputError, ShapeError } from '../core/errors.js';
import { categoricalFrom, columnAsStrings, Frame } from './frame.js';
import { type Matrix, selectCols, selectRows } from './matrix.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | Float64Array | Float32Array | Int32Array;

export interface RawData {
  X: Matrix;
  var: Frame;
  varNames: string[];
}

export interface DatasetInit {
  X: Matrix;
  obsNames?: string[];
  varNames?: string[];
  obs?: Frame;
  var?: Frame;
  layers?: Record<string, Matrix> | Map<string, Matrix>;
  uns?: Record<string, Json>;
  raw?: RawData;
}

function defaultNames(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

export class Dataset {
  readonly X: Matrix;
  readonly obsNames: string[];
  readonly varNames: string[];
  readonly obs: Frame;
  readonly var: Frame;
  readonly layers: Map<string, Matrix>;
  uns: Record<string, Json>;
  readonly raw?: RawData;

  constructor(init: DatasetInit) {
    this.X = init.X;
    const n = init.X.rows;
    const g = init.X.cols;
    this.obsNames = init.obsNames ?? defaultNames('obs', n);
    this.varNames = init.varNames ?? defaultNames('var', g);
    if (this.obsNames.length !== n) {
      throw new ShapeError('obsNames length does not match X rows', {
        code: 'E_SHAPE',
        field: 'obsNames',
        got: this.obsNames.length,
        expected: n,
      });
    }
    if (this.varNames.length !== g) {
      throw new ShapeError('varNames length does not match X columns', {
        code: 'E_SHAPE',
        field: 'varNames',
        got: this.varNames.length,
        expected: g,
      });
    }
    this.obs = init.obs ?? new Frame(n);
    this.var = init.var ?? new Frame(g);
    if (this.obs.nRows !== n)
      throw new ShapeError('obs has the wrong number of rows', { code: 'E_SHAPE', field: 'obs', got: this.obs.nRows, expected: n });
    if (this.var.nRows !== g)
      throw new ShapeError('var has the wrong number of rows', { code: 'E_SHAPE', field: 'var', got: this.var.nRows, expected: g });
    this.layers = new Map(init.layers instanceof Map ? init.layers : Object.entries(init.layers ?? {}));
    for (const [name, m] of this.layers) {
      if (m.rows !== n || m.cols !== g) {
        throw new ShapeError(`layer '${name}' shape does not match X`, {
          code: 'E_SHAPE',
          field: `layers/${name}`,
          got: `${m.rows} x ${m.cols}`,
          expected: `${n} x ${g}`,
        });
      }
    }
    this.uns = init.uns ?? {};
    this.raw = init.raw;
    if (this.raw && this.raw.X.rows !== n) {
      throw new ShapeError('raw.X rows do not match X rows', { code: 'E_SHAPE', field: 'raw/X', got: this.raw.X.rows, expected: n });
    }
  }

  get nObs(): number {
    return this.X.rows;
  }

  get nVars(): number {
    return this.X.cols;
  }

  get shape(): [number, number] {
    return [this.X.rows, this.X.cols];
  }

  /** X (layer undefined or 'X') or a named layer; typed error listing the layers otherwise. */
  layer(name?: string): Matrix {
    if (name === undefined || name === 'X') return this.X;
    const m = this.layers.get(name);
    if (!m) {
      throw new InputError(`layer '${name}' not found`, {
        code: 'E_NO_LAYER',
        field: name,
        expected: `X or one of ${JSON.stringify([...this.layers.keys()])}`,
        hint: 'Pass an existing layer name, or omit it to use X',
      });
    }
    return m;
  }

  /** A Dataset with `layer` as X (other layers kept). */
  withX(X: Matrix): Dataset {
    return new Dataset({
      X,
      obsNames: this.obsNames,
      varNames: this.varNames,
      obs: this.obs,
      var: this.var,
      layers: this.layers,
      uns: this.uns,
      raw: this.raw,
    });
  }

  /** Observations in the given order. Contiguous ranges of dense/CSR data share storage. */
  selectObs(idx: ArrayLike<number>): Dataset {
    const sel = (m: Matrix) => selectRowsCheap(m, idx);
    const layers = new Map<string, Matrix>();
    for (const [k, m] of this.layers) layers.set(k, sel(m));
    const obsNames = Array.from(idx, (i) => this.obsNames[i] as string);
    return new Dataset({
      X: sel(this.X),
      obsNames,
      varNames: this.varNames,
      obs: this.obs.selectRows(idx),
      var: this.var,
      layers,
      uns: this.uns,
      raw: this.raw ? { X: sel(this.raw.X), var: this.raw.var, varNames: this.raw.varNames } : undefined,
    });
  }

  /** Genes in the given order (raw keeps all genes, as in AnnData). */
  selectVars(idx: ArrayLike<number>): Dataset {
    const layers = new Map<string, Matrix>();
    for (const [k, m] of this.layers) layers.set(k, selectCols(m, idx));
    return new Dataset({
      X: selectCols(this.X, idx),
      obsNames: this.obsNames,
      varNames: Array.from(idx, (j) => this.varNames[j] as string),
      obs: this.obs,
      var: this.var.selectRows(idx),
      layers,
      uns: this.uns,
      raw: this.raw,
    });
  }

  /** Genes by name, in the given order; typed error naming the first missing genes. */
  selectVarsByName(names: readonly string[]): Dataset {
    const index = this.varIndex();
    const idx = new Int32Array(names.length);
    const missing: string[] = [];
    names.forEach((nm, k) => {
      const j = index.get(nm);
      if (j === undefined) missing.push(nm);
      else idx[k] = j;
    });
    if (missing.length > 0) {
      throw new InputError(`${missing.length} requested genes are not in the data`, {
        code: 'E_GENES_MISSING',
        got: missing.slice(0, 5),
        hint: 'Intersect genes first (preprocess.intersectGenes) or check the gene identifiers',
      });
    }
    return this.selectVars(idx);
  }

  /** Map gene name -> first column index. */
  varIndex(): Map<string, number> {
    const m = new Map<string, number>();
    this.varNames.forEach((g, j) => {
      if (!m.has(g)) m.set(g, j);
    });
    return m;
  }

  /** Map observation name -> first row index. */
  obsIndex(): Map<string, number> {
    const m = new Map<string, number>();
    this.obsNames.forEach((o, i) => {
      if (!m.has(o)) m.set(o, i);
    });
    return m;
  }

  /**
   * Labels of an obs column as codes + category names (string/categorical columns).
   * Missing values get code -1.
   */
  labels(column: string): { codes: Int32Array; categories: string[] } {
    const c = this.obs.get(column);
    if (c.kind === 'categorical') return { codes: c.codes, categories: c.categories };
    if (c.kind === 'numeric') {
      throw new InputError(`obs column '${column}' is numeric, not a label column`, {
        code: 'E_LABELS_NUMERIC',
        field: column,
        hint: 'Pass a string or categorical column with cell-type names',
      });
    }
    const cat = categoricalFrom(columnAsStrings(c).map((s) => s));
    return { codes: cat.codes, categories: cat.categories };
  }

  /** Deep copy (matrices, frames, uns). */
  copy(): Dataset {
    const layers = new Map<string, Matrix>();
    for (const [k, m] of this.layers) layers.set(k, m.copy());
    return new Dataset({
      X: this.X.copy(),
      obsNames: [...this.obsNames],
      varNames: [...this.varNames],
      obs: this.obs.copy(),
      var: this.var.copy(),
      layers,
      uns: structuredClone(this.uns),
      raw: this.raw ? { X: this.raw.X.copy(), var: this.raw.var.copy(), varNames: [...this.raw.varNames] } : undefined,
    });
  }
}

/** Zero-copy for contiguous ascending ranges of dense/CSR rows, otherwise a compact copy. */
function selectRowsCheap(m: Matrix, idx: ArrayLike<number>): Matrix {
  const n = idx.length;
  if (n > 0 && m.kind !== 'csc') {
    const start = idx[0] as number;
    let contiguous = true;
    for (let k = 1; k < n; k++) {
      if ((idx[k] as number) !== start + k) {
        contiguous = false;
        break;
      }
    }
    if (contiguous) return m.rowRange(start, start + n);
  }
  return selectRows(m, idx);
}
