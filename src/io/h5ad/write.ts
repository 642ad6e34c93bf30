/**
 * Writing a {@link Dataset} as an AnnData `.h5ad` file (anndata >= 0.8 encodings), atomically.
 *
 * Layout and attributes follow what anndata 0.8 writes (`encoding-type`/`encoding-version` on every
 * element, `_index` + `column-order` on dataframes, int64 `shape` on sparse groups), so Python
 * `anndata.read_h5ad` opens the files. Known difference: h5wasm cannot create HDF5 enum types, so
 * boolean columns are stored as uint8 0/1 (Python sees uint8; we read them back as booleans through
 * a `celldeconv-dtype` attribute) and boolean uns scalars as int8. For the same reason categorical
 * columns use anndata 0.7's layout by default (see {@link WriteH5adOptions.categoricals}).
 */
import { InputError } from '../../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../../core/progress.js';
import type { Dataset, Json } from '../../data/dataset.js';
import type { Column, Frame } from '../../data/frame.js';
import type { Matrix } from '../../data/matrix.js';
import { withAtomicOutput } from '../atomic.js';
import { type H5Group, openH5Write } from './h5.js';
import { clearObjectTimes } from './object-times.js';

/** The encoding versions this writer emits (those of anndata 0.8 - 0.11). */
export const WRITE_ENCODINGS = {
  anndata: '0.1.0',
  raw: '0.1.0',
  dict: '0.1.0',
  dataframe: '0.2.0',
  array: '0.2.0',
  'string-array': '0.2.0',
  categorical: '0.2.0',
  csr_matrix: '0.1.0',
  csc_matrix: '0.1.0',
  'numeric-scalar': '0.2.0',
  string: '0.2.0',
} as const;

type Enc = keyof typeof WRITE_ENCODINGS;

/** Options for {@link writeH5ad}. */
export interface WriteH5adOptions extends LongRunOptions {
  /** gzip level 1-9 for matrix data (chunked); default: no compression (fastest, anndata's default). */
  compression?: number;
  /**
   * Layout of categorical columns. 'legacy' (default): anndata 0.7's layout (dataframe 0.1.0, codes
   * with a reference to `__categories/<name>`), which every anndata from 0.7 to today reads.
   * 'modern': the `categorical` 0.2.0 group, whose `ordered` attribute anndata wants as an HDF5
   * enum boolean that h5wasm cannot create; we store int8, which anndata >= 0.9 accepts but 0.8
   * rejects ("'ordered' must either be 'True' or 'False'").
   */
  categoricals?: 'legacy' | 'modern';
  /** Per-observation arrays for `obsm` (e.g. a latent representation `X_dgd`), one row per observation. */
  obsm?: Record<string, Matrix>;
}

export interface WriteCtx {
  compression?: number;
  categoricals?: 'legacy' | 'modern';
}

export function tag(node: { create_attribute: H5Group['create_attribute'] }, enc: Enc): void {
  node.create_attribute('encoding-type', enc);
  node.create_attribute('encoding-version', WRITE_ENCODINGS[enc]);
}

function dtypeOf(v: ArrayBufferView): string {
  if (v instanceof Float32Array) return '<f';
  if (v instanceof Float64Array) return '<d';
  if (v instanceof Int32Array) return '<i';
  if (v instanceof Int16Array) return '<h';
  if (v instanceof Int8Array) return '<b';
  if (v instanceof Uint8Array) return '<B';
  if (v instanceof Uint16Array) return '<H';
  if (v instanceof Uint32Array) return '<I';
  return '<d';
}

function writeArray(
  g: H5Group,
  name: string,
  data: ArrayBufferView & ArrayLike<number>,
  shape: number[],
  ctx: WriteCtx,
  enc: Enc | null = 'array',
) {
  const n = data.length;
  const chunked = ctx.compression !== undefined && n > 0;
  const d = g.create_dataset({
    name,
    data: data as Float64Array,
    shape,
    dtype: dtypeOf(data),
    ...(chunked
      ? {
          chunks:
            shape.length === 2
              ? [Math.max(1, Math.min(shape[0] as number, Math.ceil(65536 / Math.max(1, shape[1] as number)))), shape[1] as number]
              : [Math.min(n, 65536)],
          compression: ctx.compression,
        }
      : {}),
  });
  if (enc) tag(d, enc);
  return d;
}

function writeStrings(g: H5Group, name: string, values: readonly string[]): void {
  const d = g.create_dataset({ name, data: [...values], shape: [values.length], dtype: 'S' });
  tag(d, 'string-array');
}

function smallestCodes(codes: Int32Array, nCats: number): Int8Array | Int16Array | Int32Array {
  // pandas stores codes in the smallest signed type that holds them (int8 up to 127 categories).
  if (nCats < 128) return Int8Array.from(codes);
  if (nCats < 32768) return Int16Array.from(codes);
  return codes;
}

function writeColumn(g: H5Group, name: string, c: Column, ctx: WriteCtx): void {
  switch (c.kind) {
    case 'string':
      writeStrings(g, name, c.values);
      return;
    case 'numeric':
      writeArray(g, name, c.values, [c.values.length], ctx);
      return;
    case 'boolean': {
      const d = writeArray(g, name, c.values, [c.values.length], ctx);
      d.create_attribute('celldeconv-dtype', 'bool');
      return;
    }
    case 'categorical': {
      const cg = g.create_group(name);
      tag(cg, 'categorical');
      cg.create_attribute('ordered', new Int8Array([c.ordered ? 1 : 0]), [], '<b');
      writeArray(cg, 'codes', smallestCodes(c.codes, c.categories.length), [c.codes.length], ctx);
      writeStrings(cg, 'categories', c.categories);
      return;
    }
  }
}

function writeLegacyCategorical(g: H5Group, name: string, c: Column & { kind: 'categorical' }, ctx: WriteCtx): void {
  if (!g.keys().includes('__categories')) g.create_group('__categories');
  const cats = g.create_dataset({ name: `__categories/${name}`, data: [...c.categories], shape: [c.categories.length], dtype: 'S' });
  tag(cats, 'string-array');
  cats.create_attribute('ordered', new Int8Array([c.ordered ? 1 : 0]), [], '<b');
  const codes = writeArray(g, name, smallestCodes(c.codes, c.categories.length), [c.codes.length], ctx);
  codes.create_attribute('categories', cats.create_reference());
}

/** HDF5 treats '/' as a path separator (and '.' alone as the group itself): such keys cannot be stored. */
function checkKey(key: string, where: string): void {
  if (key === '' || key === '.' || key.includes('/')) {
    throw new InputError(`${where} key ${JSON.stringify(key)} cannot be written to h5ad`, {
      code: 'E_H5AD_NAME',
      field: where,
      got: key,
      expected: "a non-empty name without '/'",
      hint: 'Rename it (anndata rejects such keys too)',
    });
  }
}

export function writeFrame(parent: H5Group, name: string, frame: Frame, index: readonly string[], ctx: WriteCtx): void {
  for (const k of frame.columnNames) checkKey(k, `${name} column`);
  const g = parent.create_group(name);
  const legacy = ctx.categoricals !== 'modern' && frame.columnNames.some((k) => frame.get(k).kind === 'categorical');
  g.create_attribute('encoding-type', 'dataframe');
  g.create_attribute('encoding-version', legacy ? '0.1.0' : WRITE_ENCODINGS.dataframe);
  g.create_attribute('_index', '_index');
  const cols = frame.columnNames;
  if (cols.length > 0) g.create_attribute('column-order', cols);
  // An empty column list is stored as an empty float64 array, as h5py/pandas do.
  else g.create_attribute('column-order', new Float64Array(0), [0], '<d');
  writeStrings(g, '_index', index);
  for (const k of cols) {
    if (k === '_index') {
      throw new InputError("a column named '_index' cannot be written to h5ad", {
        code: 'E_H5AD_NAME',
        field: k,
        hint: 'Rename the column',
      });
    }
    const c = frame.get(k);
    if (legacy && c.kind === 'categorical') writeLegacyCategorical(g, k, c, ctx);
    else writeColumn(g, k, c, ctx);
  }
}

function writeMatrix(parent: H5Group, name: string, m: Matrix, ctx: WriteCtx): void {
  if (m.kind === 'dense') {
    writeArray(parent, name, m.data, [m.rows, m.cols], ctx);
    return;
  }
  const g = parent.create_group(name);
  tag(g, m.kind === 'csr' ? 'csr_matrix' : 'csc_matrix');
  g.create_attribute('shape', [m.rows, m.cols], [2], '<q');
  const major = m.kind === 'csr' ? m.rows : m.cols;
  const a = m.indptr[0] as number;
  const b = m.indptr[major] as number;
  const nnz = b - a;
  // A row-range view shares indices/data with its parent: write only its own range, rebased at 0.
  const big = b > 2147483647;
  const indptr = big ? new BigInt64Array(major + 1) : new Int32Array(major + 1);
  for (let i = 0; i <= major; i++) {
    const v = (m.indptr[i] as number) - a;
    if (big) (indptr as BigInt64Array)[i] = BigInt(v);
    else (indptr as Int32Array)[i] = v;
  }
  writeArray(g, 'data', m.data.subarray(a, b), [nnz], ctx, null);
  writeArray(g, 'indices', m.indices.subarray(a, b), [nnz], ctx, null);
  if (big) g.create_dataset({ name: 'indptr', data: indptr as BigInt64Array, shape: [major + 1], dtype: '<q' });
  else writeArray(g, 'indptr', indptr as Int32Array, [major + 1], ctx, null);
}

export function emptyDict(parent: H5Group, name: string): H5Group {
  const g = parent.create_group(name);
  tag(g, 'dict');
  return g;
}

function writeUnsValue(g: H5Group, key: string, v: Json, path: string): void {
  checkKey(key, path);
  if (v === null) return; // anndata cannot store None either
  if (typeof v === 'string') {
    const d = g.create_dataset({ name: key, data: v, shape: [], dtype: 'S' });
    tag(d, 'string');
    return;
  }
  if (typeof v === 'number') {
    const d =
      Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER
        ? g.create_dataset({ name: key, data: new BigInt64Array([BigInt(v)]), shape: [], dtype: '<q' })
        : g.create_dataset({ name: key, data: new Float64Array([v]), shape: [], dtype: '<d' });
    tag(d, 'numeric-scalar');
    return;
  }
  if (typeof v === 'boolean') {
    const d = g.create_dataset({ name: key, data: new Int8Array([v ? 1 : 0]), shape: [], dtype: '<b' });
    tag(d, 'numeric-scalar');
    d.create_attribute('celldeconv-dtype', 'bool');
    return;
  }
  if (ArrayBuffer.isView(v)) {
    writeArray(g, key, v, [v.length], {});
    return;
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) {
      writeStrings(g, key, v as string[]);
      return;
    }
    if (v.every((x) => typeof x === 'number')) {
      const nums = v as number[];
      const allInt = nums.every((x) => Number.isSafeInteger(x));
      if (allInt && nums.length > 0) {
        const d = g.create_dataset({ name: key, data: BigInt64Array.from(nums, (x) => BigInt(x)), shape: [nums.length], dtype: '<q' });
        tag(d, 'array');
      } else writeArray(g, key, Float64Array.from(nums), [nums.length], {});
      return;
    }
    if (v.every((x) => typeof x === 'boolean')) {
      const d = writeArray(
        g,
        key,
        Uint8Array.from(v as boolean[], (x) => (x ? 1 : 0)),
        [v.length],
        {},
      );
      d.create_attribute('celldeconv-dtype', 'bool');
      return;
    }
    throw new InputError(`uns value '${path}' is a mixed array that h5ad cannot store`, {
      code: 'E_H5AD_UNS',
      field: path,
      hint: 'Store arrays of one type (numbers, strings or booleans), or a dict',
    });
  }
  const sub = emptyDict(g, key);
  for (const [k, x] of Object.entries(v)) writeUnsValue(sub, k, x, `${path}/${k}`);
}

/**
 * Writes a Dataset as `.h5ad` (temp file + rename, so a failure never leaves a partial file).
 * Byte-reproducible: the same Dataset gives the same bytes (HDF5 object times are cleared).
 *
 * @param path - Output file; its parent directory must exist.
 * @param ds - Dataset (X, layers, obs, var, raw, uns are written).
 * @param opts - `compression` (gzip level for matrix data), progress and cancellation.
 * @throws {@link InputError} `E_NO_PARENT_DIR`, `E_WRITE`, `E_H5AD_UNS` (an uns value h5ad cannot hold).
 * @example
 * ```ts
 * await writeH5ad('pbmc3k.h5ad', await datasets.pbmc3k());
 * // Python: anndata.read_h5ad('pbmc3k.h5ad')
 * ```
 */
export async function writeH5ad(path: string, ds: Dataset, opts: WriteH5adOptions = {}): Promise<void> {
  const ctx: WriteCtx = { compression: opts.compression, categoricals: opts.categoricals };
  const tick = throttledProgress(opts.onProgress, 'write', 5, 'h5ad');
  await withAtomicOutput(path, async (tmp) => {
    const f = await openH5Write(tmp);
    try {
      tag(f, 'anndata');
      writeFrame(f, 'obs', ds.obs, ds.obsNames, ctx);
      writeFrame(f, 'var', ds.var, ds.varNames, ctx);
      tick(1);
      throwIfAborted(opts.signal);
      writeMatrix(f, 'X', ds.X, ctx);
      tick(2);
      throwIfAborted(opts.signal);
      const layers = emptyDict(f, 'layers');
      for (const [k, m] of ds.layers) {
        checkKey(k, 'layers');
        writeMatrix(layers, k, m, ctx);
      }
      tick(3);
      throwIfAborted(opts.signal);
      if (ds.raw) {
        const rg = f.create_group('raw');
        tag(rg, 'raw');
        writeMatrix(rg, 'X', ds.raw.X, ctx);
        writeFrame(rg, 'var', ds.raw.var, ds.raw.varNames, ctx);
        emptyDict(rg, 'varm');
      }
      tick(4);
      const uns = emptyDict(f, 'uns');
      for (const [k, v] of Object.entries(ds.uns)) writeUnsValue(uns, k, v, `uns/${k}`);
      const obsm = emptyDict(f, 'obsm');
      for (const [k, m] of Object.entries(opts.obsm ?? {})) {
        checkKey(k, 'obsm');
        if (m.rows !== ds.nObs) {
          throw new InputError(`obsm '${k}' has ${m.rows} rows for ${ds.nObs} observations`, {
            code: 'E_SHAPE',
            field: `obsm/${k}`,
            got: m.rows,
            expected: ds.nObs,
          });
        }
        writeMatrix(obsm, k, m, ctx);
      }
      for (const k of ['varm', 'obsp', 'varp']) emptyDict(f, k);
      tick(5);
    } finally {
      f.close();
    }
    // Same data, same bytes: drop HDF5's object timestamps (outputs can be compared with cmp).
    clearObjectTimes(tmp);
  });
}
