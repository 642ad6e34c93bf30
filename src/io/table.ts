/**
 * Dense CSV/TSV tables (optionally gzipped), e.g. bulk expression matrices and signatures.
 *
 * Layout: a header line (corner label, then column names) and one line per row (row name, then one
 * number per column). R's `write.table` layout, where the header has no corner cell, is accepted
 * too. The delimiter comes from the extension (`.csv` comma, `.tsv`/`.tab`/`.txt` tab) or is sniffed
 * from the header. Parsing is streamed through zlib and `csv-parse`, so quoting follows RFC 4180.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CelldeconvError, FormatError, InputError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import type { Matrix } from '../data/matrix.js';
import { withAtomicOutput } from './atomic.js';
import { readH5ad } from './h5ad/read.js';
import { baseNameNoGz, mapReadError, readFileBytes, streamFileBytes } from './source.js';

/** A parsed dense table: `values` is rowNames.length x colNames.length, row-major Float64. */
export interface DenseTable {
  rowNames: string[];
  colNames: string[];
  values: DenseMatrix<Float64Array>;
  /** The header's first cell (often empty, 'gene' or 'sample'). */
  cornerLabel: string;
}

/** Delimiter from the file name, or undefined when the extension does not say. */
export function delimiterFromName(path: string): ',' | '\t' | undefined {
  const b = baseNameNoGz(path);
  if (b.endsWith('.csv')) return ',';
  if (b.endsWith('.tsv') || b.endsWith('.tab') || b.endsWith('.txt')) return '\t';
  return undefined;
}

/** Picks the delimiter that appears most in the first line (tab, comma, semicolon). */
export function sniffDelimiter(firstLine: string): ',' | '\t' | ';' {
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const tabs = count('\t');
  const commas = count(',');
  const semis = count(';');
  if (tabs >= commas && tabs >= semis && tabs > 0) return '\t';
  if (semis > commas) return ';';
  return ',';
}

/** First line of a (possibly gzipped) file, read from the first chunk only. */
async function firstLineOf(path: string): Promise<string> {
  for await (const chunk of streamFileBytes(path)) {
    const s = chunk.toString('utf8', 0, Math.min(chunk.length, 1 << 16));
    const nl = s.indexOf('\n');
    return nl < 0 ? s : s.slice(0, nl);
  }
  return '';
}

const MISSING_RE = /^[+-]?(nan|na|n\/a|null|none|inf|infinity)$/i;

/** Growable Float64 buffer (doubling), so that the row count need not be known in advance. */
class GrowF64 {
  buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const nb = new Float64Array(this.buf.length * 2);
      nb.set(this.buf);
      this.buf = nb;
    }
    this.buf[this.length++] = v;
  }
  take(): Float64Array {
    return this.buf.length === this.length ? this.buf : this.buf.slice(0, this.length);
  }
}

/**
 * Reads a dense numeric table. The first column holds row names, the header holds column names.
 *
 * @param path - `.csv`, `.tsv`, `.txt` (optionally `.gz`); other names are sniffed.
 * @returns Row names, column names and the values (rows x columns, Float64).
 * @throws {@link InputError} `E_FILE_NOT_FOUND`, `E_NONFINITE` (NaN/Inf/NA cells);
 *   {@link FormatError} `E_EMPTY`, `E_RAGGED` (line number), `E_NOT_NUMERIC` (row, column, value),
 *   `E_DUPLICATE_NAME`, `E_CSV` (quoting), `E_GZIP_TRUNCATED`.
 * @example
 * ```ts
 * const { rowNames, colNames, values } = await readDenseTable('bulk.tsv.gz');
 * ```
 */
export async function readDenseTable(path: string, opts: LongRunOptions & { allowDuplicateNames?: boolean } = {}): Promise<DenseTable> {
  const delimiter = delimiterFromName(path) ?? sniffDelimiter(await firstLineOf(path));
  return parseDenseTable(streamFileBytes(path, { ...opts, label: baseNameNoGz(path) }), path, delimiter, opts.allowDuplicateNames);
}

/**
 * Parses a dense table delivered as byte chunks (see {@link readDenseTable} for the layout).
 *
 * @param source - Decompressed bytes, in order (chunks of any size).
 * @param path - Name used in error messages.
 * @param delimiter - Cell delimiter.
 * @throws As {@link readDenseTable}.
 */
export async function parseDenseTable(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  path: string,
  delimiter: string,
  allowDuplicateNames = false,
): Promise<DenseTable> {
  const parser = parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true, relax_quotes: false });
  const src = Readable.from(source);
  src.on('error', (e) => parser.destroy(e));
  src.pipe(parser);

  let header: string[] | undefined;
  let colNames: string[] = [];
  let cornerLabel = '';
  let nCols = 0;
  const rowNames: string[] = [];
  const rowLine = new Map<string, number>();
  const values = new GrowF64();
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const rec = item.record;
      const line = item.info.lines;
      if (header === undefined) {
        header = rec;
        continue;
      }
      if (rowNames.length === 0) {
        // The first data line tells whether the header has a corner cell (R's write.table omits it).
        if (rec.length === header.length + 1) {
          colNames = header;
        } else {
          cornerLabel = header[0] ?? '';
          colNames = header.slice(1);
        }
        if (!allowDuplicateNames) checkUnique(colNames, path, 'column');
        nCols = colNames.length;
        if (nCols === 0) {
          throw new FormatError('table has no data columns (only a row-name column)', {
            code: 'E_EMPTY',
            file: path,
            hint: `Check the delimiter: expected '${delimiter === '\t' ? '\\t' : delimiter}' between cells`,
          });
        }
      }
      if (rec.length !== nCols + 1) {
        throw new FormatError(`ragged row at line ${line}`, {
          code: 'E_RAGGED',
          file: path,
          got: `${rec.length} cells`,
          expected: `${nCols + 1} (row name + ${nCols} values, as in the header)`,
          hint: 'Every line needs the same number of cells; check for missing values or stray delimiters',
        });
      }
      const name = rec[0] as string;
      const prev = rowLine.get(name);
      if (prev !== undefined && !allowDuplicateNames) {
        throw new FormatError(`duplicate row name '${name}' (lines ${prev} and ${line})`, {
          code: 'E_DUPLICATE_NAME',
          file: path,
          field: 'row names',
          hint: 'Row names must be unique: aggregate or rename duplicated rows first',
        });
      }
      rowLine.set(name, line);
      rowNames.push(name);
      for (let j = 1; j <= nCols; j++) values.push(parseCell(rec[j] as string, path, line, name, colNames[j - 1] as string));
    }
  } catch (e) {
    if (e instanceof CelldeconvError) throw e;
    if (e instanceof CsvError) {
      throw new FormatError(`cannot parse CSV (${e.message})`, {
        code: 'E_CSV',
        file: path,
        hint: 'Check quoting: a quoted cell must end with a quote followed by a delimiter or newline',
        cause: e,
      });
    }
    throw mapReadError(e, path);
  } finally {
    src.destroy();
  }
  if (header === undefined) {
    throw new FormatError('file is empty', { code: 'E_EMPTY', file: path, hint: 'Expected a header line and at least one data line' });
  }
  if (rowNames.length === 0) {
    throw new FormatError('table has a header but no data rows', { code: 'E_EMPTY', file: path, hint: 'Expected at least one data line' });
  }
  return { rowNames, colNames, values: new DenseMatrix(rowNames.length, nCols, values.take()), cornerLabel };
}

function parseCell(s: string, path: string, line: number, row: string, col: string): number {
  const v = Number(s);
  if (Number.isFinite(v) && s.trim() !== '') return v;
  const t = s.trim();
  if (t === '' || MISSING_RE.test(t) || (!Number.isNaN(v) && !Number.isFinite(v))) {
    throw new InputError(`missing or non-finite value at line ${line}, row '${row}', column '${col}'`, {
      code: 'E_NONFINITE',
      file: path,
      got: s,
      expected: 'a finite number',
      hint: 'Impute or drop missing values before deconvolution (NaN/Inf/NA/empty cells are not allowed)',
    });
  }
  throw new FormatError(`non-numeric value at line ${line}, row '${row}', column '${col}'`, {
    code: 'E_NOT_NUMERIC',
    file: path,
    got: s,
    expected: 'a number',
    hint: 'Only the first column and the header may hold names; is there an extra annotation column?',
  });
}

function checkUnique(names: readonly string[], path: string, what: 'row' | 'column'): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    const p = seen.get(n);
    if (p !== undefined) {
      throw new FormatError(`duplicate ${what} name '${n}' (${what}s ${p + 1} and ${i + 1})`, {
        code: 'E_DUPLICATE_NAME',
        file: path,
        field: `${what} names`,
        hint: `${what === 'row' ? 'Row' : 'Column'} names must be unique: rename or aggregate the duplicates first`,
      });
    }
    seen.set(n, i);
  }
}

/** Options for {@link writeDenseTable}. */
export interface WriteTableOptions {
  /** Header's first cell (default ''). */
  cornerLabel?: string;
  /** Override the delimiter chosen from the extension (default: tab for .tsv/.txt, else comma). */
  delimiter?: ',' | '\t';
}

function quoteCell(s: string, delim: string): string {
  if (s.includes(delim) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/**
 * Writes a table atomically (temp file + rename; gzipped when the name ends in `.gz`). Numbers are
 * written with JavaScript's shortest round-trip representation, so reading back gives identical
 * doubles (and identical float32 values for Float32 data). Sparse matrices are densified one row at
 * a time.
 *
 * @param path - Output path; `.csv` -> comma, `.tsv`/`.txt` -> tab.
 * @param rowNames - One name per row of `values`.
 * @param colNames - One name per column of `values`.
 * @param values - rows x columns (dense, CSR or CSC).
 * @throws {@link InputError} `E_NO_PARENT_DIR`, `E_WRITE`; {@link FormatError} `E_SHAPE` when names
 *   and matrix disagree.
 * @example
 * ```ts
 * await writeDenseTable('props.csv', samples, cellTypes, proportions, { cornerLabel: 'sample' });
 * ```
 */
export async function writeDenseTable(
  path: string,
  rowNames: readonly string[],
  colNames: readonly string[],
  values: Matrix,
  opts: WriteTableOptions = {},
): Promise<void> {
  if (rowNames.length !== values.rows || colNames.length !== values.cols) {
    throw new FormatError('names do not match the matrix shape', {
      code: 'E_SHAPE',
      file: path,
      got: `${rowNames.length} row names x ${colNames.length} column names`,
      expected: `${values.rows} x ${values.cols}`,
    });
  }
  const delim = opts.delimiter ?? delimiterFromName(path) ?? ',';
  const m = values.kind === 'csc' ? values.toCsr() : values;
  async function* chunks(): AsyncGenerator<string> {
    const head = [quoteCell(opts.cornerLabel ?? '', delim), ...colNames.map((c) => quoteCell(c, delim))].join(delim);
    let buf = `${head}\n`;
    const row = new Float64Array(m.cols);
    const parts = new Array<string>(m.cols + 1);
    for (let i = 0; i < m.rows; i++) {
      if (m.kind === 'csr') m.rowDense(i, row);
      else row.set(m.row(i));
      parts[0] = quoteCell(rowNames[i] as string, delim);
      for (let j = 0; j < m.cols; j++) parts[j + 1] = String(row[j]);
      buf += `${parts.join(delim)}\n`;
      if (buf.length > 1 << 20) {
        yield buf;
        buf = '';
      }
    }
    if (buf.length > 0) yield buf;
  }
  await withAtomicOutput(path, async (tmp) => {
    const out = createWriteStream(tmp);
    if (path.toLowerCase().endsWith('.gz')) await pipeline(Readable.from(chunks()), createGzip(), out);
    else await pipeline(Readable.from(chunks()), out);
  });
}

/** Options for {@link readBulk}. */
export interface ReadBulkOptions extends LongRunOptions {
  /**
   * Reference genes (e.g. the signature's genes): the orientation whose names match more of them
   * is taken as the gene axis.
   */
  genes?: readonly string[];
  /** Explicit orientation: genes are the table's rows or its columns (overrides detection). */
  genesIn?: 'rows' | 'columns';
}

/**
 * Decides whether a table holds genes in rows or in columns. With `genes`, the axis whose names
 * match more of them wins; otherwise a corner cell such as 'gene'/'gene_id' (rows) or
 * 'sample'/'cell'/'barcode'/'obs' (columns) decides; failing that, the longer axis is taken as
 * genes, since bulk tables have far more genes than samples.
 */
export function detectGeneAxis(
  rowNames: readonly string[],
  colNames: readonly string[],
  genes?: readonly string[],
  cornerLabel = '',
): 'rows' | 'columns' {
  if (genes && genes.length > 0) {
    const set = new Set(genes);
    let inRows = 0;
    let inCols = 0;
    for (const r of rowNames) if (set.has(r)) inRows++;
    for (const c of colNames) if (set.has(c)) inCols++;
    if (inRows !== inCols) return inRows > inCols ? 'rows' : 'columns';
  }
  // The header's corner cell names the row axis when the writer set one (ours: 'gene' or 'obs').
  const corner = cornerLabel.trim().toLowerCase();
  if (GENE_CORNER.test(corner)) return 'rows';
  if (OBS_CORNER.test(corner)) return 'columns';
  return rowNames.length >= colNames.length ? 'rows' : 'columns';
}

const GENE_CORNER = /^(genes?|gene[ _.-]?(ids?|names?|symbols?)|symbols?|features?|ensembl[ _]?(ids?)?)$/;
const OBS_CORNER = /^(obs|obs[ _]?names|samples?|sample[ _]?(ids?|names?)|cells?|cell[ _]?(ids?|names?)|barcodes?|observations?)$/;

/**
 * Reads a bulk expression table as a samples x genes Dataset (dense Float64 X), transposing the
 * common genes x samples layout. `.h5ad` files are read as they are (already samples x genes;
 * `genes`/`genesIn` do not apply).
 *
 * @param path - CSV/TSV (optionally gzipped) or `.h5ad`.
 * @param opts - `genes` (reference genes, for orientation detection) or `genesIn` (explicit).
 * @returns Dataset with obsNames = samples, varNames = genes.
 * @throws As {@link readDenseTable}; {@link InputError} `E_OPTION` for a bad `genesIn`.
 * @example
 * ```ts
 * const bulk = await readBulk('bulk.tsv', { genes: signature.genes });
 * ```
 */
export async function readBulk(path: string, opts: ReadBulkOptions = {}): Promise<Dataset> {
  if (opts.genesIn !== undefined && opts.genesIn !== 'rows' && opts.genesIn !== 'columns') {
    throw new InputError('invalid genesIn option', {
      code: 'E_OPTION',
      field: 'genesIn',
      got: opts.genesIn,
      expected: "'rows' or 'columns'",
    });
  }
  if (baseNameNoGz(path).endsWith('.h5ad')) return readH5ad(path, opts);
  // Gene names may repeat (R exports): the deconvolve input step merges them (--duplicate-genes).
  const t = await readDenseTable(path, { ...opts, allowDuplicateNames: true });
  const axis = opts.genesIn ?? detectGeneAxis(t.rowNames, t.colNames, opts.genes, t.cornerLabel);
  checkUnique(axis === 'columns' ? t.rowNames : t.colNames, path, axis === 'columns' ? 'row' : 'column');
  if (axis === 'columns') return new Dataset({ X: t.values, obsNames: t.rowNames, varNames: t.colNames });
  return new Dataset({ X: t.values.transpose(), obsNames: t.colNames, varNames: t.rowNames });
}

/**
 * Reads a small delimited text file (labels tables, gene lists) into rows of cells.
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND`; {@link FormatError} `E_CSV` on bad quoting.
 */
export function readSmallDelimited(path: string, delimiter?: string): string[][] {
  const text = readFileBytes(path)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const firstNl = text.indexOf('\n');
  const d = delimiter ?? delimiterFromName(path) ?? sniffDelimiter(firstNl < 0 ? text : text.slice(0, firstNl));
  try {
    return parseSync(text, { delimiter: d, relax_column_count: true, skip_empty_lines: true, relax_quotes: true }) as string[][];
  } catch (e) {
    throw new FormatError(`cannot parse table (${(e as Error).message})`, { code: 'E_CSV', file: path, cause: e });
  }
}
