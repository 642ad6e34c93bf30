/** `celldeconv convert IN OUT`: between h5ad, 10x Matrix Market and CSV/TSV. */
import { writeDataset } from '../../io/read.js';
import { optNumber, optString, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { loadInput, READ_OPTIONS } from './info.js';

/** The `convert` command (registered in commands/index.ts). */
export const convertCommand: CommandSpec = {
  name: 'convert',
  summary: 'Convert between .h5ad, 10x Matrix Market and CSV/TSV (optionally adding a label table)',
  details: [
    'IN: .h5ad, a 10x directory or .mtx[.gz], a CSV/TSV table (.gz ok), or a bundled dataset name (pbmc3k).',
    'OUT: .h5ad (everything), .csv/.tsv[.gz] (X or --layer as a dense observations x genes table), or a',
    'directory name without extension (10x: matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz).',
    'The output is written to a temp file and renamed: a failed run leaves no partial file.',
    'Examples:',
    '  celldeconv convert pbmc3k pbmc3k.h5ad',
    '  celldeconv convert filtered_feature_bc_matrix ref.h5ad --labels cell_types.tsv',
    '  celldeconv convert bulk.tsv.gz bulk.h5ad --genes-in rows',
  ].join('\n'),
  options: {
    ...READ_OPTIONS,
    layer: { type: 'string', description: 'CSV/TSV and 10x output: write this layer instead of X', valueName: 'NAME' },
    compression: { type: 'string', description: 'h5ad output: gzip level 1-9 for matrices (default: none)', valueName: 'LEVEL' },
  },
  positionals: [
    { name: 'IN', description: 'Input file, 10x directory, or bundled dataset name' },
    { name: 'OUT', description: 'Output .h5ad, .csv/.tsv[.gz], or 10x directory' },
  ],
  async run({ args, out, signal }) {
    const [input, output] = args.positionals as [string, string];
    const compression =
      optString(args, 'compression') === undefined ? undefined : optNumber(args, 'compression', 4, { integer: true, min: 1, max: 9 });
    if (input === output) throw new UsageError('input and output are the same path', 'OUT', output, 'a different output path');
    const progress = out.progress();
    const ds = await loadInput(input, args, { onProgress: progress, signal });
    await writeDataset(output, ds, { layer: optString(args, 'layer'), compression, onProgress: progress, signal });
    out.result({ input, output, shape: ds.shape });
    out.print(`wrote ${output} (${ds.nObs.toLocaleString('en-US')} x ${ds.nVars.toLocaleString('en-US')})`);
  },
};
