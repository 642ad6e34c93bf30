/**
 * MrVI's commands: `simulate-samples` (the seed's semi-synthetic benchmark data), `train mrvi`
 * (dispatched from `train`), and `sample-distances` (matrices, trees, HTML page, guided test).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { Frame } from '../../data/frame.js';
import { withAtomicOutput, writeFileAtomic } from '../../io/atomic.js';
import { writeH5ad } from '../../io/h5ad/write.js';
import { writeDenseTable } from '../../io/table.js';
import type { OptionSchema } from '../../methods/option-schema.js';
import { MRVI_DEFAULTS, type MrviOptions } from '../../models/mrvi/config.js';
import { selectHighlyVariableGenes } from '../../preprocess/hvg.js';
import { simulateSampleStructure } from '../../simulate/sample-structure.js';
import { optBool, optList, optNumber, optString, reqString } from '../args.js';
import type { CommandContext, CommandSpec, OptionSpec } from '../command.js';
import { loadReference, REFERENCE_OPTIONS, referenceOptions } from '../reference.js';

/** Safe file-name part for a group name. */
export function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'group';
}

export const simulateSamplesCommand: CommandSpec = {
  name: 'simulate-samples',
  summary: "Simulate MrVI's semi-synthetic sample structure (random sample trees in chosen cell types) from a reference",
  details: [
    'Every cell is assigned at random to one of --samples samples; in each perturbed cell type a random binary',
    "tree is drawn over the samples and the genes are split over its edges; a sample's cells of that type get the",
    'genes on its root-to-leaf path multiplied by --fold (2 = exact doubling; integer counts kept). Writes',
    'DIR/data.h5ad (obs: labels, sample, site, perturbed), DIR/truth.json, DIR/true_tree_<type>.nwk and',
    'DIR/true_distances_<type>.csv.',
    'Example:',
    '  celldeconv simulate-samples --reference pbmc3k --samples 32 --out sim --seed 0',
  ].join('\n'),
  options: {
    ...REFERENCE_OPTIONS,
    samples: { type: 'string', description: 'Number of samples', default: '32', valueName: 'S' },
    perturbed: { type: 'string', description: 'Comma-separated cell types to perturb (default: the two largest)', valueName: 'TYPES' },
    fold: { type: 'string', description: 'Fold change on path genes', default: '2', valueName: 'F' },
    sites: { type: 'boolean', description: 'Split samples over two sites with a site effect' },
    hvg: {
      type: 'string',
      description: 'Keep the N most variable genes (seurat_v3) before simulating; 0 = all',
      default: '2000',
      valueName: 'N',
    },
    seed: { type: 'string', description: 'Seed', default: '0', valueName: 'N' },
    out: { type: 'string', short: 'o', description: 'Output directory', valueName: 'DIR' },
  },
  async run({ args, out, signal }) {
    const { refName, labelsKey } = referenceOptions(args);
    const outDir = resolve(reqString(args, 'out', 'Pass --out DIR'));
    const nSamples = optNumber(args, 'samples', 32, { integer: true, min: 2 });
    const fold = optNumber(args, 'fold', 2, { min: 0 });
    const nHvg = optNumber(args, 'hvg', 2000, { integer: true, min: 0 });
    const seed = optNumber(args, 'seed', 0, { integer: true });
    out.info(`reading ${refName} ...`);
    let ref = await loadReference(refName, signal);
    if (nHvg > 0 && ref.nVars > nHvg) ref = selectHighlyVariableGenes(ref, { flavor: 'seurat_v3', nTopGenes: nHvg }).dataset;
    const sim = simulateSampleStructure(ref, {
      labelsKey,
      nSamples,
      fold,
      sites: optBool(args, 'sites'),
      perturbedTypes: optList(args, 'perturbed'),
      seed,
    });
    mkdirSync(outDir, { recursive: true });
    const { toNewick } = await import('../../models/mrvi/sample-tree.js');
    const files: Record<string, string> = { data: join(outDir, 'data.h5ad'), truth: join(outDir, 'truth.json') };
    await writeH5ad(files.data as string, sim.dataset, { signal });
    const truth = sim.truth.map((t) => {
      const nwk = toNewick(t.tree, sim.sampleNames);
      const safe = fileSafe(t.cellType);
      files[`tree_${safe}`] = join(outDir, `true_tree_${safe}.nwk`);
      files[`distances_${safe}`] = join(outDir, `true_distances_${safe}.csv`);
      writeFileAtomic(files[`tree_${safe}`] as string, `${nwk}\n`);
      return { t, nwk, safe };
    });
    for (const { t, safe } of truth) {
      await writeDenseTable(
        files[`distances_${safe}`] as string,
        sim.sampleNames,
        sim.sampleNames,
        new DenseMatrix(nSamples, nSamples, t.distances),
        {
          cornerLabel: 'sample',
        },
      );
    }
    writeFileAtomic(
      files.truth as string,
      `${JSON.stringify(
        {
          seed,
          samples: sim.sampleNames,
          labelsKey,
          fold,
          perturbed: truth.map(({ t, nwk }) => ({
            cellType: t.cellType,
            newick: nwk,
            merges: Array.from(t.tree.left, (l, k) => [l, t.tree.right[k], t.tree.height[k]]),
            rootSide: Array.from(t.rootSide),
          })),
        },
        null,
        1,
      )}\n`,
    );
    out.result({ files, nSamples, perturbed: sim.truth.map((t) => t.cellType), nCells: sim.dataset.nObs, nGenes: sim.dataset.nVars, seed });
    out.print(
      `Simulated ${nSamples} samples over ${sim.dataset.nObs} cells x ${sim.dataset.nVars} genes; perturbed: ${sim.truth.map((t) => t.cellType).join(', ')} (seed ${seed}).`,
    );
    for (const f of Object.values(files)) out.print(`  ${f}`);
  },
};

/** Extra flags of `celldeconv train mrvi` (merged into the train command's options). */
/** Type, range and help of every MrVI option (defaults and their sources: models/mrvi/config.ts). */
export const MRVI_SCHEMA: OptionSchema<MrviOptions> = {
  latent: { type: 'integer', min: 1, help: 'Dimension of u and z' },
  hidden: { type: 'integer', min: 1, help: 'Encoder hidden width' },
  layers: { type: 'integer', min: 1, help: 'Encoder hidden layers' },
  siteDropout: { type: 'number', min: 0, lt: 1, help: 'Dropout on C_b z' },
  epochs: { type: 'integer', min: 1, help: 'Maximum epochs' },
  batchSize: { type: 'integer', min: 1, help: 'Cells per minibatch' },
  lr: { type: 'number', gt: 0, help: 'Adam learning rate' },
  trainSize: { type: 'number', gt: 0, max: 1, help: 'Fraction of cells used for training (the rest validates)' },
  earlyStoppingPatience: { type: 'integer', min: 0, help: 'Epochs without a better validation ELBO before stopping (0 = off)' },
  klWarmupEpochs: { type: 'integer', min: 0, help: 'KL warm-up epochs (0 = none)' },
  nHvg: { type: 'integer', min: 0, flag: 'hvg', help: 'Highly variable genes used (seurat_v3 on counts); 0 = all genes' },
  checkpointEvery: { type: 'integer', min: 0, flag: false, help: 'Checkpoint every N epochs (CLI: --checkpoint-every)' },
  checkpointDir: { type: 'string', optional: true, flag: false, help: 'Checkpoint directory (CLI: MODEL_DIR.checkpoint)' },
};

/** What `celldeconv train mrvi` derives its flags, `--help` and option checks from. */
export const MRVI_TRAIN_INFO = { name: 'mrvi', options: MRVI_SCHEMA, defaults: MRVI_DEFAULTS };

export const TRAIN_MRVI_OPTIONS: Record<string, OptionSpec> = {
  'sample-key': { type: 'string', description: 'MrVI: obs column naming the sample of each cell (required)', valueName: 'COLUMN' },
  'batch-key': { type: 'string', description: 'MrVI: obs column naming the site/batch (optional)', valueName: 'COLUMN' },
};

/** `celldeconv train mrvi ...` */
export async function runTrainMrvi({ args, out, signal }: CommandContext, options: Record<string, unknown>): Promise<void> {
  const refName = reqString(args, 'reference', "Pass --reference data.h5ad (or 'pbmc3k')");
  const sampleKey = reqString(args, 'sample-key', 'Pass --sample-key COLUMN (the obs column that names each cell’s sample/donor)');
  const batchKey = optString(args, 'batch-key');
  const labelsKey = optString(args, 'labels');
  const outDir = resolve(reqString(args, 'out', 'Pass --out MODEL_DIR'));
  const seed = optNumber(args, 'seed', 0, { integer: true });
  const every = optNumber(args, 'checkpoint-every', 0, { integer: true, min: 0 });
  const { initBackend } = await import('../../nn/backend.js');
  const { MrviModel } = await import('../../models/mrvi/model.js');
  for (const k of Object.keys(options)) {
    if (!(k in MRVI_DEFAULTS)) {
      throw new InputError(`MrVI has no option '${k}'`, {
        code: 'E_OPTION',
        field: k,
        expected: Object.keys(MRVI_DEFAULTS).join(', '),
        hint: 'Pass MrVI options with --set KEY=VALUE using one of those names',
      });
    }
  }
  const info = await initBackend(optString(args, 'backend') ?? 'auto');
  out.info(`backend: ${info.name}${info.simd ? ' (SIMD)' : ''}`);
  out.info(`reading ${refName} ...`);
  const ds = await loadReference(refName, signal);
  out.info(
    `training mrvi on ${ds.nObs} cells x ${ds.nVars} genes (sample key '${sampleKey}'${batchKey ? `, batch key '${batchKey}'` : ''}, seed ${seed}) ...`,
  );
  const t0 = Date.now();
  const model = await MrviModel.train(
    ds,
    { sampleKey, batchKey, labelsKey },
    { ...(options as object), ...(every > 0 ? { checkpointEvery: every, checkpointDir: `${outDir}.checkpoint` } : {}) },
    { seed, signal, onProgress: out.progress(), file: refName },
  );
  const seconds = (Date.now() - t0) / 1000;
  await model.save(outDir);
  const last = model.history?.epochs.at(-1);
  out.print(
    `mrvi: trained in ${seconds.toFixed(1)} s (${model.history?.epochs.length} epochs, ${model.sampleNames.length} samples, ${model.genes.length} genes) -> ${outDir}`,
  );
  if (last?.val) out.print(`  validation ELBO ${last.val.elbo?.toFixed(2)}`);
  out.result({
    method: 'mrvi',
    out: outDir,
    seconds,
    seed,
    backend: info.name,
    samples: model.sampleNames.length,
    genes: model.genes.length,
    epochs: model.history?.epochs.length,
    cellsPerSecond: model.history?.samplesPerSecond,
    validation: last?.val,
  });
  model.dispose();
}

export const sampleDistancesCommand: CommandSpec = {
  name: 'sample-distances',
  summary: 'MrVI sample–sample distances per cell group: CSV/JSON matrices, Newick trees, HTML heatmaps, guided test',
  details: [
    'Writes DIR/distances_<group>.csv, DIR/distances.json, DIR/tree_<group>.nwk and DIR/report.html (offline).',
    'With --covariate COL (a sample-level obs column) runs the guided test: per-cell Kolmogorov-Smirnov p-values of',
    'within- vs between-group distances, Benjamini-Hochberg across cells; writes DIR/guided.h5ad (the data with obs',
    'mrvi_pvalue, mrvi_padj, mrvi_flagged) and DIR/guided.csv.',
    'Example:',
    '  celldeconv sample-distances --model m/ --data sim/data.h5ad --groupby cell_type --covariate group --out dist',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm', description: 'MrVI model directory', valueName: 'MODEL_DIR' },
    data: {
      type: 'string',
      short: 'd',
      description: "Cells: .h5ad, 10x directory or 'pbmc3k' (raw counts, with the sample column)",
      valueName: 'DATA',
    },
    groupby: { type: 'string', description: 'obs column grouping cells (e.g. cell_type); default: all cells', valueName: 'COLUMN' },
    k: { type: 'string', description: 'k-rule: drop samples with fewer than k cells in a group', default: '5', valueName: 'K' },
    covariate: { type: 'string', description: 'Sample-level obs column for the guided test', valueName: 'COLUMN' },
    alpha: { type: 'string', description: 'FDR of the guided test', default: '0.05', valueName: 'A' },
    alternative: { type: 'string', description: "Guided test: 'two-sided' or 'between-greater'", default: 'two-sided', valueName: 'ALT' },
    'batch-size': { type: 'string', description: 'Cells per encoder batch', default: '1024', valueName: 'N' },
    'per-cell': {
      type: 'boolean',
      description: 'Also write every cell’s S x S matrix to DIR/per_cell_distances.f32 (float32, cells x S x S; large)',
    },
    backend: { type: 'string', description: 'tfjs backend: auto, wasm, cpu or tensorflow', default: 'auto', valueName: 'NAME' },
    out: { type: 'string', short: 'o', description: 'Output directory', valueName: 'DIR' },
  },
  async run({ args, out, signal }) {
    const modelDir = resolve(reqString(args, 'model', 'Pass --model MODEL_DIR (from celldeconv train mrvi)'));
    const dataName = reqString(args, 'data', 'Pass --data DATA.h5ad');
    const outDir = resolve(reqString(args, 'out', 'Pass --out DIR'));
    const k = optNumber(args, 'k', 5, { integer: true, min: 1 });
    const alpha = optNumber(args, 'alpha', 0.05, { min: 0, max: 1 });
    const alternative = optString(args, 'alternative') ?? 'two-sided';
    if (alternative !== 'two-sided' && alternative !== 'between-greater') {
      const { UsageError } = await import('../args.js');
      throw new UsageError('invalid value', 'alternative', alternative, "'two-sided' or 'between-greater'");
    }
    const groupby = optString(args, 'groupby');
    const covariate = optString(args, 'covariate');
    const { initBackend } = await import('../../nn/backend.js');
    const { MrviModel } = await import('../../models/mrvi/model.js');
    const { averageLinkage, leafOrder, toNewick } = await import('../../models/mrvi/sample-tree.js');
    const { renderSampleDistanceReport } = await import('../../benchmark/sample-distance-report.js');
    await initBackend(optString(args, 'backend') ?? 'auto');
    const model = await MrviModel.load(modelDir);
    try {
      out.info(`reading ${dataName} ...`);
      const ds = await loadReference(dataName, signal);
      mkdirSync(outDir, { recursive: true });
      const perCell = optBool(args, 'per-cell');
      const S = model.sampleNames.length;
      const run = (onCell?: (cell: number, D: Float64Array) => void) =>
        model.sampleDistances(ds, {
          groupby,
          minCells: k,
          covariate,
          alpha,
          alternative,
          batchSize: optNumber(args, 'batch-size', 1024, { integer: true, min: 1 }),
          signal,
          onProgress: out.progress(),
          file: dataName,
          onCell,
        });
      const files: Record<string, string> = {};
      const t0 = Date.now();
      let res: Awaited<ReturnType<typeof run>>;
      if (perCell) {
        // streamed to disk cell by cell (never N x S x S in memory); atomic: temp file + rename
        files.perCell = join(outDir, 'per_cell_distances.f32');
        const buf = new Float32Array(S * S);
        res = await withAtomicOutput(files.perCell, async (tmp) => {
          const fd = openSync(tmp, 'w');
          try {
            return await run((_cell, D) => {
              buf.set(D);
              writeSync(fd, new Uint8Array(buf.buffer));
            });
          } finally {
            closeSync(fd);
          }
        });
        files.perCellHeader = join(outDir, 'per_cell_distances.json');
        writeFileAtomic(
          files.perCellHeader,
          `${JSON.stringify({ file: 'per_cell_distances.f32', dtype: 'float32', byteOrder: 'little', shape: [ds.nObs, S, S], cells: ds.obsNames, samples: model.sampleNames })}\n`,
        );
      } else res = await run();
      const seconds = (Date.now() - t0) / 1000;
      const json: Record<string, unknown>[] = [];
      const heatmaps = [];
      for (const g of res.groups) {
        const names = g.samples.map((s) => res.sampleNames[s] as string);
        const dropped = res.sampleNames.filter((_, s) => !g.samples.includes(s));
        const safe = fileSafe(g.group);
        const m = names.length;
        let newick = '';
        let order = names.map((_, i) => i);
        if (m >= 2) {
          const tree = averageLinkage(g.D, m);
          newick = toNewick(tree, names);
          order = leafOrder(tree);
          files[`tree_${safe}`] = join(outDir, `tree_${safe}.nwk`);
          writeFileAtomic(files[`tree_${safe}`] as string, `${newick}\n`);
        }
        if (m >= 1) {
          files[`distances_${safe}`] = join(outDir, `distances_${safe}.csv`);
          await writeDenseTable(files[`distances_${safe}`] as string, names, names, new DenseMatrix(m, m, g.D), { cornerLabel: 'sample' });
        }
        const ordered = new Float64Array(m * m);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < m; j++) ordered[i * m + j] = g.D[(order[i] as number) * m + (order[j] as number)] as number;
        heatmaps.push({ group: g.group, nCells: g.nCells, samples: order.map((i) => names[i] as string), D: ordered, newick, dropped });
        json.push({
          group: g.group,
          nCells: g.nCells,
          samples: names,
          dropped,
          cellsPerSample: Array.from(g.cellsPerSample),
          distances: Array.from(g.D),
          newick,
        });
      }
      files.json = join(outDir, 'distances.json');
      writeFileAtomic(
        files.json,
        `${JSON.stringify({ k, groupby: groupby ?? null, sampleNames: res.sampleNames, groups: json }, null, 1)}\n`,
      );
      files.report = join(outDir, 'report.html');
      writeFileAtomic(
        files.report,
        renderSampleDistanceReport(`MrVI sample distances${groupby ? ` by ${groupby}` : ''}`, heatmaps, {
          model: modelDir,
          data: dataName,
          'k-rule': String(k),
          samples: String(res.sampleNames.length),
          cells: String(ds.nObs),
          seconds: seconds.toFixed(1),
        }),
      );
      let nFlagged: number | undefined;
      if (res.guided) {
        const g = res.guided;
        nFlagged = g.flagged.reduce((a, b) => a + b, 0);
        const obs = new Frame(ds.nObs, ds.obs.entries());
        obs.set('mrvi_pvalue', { kind: 'numeric', values: g.pvalues });
        obs.set('mrvi_padj', { kind: 'numeric', values: g.padj });
        obs.set('mrvi_ks_statistic', { kind: 'numeric', values: g.statistics });
        obs.set('mrvi_flagged', { kind: 'boolean', values: g.flagged });
        files.guided = join(outDir, 'guided.h5ad');
        await writeH5ad(
          files.guided,
          new Dataset({
            X: ds.X,
            obsNames: ds.obsNames,
            varNames: ds.varNames,
            obs,
            var: ds.var,
            uns: { mrvi_guided: { covariate: g.covariate, alpha: g.alpha } },
          }),
          { signal },
        );
        files.guidedCsv = join(outDir, 'guided.csv');
        const table = new DenseMatrix(ds.nObs, 4, new Float64Array(ds.nObs * 4));
        for (let i = 0; i < ds.nObs; i++) {
          table.data[i * 4] = g.pvalues[i] as number;
          table.data[i * 4 + 1] = g.padj[i] as number;
          table.data[i * 4 + 2] = g.statistics[i] as number;
          table.data[i * 4 + 3] = g.flagged[i] as number;
        }
        await writeDenseTable(files.guidedCsv, ds.obsNames, ['pvalue', 'padj', 'ks_statistic', 'flagged'], table, { cornerLabel: 'cell' });
      }
      out.result({
        files,
        seconds,
        groups: res.groups.map((g) => ({ group: g.group, nCells: g.nCells, samples: g.samples.length })),
        flagged: nFlagged,
      });
      out.print(
        `sample distances for ${res.groups.length} group(s) of ${ds.nObs} cells x ${res.sampleNames.length} samples in ${seconds.toFixed(1)} s`,
      );
      if (nFlagged !== undefined) out.print(`  guided test on '${covariate}': ${nFlagged} cells flagged at FDR ${alpha}`);
      for (const f of Object.values(files)) out.print(`  ${f}`);
    } finally {
      model.dispose();
    }
  },
};
