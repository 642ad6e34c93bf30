/**
 * Reading AnnData `.h5ad` files into a {@link Dataset}, fully or backed (row blocks on demand).
 *
 * Read: X (dense, csr_matrix, csc_matrix), layers, raw/X + raw/var, obs/var dataframes (string,
 * numeric, boolean and categorical columns), uns (scalars, strings, arrays, nested dicts).
 * obsm/varm/obsp/varp have no place in a Dataset and are not read.
 */
import { FormatError, fmtInt, InputError, ShapeError } from '../../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../../core/progress.js';
import { Dataset, type Json, type RawData } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { Frame } from '../../data/frame.js';
import type { Matrix } from '../../data/matrix.js';
import { CsrMatrix } from '../../data/sparse.js';
import {
  attrString,
  checkFilters,
  child,
  closeQuietly,
  type H5Dataset,
  type H5File,
  type H5Group,
  type H5Node,
  isDataset,
  isGroup,
  openH5Read,
  plain,
  wrapH5Error,
} from './h5.js';
import { type Elem, encodingOf, type ReadContext, readElem, readNumericSlice, SLICE_ELEMENTS, unsupported } from './registry.js';
import { checkIndicesBlock, checkIndptrBlock, checkSparseLengths, type SparseWhere } from './sparse-check.js';

/** Options for {@link readH5ad}. */
export interface ReadH5adOptions extends LongRunOptions {
  /** Read `uns` (default true). */
  uns?: boolean;
  /** Read `layers` (default true). */
  layers?: boolean;
  /** Read `raw` (default true). */
  raw?: boolean;
  /**
   * Called for each `uns` element with an encoding we do not read (e.g. rec-arrays); such elements
   * are skipped. Everywhere else an unsupported encoding is an error.
   */
  onSkip?: (path: string, encoding: string) => void;
  /**
   * Accept a file without X (anndata's `X = None`) and use an all-zero sparse X (default false: such
   * a file is an error, since every command would otherwise run on zeros).
   */
  allowMissingX?: boolean;
}

/** The typed error for a file whose X is absent. */
export function missingXError(path: string, layers: readonly string[]): FormatError {
  return new FormatError('the file has no X matrix (X was deleted or saved as None)', {
    code: 'E_H5AD_NO_X',
    file: path,
    field: 'X',
    got: layers.length > 0 ? `layers ${layers.join(', ')}` : 'no X and no layers',
    hint:
      layers.length > 0
        ? `Pass --layer ${layers[0]} to use a layer, or store the counts in X (adata.X = adata.layers['${layers[0]}'])`
        : 'The file holds no expression matrix; write it again with X set',
  });
}

/** Layer names of a file (for messages). */
function layerNames(f: H5File): string[] {
  const lg = child(f, 'layers');
  return lg && isGroup(lg) ? lg.keys() : [];
}

function elemToMatrix(e: Elem, path: string, ctx: ReadContext): Matrix {
  if (e.enc === 'csr_matrix' || e.enc === 'csc_matrix') return e.matrix;
  if (e.enc === 'array') {
    if (e.shape.length !== 2) {
      throw new FormatError(`matrix element '${path}' is not 2-D`, { code: 'E_H5AD_STRUCTURE', file: ctx.file, field: path, got: e.shape });
    }
    const [r, c] = e.shape as [number, number];
    const v = e.values;
    const data = v instanceof Float32Array || v instanceof Float64Array ? v : Float64Array.from(v);
    return new DenseMatrix(r, c, data);
  }
  throw unsupported(ctx, path, e.enc, undefined, 'expected a dense array or a csr/csc matrix');
}

function readMatrixAt(g: H5Group, name: string, path: string, ctx: ReadContext): Matrix | undefined {
  const n = child(g, name);
  return n ? elemToMatrix(readElem(n, path, ctx), path, ctx) : undefined;
}

function readFrameAt(g: H5Group, name: string, ctx: ReadContext): { frame: Frame; index: string[] } | undefined {
  const n = child(g, name);
  if (!n) return undefined;
  const e = readElem(n, name, ctx);
  if (e.enc !== 'dataframe') throw unsupported(ctx, name, e.enc, undefined, 'expected a dataframe');
  return { frame: e.frame, index: e.index };
}

function elemToJson(e: Elem, path: string, ctx: ReadContext): Json | undefined {
  switch (e.enc) {
    case 'string':
      return e.value;
    case 'numeric-scalar':
      return e.value;
    case 'string-array':
      return e.values;
    case 'array': {
      const v = e.values;
      if (e.isBool) return Array.from(v, (x) => x !== 0);
      if (e.shape.length === 0) return v[0] as number;
      if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array) return v;
      return Array.from(v);
    }
    case 'dict': {
      const out: Record<string, Json> = {};
      for (const [k, c] of e.entries) {
        const j = elemToJson(c, `${path}/${k}`, ctx);
        if (j !== undefined) out[k] = j;
      }
      return out;
    }
    default:
      ctx.onSkip?.(path, e.enc);
      return undefined;
  }
}

function namesOrDefault(index: string[] | undefined, n: number, prefix: string): string[] {
  return index ?? Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

function checkRoot(f: H5File, ctx: ReadContext): void {
  const t = attrString(f, 'encoding-type');
  if (t !== undefined && t !== 'anndata') throw unsupported(ctx, '/', t, attrString(f, 'encoding-version'), 'the root must be an AnnData');
  const keys = f.keys();
  if (!keys.includes('X') && !keys.includes('obs') && !keys.includes('var')) {
    throw new FormatError('HDF5 file is not an AnnData file (no X, obs or var at the root)', {
      code: 'E_H5AD_STRUCTURE',
      file: ctx.file,
      got: keys.slice(0, 5),
      hint: keys.includes('matrix')
        ? 'This looks like a 10x Cell Ranger .h5; export the matrix as Matrix Market (or read it with scanpy.read_10x_h5 and write_h5ad)'
        : 'Write the file with anndata (adata.write_h5ad)',
    });
  }
}

/**
 * Reads an `.h5ad` file into memory.
 *
 * @param path - File written by anndata (>= 0.8 encodings; older sparse/plain layouts too) or by
 *   {@link writeH5ad}.
 * @param opts - What to read, progress and cancellation.
 * @returns Dataset (observations x variables) with X as stored (dense Float32/Float64, CSR or CSC).
 * @throws {@link InputError} `E_FILE_NOT_FOUND`; {@link FormatError} `E_NOT_HDF5`,
 *   `E_H5AD_ENCODING` (names the unsupported encoding and element path), `E_H5AD_STRUCTURE`
 *   (also a damaged CSR/CSC group: indices outside the shape, a bad indptr, a shape that disagrees
 *   with the arrays), `E_H5AD_NO_X` (no X, unless `allowMissingX`), `E_H5_FILTER` (a compression
 *   filter such as lzf that h5wasm cannot decode), `E_H5_READ`;
 *   {@link ShapeError} when matrices and names disagree.
 * @example
 * ```ts
 * const ref = await readH5ad('reference.h5ad');
 * ref.labels('cell_type');
 * ```
 */
export async function readH5ad(path: string, opts: ReadH5adOptions = {}): Promise<Dataset> {
  const f = await openH5Read(path);
  const ctx: ReadContext = { file: path, onSkip: opts.onSkip ?? (() => {}) };
  const strict: ReadContext = { file: path };
  const tick = throttledProgress(opts.onProgress, 'read', 5, 'h5ad');
  try {
    checkRoot(f, strict);
    const obs = readFrameAt(f, 'obs', strict);
    const vr = readFrameAt(f, 'var', strict);
    tick(1);
    throwIfAborted(opts.signal);
    let X = readMatrixAt(f, 'X', 'X', strict);
    if (!X && !opts.allowMissingX) throw missingXError(path, layerNames(f));
    const nObs = obs?.index.length ?? X?.rows ?? 0;
    const nVars = vr?.index.length ?? X?.cols ?? 0;
    // anndata allows X = None; a Dataset always has an X, so use an all-zero sparse matrix.
    X ??= new CsrMatrix(nObs, nVars, { indptr: new Float64Array(nObs + 1), indices: new Int32Array(0), data: new Float32Array(0) });
    tick(2);
    throwIfAborted(opts.signal);
    const layers = new Map<string, Matrix>();
    const lg = opts.layers === false ? undefined : child(f, 'layers');
    if (lg && isGroup(lg)) {
      for (const k of lg.keys()) {
        const m = readMatrixAt(lg, k, `layers/${k}`, strict);
        if (m) layers.set(k, m);
      }
    }
    tick(3);
    let raw: RawData | undefined;
    const rg = opts.raw === false ? undefined : child(f, 'raw');
    if (rg && isGroup(rg)) {
      const rx = readMatrixAt(rg, 'X', 'raw/X', strict);
      const rv = readFrameAt(rg, 'var', strict);
      if (rx) raw = { X: rx, var: rv?.frame ?? new Frame(rx.cols), varNames: namesOrDefault(rv?.index, rx.cols, 'var') };
    }
    tick(4);
    let uns: Record<string, Json> = {};
    const ug = opts.uns === false ? undefined : child(f, 'uns');
    if (ug) {
      const e = readElem(ug, 'uns', ctx);
      const j = elemToJson(e, 'uns', ctx);
      if (j && typeof j === 'object' && !Array.isArray(j) && !ArrayBuffer.isView(j)) uns = j as Record<string, Json>;
    }
    tick(5);
    if (obs && X.rows !== obs.index.length) {
      throw new ShapeError('X rows do not match obs', { code: 'E_SHAPE', file: path, field: 'X', got: X.rows, expected: obs.index.length });
    }
    if (vr && X.cols !== vr.index.length) {
      throw new ShapeError('X columns do not match var', {
        code: 'E_SHAPE',
        file: path,
        field: 'X',
        got: X.cols,
        expected: vr.index.length,
      });
    }
    return new Dataset({
      X,
      obsNames: namesOrDefault(obs?.index, X.rows, 'obs'),
      varNames: namesOrDefault(vr?.index, X.cols, 'var'),
      obs: obs?.frame,
      var: vr?.frame,
      layers,
      uns,
      raw,
    });
  } catch (e) {
    throw wrapH5Error(e, path);
  } finally {
    closeQuietly(f);
  }
}

/** A file opened for row-block access (see {@link openH5adBacked}). */
export interface H5adBacked {
  readonly path: string;
  /** [nObs, nVars]. */
  readonly shape: [number, number];
  readonly obsNames: string[];
  readonly varNames: string[];
  readonly obs: Frame;
  readonly var: Frame;
  /** Storage of the matrix being read. */
  readonly kind: 'dense' | 'csr' | 'csc';
  readonly dtype: 'float32' | 'float64';
  /** Stored values (nnz for sparse, rows*cols for dense). */
  readonly stored: number;
  /**
   * Rows [start, end) as a compact matrix (CSR for sparse storage, dense otherwise). For CSR only
   * indptr[start..end] and the matching data/indices range are read from disk.
   */
  readRows(start: number, end: number): DenseMatrix | CsrMatrix;
  /** Releases the file handle. */
  close(): void;
}

/**
 * Checks a CSR/CSC group on disk without loading it: filters, the shape against the array lengths,
 * and indptr (read in slices); the indices too when `withIndices` (one streaming pass).
 *
 * @throws {@link FormatError} `E_H5AD_STRUCTURE`, `E_H5_FILTER`.
 */
export function validateSparseOnDisk(g: H5Group, where: SparseWhere, withIndices: boolean): void {
  const ds = ['data', 'indices', 'indptr'].map((k) => child(g, k));
  const [data, indices, indptr] = ds;
  if (!isDataset(data) || !isDataset(indices) || !isDataset(indptr)) {
    throw new FormatError(`sparse element '${where.path}' is incomplete (needs data, indices and indptr)`, {
      code: 'E_H5AD_STRUCTURE',
      file: where.file,
      field: where.path,
    });
  }
  for (const [k, d] of [
    ['data', data],
    ['indices', indices],
    ['indptr', indptr],
  ] as const)
    checkFilters(d, where.file, `${where.path}/${k}`);
  const len = (d: H5Dataset) => (d.shape ?? []).reduce((a, b) => a * b, 1);
  const nnz = len(data);
  const nPtr = len(indptr);
  checkSparseLengths(where, nPtr, len(indices), nnz);
  let prev = 0;
  for (let a = 0; a < nPtr; a += SLICE_ELEMENTS) {
    const b = Math.min(nPtr, a + SLICE_ELEMENTS);
    prev = checkIndptrBlock(where, readNumericSlice(indptr, a, b), a, prev, nnz);
  }
  if (withIndices) {
    for (let a = 0; a < prev; a += SLICE_ELEMENTS)
      checkIndicesBlock(where, readNumericSlice(indices, a, Math.min(prev, a + SLICE_ELEMENTS)), a);
  }
}

function sliceNumeric(d: H5Dataset, a: number, b: number): ArrayLike<number> & { length: number } {
  if (b <= a) return new Float64Array(0);
  const v = plain(d.slice([[a, b]]));
  return v as ArrayLike<number> & { length: number };
}

/**
 * Opens an `.h5ad` file for backed row access: names and annotations are loaded, the matrix is
 * read one row block at a time, so a file with millions of cells need not fit in memory.
 * CSC matrices cannot be sliced by row cheaply; they are loaded once and converted to CSR.
 *
 * @param path - The `.h5ad` file.
 * @param opts - `layer`: read this layer instead of X.
 * @throws As {@link readH5ad}; {@link InputError} `E_RANGE` for rows outside [0, nObs].
 * @example
 * ```ts
 * const b = await openH5adBacked('atlas.h5ad');
 * try {
 *   for (let s = 0; s < b.shape[0]; s += 10000) process(b.readRows(s, Math.min(s + 10000, b.shape[0])));
 * } finally { b.close(); }
 * ```
 */
export async function openH5adBacked(path: string, opts: { layer?: string } = {}): Promise<H5adBacked> {
  const f = await openH5Read(path);
  const ctx: ReadContext = { file: path };
  try {
    checkRoot(f, ctx);
    const obs = readFrameAt(f, 'obs', ctx);
    const vr = readFrameAt(f, 'var', ctx);
    const elemPath = opts.layer ? `layers/${opts.layer}` : 'X';
    const parent = opts.layer ? child(f, 'layers') : f;
    const node: H5Node | undefined = parent && isGroup(parent) ? child(parent, opts.layer ?? 'X') : undefined;
    if (!node) {
      throw new FormatError(`file has no element '${elemPath}'`, {
        code: 'E_H5AD_STRUCTURE',
        file: path,
        field: elemPath,
        hint: opts.layer ? 'Check the layer name (celldeconv info FILE lists them)' : 'The file has no X',
      });
    }
    const { type } = encodingOf(node);
    const nObs = obs?.index.length;
    const nVars = vr?.index.length;
    let kind: H5adBacked['kind'];
    let shape: [number, number];
    let dtype: H5adBacked['dtype'];
    let stored: number;
    let readRows: (s: number, e: number) => DenseMatrix | CsrMatrix;
    if ((type === 'csr_matrix' || type === 'csc_matrix') && isGroup(node)) {
      const sh = Array.from((plain(node.attrs.shape?.value) ?? []) as ArrayLike<number>, Number) as [number, number];
      shape = sh;
      kind = type === 'csr_matrix' ? 'csr' : 'csc';
      const dataDs = child(node, 'data');
      const idxDs = child(node, 'indices');
      const ptrDs = child(node, 'indptr');
      if (!isDataset(dataDs) || !isDataset(idxDs) || !isDataset(ptrDs) || sh.length !== 2) {
        throw new FormatError(`sparse element '${elemPath}' is incomplete`, { code: 'E_H5AD_STRUCTURE', file: path, field: elemPath });
      }
      dtype = dataDs.metadata.size === 4 && dataDs.metadata.type === 1 ? 'float32' : 'float64';
      stored = dataDs.shape?.[0] ?? 0;
      const where: SparseWhere = { file: path, path: elemPath, fmt: kind, shape: sh };
      // Structure checked once here (lengths, indptr) and per block (indices) as rows are read.
      validateSparseOnDisk(node, where, false);
      if (kind === 'csr') {
        readRows = (s, e) => {
          const ptr = sliceNumeric(ptrDs, s, e + 1);
          const a = ptr[0] as number;
          const b = ptr[e - s] as number;
          const indptr = new Float64Array(e - s + 1);
          for (let i = 0; i <= e - s; i++) indptr[i] = (ptr[i] as number) - a;
          const idx = sliceNumeric(idxDs, a, b);
          checkIndicesBlock(where, idx, a);
          const vals = sliceNumeric(dataDs, a, b);
          const data = dtype === 'float32' ? Float32Array.from(vals) : vals instanceof Float64Array ? vals : Float64Array.from(vals);
          return new CsrMatrix(e - s, sh[1], { indptr, indices: idx instanceof Int32Array ? idx : Int32Array.from(idx), data });
        };
      } else {
        let csr: CsrMatrix | undefined;
        readRows = (s, e) => {
          if (!csr) {
            const m = elemToMatrix(readElem(node, elemPath, ctx), elemPath, ctx);
            csr = m.kind === 'csc' ? m.toCsr() : (m as CsrMatrix);
          }
          return csr.selectRows(Int32Array.from({ length: e - s }, (_, i) => s + i));
        };
      }
    } else if (isDataset(node) && type === 'array') {
      checkFilters(node, path, elemPath);
      const sh = (node.shape ?? []) as number[];
      if (sh.length !== 2)
        throw new FormatError(`matrix element '${elemPath}' is not 2-D`, { code: 'E_H5AD_STRUCTURE', file: path, field: elemPath });
      shape = [sh[0] as number, sh[1] as number];
      kind = 'dense';
      dtype = node.metadata.size === 4 && node.metadata.type === 1 ? 'float32' : 'float64';
      stored = shape[0] * shape[1];
      readRows = (s, e) => {
        const n = e - s;
        if (n === 0) return new DenseMatrix(0, shape[1], dtype === 'float32' ? new Float32Array(0) : new Float64Array(0));
        const v = plain(node.slice([[s, e], []])) as ArrayLike<number>;
        const data =
          dtype === 'float32'
            ? v instanceof Float32Array
              ? v
              : Float32Array.from(v)
            : v instanceof Float64Array
              ? v
              : Float64Array.from(v);
        return new DenseMatrix(n, shape[1], data);
      };
    } else throw unsupported(ctx, elemPath, type, undefined, 'expected a dense array or a csr/csc matrix');
    if ((nObs !== undefined && nObs !== shape[0]) || (nVars !== undefined && nVars !== shape[1])) {
      throw new ShapeError(`${elemPath} shape does not match obs/var`, {
        code: 'E_SHAPE',
        file: path,
        got: `${shape[0]} x ${shape[1]}`,
        expected: `${nObs} x ${nVars}`,
      });
    }
    let closed = false;
    return {
      path,
      shape,
      obsNames: namesOrDefault(obs?.index, shape[0], 'obs'),
      varNames: namesOrDefault(vr?.index, shape[1], 'var'),
      obs: obs?.frame ?? new Frame(shape[0]),
      var: vr?.frame ?? new Frame(shape[1]),
      kind,
      dtype,
      stored,
      readRows(start: number, end: number) {
        if (closed) throw new InputError('backed file is closed', { code: 'E_CLOSED', file: path, hint: 'Call readRows before close()' });
        if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > shape[0] || start > end) {
          throw new InputError(`row range [${start}, ${end}) is outside [0, ${fmtInt(shape[0])}]`, {
            code: 'E_RANGE',
            file: path,
            got: [start, end],
            expected: `0 <= start <= end <= ${shape[0]}`,
          });
        }
        try {
          return readRows(start, end);
        } catch (e) {
          throw wrapH5Error(e, path, `cannot read rows ${start}..${end}`);
        }
      },
      close() {
        if (!closed) closeQuietly(f);
        closed = true;
      },
    };
  } catch (e) {
    closeQuietly(f);
    throw wrapH5Error(e, path);
  }
}

/** Storage of one matrix element, read from metadata only. */
export interface MatrixSummary {
  shape: [number, number];
  kind: 'dense' | 'csr' | 'csc';
  dtype: string;
  /** Stored values: nnz for sparse, rows*cols for dense. */
  stored: number;
}

/** What {@link inspectH5ad} returns: everything `info` shows, without reading any matrix data. */
export interface H5adSummary {
  shape: [number, number];
  X?: MatrixSummary;
  layers: Record<string, MatrixSummary>;
  raw?: { X: MatrixSummary; var: Frame };
  obs: Frame;
  var: Frame;
  obsNames: string[];
  varNames: string[];
  unsKeys: string[];
}

/** Stored values up to which {@link inspectH5ad} also checks every sparse index (~0.2 s per 10^8). */
export const INSPECT_INDEX_LIMIT = 200_000_000;

function summarize(node: H5Node, path: string, ctx: ReadContext): MatrixSummary {
  const { type } = encodingOf(node);
  const dtypeName = (d: H5Dataset) => {
    const m = d.metadata;
    return m.type === 1 ? `float${m.size * 8}` : m.type === 0 ? `${m.signed ? 'int' : 'uint'}${m.size * 8}` : String(d.dtype);
  };
  if ((type === 'csr_matrix' || type === 'csc_matrix') && isGroup(node)) {
    const shape = Array.from((plain(node.attrs.shape?.value) ?? []) as ArrayLike<number>, Number) as [number, number];
    const data = child(node, 'data');
    if (shape.length !== 2 || !isDataset(data)) {
      throw new FormatError(`sparse element '${path}' is incomplete`, { code: 'E_H5AD_STRUCTURE', file: ctx.file, field: path });
    }
    const nnz = data.shape?.[0] ?? 0;
    // indptr is always checked (small); the indices pass is skipped on very large matrices so that
    // `info` stays quick there (every reader checks the indices it reads anyway).
    validateSparseOnDisk(node, { file: ctx.file, path, fmt: type === 'csr_matrix' ? 'csr' : 'csc', shape }, nnz <= INSPECT_INDEX_LIMIT);
    return { shape, kind: type === 'csr_matrix' ? 'csr' : 'csc', dtype: dtypeName(data), stored: data.shape?.[0] ?? 0 };
  }
  if (type === 'array' && isDataset(node) && (node.shape ?? []).length === 2) {
    const [r, c] = node.shape as [number, number];
    return { shape: [r, c], kind: 'dense', dtype: dtypeName(node), stored: r * c };
  }
  throw unsupported(ctx, path, type, undefined, 'expected a dense array or a csr/csc matrix');
}

/**
 * Describes an `.h5ad` file without reading X, layers or raw data (only obs/var and metadata), so
 * that `celldeconv info` is fast and small on files of any size.
 *
 * @throws As {@link readH5ad}.
 */
export async function inspectH5ad(path: string): Promise<H5adSummary> {
  const f = await openH5Read(path);
  const ctx: ReadContext = { file: path };
  try {
    checkRoot(f, ctx);
    const obs = readFrameAt(f, 'obs', ctx);
    const vr = readFrameAt(f, 'var', ctx);
    const xNode = child(f, 'X');
    if (!xNode) throw missingXError(path, layerNames(f));
    const X = summarize(xNode, 'X', ctx);
    const layers: Record<string, MatrixSummary> = {};
    const lg = child(f, 'layers');
    if (lg && isGroup(lg)) for (const k of lg.keys()) layers[k] = summarize(child(lg, k) as H5Node, `layers/${k}`, ctx);
    let raw: H5adSummary['raw'];
    const rg = child(f, 'raw');
    if (rg && isGroup(rg)) {
      const rx = child(rg, 'X');
      if (rx) raw = { X: summarize(rx, 'raw/X', ctx), var: readFrameAt(rg, 'var', ctx)?.frame ?? new Frame(0) };
    }
    const ug = child(f, 'uns');
    const unsKeys = ug && isGroup(ug) ? ug.keys() : [];
    const nObs = obs?.index.length ?? X?.shape[0] ?? 0;
    const nVars = vr?.index.length ?? X?.shape[1] ?? 0;
    return {
      shape: [nObs, nVars],
      X,
      layers,
      raw,
      obs: obs?.frame ?? new Frame(nObs),
      var: vr?.frame ?? new Frame(nVars),
      obsNames: namesOrDefault(obs?.index, nObs, 'obs'),
      varNames: namesOrDefault(vr?.index, nVars, 'var'),
      unsKeys,
    };
  } catch (e) {
    throw wrapH5Error(e, path);
  } finally {
    closeQuietly(f);
  }
}
