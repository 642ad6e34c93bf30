/**
 * Per-cell label tables (TSV/CSV): joined to a Dataset's cells by barcode, or by row order when the
 * table has no barcode column (or when asked to). Every other column becomes an `obs` column.
 */
import { fmtInt, InputError } from '../core/errors.js';
import { Dataset } from '../data/dataset.js';
import { type Column, Frame } from '../data/frame.js';
import { inferColumn } from './columns.js';
import { readSmallDelimited } from './table.js';

/** Options for {@link readLabels}. */
export interface ReadLabelsOptions {
  /** Join by row order even if a column matches barcodes. */
  byOrder?: boolean;
}

/**
 * Reads a label table for the given cells.
 *
 * The first line is a header unless its first cell is one of the barcodes (joining by order: unless
 * the table has exactly one line per cell). The barcode column is
 * the column whose values match the most `cellNames`. When no column matches any barcode, a
 * one-column table is joined by order (it must then have exactly one row per cell); a table with
 * more columns is an `E_LABELS_MISMATCH` ("labels match 0 of N cells") unless `byOrder`. Columns are typed by
 * {@link inferColumn} (strings with few distinct values become categorical). A header-less table
 * names its columns `label`, `label_2`, ...
 *
 * @param path - TSV/CSV, optionally gzipped.
 * @param cellNames - The Dataset's obsNames, in order.
 * @returns A Frame with one row per cell, in `cellNames` order.
 * @throws {@link InputError} `E_LABELS_MISMATCH` when some cells have no row (says how many
 *   matched) or when the row count differs in order mode; `E_EMPTY` for an empty table.
 */
export function readLabels(path: string, cellNames: readonly string[], opts: ReadLabelsOptions = {}): Frame {
  let rows = readSmallDelimited(path);
  if (rows.length === 0) {
    throw new InputError('labels file is empty', { code: 'E_EMPTY', file: path, hint: 'Expected a header and one row per cell' });
  }
  const cellIndex = new Map<string, number>();
  cellNames.forEach((c, i) => {
    if (!cellIndex.has(c)) cellIndex.set(c, i);
  });
  const first = rows[0] as string[];
  let header: string[];
  // No header when the first cell is a barcode, or (joining by order) when there is exactly one row per cell.
  const headerless = opts.byOrder ? rows.length === cellNames.length : cellIndex.has(first[0] ?? '');
  if (headerless) {
    const startsWithBarcode = !opts.byOrder || cellIndex.has(first[0] ?? '');
    header = first.map((_, c) =>
      startsWithBarcode ? (c === 0 ? 'barcode' : c === 1 ? 'label' : `label_${c}`) : c === 0 ? 'label' : `label_${c + 1}`,
    );
  } else {
    header = first.map((h, c) => (h === '' ? (c === 0 ? 'index' : `column_${c}`) : h));
    rows = rows.slice(1);
  }
  const nCols = header.length;
  const n = cellNames.length;

  // Which column holds barcodes?
  let barcodeCol = -1;
  let bestMatches = 0;
  if (!opts.byOrder) {
    for (let c = 0; c < nCols; c++) {
      let m = 0;
      for (const r of rows) if (cellIndex.has(r[c] ?? '')) m++;
      if (m > bestMatches) {
        bestMatches = m;
        barcodeCol = c;
      }
    }
  }

  // rowFor[i] = table row for cell i.
  const rowFor = new Int32Array(n).fill(-1);
  if (barcodeCol >= 0) {
    rows.forEach((r, t) => {
      const i = cellIndex.get(r[barcodeCol] ?? '');
      if (i !== undefined && rowFor[i] === -1) rowFor[i] = t;
    });
    let matched = 0;
    const missing: string[] = [];
    for (let i = 0; i < n; i++) {
      if (rowFor[i] !== -1) matched++;
      else if (missing.length < 3) missing.push(cellNames[i] as string);
    }
    if (matched < n) {
      throw new InputError(`labels match only ${fmtInt(matched)} of ${fmtInt(n)} cells (by column '${header[barcodeCol]}')`, {
        code: 'E_LABELS_MISMATCH',
        file: path,
        got: `${fmtInt(n - matched)} cells without a row, e.g. ${JSON.stringify(missing)}`,
        expected: 'one row per cell, matched by barcode',
        hint: 'Subset the matrix to the labelled cells, fix the barcodes (a "-1" suffix?), or pass --labels-by-order',
      });
    }
  } else {
    // A table with a label column beside a barcode-like column whose values match no cell is a
    // mismatch (wrong file, or barcodes with another suffix), not a table to join by order.
    if (!opts.byOrder && nCols >= 2 && rows.length > 0) {
      const firstCol = rows.map((r) => r[0] ?? '');
      throw new InputError(`labels match 0 of ${fmtInt(n)} cells: no column holds any of the cell barcodes`, {
        code: 'E_LABELS_MISMATCH',
        file: path,
        got: `first column starts ${JSON.stringify(firstCol.slice(0, 3))}`,
        expected: `barcodes such as ${JSON.stringify(cellNames.slice(0, 3))}`,
        hint: 'Check that the labels belong to this matrix (a "-1" suffix? another sample?), or pass --labels-by-order to join by row order',
      });
    }
    if (rows.length !== n) {
      throw new InputError(
        `labels file has ${fmtInt(rows.length)} rows but there are ${fmtInt(n)} cells, and no column matches any barcode`,
        {
          code: 'E_LABELS_MISMATCH',
          file: path,
          got: rows.length,
          expected: n,
          hint: 'Joining by row order needs exactly one row per cell (plus a header); or add a barcode column',
        },
      );
    }
    for (let i = 0; i < n; i++) rowFor[i] = i;
  }

  const cols: [string, Column][] = [];
  for (let c = 0; c < nCols; c++) {
    if (c === barcodeCol) continue;
    const values = Array.from(rowFor, (t) => (rows[t] as string[])[c] ?? '');
    cols.push([header[c] as string, inferColumn(values)]);
  }
  return new Frame(n, cols);
}

/** A new Dataset whose obs has `extra`'s columns added (replacing same-named ones). */
export function withObsColumns(ds: Dataset, extra: Frame): Dataset {
  const obs = ds.obs.copy();
  for (const [k, c] of extra.entries()) obs.set(k, c);
  return new Dataset({
    X: ds.X,
    obsNames: ds.obsNames,
    varNames: ds.varNames,
    obs,
    var: ds.var,
    layers: ds.layers,
    uns: ds.uns,
    raw: ds.raw,
  });
}
