/**
 * `celldeconv simulate`: Dirichlet pseudobulks from a labelled single-cell reference, with their
 * ground truth, written as h5ad (all layers) and CSV.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAYERS } from '../../core/keys.js';
import { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { Frame } from '../../data/frame.js';
import { toDense } from '../../data/matrix.js';
import { writeH5ad } from '../../io/h5ad/write.js';
import { parseMemorySize } from '../../io/memory-budget.js';
import { writeDenseTable } from '../../io/table.js';
import { rescaleRows } from '../../preprocess/units.js';
import { simulatePseudobulks } from '../../simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../../simulate/split.js';
import { optBool, optNumber, optString, reqString, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { LABELS_FILE_OPTION, loadReference, REFERENCE_OPTIONS, referenceOptions } from '../reference.js';

/** Units `simulate --units` can write pseudobulks.csv in. */
export const CSV_UNITS = ['mean-counts', 'counts', 'cpm', 'log1p-cpm'] as const;
export type CsvUnits = (typeof CSV_UNITS)[number];

/**
 * The pseudobulk values in `units`: mean raw counts per cell (X), summed raw counts (a bulk
 * library), CPM of the summed counts, or ln(1 + CPM).
 */
export function csvValues(bulk: Dataset, units: CsvUnits): DenseMatrix<Float64Array> {
  if (units === 'mean-counts') return toDense(bulk.layer(LAYERS.rawCounts), undefined, 'float64') as DenseMatrix<Float64Array>;
  const sum = toDense(bulk.layer(LAYERS.countsSum), undefined, 'float64') as DenseMatrix<Float64Array>;
  if (units === 'counts') return sum;
  const cpm = rescaleRows(sum.data, sum.rows, sum.cols, 1e6);
  return new DenseMatrix(sum.rows, sum.cols, units === 'cpm' ? cpm : cpm.map(Math.log1p));
}

/** `--cells 100` or `--cells 50:1000` (drawn per sample, inclusive). */
export function parseCells(s: string | undefined): number | { min: number; max: number } {
  if (s === undefined) return 100;
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(s);
  const lo = m ? Number(m[1]) : Number.NaN;
  const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi < lo) throw new UsageError('invalid value', 'cells', s, 'a positive integer (100) or a range MIN:MAX (50:1000)');
  return m[2] === undefined ? lo : { min: lo, max: hi };
}

export const simulateCommand: CommandSpec = {
  name: 'simulate',
  summary: 'Simulate Dirichlet pseudobulks (with their true proportions) from a labelled reference',
  details: [
    'Writes DIR/pseudobulks.csv (samples x genes, in --units: mean raw counts per cell = X by default), DIR/truth.csv (samples x cell types),',
    'DIR/cell_counts.csv (integer cells per type) and DIR/pseudobulks.h5ad (layers raw_counts, relative_counts,',
    'counts_sum; obs truth_<type> and cells_<type>).',
    '--units: mean-counts (default; X of the h5ad), counts (summed raw counts, like a bulk library), cpm,',
    'log1p-cpm. The units are printed and stored in the h5ad (uns csv_units).',
    "--holdout F: only a fraction F of each cell type's cells (the test part, e.g. 0.5) is pooled into the",
    'pseudobulks; the other cells are written to DIR/reference.h5ad, to build signatures or models from.',
    'Example:',
    '  celldeconv simulate --reference pbmc3k --n 400 --cells 100 --seed 0 --out sim',
    '  celldeconv simulate --reference pbmc3k --holdout 0.5 --units counts --out sim',
  ].join('\n'),
  options: {
    ...REFERENCE_OPTIONS,
    ...LABELS_FILE_OPTION,
    n: { type: 'string', description: 'Number of pseudobulks', default: '400', valueName: 'N' },
    cells: { type: 'string', description: 'Cells per pseudobulk, or MIN:MAX drawn per sample', default: '100', valueName: 'N' },
    seed: { type: 'string', description: 'Seed', default: '0', valueName: 'N' },
    posterior: { type: 'boolean', description: "PyDeconv's posterior Dir(1 + observed fractions) instead of a flat Dir(1)" },
    aggregation: { type: 'string', description: 'mean or sum over the sampled cells', default: 'mean', valueName: 'HOW' },
    out: { type: 'string', short: 'o', description: 'Output directory', valueName: 'DIR' },
    memory: { type: 'string', description: 'Memory budget for the simulated layers (e.g. 2GB, 512MB)', default: '2GB', valueName: 'SIZE' },
    units: {
      type: 'string',
      description: 'Units of pseudobulks.csv: mean-counts, counts, cpm, log1p-cpm',
      default: 'mean-counts',
      valueName: 'UNITS',
    },
    holdout: {
      type: 'string',
      description: "Fraction of each type's cells pooled into pseudobulks; the rest goes to DIR/reference.h5ad",
      valueName: 'F',
    },
  },
  async run({ args, out, signal }) {
    const { refName, labelsKey } = referenceOptions(args);
    const outDir = resolve(reqString(args, 'out', 'Pass --out DIR'));
    const aggregation = optString(args, 'aggregation') ?? 'mean';
    if (aggregation !== 'mean' && aggregation !== 'sum')
      throw new UsageError('invalid value', 'aggregation', aggregation, "'mean' or 'sum'");
    const nSamples = optNumber(args, 'n', 400, { integer: true, min: 1 });
    const nCells = parseCells(optString(args, 'cells'));
    const seed = optNumber(args, 'seed', 0, { integer: true });
    const memoryBytes = parseMemorySize(optString(args, 'memory') ?? '2GB');
    const units = optString(args, 'units') ?? 'mean-counts';
    if (!(CSV_UNITS as readonly string[]).includes(units)) throw new UsageError('invalid value', 'units', units, CSV_UNITS.join(' | '));
    const holdoutRaw = optString(args, 'holdout');
    const holdout = holdoutRaw === undefined ? undefined : optNumber(args, 'holdout', 0.5, { min: 0, max: 1 });
    if (holdout !== undefined && !(holdout > 0 && holdout < 1))
      throw new UsageError('invalid value', 'holdout', holdoutRaw, 'a fraction strictly between 0 and 1, e.g. 0.5');
    out.info(`reading ${refName} ...`);
    const full = await loadReference(refName, signal, { labelsFile: optString(args, 'labels-file') });
    let ref = full;
    let heldOutReference: Dataset | undefined;
    if (holdout !== undefined) {
      // splitTrainTest's train part gets 1 - holdout of each type; the pseudobulks use the rest.
      const split = splitTrainTest(full, { labelsKey, trainFraction: 1 - holdout, seed });
      ref = split.test;
      heldOutReference = split.train;
    }
    const sim = simulatePseudobulks(ref, {
      labelsKey,
      nSamples,
      nCells,
      seed,
      posterior: optBool(args, 'posterior'),
      aggregation,
      memoryBytes,
      signal,
      onProgress: out.progress(),
    });
    mkdirSync(outDir, { recursive: true });
    const { bulk, truth } = sim;
    const files = {
      bulk: join(outDir, 'pseudobulks.csv'),
      truth: join(outDir, 'truth.csv'),
      counts: join(outDir, 'cell_counts.csv'),
      h5ad: join(outDir, 'pseudobulks.h5ad'),
    };
    await writeDenseTable(files.bulk, bulk.obsNames, bulk.varNames, csvValues(bulk, units as CsvUnits), { cornerLabel: 'sample' });
    await writeDenseTable(files.truth, bulk.obsNames, truth.cellTypes, truth.proportions, { cornerLabel: 'sample' });
    const counts = new DenseMatrix(nSamples, truth.cellTypes.length, Float64Array.from(truth.cellCounts));
    await writeDenseTable(files.counts, bulk.obsNames, truth.cellTypes, counts, { cornerLabel: 'sample' });
    // h5ad: all layers, plus the truth as obs columns truth_<type> (proportion) and cells_<type> (count).
    const obs = new Frame(nSamples, bulk.obs.entries());
    truth.cellTypes.forEach((t, c) => {
      obs.set(`truth_${t}`, { kind: 'numeric', values: truth.proportions.col(c) });
      obs.set(`cells_${t}`, { kind: 'numeric', values: counts.col(c) });
    });
    await writeH5ad(
      files.h5ad,
      new Dataset({
        X: bulk.X,
        obsNames: bulk.obsNames,
        varNames: bulk.varNames,
        obs,
        var: bulk.var,
        layers: bulk.layers,
        uns: { ...bulk.uns, csv_units: units },
      }),
      { signal },
    );
    const allFiles: Record<string, string> = { ...files };
    if (heldOutReference) {
      allFiles.reference = join(outDir, 'reference.h5ad');
      await writeH5ad(allFiles.reference, heldOutReference, { signal });
    }
    out.result({
      files: allFiles,
      nSamples,
      nGenes: bulk.nVars,
      cellTypes: truth.cellTypes,
      seed,
      units,
      ...(heldOutReference ? { holdout, pseudobulkCells: ref.nObs, referenceCells: heldOutReference.nObs } : {}),
    });
    out.print(
      `Simulated ${nSamples} pseudobulks x ${bulk.nVars} genes from ${ref.nObs} cells (${truth.cellTypes.length} cell types, seed ${seed}).`,
    );
    out.print(
      `pseudobulks.csv units: ${units}${heldOutReference ? `; pseudobulks pool ${ref.nObs} held-out cells, reference.h5ad keeps the other ${heldOutReference.nObs}` : ''}`,
    );
    for (const f of Object.values(allFiles)) out.print(`  ${f}`);
  },
};
