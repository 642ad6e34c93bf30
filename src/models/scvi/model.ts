/**
 * scVI as a model on Datasets (scvi-tools' "model" layer): `trainScvi(dataset, fields, options)`,
 * queries (`latent`: posterior means of cells or pseudobulks), `save`/`load`. It knows nothing of
 * deconvolution; methods/deep/scvi adapts it.
 *
 * @example
 * ```ts
 * const model = await trainScvi(ref, { labelsKey: 'cell_type' }, { epochs: 50 }, { seed: 0 });
 * const z = await model.latent(cells);   // cells x latent, posterior means
 * await model.save('scvi-model/');
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticWarning } from '../../core/diagnostics.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { gatherRowsF32, rowSource } from '../../nn/batches.js';
import { assignWeights, loadModelDir, type ModelManifest, saveModelDir, variablesToWeights } from '../../nn/model-io.js';
import type { TrainHistory } from '../../nn/training.js';
import { countsLayerOf, type DataFields } from '../data.js';
import { SCVI_MODEL_DEFAULTS, type VaeTrainOptions } from './config.js';
import { ScviModule } from './module.js';
import { ensureBackend, type TrainedVae, type TrainingData, type TrainVaeOptions, trainVae, vaeConfig } from './train.js';

/** What a trained scVI-family model keeps and saves besides its weights. */
export interface VaeModelInfo {
  genes: string[];
  cellTypes: string[];
  fields: DataFields & { layer: string };
  options: VaeTrainOptions;
  history: TrainHistory;
  medianCellLibrary: number;
  seed: number;
  warnings: DiagnosticWarning[];
  training: Record<string, unknown>;
}

/** A trained scVI-family network with its data contract. */
export class VaeModel<M extends ScviModule = ScviModule> {
  readonly module: M;
  readonly info: VaeModelInfo;
  /** The training cells (only right after training; `undefined` for a loaded model). */
  readonly trainingData?: TrainingData;

  constructor(module: M, info: VaeModelInfo, trainingData?: TrainingData) {
    this.module = module;
    this.info = info;
    this.trainingData = trainingData;
  }

  get genes(): readonly string[] {
    return this.info.genes;
  }

  /** Posterior means `[n, latent]` (row-major) of `n` rows of raw counts on the model's genes. */
  async latentOf(x: Float32Array, n: number): Promise<Float32Array> {
    const G = this.info.genes.length;
    const zT = tf.tidy(() => this.module.encodeMean(tf.tensor2d(x, [n, G])));
    const z = (await zT.data()) as Float32Array;
    zT.dispose();
    return z;
  }

  /**
   * Posterior means of every observation of `ds` (cells, or pseudobulks of MEAN counts), on the
   * model's genes by name (genes the Dataset lacks are 0).
   */
  async latent(ds: Dataset, layer?: string): Promise<DenseMatrix<Float32Array>> {
    const G = this.info.genes.length;
    const pos = new Map(ds.varNames.map((g, j) => [g, j]));
    const colMap = new Int32Array(ds.nVars).fill(-1);
    this.info.genes.forEach((g, k) => {
      const j = pos.get(g);
      if (j !== undefined) colMap[j] = k;
    });
    const trainedOn = this.info.fields.layer === 'X' ? undefined : this.info.fields.layer;
    const src = rowSource(ds.layer(countsLayerOf(ds, layer ?? (trainedOn && ds.layers.has(trainedOn) ? trainedOn : undefined))));
    const n = ds.nObs;
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const x = gatherRowsF32(src, rows, new Float32Array(n * G), G, colMap);
    return new DenseMatrix(n, this.info.options.latent, await this.latentOf(x, n));
  }

  /** The manifest fields of the model (a method adds its own, e.g. a signature). */
  manifest(): Record<string, unknown> {
    const i = this.info;
    return {
      config: { ...i.options },
      fields: i.fields,
      medianCellLibrary: i.medianCellLibrary,
      history: i.history,
      seed: i.seed,
      training: i.training,
      warnings: i.warnings,
    };
  }

  /** Writes `manifest.json` + `weights.bin` (nn/model-io.ts); `extra` adds method fields (and `config` entries). */
  async save(dir: string, method: string, extra: Record<string, unknown> = {}): Promise<void> {
    const base = this.manifest();
    await saveModelDir(
      dir,
      { method, genes: this.info.genes, cellTypes: this.info.cellTypes, ...base, ...extra },
      variablesToWeights(this.module.params()),
    );
  }

  dispose(): void {
    this.module.dispose();
  }
}

/** Builds a model from a training run. */
export function modelFromTraining<M extends ScviModule>(t: TrainedVae<M>, options: VaeTrainOptions, seed: number): VaeModel<M> {
  return new VaeModel(
    t.module,
    {
      genes: t.genes,
      cellTypes: t.cellTypes,
      fields: t.fields,
      options,
      history: t.history,
      medianCellLibrary: t.medianCellLibrary,
      seed,
      warnings: t.warnings,
      training: t.training,
    },
    t.data,
  );
}

/**
 * Reads a model directory saved by {@link VaeModel.save}: the manifest and the weights assigned to a
 * network built by `create` from the saved options.
 *
 * @throws see `loadModelDir` (missing files, checksum, wrong method); `E_MODEL_WEIGHTS` on a shape mismatch.
 */
export async function loadVaeModel<M extends ScviModule>(
  dir: string,
  methods: string | string[],
  options: (manifest: ModelManifest) => VaeTrainOptions,
  create: (o: VaeTrainOptions, nGenes: number) => M,
): Promise<{ model: VaeModel<M>; manifest: ModelManifest }> {
  const { manifest, weights } = await loadModelDir(dir, methods);
  const o = options(manifest);
  await ensureBackend(o.backend);
  const module = create(o, manifest.genes.length);
  try {
    assignWeights(module.params(), weights, dir);
  } catch (e) {
    module.dispose();
    throw e;
  }
  const layer = (manifest.training as { layer?: string } | undefined)?.layer ?? 'X';
  const fields = (manifest.fields as VaeModelInfo['fields'] | undefined) ?? { layer };
  const model = new VaeModel(module, {
    genes: [...manifest.genes],
    cellTypes: [...manifest.cellTypes],
    fields,
    options: o,
    history: (manifest.history as TrainHistory) ?? { epochs: [], steps: 0, stoppedEarly: false },
    medianCellLibrary: Number(manifest.medianCellLibrary ?? 1),
    seed: Number(manifest.seed ?? 0),
    warnings: (manifest.warnings as DiagnosticWarning[]) ?? [],
    training: (manifest.training as Record<string, unknown>) ?? {},
  });
  return { model, manifest };
}

/** Options of a model's `train` besides the model options (seed, progress, validation hooks, checkpoints). */
export type RunOptions = Omit<TrainVaeOptions, 'createModule' | 'modelName'>;

/**
 * Trains scVI (ELBO only; with pseudobulks in the batches, ρ is monitored).
 *
 * @param options - Overrides of {@link SCVI_MODEL_DEFAULTS} (already validated by the caller).
 */
export async function trainScvi(
  ds: Dataset,
  fields: DataFields,
  options: Partial<VaeTrainOptions>,
  run: RunOptions,
): Promise<VaeModel<ScviModule>> {
  const o: VaeTrainOptions = { ...SCVI_MODEL_DEFAULTS, ...options, mixupPenalty: 'none' };
  const t = await trainVae<ScviModule>(ds, fields, o, { ...run, modelName: 'scvi', createModule: (cfg, rng) => new ScviModule(cfg, rng) });
  return modelFromTraining(t, o, run.seed);
}

/** Loads an scVI model (any method name in `methods`). */
export async function loadScvi(dir: string, methods: string | string[], options: (m: ModelManifest) => VaeTrainOptions) {
  return loadVaeModel(dir, methods, options, (o, G) => new ScviModule(vaeConfig(o, G), new Rng(0)));
}
