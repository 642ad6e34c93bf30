/** `celldeconv info FILE`: what a data file holds (shape, matrix storage, layers, annotations, labels). */
import { existsSync, statSync } from 'node:fs';
import type { LongRunOptions } from '../../core/progress.js';
import type { Dataset } from '../../data/dataset.js';
import type { Column, Frame } from '../../data/frame.js';
import type { Matrix } from '../../data/matrix.js';
import { datasets, isDatasetName } from '../../datasets/index.js';
import { type H5adSummary, inspectH5ad, type MatrixSummary } from '../../io/h5ad/read.js';
import { detectFormat, readDataset } from '../../io/read.js';
import { optBool, optString, UsageError } from '../args.js';
import type { CommandSpec, ParsedArgs } from '../command.js';

/** Shared by info and convert: the input options that change how a file is read. */
export const READ_OPTIONS: CommandSpec['options'] = {
  labels: { type: 'string', short: 'l', description: 'Per-cell label table (TSV/CSV) to add to obs, joined by barcode', valueName: 'FILE' },
  'labels-by-order': { type: 'boolean', description: 'Join the label table by row order instead of by barcode' },
  'genes-in': {
    type: 'string',
    description: "CSV/TSV input: genes are the table's 'rows' or 'columns' (default: detected)",
    valueName: 'AXIS',
  },
};

/**
 * Loads a CLI input: the name of a bundled dataset (when no such path exists) or a file/directory
 * in any format {@link readDataset} reads.
 */
export async function loadInput(input: string, args: ParsedArgs, long: LongRunOptions): Promise<Dataset> {
  const genesIn = optString(args, 'genes-in');
  if (genesIn !== undefined && genesIn !== 'rows' && genesIn !== 'columns') {
    throw new UsageError('invalid value', 'genes-in', genesIn, "'rows' or 'columns'");
  }
  const labels = optString(args, 'labels');
  const labelsByOrder = optBool(args, 'labels-by-order');
  if (!existsSync(input) && isDatasetName(input)) {
    const ds = await datasets[input](long);
    if (!labels) return ds;
    const { readLabels, withObsColumns } = await import('../../io/labels.js');
    return withObsColumns(ds, readLabels(labels, ds.obsNames, { byOrder: labelsByOrder }));
  }
  return readDataset(input, { ...long, labels, labelsByOrder, genesIn });
}

function columnType(c: Column): string {
  switch (c.kind) {
    case 'categorical':
      return `categorical (${c.categories.length} categories${c.ordered ? ', ordered' : ''})`;
    case 'numeric':
      return `numeric (${c.values instanceof Int32Array ? 'int32' : c.values instanceof Float32Array ? 'float32' : 'float64'})`;
    default:
      return c.kind;
  }
}

/** Storage summary of a matrix (also what inspectH5ad gives without reading data). */
function summarizeMatrix(m: Matrix): MatrixSummary {
  return { shape: [m.rows, m.cols], kind: m.kind, dtype: m.dtype, stored: m.kind === 'dense' ? m.rows * m.cols : m.nnz };
}

function summarizeDataset(ds: Dataset): H5adSummary {
  return {
    shape: ds.shape,
    X: summarizeMatrix(ds.X),
    layers: Object.fromEntries([...ds.layers].map(([k, m]) => [k, summarizeMatrix(m)])),
    raw: ds.raw ? { X: summarizeMatrix(ds.raw.X), var: ds.raw.var } : undefined,
    obs: ds.obs,
    var: ds.var,
    obsNames: ds.obsNames,
    varNames: ds.varNames,
    unsKeys: Object.keys(ds.uns),
  };
}

/** "csr float32, 2.60% non-zero (2,242,529 stored)", as describeMatrix prints it. */
function describeSummary(m: MatrixSummary): string {
  const base = `${m.kind} ${m.dtype}`;
  if (m.kind === 'dense') return base;
  const cells = m.shape[0] * m.shape[1];
  return `${base}, ${((cells === 0 ? 0 : m.stored / cells) * 100).toFixed(2)}% non-zero (${m.stored.toLocaleString('en-US')} stored)`;
}

function matrixJson(m: MatrixSummary) {
  const cells = m.shape[0] * m.shape[1];
  return { ...m, density: m.kind === 'dense' ? null : cells === 0 ? 0 : m.stored / cells };
}

function frameJson(f: Frame) {
  return f.columnNames.map((name) => {
    const c = f.get(name);
    return { name, kind: c.kind, type: columnType(c) };
  });
}

/** Counts per category (descending), for every categorical obs column. */
export function labelCounts(f: Frame): Record<string, [string, number][]> {
  const out: Record<string, [string, number][]> = {};
  for (const name of f.columnNames) {
    const c = f.get(name);
    if (c.kind !== 'categorical') continue;
    const counts = new Float64Array(c.categories.length);
    let missing = 0;
    for (const k of c.codes) {
      if (k < 0) missing++;
      else counts[k] = (counts[k] as number) + 1;
    }
    const rows: [string, number][] = c.categories.map((cat, k) => [cat, counts[k] as number]);
    rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (missing > 0) rows.push(['(missing)', missing]);
    out[name] = rows;
  }
  return out;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The `info` command (registered in commands/index.ts). */
export const infoCommand: CommandSpec = {
  name: 'info',
  summary: 'Describe a data file: shape, X storage, layers, obs/var columns, label counts',
  details: [
    'FILE is an .h5ad file, a 10x Matrix Market directory or .mtx[.gz] file, a CSV/TSV table (optionally',
    'gzipped), or the name of a bundled dataset (pbmc3k).',
    'Examples:',
    '  celldeconv info pbmc3k',
    '  celldeconv info filtered_feature_bc_matrix --labels cell_types.tsv',
    '  celldeconv info ref.h5ad --json',
  ].join('\n'),
  options: { ...READ_OPTIONS },
  positionals: [{ name: 'FILE', description: 'Data file, 10x directory, or bundled dataset name' }],
  async run({ args, out, signal }) {
    const input = args.positionals[0] as string;
    // .h5ad without extra labels: read metadata and annotations only, never the matrices.
    const h5 = !optString(args, 'labels') && existsSync(input) && statSync(input).isFile() && detectFormat(input) === 'h5ad';
    const sum = h5 ? await inspectH5ad(input) : summarizeDataset(await loadInput(input, args, { onProgress: out.progress(), signal }));
    const labels = labelCounts(sum.obs);
    out.result({
      file: input,
      shape: sum.shape,
      X: sum.X ? matrixJson(sum.X) : null,
      layers: Object.fromEntries(Object.entries(sum.layers).map(([k, m]) => [k, matrixJson(m)])),
      raw: sum.raw ? { shape: sum.raw.X.shape, X: matrixJson(sum.raw.X), var: frameJson(sum.raw.var) } : null,
      obs: frameJson(sum.obs),
      var: frameJson(sum.var),
      uns: sum.unsKeys,
      labelCounts: Object.fromEntries(Object.entries(labels).map(([k, rows]) => [k, Object.fromEntries(rows)])),
      obsNames: sum.obsNames.slice(0, 3),
      varNames: sum.varNames.slice(0, 3),
    });
    out.print(`${input}: ${fmt(sum.shape[0])} x ${fmt(sum.shape[1])} (observations x variables)`);
    out.print(`X: ${sum.X ? describeSummary(sum.X) : '(none)'}`);
    const layerNames = Object.keys(sum.layers);
    out.print(`layers: ${layerNames.length === 0 ? '(none)' : ''}`);
    for (const k of layerNames) out.print(`  ${k}: ${describeSummary(sum.layers[k] as MatrixSummary)}`);
    if (sum.raw) out.print(`raw: ${fmt(sum.raw.X.shape[0])} x ${fmt(sum.raw.X.shape[1])}, ${describeSummary(sum.raw.X)}`);
    const names = (xs: string[]) => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', ...' : ''}`;
    out.print(`obs names: ${names(sum.obsNames)}`);
    out.print(`var names: ${names(sum.varNames)}`);
    for (const [title, f] of [
      ['obs', sum.obs],
      ['var', sum.var],
    ] as const) {
      out.print(`${title} columns (${f.columnNames.length}):`);
      const w = Math.max(4, ...f.columnNames.map((n) => n.length));
      for (const n of f.columnNames) out.print(`  ${n.padEnd(w)}  ${columnType(f.get(n))}`);
    }
    if (sum.unsKeys.length > 0) out.print(`uns: ${sum.unsKeys.join(', ')}`);
    for (const [col, rows] of Object.entries(labels)) {
      out.print(`label counts (${col}):`);
      const w = Math.max(...rows.map((r) => r[0].length));
      const shown = rows.slice(0, 50);
      for (const [cat, n] of shown) out.print(`  ${cat.padEnd(w)}  ${fmt(n)}`);
      if (rows.length > shown.length) out.print(`  ... ${rows.length - shown.length} more`);
    }
  },
};
