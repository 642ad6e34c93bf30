/**
 * MrVI, the data-aware model (scvi-tools' "model"): trains the seed network on a Dataset with a
 * sample key, saves/loads a model directory, and computes the sample–sample distance analyses.
 *
 * @example
 * ```ts
 * const model = await MrviModel.train(ds, { sampleKey: 'donor', batchKey: 'site' }, { epochs: 50 }, { seed: 0 });
 * const res = await model.sampleDistances(ds, { groupby: 'cell_type' });
 * await model.save('models/mrvi');
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { FormatError, InputError } from '../../core/errors.js';
import { type LongRunOptions, throwIfAborted } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { loadModelDir, type ModelManifest, saveModelDir } from '../../io/model-dir.js';
import { gatherRowsF32, indexBatches, type RowSource, rowSource } from '../../nn/batches.js';
import { lgammaX1RowSums } from '../../nn/likelihoods.js';
import { assignWeights, variablesToWeights } from '../../nn/model-io.js';
import { type StepContext, type TrainHistory, trainLoop } from '../../nn/trainer.js';
import { highlyVariableGenes } from '../../preprocess/hvg.js';
import { MRVI_DEFAULTS, type MrviOptions } from './config.js';
import { categoriesOf, checkMrviData, type MrviFields, sampleCovariate } from './data-contract.js';
import { DistanceAccumulator, type GroupDistances, type SampleEffects } from './distances.js';
import { GuidedTest } from './guided.js';
import { type MrviBatch, MrviModule, type MrviModuleConfig } from './module.js';

/** Method name in model manifests. */
export const MRVI_METHOD = 'mrvi';

/** Rows of a data set prepared for the network (genes in model order). */
interface PreparedData {
  src: RowSource;
  colMap: Int32Array;
  nGenes: number;
  sample: Int32Array;
  site: Int32Array;
}

/** Options of {@link MrviModel.sampleDistances}. */
export interface SampleDistanceOptions extends LongRunOptions {
  /** obs column grouping cells (e.g. cell type); omitted = one group 'all'. */
  groupby?: string;
  /** k-rule: minimum cells of a sample in a group (seed: 5). */
  minCells?: number;
  /** Cells per encoder batch (default 1024). */
  batchSize?: number;
  /** obs column of a sample-level covariate: runs the guided test. */
  covariate?: string;
  /** FDR of the guided test (default 0.05). */
  alpha?: number;
  alternative?: 'two-sided' | 'between-greater';
  /** Called with each cell's D(n) (S × S; valid during the call only): per-cell matrices on request. */
  onCell?: (cell: number, D: Float64Array) => void;
  /** File name for error messages. */
  file?: string;
}

/** Result of {@link MrviModel.sampleDistances}. */
export interface SampleDistanceResult {
  sampleNames: string[];
  groups: GroupDistances[];
  guided?: {
    covariate: string;
    levels: string[];
    /** Level of each sample. */
    sampleLevels: Int32Array;
    pvalues: Float64Array;
    statistics: Float64Array;
    padj: Float64Array;
    flagged: Uint8Array;
    alpha: number;
  };
}

/** The trained MrVI model. */
export class MrviModel {
  readonly module: MrviModule;
  readonly options: MrviOptions;
  readonly fields: MrviFields;
  readonly genes: string[];
  readonly sampleNames: string[];
  readonly siteNames: string[];
  readonly labels: string[];
  readonly seed: number;
  history?: TrainHistory;

  private constructor(init: {
    module: MrviModule;
    options: MrviOptions;
    fields: MrviFields;
    genes: string[];
    sampleNames: string[];
    siteNames: string[];
    labels: string[];
    seed: number;
    history?: TrainHistory;
  }) {
    this.module = init.module;
    this.options = init.options;
    this.fields = init.fields;
    this.genes = init.genes;
    this.sampleNames = init.sampleNames;
    this.siteNames = init.siteNames;
    this.labels = init.labels;
    this.seed = init.seed;
    this.history = init.history;
  }

  /**
   * Trains MrVI.
   *
   * @param ds - Cells × genes raw counts (X) with the sample (and optional batch/label) columns.
   * @param fields - Keys of the data contract.
   * @param options - Overrides of {@link MRVI_DEFAULTS}.
   * @param run - Seed, progress, cancellation.
   * @throws {@link InputError} from the data contract (`E_NO_COLUMN`, `E_ONE_SAMPLE`, `E_EMPTY_SAMPLE`,
   *   `E_NEGATIVE_COUNTS`), `E_TOO_FEW_CELLS` for fewer than 4 cells.
   */
  static async train(
    ds: Dataset,
    fields: MrviFields,
    options: Partial<MrviOptions> = {},
    run: LongRunOptions & { seed?: number; file?: string } = {},
  ): Promise<MrviModel> {
    const o: MrviOptions = { ...MRVI_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    const seed = run.seed ?? 0;
    const { samples, sites, labels } = checkMrviData(ds, fields, run.file);
    if (ds.nObs < 4) {
      throw new InputError('too few cells to train MrVI', { code: 'E_TOO_FEW_CELLS', file: run.file, got: ds.nObs, expected: '>= 4' });
    }
    // genes: seurat_v3 highly variable genes on the counts, kept in data order
    let genes = ds.varNames;
    if (o.nHvg > 0 && ds.nVars > o.nHvg) {
      const hvg = highlyVariableGenes(ds.X, { flavor: 'seurat_v3', nTopGenes: o.nHvg });
      genes = ds.varNames.filter((_, j) => hvg.highlyVariable[j]);
    }
    const rng = new Rng(seed);
    const cfg: MrviModuleConfig = {
      nGenes: genes.length,
      nSamples: samples.categories.length,
      nSites: sites.categories.length,
      latent: o.latent,
      hidden: o.hidden,
      layers: o.layers,
      siteDropout: o.siteDropout,
    };
    const module = new MrviModule(cfg, rng.fork('init'));
    const model = new MrviModel({
      module,
      options: o,
      fields,
      genes,
      sampleNames: samples.categories,
      siteNames: sites.categories,
      labels: labels?.categories ?? [],
      seed,
    });
    const data = model.prepare(ds, run.file, { sample: samples.codes, site: sites.codes });
    // split
    const perm = rng.fork('split').permutation(ds.nObs);
    const nTrain = o.trainSize >= 1 ? ds.nObs : Math.max(2, Math.min(ds.nObs - 1, Math.round(o.trainSize * ds.nObs)));
    const trainIdx = perm.slice(0, nTrain);
    const valIdx = perm.slice(nTrain);
    const stepRng = rng.fork('steps');
    const batchOf = (rows: Int32Array): MrviBatch => model.batch(data, rows);
    const trainBatches = function* (epoch: number): Generator<MrviBatch> {
      const order = rng.fork(`epoch:${epoch}`).permutation(trainIdx.length);
      const rows = Int32Array.from(order, (k) => trainIdx[k] as number);
      // batch norm needs two cells: a last batch of one is skipped
      for (const b of indexBatches(rows, o.batchSize)) if (b.length >= 2) yield batchOf(b);
    };
    const disposeBatch = (b: MrviBatch) => tf.dispose([b.x, b.lib, b.sample, b.site, b.lgammaX1]);
    const valRng = rng.fork('validation');
    const validate = async (ctx: StepContext): Promise<Record<string, number>> => {
      const sums: Record<string, number> = { elbo: 0, reconstruction: 0, kl: 0 };
      let n = 0;
      for (const rows of indexBatches(valIdx, o.batchSize)) {
        const b = batchOf(rows);
        const out = tf.tidy(() => {
          const r = module.loss(b, { ...ctx, training: false }, valRng);
          return [r.terms.elbo, r.terms.reconstruction, r.terms.kl].map((t) => (t as tf.Scalar).dataSync()[0] as number);
        });
        disposeBatch(b);
        sums.elbo = (sums.elbo as number) + (out[0] as number) * rows.length;
        sums.reconstruction = (sums.reconstruction as number) + (out[1] as number) * rows.length;
        sums.kl = (sums.kl as number) + (out[2] as number) * rows.length;
        n += rows.length;
      }
      for (const k of Object.keys(sums)) sums[k] = (sums[k] as number) / n;
      return sums;
    };
    const hasVal = valIdx.length > 0;
    try {
      model.history = await trainLoop<MrviBatch>({
        epochs: o.epochs,
        variables: module.variables(),
        optimizer: { lr: o.lr },
        trainBatches,
        batchesPerEpoch: Math.floor(trainIdx.length / o.batchSize) + (trainIdx.length % o.batchSize >= 2 ? 1 : 0),
        batchSize: (b) => b.x.shape[0],
        loss: (b, ctx) => module.loss(b, ctx, stepRng),
        disposeBatch,
        validate: hasVal ? validate : undefined,
        klWarmup: o.klWarmupEpochs > 0 ? { nEpochs: o.klWarmupEpochs } : undefined,
        earlyStopping: hasVal && o.earlyStoppingPatience > 0 ? { monitor: 'val_elbo', patience: o.earlyStoppingPatience } : undefined,
        onEpochEnd: (rec) => {
          if (o.checkpointEvery > 0 && o.checkpointDir && (rec.epoch + 1) % o.checkpointEvery === 0) {
            // saveModelDir writes synchronously before its promise settles
            void model.save(o.checkpointDir, { checkpointEpoch: rec.epoch });
          }
        },
        onProgress: run.onProgress,
        signal: run.signal,
      });
    } catch (e) {
      module.dispose();
      throw e;
    }
    return model;
  }

  /** Gene map, sample and site codes of a data set in the model's order. */
  private prepare(ds: Dataset, file?: string, codes?: { sample: Int32Array; site: Int32Array }): PreparedData {
    const index = ds.varIndex();
    const colMap = new Int32Array(ds.nVars).fill(-1);
    const missing: string[] = [];
    this.genes.forEach((g, k) => {
      const j = index.get(g);
      if (j === undefined) missing.push(g);
      else colMap[j] = k;
    });
    if (missing.length > 0) {
      throw new InputError(`${missing.length} of the model's ${this.genes.length} genes are not in the data`, {
        code: 'E_GENES_MISSING',
        file,
        got: missing.slice(0, 5),
        hint: 'Use data with the genes the model was trained on (same gene identifiers)',
      });
    }
    let sample = codes?.sample;
    let site = codes?.site;
    if (!sample) {
      const c = categoriesOf(ds, this.fields.sampleKey, 'sample', { file, categories: this.sampleNames });
      const bad = c.codes.indexOf(-1);
      if (bad >= 0) {
        throw new InputError(`sample of cell '${ds.obsNames[bad]}' is not one of the model's samples`, {
          code: 'E_UNKNOWN_SAMPLE',
          file,
          field: this.fields.sampleKey,
          got: [...new Set(Array.from(c.codes.keys()).filter((i) => c.codes[i] === -1))].slice(0, 1),
          expected: `one of ${this.sampleNames.length} trained samples, e.g. ${JSON.stringify(this.sampleNames.slice(0, 3))}`,
          hint: 'MrVI compares the samples it was trained on: train on data that includes these samples',
        });
      }
      sample = c.codes;
    }
    if (!site) {
      if (this.fields.batchKey) {
        const c = categoriesOf(ds, this.fields.batchKey, 'batch', { file, categories: this.siteNames });
        const bad = c.codes.indexOf(-1);
        if (bad >= 0) {
          throw new InputError(`batch of cell '${ds.obsNames[bad]}' is not one of the model's batches`, {
            code: 'E_UNKNOWN_BATCH',
            file,
            field: this.fields.batchKey,
            expected: JSON.stringify(this.siteNames),
          });
        }
        site = c.codes;
      } else site = new Int32Array(ds.nObs);
    }
    return { src: rowSource(ds.X), colMap, nGenes: this.genes.length, sample, site };
  }

  private batch(d: PreparedData, rows: ArrayLike<number>): MrviBatch {
    const n = rows.length;
    const G = d.nGenes;
    const buf = gatherRowsF32(d.src, rows, new Float32Array(n * G), G, d.colMap);
    const lib = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let g = 0; g < G; g++) s += buf[i * G + g] as number;
      lib[i] = s;
    }
    const lg = lgammaX1RowSums(buf, n, G);
    return {
      x: tf.tensor2d(buf, [n, G]),
      lib: tf.tensor2d(lib, [n, 1]),
      sample: tf.tensor1d(
        Int32Array.from(rows, (r) => d.sample[r] as number),
        'int32',
      ),
      site: tf.tensor1d(
        Int32Array.from(rows, (r) => d.site[r] as number),
        'int32',
      ),
      lgammaX1: tf.tensor1d(Float32Array.from(lg)),
    };
  }

  /** A_s and a_s as host arrays. */
  sampleEffects(): SampleEffects {
    return {
      nSamples: this.sampleNames.length,
      latent: this.options.latent,
      A: Float32Array.from(this.module.A.dataSync() as Float32Array),
      a: Float32Array.from(this.module.a.dataSync() as Float32Array),
    };
  }

  /**
   * Posterior means of u for all cells, streamed in batches to `onBatch` (rows `start..start+n`).
   */
  private async forEachU(
    ds: Dataset,
    d: PreparedData,
    batchSize: number,
    onBatch: (start: number, u: Float32Array, n: number) => void,
    run: LongRunOptions,
  ): Promise<void> {
    const N = ds.nObs;
    for (let start = 0; start < N; start += batchSize) {
      throwIfAborted(run.signal);
      const rows = Int32Array.from({ length: Math.min(batchSize, N - start) }, (_, k) => start + k);
      const b = this.batch(d, rows);
      const u = this.module.encodeMean(b.x, b.sample);
      const host = (await u.data()) as Float32Array;
      tf.dispose([u, b.x, b.lib, b.sample, b.site, b.lgammaX1]);
      onBatch(start, host, rows.length);
      run.onProgress?.({ stage: 'distances', step: Math.min(N, start + batchSize), total: N });
    }
  }

  /** Posterior means of u, cells × L (row-major). */
  async latent(ds: Dataset, opts: LongRunOptions & { batchSize?: number; file?: string } = {}): Promise<Float32Array> {
    const d = this.prepare(ds, opts.file);
    const L = this.options.latent;
    const out = new Float32Array(ds.nObs * L);
    await this.forEachU(ds, d, opts.batchSize ?? 1024, (start, u) => out.set(u, start * L), opts);
    return out;
  }

  /**
   * Counterfactual sample–sample distances per group (k-rule applied) and, with a covariate, the
   * guided test. Memory O(S² × groups + batch × G); per-cell matrices only through `onCell`.
   *
   * @throws {@link InputError} `E_NO_COLUMN` (groupby/covariate), `E_UNKNOWN_SAMPLE`,
   *   `E_COVARIATE_NOT_CONSTANT`, `E_COVARIATE_LEVELS`, `E_GENES_MISSING`.
   */
  async sampleDistances(ds: Dataset, opts: SampleDistanceOptions = {}): Promise<SampleDistanceResult> {
    const d = this.prepare(ds, opts.file);
    const groups = opts.groupby
      ? categoriesOf(ds, opts.groupby, 'labels', { file: opts.file })
      : { codes: new Int32Array(ds.nObs), categories: ['all'] };
    const acc = new DistanceAccumulator(this.sampleEffects(), groups.categories);
    let guided: GuidedTest | undefined;
    let cov: { perSample: Int32Array; levels: string[] } | undefined;
    if (opts.covariate) {
      cov = sampleCovariate(ds, opts.covariate, d.sample, this.sampleNames, opts.file);
      // samples absent from these data have no covariate value (−1): left out of the test
      guided = new GuidedTest(cov.perSample, ds.nObs, { alternative: opts.alternative });
    }
    await this.forEachU(
      ds,
      d,
      opts.batchSize ?? 1024,
      (start, u, n) => {
        acc.add(u, n, groups.codes.subarray(start, start + n), d.sample.subarray(start, start + n), (r, D) => {
          guided?.addCell(start + r, D);
          opts.onCell?.(start + r, D);
        });
      },
      opts,
    );
    const result: SampleDistanceResult = { sampleNames: this.sampleNames, groups: acc.finish(opts.minCells ?? 5) };
    if (guided && cov && opts.covariate) {
      const alpha = opts.alpha ?? 0.05;
      result.guided = { covariate: opts.covariate, levels: cov.levels, sampleLevels: cov.perSample, alpha, ...guided.finish(alpha) };
    }
    return result;
  }

  /** Writes the model directory (manifest.json + weights.bin). */
  async save(dir: string, extra: Record<string, unknown> = {}): Promise<ModelManifest> {
    const { checkpointDir: _c, ...config } = this.options;
    return saveModelDir(
      dir,
      {
        method: MRVI_METHOD,
        genes: this.genes,
        cellTypes: this.labels,
        config: config as unknown as Record<string, unknown>,
        fields: { ...this.fields },
        samples: this.sampleNames,
        sites: this.siteNames,
        seed: this.seed,
        history: this.history,
        ...extra,
      },
      variablesToWeights([...this.module.params(), ...this.module.buffers()]),
    );
  }

  /**
   * Loads a model directory written by {@link save}.
   *
   * @throws {@link NotFittedError} / {@link FormatError} from the model directory checks,
   *   `E_MODEL_METHOD` for another method's model.
   */
  static async load(dir: string): Promise<MrviModel> {
    const { manifest, weights } = await loadModelDir(dir, MRVI_METHOD);
    const m = manifest as ModelManifest & { fields?: MrviFields; samples?: string[]; sites?: string[] };
    if (!m.fields?.sampleKey || !Array.isArray(m.samples) || !Array.isArray(m.sites)) {
      throw new FormatError('MrVI manifest lacks fields, samples or sites', {
        code: 'E_MODEL_MANIFEST',
        file: dir,
        hint: 'Train the model again',
      });
    }
    const o = { ...MRVI_DEFAULTS, ...(m.config as Partial<MrviOptions>) };
    const module = new MrviModule(
      {
        nGenes: m.genes.length,
        nSamples: m.samples.length,
        nSites: m.sites.length,
        latent: o.latent,
        hidden: o.hidden,
        layers: o.layers,
        siteDropout: o.siteDropout,
      },
      new Rng(0),
    );
    try {
      assignWeights([...module.params(), ...module.buffers()], weights, dir);
    } catch (e) {
      module.dispose();
      throw e;
    }
    return new MrviModel({
      module,
      options: o,
      fields: m.fields,
      genes: [...m.genes],
      sampleNames: m.samples,
      siteNames: m.sites,
      labels: [...m.cellTypes],
      seed: m.seed ?? 0,
      history: m.history as TrainHistory | undefined,
    });
  }

  dispose(): void {
    this.module.dispose();
  }
}
