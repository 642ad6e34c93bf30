/**
 * Column tables for `obs` (per observation) and `var` (per gene) annotations.
 *
 * Columns are typed: string, numeric (Float64Array or Int32Array), boolean (Uint8Array 0/1),
 * and categorical (int codes, -1 = missing, plus the category names), the AnnData encodings.
 */
import { InputError, ShapeError } from '../core/errors.js';

export type Column =
  | { kind: 'string'; values: string[] }
  | { kind: 'numeric'; values: Float64Array | Int32Array | Float32Array }
  | { kind: 'boolean'; values: Uint8Array }
  | { kind: 'categorical'; codes: Int32Array; categories: string[]; ordered: boolean };

export function columnLength(c: Column): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

/** Builds a categorical column from strings (categories sorted, as pandas does by default). */
export function categoricalFrom(values: readonly string[], categories?: readonly string[]): Column & { kind: 'categorical' } {
  const cats = categories ? [...categories] : [...new Set(values)].sort();
  const index = new Map(cats.map((c, i) => [c, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string;
    const k = index.get(v);
    codes[i] = k === undefined ? -1 : k;
  }
  return { kind: 'categorical', codes, categories: cats, ordered: false };
}

/** A column's values as strings (categorical decoded; missing = ''). */
export function columnAsStrings(c: Column): string[] {
  switch (c.kind) {
    case 'string':
      return c.values;
    case 'categorical':
      return Array.from(c.codes, (k) => (k < 0 ? '' : (c.categories[k] as string)));
    case 'boolean':
      return Array.from(c.values, (v) => (v ? 'true' : 'false'));
    default:
      return Array.from(c.values, (v) => String(v));
  }
}

function selectColumn(c: Column, idx: ArrayLike<number>): Column {
  const n = idx.length;
  switch (c.kind) {
    case 'string': {
      const out = new Array<string>(n);
      for (let k = 0; k < n; k++) out[k] = c.values[idx[k] as number] as string;
      return { kind: 'string', values: out };
    }
    case 'categorical': {
      const codes = new Int32Array(n);
      for (let k = 0; k < n; k++) codes[k] = c.codes[idx[k] as number] as number;
      return { kind: 'categorical', codes, categories: c.categories, ordered: c.ordered };
    }
    case 'boolean': {
      const out = new Uint8Array(n);
      for (let k = 0; k < n; k++) out[k] = c.values[idx[k] as number] as number;
      return { kind: 'boolean', values: out };
    }
    default: {
      const out = new (c.values.constructor as Float64ArrayConstructor)(n);
      for (let k = 0; k < n; k++) out[k] = c.values[idx[k] as number] as number;
      return { kind: 'numeric', values: out };
    }
  }
}

function copyColumn(c: Column): Column {
  switch (c.kind) {
    case 'string':
      return { kind: 'string', values: [...c.values] };
    case 'categorical':
      return { kind: 'categorical', codes: c.codes.slice(), categories: [...c.categories], ordered: c.ordered };
    case 'boolean':
      return { kind: 'boolean', values: c.values.slice() };
    default:
      return { kind: 'numeric', values: c.values.slice() };
  }
}

/** An ordered set of equal-length named columns. */
export class Frame {
  readonly nRows: number;
  private readonly cols: Map<string, Column>;

  constructor(nRows: number, columns?: Iterable<[string, Column]> | Record<string, Column>) {
    this.nRows = nRows;
    this.cols = new Map();
    if (columns) {
      const entries = Symbol.iterator in columns ? (columns as Iterable<[string, Column]>) : Object.entries(columns);
      for (const [name, col] of entries) this.set(name, col);
    }
  }

  get columnNames(): string[] {
    return [...this.cols.keys()];
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  /** The column, or a typed error listing the columns that exist. */
  get(name: string, file?: string): Column {
    const c = this.cols.get(name);
    if (!c) {
      throw new InputError(`column '${name}' not found`, {
        code: 'E_NO_COLUMN',
        file,
        field: name,
        expected: `one of ${JSON.stringify(this.columnNames)}`,
        hint: 'Check the column name (case matters) or pass the right --labels option',
      });
    }
    return c;
  }

  /** Adds or replaces a column (length checked). */
  set(name: string, col: Column): void {
    const len = columnLength(col);
    if (len !== this.nRows) {
      throw new ShapeError(`column '${name}' has the wrong length`, { code: 'E_SHAPE', field: name, got: len, expected: this.nRows });
    }
    this.cols.set(name, col);
  }

  delete(name: string): void {
    this.cols.delete(name);
  }

  entries(): IterableIterator<[string, Column]> {
    return this.cols.entries();
  }

  selectRows(idx: ArrayLike<number>): Frame {
    const f = new Frame(idx.length);
    for (const [k, c] of this.cols) f.set(k, selectColumn(c, idx));
    return f;
  }

  copy(): Frame {
    const f = new Frame(this.nRows);
    for (const [k, c] of this.cols) f.set(k, copyColumn(c));
    return f;
  }
}
