/**
 * 10x Genomics Matrix Market input and output.
 *
 * A 10x matrix is `matrix.mtx[.gz]` (genes x cells, `coordinate integer|real general`, 1-based)
 * next to `features.tsv[.gz]` (or `genes.tsv[.gz]`: gene id, symbol[, feature type]) and
 * `barcodes.tsv[.gz]` (one barcode per line). We return the usual cells x genes orientation as a
 * CSR Dataset with Float32 values.
 *
 * The parser reads the decompressed stream chunk by chunk and parses the bytes of each line
 * directly (no per-line strings, no regex), storing coordinates in typed arrays sized from the
 * header; the CSR matrix is then built with a counting sort by cell.
 */
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { FormatError, fmtInt, InputError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import { Dataset } from '../data/dataset.js';
import { type Column, Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { CsrMatrix } from '../data/sparse.js';
import { withAtomicOutput } from './atomic.js';
import { inferColumn, makeUnique } from './columns.js';
import { baseNameNoGz, checkExists, streamFileBytes } from './source.js';
import { readSmallDelimited } from './table.js';

/** Parsed coordinate matrix, still in the file's orientation (rows x cols as in the header). */
export interface MtxCoordinates {
  rows: number;
  cols: number;
  field: 'integer' | 'real' | 'pattern';
  /** 0-based row index per entry. */
  rowIdx: Int32Array;
  /** 0-based column index per entry. */
  colIdx: Int32Array;
  values: Float32Array;
}

const NL = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const PCT = 37;

function headerError(path: string, what: string, got: string, hint?: string): FormatError {
  return new FormatError(`malformed Matrix Market header: ${what}`, {
    code: 'E_MTX_HEADER',
    file: path,
    field: 'header',
    got: got.length > 80 ? `${got.slice(0, 80)}...` : got,
    expected: "'%%MatrixMarket matrix coordinate integer|real|pattern general' then 'rows cols entries'",
    hint: hint ?? 'Is this a 10x matrix.mtx file? Dense (array) and symmetric matrices are not supported',
  });
}

function entryError(path: string, line: number, text: string, why: string): FormatError {
  return new FormatError(`bad entry at line ${line}: ${why}`, {
    code: 'E_MTX_ENTRY',
    file: path,
    got: text.length > 80 ? `${text.slice(0, 80)}...` : text,
    expected: "'row col value' with 1-based integer indices",
    hint: 'The file may be corrupt or not a coordinate Matrix Market file',
  });
}

/**
 * Reads a Matrix Market coordinate file (optionally gzipped) into typed coordinate arrays.
 *
 * @param path - `.mtx` or `.mtx.gz`.
 * @throws {@link FormatError} `E_MTX_HEADER`, `E_MTX_ENTRY` (line number and text), `E_MTX_INDEX`
 *   (out-of-range index), `E_MTX_COUNT` (more or fewer entries than the header says),
 *   `E_GZIP_TRUNCATED`; {@link InputError} `E_FILE_NOT_FOUND`, `E_EMPTY` (0 rows or 0 columns).
 */
export async function readMtxCoordinates(path: string, opts: LongRunOptions = {}): Promise<MtxCoordinates> {
  return parseMtx(streamFileBytes(path, { ...opts, label: baseNameNoGz(path) }), path);
}

/**
 * Parses Matrix Market coordinate text delivered as byte chunks (of any size: lines may span
 * chunks). {@link readMtxCoordinates} feeds it a file; tests feed it buffers directly.
 *
 * @param source - Decompressed bytes, in order.
 * @param path - Name used in error messages.
 * @throws As {@link readMtxCoordinates}.
 */
export async function parseMtx(source: AsyncIterable<Buffer> | Iterable<Buffer>, path: string): Promise<MtxCoordinates> {
  type State = 'banner' | 'size' | 'entries';
  let state = 'banner' as State;
  let field: MtxCoordinates['field'] = 'integer';
  let rows = 0;
  let cols = 0;
  let nnz = 0;
  let rowIdx = new Int32Array(0);
  let colIdx = new Int32Array(0);
  let values = new Float32Array(0);
  let k = 0; // entries stored so far
  let line = 0; // 1-based number of the line being parsed
  let carry: Buffer | null = null;

  const lineText = (buf: Buffer, s: number, e: number) => buf.toString('latin1', s, e).replace(/\r$/, '');

  // Parses one text line of the header part.
  const headerLine = (text: string) => {
    if (state === 'banner') {
      const t = text
        .trim()
        .split(/\s+/)
        .map((x) => x.toLowerCase());
      if (t[0] !== '%%matrixmarket') throw headerError(path, "first line must start with '%%MatrixMarket'", text);
      if (t[1] !== 'matrix') throw headerError(path, `object '${t[1] ?? ''}' is not 'matrix'`, text);
      if (t[2] !== 'coordinate') throw headerError(path, `format '${t[2] ?? ''}' is not supported (only 'coordinate')`, text);
      if (t[3] !== 'integer' && t[3] !== 'real' && t[3] !== 'pattern') {
        throw headerError(path, `field '${t[3] ?? ''}' is not supported (integer, real or pattern)`, text);
      }
      if (t[4] !== 'general') throw headerError(path, `symmetry '${t[4] ?? ''}' is not supported (only 'general')`, text);
      field = t[3];
      state = 'size';
      return;
    }
    if (text.startsWith('%') || text.trim() === '') return;
    const parts = text.trim().split(/\s+/);
    const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
    if (parts.length !== 3 || nums.some((x) => !Number.isSafeInteger(x))) {
      throw headerError(path, "size line must be 'rows cols entries' (three non-negative integers)", text);
    }
    [rows, cols, nnz] = nums as [number, number, number];
    if (rows === 0 || cols === 0) {
      throw new InputError('matrix is empty', {
        code: 'E_EMPTY',
        file: path,
        got: `${rows} x ${cols}`,
        expected: 'at least one gene and one cell',
        hint: 'The matrix has no rows or no columns: check that the right file was exported',
      });
    }
    if (rows > 2147483647 || cols > 2147483647 || nnz > rows * cols) {
      throw headerError(path, `sizes are out of range (${nnz} entries in ${rows} x ${cols})`, text);
    }
    try {
      rowIdx = new Int32Array(nnz);
      colIdx = new Int32Array(nnz);
      values = new Float32Array(nnz);
    } catch (e) {
      throw headerError(
        path,
        `cannot allocate ${fmtInt(nnz)} entries`,
        text,
        `Not enough memory, or the size line is corrupt (${String(e)})`,
      );
    }
    state = 'entries';
  };

  // Parses entry lines in buf[s, e) (e is just past the last complete line's newline, or buffer end).
  const parseEntries = (buf: Buffer, s: number, e: number) => {
    let p = s;
    const isPattern = field === 'pattern';
    while (p < e) {
      line++;
      const ls = p;
      let c = buf[p] as number;
      while (c === SP || c === TAB) c = buf[++p] as number;
      if (p >= e || c === NL || c === CR) {
        // blank line
        while (p < e && buf[p] !== NL) p++;
        p++;
        continue;
      }
      if (c === PCT) {
        while (p < e && buf[p] !== NL) p++;
        p++;
        continue;
      }
      // row
      let r = 0;
      let nd = 0;
      while (c >= 48 && c <= 57) {
        r = r * 10 + (c - 48);
        nd++;
        c = buf[++p] as number;
      }
      if (nd === 0 || (c !== SP && c !== TAB))
        throw entryError(path, line, lineText(buf, ls, lineEnd(buf, ls, e)), 'row index is not an integer');
      while (c === SP || c === TAB) c = buf[++p] as number;
      let col = 0;
      nd = 0;
      while (c >= 48 && c <= 57) {
        col = col * 10 + (c - 48);
        nd++;
        c = buf[++p] as number;
      }
      if (nd === 0) throw entryError(path, line, lineText(buf, ls, lineEnd(buf, ls, e)), 'column index is not an integer');
      let v = 1;
      if (!isPattern) {
        if (c !== SP && c !== TAB) throw entryError(path, line, lineText(buf, ls, lineEnd(buf, ls, e)), 'expected three fields');
        while (c === SP || c === TAB) c = buf[++p] as number;
        // Fast path: plain non-negative integer; anything else goes through Number().
        const vs = p;
        let iv = 0;
        nd = 0;
        while (c >= 48 && c <= 57) {
          iv = iv * 10 + (c - 48);
          nd++;
          c = buf[++p] as number;
        }
        if (nd > 0 && nd < 16 && (c === NL || c === SP || c === TAB || c === CR || p >= e)) {
          v = iv;
        } else {
          while (p < e && c !== NL && c !== SP && c !== TAB && c !== CR) c = buf[++p] as number;
          const tok = buf.toString('latin1', vs, p);
          v = tok === '' ? Number.NaN : Number(tok);
          if (!Number.isFinite(v)) {
            throw entryError(
              path,
              line,
              lineText(buf, ls, lineEnd(buf, ls, e)),
              tok === '' ? 'missing value' : `value '${tok}' is not a finite number`,
            );
          }
        }
      }
      while (p < e && (c === SP || c === TAB || c === CR)) c = buf[++p] as number;
      if (p < e && c !== NL) throw entryError(path, line, lineText(buf, ls, lineEnd(buf, ls, e)), 'unexpected extra text');
      p++; // past the newline
      if (r < 1 || r > rows || col < 1 || col > cols) {
        throw new FormatError(`index out of range at line ${line}`, {
          code: 'E_MTX_INDEX',
          file: path,
          got: `row ${r}, column ${col}`,
          expected: `1..${rows} rows, 1..${cols} columns (from the size line)`,
          hint: 'The size line and the entries disagree: the file is corrupt or was edited',
        });
      }
      if (k >= nnz) {
        throw new FormatError('more entries than the size line declares', {
          code: 'E_MTX_COUNT',
          file: path,
          expected: `${fmtInt(nnz)} entries`,
          hint: 'The size line and the entries disagree: the file is corrupt or was edited',
        });
      }
      rowIdx[k] = r - 1;
      colIdx[k] = col - 1;
      values[k] = v;
      k++;
    }
  };

  for await (const chunk0 of source) {
    const chunk: Buffer = carry ? Buffer.concat([carry, chunk0]) : chunk0;
    carry = null;
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl < 0) {
      carry = chunk;
      continue;
    }
    let p = 0;
    while (state !== 'entries' && p <= lastNl) {
      const nl = chunk.indexOf(NL, p);
      line++;
      headerLine(lineText(chunk, p, nl));
      p = nl + 1;
    }
    if (state === 'entries' && p <= lastNl) parseEntries(chunk, p, lastNl + 1);
    if (lastNl + 1 < chunk.length) carry = chunk.subarray(lastNl + 1);
  }
  if (carry && carry.length > 0) {
    // Last line without a trailing newline.
    if (state !== 'entries') {
      line++;
      headerLine(lineText(carry, 0, carry.length));
    } else parseEntries(carry, 0, carry.length);
  }
  if (state === 'banner') {
    throw new FormatError('file is empty', { code: 'E_EMPTY', file: path, hint: 'Expected a Matrix Market header' });
  }
  if (state === 'size') throw headerError(path, 'size line is missing', '(end of file)');
  if (k < nnz) {
    throw new FormatError(`file ends after ${fmtInt(k)} of ${fmtInt(nnz)} entries`, {
      code: 'E_MTX_COUNT',
      file: path,
      got: k,
      expected: nnz,
      hint: 'The file is truncated: fetch or export it again',
    });
  }
  return { rows, cols, field, rowIdx, colIdx, values };
}

function lineEnd(buf: Buffer, s: number, e: number): number {
  const nl = buf.indexOf(NL, s);
  return nl < 0 || nl > e ? e : nl;
}

/**
 * Builds a CSR matrix whose rows are the coordinates' `major` axis (counting sort). Indices within
 * a row come out sorted when the file is sorted by major then minor (10x's order); otherwise each
 * unsorted row is sorted, and duplicate coordinates are summed, as scipy's COO -> CSR does.
 */
export function coordinatesToCsr(nMajor: number, nMinor: number, major: Int32Array, minor: Int32Array, vals: Float32Array): CsrMatrix {
  const nnz = major.length;
  const indptr = new Float64Array(nMajor + 1);
  for (let k = 0; k < nnz; k++) {
    const i = (major[k] as number) + 1;
    indptr[i] = (indptr[i] as number) + 1;
  }
  for (let i = 0; i < nMajor; i++) indptr[i + 1] = (indptr[i + 1] as number) + (indptr[i] as number);
  const next = new Float64Array(indptr.subarray(0, nMajor));
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const i = major[k] as number;
    const pos = next[i] as number;
    next[i] = pos + 1;
    indices[pos] = minor[k] as number;
    data[pos] = vals[k] as number;
  }
  let hasDup = false;
  for (let i = 0; i < nMajor; i++) {
    const a = indptr[i] as number;
    const b = indptr[i + 1] as number;
    let sorted = true;
    for (let q = a + 1; q < b; q++) {
      const d = (indices[q] as number) - (indices[q - 1] as number);
      if (d <= 0) {
        sorted = false;
        if (d === 0) hasDup = true;
      }
    }
    if (!sorted) {
      sortRow(indices, data, a, b);
      for (let q = a + 1; q < b; q++) if (indices[q] === indices[q - 1]) hasDup = true;
    }
  }
  if (!hasDup) return new CsrMatrix(nMajor, nMinor, { indptr, indices, data });
  // Sum duplicates and compact.
  const outPtr = new Float64Array(nMajor + 1);
  let w = 0;
  for (let i = 0; i < nMajor; i++) {
    const a = indptr[i] as number;
    const b = indptr[i + 1] as number;
    for (let q = a; q < b; q++) {
      if (q > a && indices[q] === indices[w - 1] && w > (outPtr[i] as number)) data[w - 1] = (data[w - 1] as number) + (data[q] as number);
      else {
        indices[w] = indices[q] as number;
        data[w] = data[q] as number;
        w++;
      }
    }
    outPtr[i + 1] = w;
  }
  return new CsrMatrix(nMajor, nMinor, { indptr: outPtr, indices: indices.slice(0, w), data: data.slice(0, w) });
}

function sortRow(indices: Int32Array, data: Float32Array, a: number, b: number): void {
  const n = b - a;
  const order = Array.from({ length: n }, (_, t) => a + t).sort((x, y) => (indices[x] as number) - (indices[y] as number));
  const ii = Int32Array.from(order, (q) => indices[q] as number);
  const dd = Float32Array.from(order, (q) => data[q] as number);
  indices.set(ii, a);
  data.set(dd, a);
}

/** Where the parts of a 10x matrix are. */
export interface TenxFiles {
  matrix: string;
  features?: string;
  barcodes?: string;
}

function findFirst(dir: string, names: string[]): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (entries.includes(n)) return join(dir, n);
  }
  return undefined;
}

const FEATURE_NAMES = ['features.tsv.gz', 'features.tsv', 'genes.tsv.gz', 'genes.tsv'];
const BARCODE_NAMES = ['barcodes.tsv.gz', 'barcodes.tsv', 'cells.tsv.gz', 'cells.tsv'];

/**
 * Locates matrix, features and barcodes for a 10x directory or a single `.mtx[.gz]` file (whose
 * siblings are used when present).
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND` when there is no matrix.mtx[.gz].
 */
export function locateTenx(path: string): TenxFiles {
  const kind = checkExists(path, 'any');
  if (kind === 'directory') {
    const matrix = findFirst(path, ['matrix.mtx.gz', 'matrix.mtx']);
    if (!matrix) {
      throw new InputError('directory has no matrix.mtx or matrix.mtx.gz', {
        code: 'E_FILE_NOT_FOUND',
        file: path,
        hint: 'Pass a 10x directory (matrix.mtx[.gz], features.tsv[.gz] or genes.tsv, barcodes.tsv[.gz]) or a single file',
      });
    }
    return { matrix, features: findFirst(path, FEATURE_NAMES), barcodes: findFirst(path, BARCODE_NAMES) };
  }
  const dir = join(path, '..');
  return { matrix: path, features: findFirst(dir, FEATURE_NAMES), barcodes: findFirst(dir, BARCODE_NAMES) };
}

/** Rows of a side file, dropping a header line when the file has exactly one line more than expected. */
function sideRows(path: string, expected: number, what: 'genes' | 'cells'): { rows: string[][]; header?: string[] } {
  const rows = readSmallDelimited(path, '\t');
  if (rows.length === expected + 1) return { rows: rows.slice(1), header: rows[0] };
  if (rows.length !== expected) {
    throw new FormatError(`${what} file has ${fmtInt(rows.length)} lines but the matrix has ${fmtInt(expected)} ${what}`, {
      code: 'E_COUNT_MISMATCH',
      file: path,
      got: rows.length,
      expected,
      hint: `Use the ${what === 'genes' ? 'features/genes' : 'barcodes'} file exported with this matrix`,
    });
  }
  return { rows };
}

/** Options for {@link readTenx}. */
export interface ReadTenxOptions extends LongRunOptions {
  /** Explicit features/genes file (default: found next to the matrix). */
  features?: string;
  /** Explicit barcodes file (default: found next to the matrix). */
  barcodes?: string;
}

/**
 * Reads a 10x Matrix Market directory or file as a cells x genes Dataset (CSR, Float32 values).
 *
 * varNames are the gene symbols (second features column, or the first when there is one) made
 * unique as anndata's `var_names_make_unique` does; `var` holds `gene_ids`, `gene_symbols` and
 * `feature_types` (when present). obsNames are the barcodes (first column); a barcodes file with a
 * header and more columns (e.g. `cells.tsv`) adds those columns to `obs`, typed by
 * {@link inferColumn}. Without side files, names are `gene0..`/`cell0..`.
 *
 * @param path - A directory holding matrix.mtx[.gz], or the .mtx[.gz] file itself.
 * @returns Dataset, nCells x nGenes.
 * @throws As {@link readMtxCoordinates}; {@link FormatError} `E_COUNT_MISMATCH` when the genes or
 *   barcodes file does not match the matrix size.
 * @example
 * ```ts
 * const ds = await readTenx('filtered_gene_bc_matrices/hg19');
 * ds.shape; // [nCells, nGenes]
 * ```
 */
export async function readTenx(path: string, opts: ReadTenxOptions = {}): Promise<Dataset> {
  const files = locateTenx(path);
  const featuresPath = opts.features ?? files.features;
  const barcodesPath = opts.barcodes ?? files.barcodes;
  const coo = await readMtxCoordinates(files.matrix, opts);
  const nGenes = coo.rows;
  const nCells = coo.cols;
  let X: CsrMatrix;
  try {
    X = coordinatesToCsr(nCells, nGenes, coo.colIdx, coo.rowIdx, coo.values);
  } catch (e) {
    // Only a corrupt size line (billions of cells) can make the index arrays unallocatable.
    throw new FormatError(`cannot build a ${fmtInt(nCells)}-cell matrix (${String(e)})`, {
      code: 'E_MTX_HEADER',
      file: files.matrix,
      hint: 'The size line is probably corrupt',
      cause: e,
    });
  }

  let varNames: string[];
  const varCols: [string, Column][] = [];
  if (featuresPath) {
    const { rows } = sideRows(featuresPath, nGenes, 'genes');
    const ids = rows.map((r) => r[0] ?? '');
    const symbols = rows.map((r) => r[1] ?? r[0] ?? '');
    varNames = makeUnique(symbols);
    varCols.push(['gene_ids', { kind: 'string', values: ids }]);
    varCols.push(['gene_symbols', { kind: 'string', values: symbols }]);
    if (rows.some((r) => r.length >= 3)) varCols.push(['feature_types', inferColumn(rows.map((r) => r[2] ?? ''))]);
  } else varNames = Array.from({ length: nGenes }, (_, j) => `gene${j}`);

  let obsNames: string[];
  const obsCols: [string, Column][] = [];
  if (barcodesPath) {
    const { rows, header } = sideRows(barcodesPath, nCells, 'cells');
    obsNames = rows.map((r) => r[0] ?? '');
    if (header && header.length > 1) {
      for (let c = 1; c < header.length; c++) obsCols.push([header[c] as string, inferColumn(rows.map((r) => r[c] ?? ''))]);
    }
  } else obsNames = Array.from({ length: nCells }, (_, i) => `cell${i}`);

  return new Dataset({
    X,
    obsNames,
    varNames,
    obs: new Frame(nCells, obsCols),
    var: new Frame(nGenes, varCols),
  });
}

/** Writes the decimal digits of a non-negative integer < 2^53 at `p`; returns the new position. */
function putInt(buf: Buffer, p: number, v: number): number {
  if (v < 10) {
    buf[p] = 48 + v;
    return p + 1;
  }
  let n = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) n++;
  for (let k = p + n - 1, x = v; k >= p; k--, x = Math.floor(x / 10)) buf[k] = 48 + (x % 10);
  return p + n;
}

/**
 * Matrix Market entry lines (gene, cell, value; 1-based, sorted by cell) as ~1 MiB byte chunks,
 * written digit by digit: building a JS string per entry costs several times more CPU and memory.
 */
function* mtxLines(csr: CsrMatrix, header: string): Generator<Buffer> {
  const CH = 1 << 20;
  let buf = Buffer.allocUnsafe(CH);
  let p = buf.write(header, 0, 'latin1');
  for (let i = 0; i < csr.rows; i++) {
    const a = csr.indptr[i] as number;
    const b = csr.indptr[i + 1] as number;
    for (let q = a; q < b; q++) {
      if (p > CH - 80) {
        yield buf.subarray(0, p);
        buf = Buffer.allocUnsafe(CH);
        p = 0;
      }
      p = putInt(buf, p, (csr.indices[q] as number) + 1);
      buf[p++] = 32;
      p = putInt(buf, p, i + 1);
      buf[p++] = 32;
      const v = csr.data[q] as number;
      if (v >= 0 && v < 9007199254740992 && Number.isInteger(v)) p = putInt(buf, p, v);
      else p += buf.write(String(v), p, 'latin1');
      buf[p++] = 10;
    }
  }
  if (p > 0) yield buf.subarray(0, p);
}

function tsv(rows: string[][]): string {
  return rows.map((r) => r.join('\t')).join('\n') + (rows.length ? '\n' : '');
}

/**
 * Writes a Dataset as a 10x directory: `matrix.mtx.gz` (genes x cells, `coordinate real|integer
 * general`, sorted by cell then gene), `features.tsv.gz` (gene id, symbol, feature type) and
 * `barcodes.tsv.gz`. The directory is written atomically (built under a temp name, then renamed).
 *
 * @param dir - Output directory (created; its parent must exist; an existing one is replaced).
 * @param ds - Dataset, cells x genes; X is written (dense matrices are sparsified).
 * @throws {@link InputError} `E_NO_PARENT_DIR`, `E_WRITE`.
 */
export async function writeTenx(dir: string, ds: Dataset, layer?: string): Promise<void> {
  const m: Matrix = ds.layer(layer);
  const csr = m.kind === 'csr' ? m : m.kind === 'csc' ? m.toCsr() : CsrMatrix.fromDense(m);
  let integer = true;
  const start = csr.indptr[0] as number;
  const end = csr.indptr[csr.rows] as number;
  for (let k = start; k < end; k++) {
    if (!Number.isInteger(csr.data[k])) {
      integer = false;
      break;
    }
  }
  const header = `%%MatrixMarket matrix coordinate ${integer ? 'integer' : 'real'} general\n${csr.cols} ${csr.rows} ${csr.nnz}\n`;
  const ids = ds.var.has('gene_ids') ? ds.var.get('gene_ids') : undefined;
  const idStrings = ids?.kind === 'string' ? ids.values : ds.varNames;
  const features = ds.varNames.map((g, j) => [idStrings[j] as string, g, 'Gene Expression']);
  await withAtomicOutput(dir, async (tmp) => {
    mkdirSync(tmp);
    await pipeline(Readable.from(mtxLines(csr, header)), createGzip({ level: 4 }), createWriteStream(join(tmp, 'matrix.mtx.gz')));
    writeFileSync(join(tmp, 'features.tsv.gz'), gzipSync(tsv(features)));
    writeFileSync(join(tmp, 'barcodes.tsv.gz'), gzipSync(tsv(ds.obsNames.map((b) => [b]))));
  });
}
