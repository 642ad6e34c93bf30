/**
 * AnnData element encodings: a small registry keyed by `encoding-type`, each entry listing the
 * `encoding-version`s it understands (anndata's `_io/specs/registry.py` idea). Readers turn one HDF5
 * element into a plain value; an unknown type or version is a {@link FormatError} that names the
 * encoding and the element path. Elements without encoding attributes (files from anndata < 0.8)
 * are read by shape: datasets as arrays, groups with `h5sparse_format` as sparse, other groups as
 * dicts.
 */
import { FormatError } from '../../core/errors.js';
import { type Column, Frame } from '../../data/frame.js';
import { CscMatrix, CsrMatrix } from '../../data/sparse.js';
import {
  attr,
  attrString,
  checkFilters,
  child,
  dsKind,
  type H5Dataset,
  type H5Group,
  type H5Node,
  isDataset,
  isGroup,
  plain,
} from './h5.js';
import { checkIndicesBlock, checkIndptrBlock, checkSparseLengths, type SparseWhere } from './sparse-check.js';

/** Numeric typed arrays h5wasm returns (bigint arrays already converted to Float64Array). */
export type NumArray = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;

/** One decoded element. */
export type Elem =
  | { enc: 'array'; values: NumArray; shape: number[]; isBool: boolean }
  | { enc: 'string-array'; values: string[]; shape: number[] }
  | { enc: 'csr_matrix'; matrix: CsrMatrix }
  | { enc: 'csc_matrix'; matrix: CscMatrix }
  | { enc: 'categorical'; column: Column & { kind: 'categorical' } }
  | { enc: 'dataframe'; frame: Frame; index: string[] }
  | { enc: 'dict'; entries: Map<string, Elem> }
  | { enc: 'numeric-scalar'; value: number | boolean }
  | { enc: 'string'; value: string };

/** Reading context: the file name (for messages) and what to do with unsupported dict children. */
export interface ReadContext {
  file: string;
  /** Called instead of throwing for unsupported elements inside dicts that allow skipping (uns). */
  onSkip?: (path: string, encoding: string) => void;
}

type Reader = (node: H5Node, path: string, ctx: ReadContext) => Elem;

interface EncodingSpec {
  versions: readonly string[];
  read: Reader;
}

const REGISTRY = new Map<string, EncodingSpec>();

/** Registers a reader for an encoding type and its supported versions. */
export function registerEncoding(type: string, versions: readonly string[], read: Reader): void {
  REGISTRY.set(type, { versions, read });
}

/** Encoding types and versions this build reads (for messages and docs). */
export function supportedEncodings(): Record<string, readonly string[]> {
  return Object.fromEntries([...REGISTRY].map(([k, v]) => [k, v.versions]));
}

/** The encoding-type / -version of an element, inferred for legacy files without attributes. */
export function encodingOf(node: H5Node): { type: string; version?: string } {
  const type = attrString(node, 'encoding-type');
  if (type !== undefined) return { type, version: attrString(node, 'encoding-version') };
  if (isDataset(node)) return { type: dsKind(node).kind === 'string' ? 'string-array' : 'array' };
  const fmt = attrString(node, 'h5sparse_format');
  if (fmt === 'csr' || fmt === 'csc') return { type: `${fmt}_matrix` };
  return { type: 'dict' };
}

/** Typed error for an element we cannot decode. */
export function unsupported(ctx: ReadContext, path: string, type: string, version?: string, why?: string): FormatError {
  const supported = supportedEncodings();
  const known = supported[type];
  return new FormatError(
    known
      ? `unsupported encoding-version '${version}' of '${type}' at element '${path}'`
      : `unsupported encoding '${type}'${version ? ` (version ${version})` : ''} at element '${path}'${why ? `: ${why}` : ''}`,
    {
      code: 'E_H5AD_ENCODING',
      file: ctx.file,
      field: path,
      got: version ? `${type} ${version}` : type,
      expected: known ? `${type} version ${known.join(' or ')}` : `one of ${Object.keys(supported).join(', ')}`,
      hint: 'Re-save the file with anndata >= 0.8 using the standard encodings, or drop this element before writing',
    },
  );
}

/** Decodes one element through the registry. */
export function readElem(node: H5Node, path: string, ctx: ReadContext): Elem {
  const { type, version } = encodingOf(node);
  const spec = REGISTRY.get(type);
  if (!spec) throw unsupported(ctx, path, type, version);
  if (version !== undefined && !spec.versions.includes(version)) throw unsupported(ctx, path, type, version);
  return spec.read(node, path, ctx);
}

function needDataset(node: H5Node, path: string, ctx: ReadContext, type: string): H5Dataset {
  if (!isDataset(node)) throw unsupported(ctx, path, type, undefined, 'expected a dataset, found a group');
  return node;
}

function needGroup(node: H5Node, path: string, ctx: ReadContext, type: string): H5Group {
  if (!isGroup(node)) throw unsupported(ctx, path, type, undefined, 'expected a group, found a dataset');
  return node;
}

function needChild(g: H5Group, name: string, path: string, ctx: ReadContext): H5Node {
  const c = child(g, name);
  if (!c) {
    throw new FormatError(`element '${path}' has no '${name}'`, {
      code: 'E_H5AD_STRUCTURE',
      file: ctx.file,
      field: `${path}/${name}`,
      hint: 'The file is incomplete or was not written by anndata',
    });
  }
  return c;
}

/** Elements read per h5wasm call: bounds the transient WebAssembly heap use (which never shrinks). */
export const SLICE_ELEMENTS = 1 << 22;

/**
 * Reads elements [start, end) of a 1-D numeric dataset (or rows [start, end) of a 2-D one) through
 * an HDF5 hyperslab: only that range passes through the WebAssembly heap. Bigint arrays become
 * Float64Array.
 */
export function readNumericSlice(d: H5Dataset, start: number, end: number): NumArray {
  const shape = d.shape ?? [];
  const v = plain(shape.length <= 1 ? d.slice([[start, end]]) : d.slice([[start, end], ...shape.slice(1).map((): [] => [])]));
  return v as NumArray;
}

function sameTypeArray(like: NumArray, n: number): NumArray {
  const Ctor = like.constructor as new (n: number) => NumArray;
  return new Ctor(n);
}

/**
 * Reads a dataset's full value as a numeric array (bool enums as Int8Array with isBool). Large
 * datasets are read in slices of {@link SLICE_ELEMENTS} into the output array, so the WebAssembly
 * heap never holds the whole dataset (a dataset near 4 GB could not be read at all otherwise).
 *
 * @throws {@link FormatError} `E_H5AD_ENCODING` for non-numeric dtypes, `E_H5_FILTER` for
 *   compression filters this build cannot decode.
 */
export function readNumeric(d: H5Dataset, path: string, ctx: ReadContext): { values: NumArray; shape: number[]; isBool: boolean } {
  const k = dsKind(d);
  if (k.kind === 'string' || k.kind === 'other')
    throw unsupported(ctx, path, 'array', undefined, `dtype ${String(d.dtype)} is not numeric`);
  checkFilters(d, ctx.file, path);
  const shape = d.shape ?? [];
  const total = shape.reduce((a, b) => a * b, 1);
  const rowLen = shape.length <= 1 ? 1 : total / Math.max(1, shape[0] as number);
  let values: NumArray | undefined;
  if (shape.length === 0 || total <= SLICE_ELEMENTS || rowLen === 0) {
    const v = plain(d.value);
    values = (ArrayBuffer.isView(v) ? v : typeof v === 'number' ? Float64Array.of(v) : undefined) as NumArray | undefined;
  } else {
    const rows = shape[0] as number;
    const step = Math.max(1, Math.floor(SLICE_ELEMENTS / rowLen));
    for (let a = 0; a < rows; a += step) {
      const b = Math.min(rows, a + step);
      const part = readNumericSlice(d, a, b);
      if (!ArrayBuffer.isView(part)) break;
      values ??= sameTypeArray(part, total);
      values.set(part as ArrayLike<number>, a * rowLen);
    }
  }
  if (!values) throw unsupported(ctx, path, 'array', undefined, `cannot decode dtype ${String(d.dtype)}`);
  return { values, shape, isBool: k.kind === 'bool' };
}

function readStrings(d: H5Dataset, path: string, ctx: ReadContext): string[] {
  if (dsKind(d).kind !== 'string') throw unsupported(ctx, path, 'string-array', undefined, `dtype ${String(d.dtype)} is not a string type`);
  checkFilters(d, ctx.file, path);
  const v = d.value;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : String(x)));
  return [];
}

function toIndexArray(v: NumArray, path: string, ctx: ReadContext): Int32Array {
  if (v instanceof Int32Array) return v;
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (x > 2147483647) throw new FormatError('sparse index exceeds 2^31', { code: 'E_H5AD_STRUCTURE', file: ctx.file, field: path });
    out[i] = x;
  }
  return out;
}

function toFloatArray(v: NumArray): Float32Array | Float64Array {
  if (v instanceof Float32Array || v instanceof Float64Array) return v;
  return Float64Array.from(v);
}

function readSparse(node: H5Node, path: string, ctx: ReadContext, fmt: 'csr' | 'csc'): Elem {
  const type = `${fmt}_matrix`;
  const g = needGroup(node, path, ctx, type);
  const shapeAttr = attr(g, 'shape') ?? attr(g, 'h5sparse_shape');
  const shape = Array.from((shapeAttr ?? []) as ArrayLike<number>, Number);
  if (shape.length !== 2) {
    throw new FormatError(`sparse element '${path}' has no valid 'shape' attribute`, {
      code: 'E_H5AD_STRUCTURE',
      file: ctx.file,
      field: path,
    });
  }
  const [rows, cols] = shape as [number, number];
  const data = readNumeric(needDataset(needChild(g, 'data', path, ctx), `${path}/data`, ctx, 'array'), `${path}/data`, ctx).values;
  const indices = readNumeric(
    needDataset(needChild(g, 'indices', path, ctx), `${path}/indices`, ctx, 'array'),
    `${path}/indices`,
    ctx,
  ).values;
  const indptr = readNumeric(needDataset(needChild(g, 'indptr', path, ctx), `${path}/indptr`, ctx, 'array'), `${path}/indptr`, ctx).values;
  const where: SparseWhere = { file: ctx.file, path, fmt, shape: [rows, cols] };
  checkSparseLengths(where, indptr.length, indices.length, data.length);
  checkIndptrBlock(where, indptr, 0, 0, data.length);
  checkIndicesBlock(where, indices, 0);
  const parts = { indptr: Float64Array.from(indptr), indices: toIndexArray(indices, `${path}/indices`, ctx), data: toFloatArray(data) };
  return fmt === 'csr'
    ? { enc: 'csr_matrix', matrix: new CsrMatrix(rows, cols, parts) }
    : { enc: 'csc_matrix', matrix: new CscMatrix(rows, cols, parts) };
}

/** Decodes a dataframe column element into a Frame column. */
export function elemToColumn(e: Elem, path: string, ctx: ReadContext): Column {
  switch (e.enc) {
    case 'string-array':
      return { kind: 'string', values: e.values };
    case 'categorical':
      return e.column;
    case 'array': {
      // Booleans: h5py writes an enum; we write uint8 marked with an attribute (h5wasm cannot create enums).
      if (e.isBool) return { kind: 'boolean', values: Uint8Array.from(e.values) };
      const v = e.values;
      if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array) return { kind: 'numeric', values: v };
      return { kind: 'numeric', values: Int32Array.from(v) };
    }
    default:
      throw unsupported(ctx, path, e.enc, undefined, 'not a dataframe column encoding');
  }
}

registerEncoding('array', ['0.2.0'], (node, path, ctx) => {
  const d = needDataset(node, path, ctx, 'array');
  if (dsKind(d).kind === 'string') {
    const values = readStrings(d, path, ctx);
    return { enc: 'string-array', values, shape: d.shape ?? [values.length] };
  }
  const r = readNumeric(d, path, ctx);
  // Our writer marks booleans stored as uint8 so that they come back as booleans.
  const isBool = r.isBool || attrString(d, 'celldeconv-dtype') === 'bool';
  return { enc: 'array', ...r, isBool };
});

registerEncoding('string-array', ['0.2.0'], (node, path, ctx) => {
  const d = needDataset(node, path, ctx, 'string-array');
  const values = readStrings(d, path, ctx);
  return { enc: 'string-array', values, shape: d.shape ?? [values.length] };
});

registerEncoding('csr_matrix', ['0.1.0'], (node, path, ctx) => readSparse(node, path, ctx, 'csr'));
registerEncoding('csc_matrix', ['0.1.0'], (node, path, ctx) => readSparse(node, path, ctx, 'csc'));

registerEncoding('categorical', ['0.2.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'categorical');
  const codesRaw = readNumeric(needDataset(needChild(g, 'codes', path, ctx), `${path}/codes`, ctx, 'array'), `${path}/codes`, ctx).values;
  const catsNode = needChild(g, 'categories', path, ctx);
  const catsElem = readElem(catsNode, `${path}/categories`, ctx);
  let categories: string[];
  if (catsElem.enc === 'string-array') categories = catsElem.values;
  else if (catsElem.enc === 'array') categories = Array.from(catsElem.values, (x) => String(x));
  else throw unsupported(ctx, `${path}/categories`, catsElem.enc, undefined, 'categories must be an array');
  const codes = Int32Array.from(codesRaw);
  checkCodes(codes, categories.length, path, ctx);
  const o = attr(g, 'ordered');
  const ordered = Boolean(ArrayBuffer.isView(o) ? (o as Int8Array)[0] : o);
  return { enc: 'categorical', column: { kind: 'categorical', codes, categories, ordered } };
});

registerEncoding('dataframe', ['0.2.0', '0.1.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'dataframe');
  const indexKey = attrString(g, '_index') ?? '_index';
  const idxElem = readElem(needChild(g, indexKey, path, ctx), `${path}/${indexKey}`, ctx);
  const index = idxElem.enc === 'string-array' ? idxElem.values : idxElem.enc === 'array' ? Array.from(idxElem.values, String) : undefined;
  if (!index) throw unsupported(ctx, `${path}/${indexKey}`, idxElem.enc, undefined, 'a dataframe index must be an array');
  const orderAttr = attr(g, 'column-order');
  const order: string[] =
    typeof orderAttr === 'string'
      ? [orderAttr]
      : Array.isArray(orderAttr)
        ? orderAttr.map(String)
        : ArrayBuffer.isView(orderAttr)
          ? []
          : [];
  const frame = new Frame(index.length);
  for (const name of order) {
    const c = needChild(g, name, path, ctx);
    if (isDataset(c) && c.attrs.categories !== undefined) frame.set(name, readLegacyCategorical(c, `${path}/${name}`, ctx));
    else frame.set(name, elemToColumn(readElem(c, `${path}/${name}`, ctx), `${path}/${name}`, ctx));
  }
  return { enc: 'dataframe', frame, index };
});

/**
 * Categorical column in the anndata 0.7 layout (dataframe 0.1.0): a codes dataset whose
 * `categories` attribute is an object reference to the categories dataset (`__categories/<name>`),
 * which may carry an `ordered` attribute. Our writer uses this layout too (see write.ts).
 */
function readLegacyCategorical(d: H5Dataset, path: string, ctx: ReadContext): Column {
  const codes = Int32Array.from(readNumeric(d, path, ctx).values);
  const refAttr = d.attrs.categories?.value;
  const ref = Array.isArray(refAttr) ? refAttr[0] : refAttr;
  let target: unknown;
  try {
    target = ref ? d.dereference(ref as Parameters<H5Dataset['dereference']>[0]) : undefined;
  } catch {
    target = undefined;
  }
  if (!isDataset(target)) {
    throw new FormatError(`categorical column '${path}' has a 'categories' attribute that is not a dataset reference`, {
      code: 'E_H5AD_STRUCTURE',
      file: ctx.file,
      field: path,
      hint: 'The file is damaged or uses an old layout we do not read; re-save it with anndata >= 0.8',
    });
  }
  const catsElem = readElem(target, `${path} categories`, ctx);
  const categories =
    catsElem.enc === 'string-array' ? catsElem.values : catsElem.enc === 'array' ? Array.from(catsElem.values, String) : [];
  checkCodes(codes, categories.length, path, ctx);
  const o = attr(target, 'ordered');
  return { kind: 'categorical', codes, categories, ordered: Boolean(ArrayBuffer.isView(o) ? (o as Int8Array)[0] : o) };
}

function checkCodes(codes: Int32Array, nCats: number, path: string, ctx: ReadContext): void {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (c < -1 || c >= nCats) {
      throw new FormatError(`categorical '${path}' has code ${c} outside -1..${nCats - 1}`, {
        code: 'E_H5AD_STRUCTURE',
        file: ctx.file,
        field: path,
        hint: 'The file is damaged: codes must index the categories (-1 = missing)',
      });
    }
  }
}

/** `mask` of a nullable element (true = missing), or undefined when there is none. */
function readMask(g: H5Group, path: string, ctx: ReadContext, n: number): Uint8Array | undefined {
  const m = child(g, 'mask');
  if (!m) return undefined;
  const v = readNumeric(needDataset(m, `${path}/mask`, ctx, 'array'), `${path}/mask`, ctx).values;
  if (v.length !== n)
    throw new FormatError(`mask of '${path}' has the wrong length`, { code: 'E_H5AD_STRUCTURE', file: ctx.file, field: path });
  return Uint8Array.from(v, (x) => (x ? 1 : 0));
}

// Nullable pandas columns (anndata >= 0.10). A Frame column has no missing-value mask, so: integers
// with missing values become float64 with NaN, booleans with missing values become a categorical
// ('False'/'True', missing = -1), and missing strings become ''.
registerEncoding('nullable-integer', ['0.1.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'nullable-integer');
  const values = readNumeric(needDataset(needChild(g, 'values', path, ctx), `${path}/values`, ctx, 'array'), `${path}/values`, ctx).values;
  const mask = readMask(g, path, ctx, values.length);
  if (!mask?.includes(1)) return { enc: 'array', values, shape: [values.length], isBool: false };
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) if (mask[i]) out[i] = Number.NaN;
  return { enc: 'array', values: out, shape: [out.length], isBool: false };
});

registerEncoding('nullable-boolean', ['0.1.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'nullable-boolean');
  const values = readNumeric(needDataset(needChild(g, 'values', path, ctx), `${path}/values`, ctx, 'array'), `${path}/values`, ctx).values;
  const mask = readMask(g, path, ctx, values.length);
  if (!mask?.includes(1))
    return { enc: 'array', values: Uint8Array.from(values, (x) => (x ? 1 : 0)), shape: [values.length], isBool: true };
  const codes = Int32Array.from(values, (x, i) => (mask[i] ? -1 : x ? 1 : 0));
  return { enc: 'categorical', column: { kind: 'categorical', codes, categories: ['False', 'True'], ordered: false } };
});

registerEncoding('nullable-string-array', ['0.1.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'nullable-string-array');
  const values = readStrings(needDataset(needChild(g, 'values', path, ctx), `${path}/values`, ctx, 'string-array'), `${path}/values`, ctx);
  const mask = readMask(g, path, ctx, values.length);
  if (mask) for (let i = 0; i < values.length; i++) if (mask[i]) values[i] = '';
  return { enc: 'string-array', values, shape: [values.length] };
});

registerEncoding('dict', ['0.1.0'], (node, path, ctx) => {
  const g = needGroup(node, path, ctx, 'dict');
  const entries = new Map<string, Elem>();
  for (const k of g.keys()) {
    const c = child(g, k);
    if (!c) continue;
    try {
      entries.set(k, readElem(c, `${path}/${k}`, ctx));
    } catch (e) {
      if (ctx.onSkip && e instanceof FormatError && e.code === 'E_H5AD_ENCODING') ctx.onSkip(`${path}/${k}`, String(e.got ?? ''));
      else throw e;
    }
  }
  return { enc: 'dict', entries };
});

registerEncoding('numeric-scalar', ['0.2.0'], (node, path, ctx) => {
  const d = needDataset(node, path, ctx, 'numeric-scalar');
  const r = readNumeric(d, path, ctx);
  const v = r.values[0] as number;
  const isBool = r.isBool || attrString(d, 'celldeconv-dtype') === 'bool';
  return { enc: 'numeric-scalar', value: isBool ? v !== 0 : v };
});

registerEncoding('string', ['0.2.0'], (node, path, ctx) => {
  const d = needDataset(node, path, ctx, 'string');
  const v = readStrings(d, path, ctx);
  return { enc: 'string', value: v[0] ?? '' };
});
