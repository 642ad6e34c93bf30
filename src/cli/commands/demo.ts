/**
 * `celldeconv demo`: the main job on the bundled PBMC3k. Every registered method, two granularities
 * (5 coarse groups, 9 fine labels), a small cells-per-pseudobulk grid and each method's quick settings,
 * so that it finishes in a few minutes on 2 cores. `--full` runs the paper's protocol instead
 * (400 pseudobulks, the 14-value grid, published settings).
 */
import '../../methods/all-methods.js';
import { listMethods } from '../../methods/registry.js';
import { optBool, optNumber, optString } from '../args.js';
import type { CommandSpec } from '../command.js';
import { loadReference, PBMC3K_LABELS } from '../reference.js';
import { checkMethodOptions, commandLine, parseSetOptions, pbmc3kGranularities, RUN_OPTIONS, runAndReport } from './benchmark.js';

/** Demo settings: quick (default) and full (the paper's protocol, [P] §3.1 / App. E). */
export const DEMO_SETTINGS = {
  quick: { nSamples: 100, nCells: 100, cellsGrid: [10, 500] },
  full: { nSamples: 400, nCells: 100, cellsGrid: [10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000] },
} as const;

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'Benchmark every method on the bundled PBMC3k at two granularities and write an HTML report',
  details: [
    'Quick by default (a few minutes on 2 cores): 100 pseudobulks of 10, 100 and 500 cells, quick method settings.',
    '--full: 400 pseudobulks over the paper grid (10 ... 1000 cells) with the published settings (much longer).',
    'Example:',
    '  celldeconv demo --out celldeconv-demo',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', description: 'Output directory', default: 'celldeconv-demo', valueName: 'DIR' },
    full: { type: 'boolean', description: "The paper's protocol: 400 pseudobulks, 14-value grid, published settings" },
    methods: { type: 'string', short: 'm', description: 'Restrict to these methods (comma-separated)', valueName: 'LIST' },
    n: { type: 'string', description: 'Pseudobulks per setting (default: 100 quick, 400 full)', valueName: 'N' },
    ...RUN_OPTIONS,
  },
  async run({ args, out, signal }) {
    const full = optBool(args, 'full');
    const s = full ? DEMO_SETTINGS.full : DEMO_SETTINGS.quick;
    const methods =
      optString(args, 'methods')
        ?.split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '') ?? listMethods();
    const methodOptions = parseSetOptions(args.values.set as string[] | undefined);
    checkMethodOptions(methods, methodOptions);
    out.info(`demo: ${methods.length} methods (${methods.join(', ')}) on PBMC3k, ${full ? 'full protocol' : 'quick settings'}`);
    const reference = await loadReference('pbmc3k', signal);
    return runAndReport(
      out,
      signal,
      {
        reference,
        labelsKey: PBMC3K_LABELS,
        granularities: pbmc3kGranularities(),
        methods,
        nSamples: optNumber(args, 'n', s.nSamples, { integer: true, min: 1 }),
        nCells: s.nCells,
        cellsGrid: [...s.cellsGrid],
        seed: optNumber(args, 'seed', 0, { integer: true }),
        outDir: optString(args, 'out') ?? 'celldeconv-demo',
        quick: !full || optBool(args, 'quick'),
        resume: !optBool(args, 'fresh'),
        reportMethod: optString(args, 'report-method'),
        intervals: optBool(args, 'intervals'),
        precision: optNumber(args, 'precision', 6, { integer: true, min: 1, max: 17 }),
        methodOptions,
        metadata: { data: 'PBMC3k (10x Genomics; Seurat tutorial labels), bundled', command: commandLine('demo', args.values) },
      },
      optBool(args, 'strict'),
    );
  },
};
