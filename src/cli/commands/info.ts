/** `celldeconv info FILE`: what a data file holds (shape, matrix storage, layers, annotations, labels). */
import { existsSync } from 'node:fs';
import type { LongRunOptions } from '../../core/progress.js';
import type { Dataset } from '../../data/dataset.js';
import type { Column, Frame } from '../../data/frame.js';
import { describeMatrix, type Matrix } from '../../data/matrix.js';
import { datasets, isDatasetName } from '../../datasets/index.js';
import { readDataset } from '../../io/read.js';
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

function matrixJson(m: Matrix) {
  return {
    shape: [m.rows, m.cols],
    kind: m.kind,
    dtype: m.dtype,
    stored: m.kind === 'dense' ? m.rows * m.cols : m.nnz,
    density: m.kind === 'dense' ? null : m.density,
  };
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
    const ds = await loadInput(input, args, { onProgress: out.progress(), signal });
    const labels = labelCounts(ds.obs);
    out.result({
      file: input,
      shape: ds.shape,
      X: matrixJson(ds.X),
      layers: Object.fromEntries([...ds.layers].map(([k, m]) => [k, matrixJson(m)])),
      raw: ds.raw ? { shape: [ds.raw.X.rows, ds.raw.X.cols], X: matrixJson(ds.raw.X), var: frameJson(ds.raw.var) } : null,
      obs: frameJson(ds.obs),
      var: frameJson(ds.var),
      uns: Object.keys(ds.uns),
      labelCounts: Object.fromEntries(Object.entries(labels).map(([k, rows]) => [k, Object.fromEntries(rows)])),
      obsNames: ds.obsNames.slice(0, 3),
      varNames: ds.varNames.slice(0, 3),
    });
    out.print(`${input}: ${fmt(ds.nObs)} x ${fmt(ds.nVars)} (observations x variables)`);
    out.print(`X: ${describeMatrix(ds.X)}`);
    out.print(`layers: ${ds.layers.size === 0 ? '(none)' : ''}`);
    for (const [k, m] of ds.layers) out.print(`  ${k}: ${describeMatrix(m)}`);
    if (ds.raw) out.print(`raw: ${fmt(ds.raw.X.rows)} x ${fmt(ds.raw.X.cols)}, ${describeMatrix(ds.raw.X)}`);
    const names = (xs: string[]) => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ', ...' : ''}`;
    out.print(`obs names: ${names(ds.obsNames)}`);
    out.print(`var names: ${names(ds.varNames)}`);
    for (const [title, f] of [
      ['obs', ds.obs],
      ['var', ds.var],
    ] as const) {
      out.print(`${title} columns (${f.columnNames.length}):`);
      const w = Math.max(4, ...f.columnNames.map((n) => n.length));
      for (const n of f.columnNames) out.print(`  ${n.padEnd(w)}  ${columnType(f.get(n))}`);
    }
    const unsKeys = Object.keys(ds.uns);
    if (unsKeys.length > 0) out.print(`uns: ${unsKeys.join(', ')}`);
    for (const [col, rows] of Object.entries(labels)) {
      out.print(`label counts (${col}):`);
      const w = Math.max(...rows.map((r) => r[0].length));
      const shown = rows.slice(0, 50);
      for (const [cat, n] of shown) out.print(`  ${cat.padEnd(w)}  ${fmt(n)}`);
      if (rows.length > shown.length) out.print(`  ... ${rows.length - shown.length} more`);
    }
  },
};
