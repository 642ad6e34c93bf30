/**
 * The Deep Generative Decoder on Datasets (scvi-tools' "model"): train, representations of training
 * and new cells, clustering, generation, log-likelihoods, save/load.
 *
 * @example
 * ```ts
 * const model = await DgdModel.train(cells, { labelsKey: 'cell_type' }, { seed: 0, options: { epochs: 100 } });
 * const { z, clusters } = await model.embed(newCells);
 * const sim = model.generate(1000, { seed: 1 });
 * await model.save('dgd-model/');
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { FormatError, InputError } from '../../core/errors.js';
import type { LongRunOptions } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { CsrMatrix } from '../../data/sparse.js';
import { loadModelDir, saveModelDir, type WeightArray } from '../../io/model-dir.js';
import { backendInfo, initBackend } from '../../nn/backend.js';
import { activationOf, type DgdOptions, resolveDgdOptions } from './config.js';
import { alignToModel, checkCounts, prepareTrainingData, rowConstants } from './data.js';
import { DgdDecoder } from './decoder.js';
import { clusterF64, GaussianMixturePrior, type GmmParams, sampleMixture } from './gmm.js';
import { inferRepresentations, rowScores } from './infer.js';
import { sampleNb } from './nb.js';
import type { RepresentationTable } from './representations.js';
import { type DgdHistory, type RowSet, trainDgd } from './train.js';

/** Registered model name (manifest `method`). */
export const DGD_MODEL_NAME = 'dgd';

/** Which data fields the model reads. */
export interface DgdFields {
  /** Layer with raw counts (default X). */
  layer?: string;
  /** obs column with labels: needed for `components: 0` (one per class) and the supervised variant. */
  labelsKey?: string;
}

/** Options of {@link DgdModel.train}. */
export interface DgdTrainOptions extends LongRunOptions {
  seed?: number;
  options?: Partial<DgdOptions> | Record<string, unknown>;
  /** tfjs backend (default: keep the current one, else auto). */
  backend?: string;
}

/** Everything the model keeps besides its tensors. */
interface DgdState {
  options: DgdOptions;
  genes: string[];
  /** Label classes (supervised: one block of components each). */
  classes: string[];
  labelsKey?: string;
  layer?: string;
  trainObsNames: string[];
  trainZ: Float32Array;
  validationObsNames: string[];
  validationZ: Float32Array;
  /** Scaling factors of (up to 4,096) training cells, resampled by `generate`. */
  scaleSample: Float32Array;
  history: DgdHistory;
  seed: number;
  training: Record<string, unknown>;
}

/** Result of {@link DgdModel.embed}. */
export interface DgdEmbedding {
  obsNames: string[];
  /** Row-major `[n, L]`. */
  z: Float32Array;
  /** GMM cluster (component argmax) per cell. */
  clusters: Int32Array;
  /** Component each cell's representation started from. */
  start: Int32Array;
  /** Σ_g log NB(x | z) per cell, with the lgamma(x+1) term (held-out reconstruction log-likelihood). */
  logLik: Float64Array;
  /** Model genes found in the data. */
  genesFound: number;
}

async function ensureBackend(choice?: string): Promise<void> {
  const cur = backendInfo();
  if (!cur || (choice && choice !== 'auto' && cur.name !== choice)) await initBackend(choice ?? 'auto');
}

/** A trained DGD. */
export class DgdModel {
  readonly decoder: DgdDecoder;
  readonly gmm: GaussianMixturePrior;
  readonly state: DgdState;

  constructor(decoder: DgdDecoder, gmm: GaussianMixturePrior, state: DgdState) {
    this.decoder = decoder;
    this.gmm = gmm;
    this.state = state;
  }

  get options(): DgdOptions {
    return this.state.options;
  }

  get genes(): readonly string[] {
    return this.state.genes;
  }

  /** Label classes seen in training (the components' classes in the supervised variant). */
  get classes(): readonly string[] {
    return this.state.classes;
  }

  get history(): DgdHistory {
    return this.state.history;
  }

  /**
   * Trains a DGD on raw counts.
   *
   * @param ds - cells x genes.
   * @param fields - Counts layer and optional labels column.
   * @param opts - `seed` (default 0), `options` ({@link DgdOptions}), `onProgress` (stage 'train', one
   *   event per epoch with loss, reconstruction, gmm and their `val_` versions), `signal`.
   * @throws {@link InputError} `E_NOT_COUNTS`/`E_NEGATIVE_COUNTS`/`E_NAN` (not raw counts), `E_NO_COLUMN`
   *   (unknown label column), `E_COMPONENTS` (K < 1, or K inconsistent with the supervised classes),
   *   `E_NO_LABELS` (supervised without labels), `E_OPTION`, `E_NAN_LOSS`; {@link AbortError}.
   */
  static async train(ds: Dataset, fields: DgdFields = {}, opts: DgdTrainOptions = {}): Promise<DgdModel> {
    const o = resolveDgdOptions((opts.options ?? {}) as Record<string, unknown>);
    const seed = opts.seed ?? 0;
    const rng = new Rng(seed);
    await ensureBackend(opts.backend);
    if (o.supervised && !fields.labelsKey) {
      throw new InputError('the supervised DGD needs labels', {
        code: 'E_NO_LABELS',
        field: 'labelsKey',
        hint: 'Pass --labels COLUMN (an obs column of the cells), or drop --set supervised=true',
      });
    }
    const data = prepareTrainingData(ds, {
      layer: fields.layer,
      labelsKey: fields.labelsKey,
      dropZeroGenes: o.dropZeroGenes,
      scaling: o.scaling,
      nHvg: o.nHvg,
    });
    const C = data.labelCategories.length;
    let K = o.components;
    if (o.supervised) {
      if (K !== 0 && K !== C * o.componentsPerClass) {
        throw new InputError(`the supervised DGD needs ${C * o.componentsPerClass} components (${C} classes x ${o.componentsPerClass})`, {
          code: 'E_COMPONENTS',
          field: 'components',
          got: K,
          expected: C * o.componentsPerClass,
          hint: 'Omit --components (it follows the classes), or set componentsPerClass',
        });
      }
      K = C * o.componentsPerClass;
    } else if (K === 0) K = C > 0 ? C : 1;
    if (K < 1) {
      throw new InputError('the DGD needs at least one GMM component', {
        code: 'E_COMPONENTS',
        field: 'components',
        got: K,
        expected: '>= 1',
        hint: 'Pass --components K with K >= 1',
      });
    }
    const options: DgdOptions = { ...o, components: K };
    const G = data.genes.length;
    const N = data.cells.length;
    // Split: validation cells get their own representations and never update decoder or GMM.
    const perm = rng.fork('split').permutation(N);
    const nVal = options.validationFraction > 0 ? Math.min(N - 1, Math.round(N * options.validationFraction)) : 0;
    const valRows = Int32Array.from(perm.subarray(0, nVal)).sort();
    const trainRows = Int32Array.from(perm.subarray(nVal)).sort();
    const classes = options.supervised ? data.labels : undefined;
    const decoder = new DgdDecoder(
      { latent: options.latent, hidden: options.hidden, nGenes: G, activation: activationOf(options), rInit: options.rInit },
      rng.fork('decoder'),
    );
    const gmm = new GaussianMixturePrior(
      {
        components: K,
        dim: options.latent,
        softballScale: options.softballScale,
        softballSharpness: options.softballSharpness,
        dirichletAlpha: options.dirichletAlpha,
        logbetaPriorSd: options.logbetaPriorSd,
      },
      rng.fork('gmm'),
    );
    const base = { src: data.src, scale: data.scale, lgammaX1: data.lgammaX1, classes };
    const trainSet: RowSet = { ...base, rows: trainRows };
    const valSet: RowSet | undefined = nVal > 0 ? { ...base, rows: valRows, classes: undefined } : undefined;
    const obsOf = (rows: Int32Array) => Array.from(rows, (r) => ds.obsNames[data.cells[r] as number] as string);
    const sr = rng.fork('scale-sample');
    const nScale = Math.min(4096, trainRows.length);
    const scaleSample = Float32Array.from(
      sr.sampleWithoutReplacement(trainRows.length, nScale),
      (k) => data.scale[trainRows[k] as number] as number,
    );
    const makeState = (
      reps: RepresentationTable,
      valReps: RepresentationTable | undefined,
      history: DgdHistory,
      seconds: number,
    ): DgdState => ({
      options,
      genes: data.genes,
      classes: data.labelCategories,
      labelsKey: fields.labelsKey,
      layer: fields.layer,
      trainObsNames: obsOf(trainRows),
      trainZ: Float32Array.from(reps.values),
      validationObsNames: obsOf(valRows),
      validationZ: valReps ? Float32Array.from(valReps.values) : new Float32Array(0),
      scaleSample,
      history,
      seed,
      training: {
        cells: N,
        trainCells: trainRows.length,
        validationCells: nVal,
        droppedCells: data.droppedCells,
        droppedGenes: data.droppedGenes,
        genes: G,
        components: K,
        seconds,
        backend: backendInfo()?.name,
      },
    });
    const t0 = performance.now();
    try {
      const { reps, valReps, history } = await trainDgd({
        decoder,
        gmm,
        options,
        train: trainSet,
        validation: valSet,
        rng: rng.fork('train'),
        onProgress: opts.onProgress,
        signal: opts.signal,
        onCheckpoint:
          options.checkpointDir !== undefined
            ? async (epoch, r, v, h) => {
                const ck = new DgdModel(decoder, gmm, makeState(r, v, { ...h, epochs: [...h.epochs] }, (performance.now() - t0) / 1000));
                ck.state.training.checkpointEpoch = epoch;
                await ck.save(options.checkpointDir as string);
              }
            : undefined,
      });
      return new DgdModel(decoder, gmm, makeState(reps, valReps, history, (performance.now() - t0) / 1000));
    } catch (e) {
      decoder.dispose();
      gmm.dispose();
      throw e;
    }
  }

  /** The GMM's parameters as plain arrays. */
  gmmParams(): GmmParams {
    return this.gmm.snapshot();
  }

  /**
   * Representations of the training (and validation) cells, as learnt.
   *
   * @returns obs names and row-major `[n, L]` values; training cells first, then validation cells.
   */
  latent(): { obsNames: string[]; z: Float32Array; isValidation: Uint8Array } {
    const s = this.state;
    const z = new Float32Array(s.trainZ.length + s.validationZ.length);
    z.set(s.trainZ);
    z.set(s.validationZ, s.trainZ.length);
    const isValidation = new Uint8Array(s.trainObsNames.length + s.validationObsNames.length);
    isValidation.fill(1, s.trainObsNames.length);
    return { obsNames: [...s.trainObsNames, ...s.validationObsNames], z, isValidation };
  }

  /** GMM cluster (component argmax of log π_k + log N(z | μ_k, β_k)) of each row of `z` (`[n, L]`). */
  cluster(z: Float32Array): Int32Array {
    return clusterF64(this.gmmParams(), z);
  }

  /**
   * Representations of new cells with decoder and GMM frozen (multiDGD procedure, or select-first
   * with `options.selectBeforeTraining`), their clusters and held-out reconstruction log-likelihood.
   *
   * @param ds - cells x genes raw counts; genes matched by name (missing model genes are left out of
   *   the likelihood).
   * @param opts.layer - Counts layer (default: the training layer when present, else X).
   * @param opts.minGeneOverlap - Minimum fraction of model genes in `ds` (default 0.7).
   * @param opts.options - Overrides of the inference options (inferEpochs, inferResamplingEpochs, inferLr, selectBeforeTraining).
   * @throws {@link InputError} `E_GENE_OVERLAP`, `E_NOT_COUNTS`/`E_NEGATIVE_COUNTS`/`E_NAN`.
   */
  async embed(
    ds: Dataset,
    opts: { layer?: string; minGeneOverlap?: number; options?: Partial<DgdOptions>; signal?: AbortSignal } = {},
  ): Promise<DgdEmbedding> {
    await ensureBackend();
    const layer = opts.layer ?? (this.state.layer && ds.layers.has(this.state.layer) ? this.state.layer : undefined);
    const m = ds.layer(layer);
    checkCounts(m, `cells ${layer ?? 'X'}`);
    const G = this.genes.length;
    const al = alignToModel(m, ds.varNames, this.genes, opts.minGeneOverlap ?? 0.7, `cells ${layer ?? 'X'}`);
    const consts = rowConstants(al.src, this.options.scaling, al.colMap, G);
    const set: RowSet = {
      src: al.src,
      rows: Int32Array.from({ length: ds.nObs }, (_, i) => i),
      scale: consts.scale,
      lgammaX1: consts.lgammaX1,
    };
    const mask = al.mask ? tf.tensor1d(al.mask) : undefined;
    try {
      const o = { ...this.options, ...(opts.options ?? {}) };
      const r = await inferRepresentations({
        decoder: this.decoder,
        gmm: this.gmm,
        options: o,
        set,
        nGenes: G,
        colMap: al.colMap,
        mask,
        signal: opts.signal,
      });
      return { obsNames: [...ds.obsNames], z: r.z, clusters: this.cluster(r.z), start: r.start, logLik: r.logLik, genesFound: al.found };
    } finally {
      mask?.dispose();
    }
  }

  /**
   * Reconstruction log-likelihood Σ_g log NB(x_ig; M_i m̂_g(z_i), r_g) (with lgamma(x+1)) of the
   * training/validation cells of `ds` at their learnt representations (the data set the model was
   * trained on; cells are matched by obs name).
   *
   * @returns Per cell of {@link latent}'s order.
   */
  async trainingLogLikelihood(ds: Dataset): Promise<Float64Array> {
    await ensureBackend();
    const lat = this.latent();
    const idx = ds.obsIndex();
    const rows = Int32Array.from(lat.obsNames, (n) => {
      const i = idx.get(n);
      if (i === undefined)
        throw new InputError(`cell '${n}' of the model is not in the data`, {
          code: 'E_CELL_MISSING',
          field: 'obs_names',
          hint: 'Pass the data set the model was trained on',
        });
      return i;
    });
    const m = ds.layer(this.state.layer && ds.layers.has(this.state.layer) ? this.state.layer : undefined);
    const al = alignToModel(m, ds.varNames, this.genes, 1, 'cells');
    const consts = rowConstants(al.src, this.options.scaling, al.colMap, this.genes.length);
    const set: RowSet = { src: al.src, rows, scale: consts.scale, lgammaX1: consts.lgammaX1 };
    const sc = await rowScores({ decoder: this.decoder, gmm: this.gmm, set, rows, z: lat.z, nGenes: this.genes.length, colMap: al.colMap });
    return sc.logLik;
  }

  /**
   * Decoded NB means M·m̂(z) for representations `z` (`[n, L]`) and scaling factors `scale` (`[n]`).
   *
   * @returns Row-major `[n, G]` means and the dispersions `[G]`.
   */
  async decodeMeans(z: Float32Array, scale: ArrayLike<number>): Promise<{ means: Float32Array; r: Float32Array }> {
    const L = this.options.latent;
    const n = z.length / L;
    const [mT, rT] = tf.tidy(() => {
      const mhat = this.decoder.scaledMean(tf.tensor2d(z, [n, L]));
      return [tf.mul(mhat, tf.tensor2d(Float32Array.from(scale), [n, 1])), this.decoder.dispersion()];
    });
    const means = (await (mT as tf.Tensor).data()) as Float32Array;
    const r = (await (rT as tf.Tensor).data()) as Float32Array;
    tf.dispose([mT as tf.Tensor, rT as tf.Tensor]);
    return { means, r };
  }

  /**
   * Generates cells: z from the GMM (or one component), scaling factors resampled from the training
   * cells' (or `scale`), counts drawn from NB(M·m̂(z), r).
   *
   * @param n - Cells to generate.
   * @param opts.component - Draw every z from this component (0-based).
   * @param opts.seed - Seed (default: the model's).
   * @returns Counts as CSR `[n, G]`, the representations and their components.
   * @throws {@link InputError} `E_OPTION` for n < 1 or a component out of range.
   */
  async generate(
    n: number,
    opts: { component?: number; seed?: number; scale?: number } = {},
  ): Promise<{ counts: CsrMatrix; z: Float32Array; components: Int32Array; scale: Float32Array }> {
    const K = this.options.components;
    if (!Number.isInteger(n) || n < 1)
      throw new InputError('number of cells to generate must be a positive integer', {
        code: 'E_OPTION',
        field: 'n',
        got: n,
        expected: '>= 1',
      });
    if (opts.component !== undefined && !(Number.isInteger(opts.component) && opts.component >= 0 && opts.component < K)) {
      throw new InputError('component out of range', {
        code: 'E_OPTION',
        field: 'component',
        got: opts.component,
        expected: `0..${K - 1}`,
      });
    }
    await ensureBackend();
    const rng = new Rng(opts.seed ?? this.state.seed).fork('generate');
    const { z, components } = sampleMixture(this.gmmParams(), n, rng.fork('z'), opts.component);
    const sr = rng.fork('scale');
    const ss = this.state.scaleSample;
    const scale = Float32Array.from({ length: n }, () => opts.scale ?? (ss.length ? (ss[sr.int(ss.length)] as number) : 1));
    const G = this.genes.length;
    const nr = rng.fork('counts');
    const indptr = new Float64Array(n + 1);
    const idx: number[] = [];
    const vals: number[] = [];
    const chunk = 256;
    for (let s = 0; s < n; s += chunk) {
      const e = Math.min(n, s + chunk);
      const { means, r } = await this.decodeMeans(z.subarray(s * this.options.latent, e * this.options.latent), scale.subarray(s, e));
      for (let i = s; i < e; i++) {
        for (let g = 0; g < G; g++) {
          const k = sampleNb(means[(i - s) * G + g] as number, r[g] as number, nr);
          if (k > 0) {
            idx.push(g);
            vals.push(k);
          }
        }
        indptr[i + 1] = idx.length;
      }
    }
    const counts = new CsrMatrix(n, G, { indptr, indices: Int32Array.from(idx), data: Float32Array.from(vals) });
    return { counts, z, components, scale };
  }

  /** The manifest's JSON part (no weights). */
  toJSON(): Record<string, unknown> {
    const s = this.state;
    return {
      method: DGD_MODEL_NAME,
      genes: s.genes,
      cellTypes: s.classes,
      config: { ...s.options },
      labelsKey: s.labelsKey,
      layer: s.layer,
      trainObsNames: s.trainObsNames,
      validationObsNames: s.validationObsNames,
      history: s.history,
      seed: s.seed,
      training: s.training,
    };
  }

  /** Named float32 arrays written to weights.bin. */
  weights(): Map<string, WeightArray> {
    const out = new Map<string, WeightArray>();
    for (const [name, v] of [...this.decoder.params(), ...this.gmm.params()]) {
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    const L = this.options.latent;
    out.set('representations.train', { shape: [this.state.trainObsNames.length, L], data: this.state.trainZ });
    out.set('representations.validation', { shape: [this.state.validationObsNames.length, L], data: this.state.validationZ });
    out.set('scale_sample', { shape: [this.state.scaleSample.length], data: this.state.scaleSample });
    return out;
  }

  /** Writes manifest.json + weights.bin (float32) atomically. */
  async save(dir: string): Promise<void> {
    const { method, genes, cellTypes, ...rest } = this.toJSON() as { method: string; genes: string[]; cellTypes: string[] };
    await saveModelDir(dir, { method, genes, cellTypes, ...rest }, this.weights());
  }

  /**
   * Loads a model saved by {@link save}. Data only; every array is checked against the shapes the
   * manifest's config implies before anything is kept.
   *
   * @throws `loadModelDir`'s errors; {@link FormatError} `E_MODEL_WEIGHTS` when an array is missing or
   *   has the wrong size (nothing is loaded).
   */
  static async load(dir: string): Promise<DgdModel> {
    const { manifest, weights } = await loadModelDir(dir, DGD_MODEL_NAME);
    const options = resolveDgdOptions((manifest.config ?? {}) as Record<string, unknown>);
    await ensureBackend();
    const genes = [...manifest.genes];
    const trainObs = (manifest.trainObsNames as string[] | undefined) ?? [];
    const valObs = (manifest.validationObsNames as string[] | undefined) ?? [];
    const L = options.latent;
    const need = (name: string, shape: number[]): Float32Array => {
      const w = weights.get(name);
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w || w.data.length !== n || w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
        throw new FormatError(`model weights: '${name}' ${w ? `has shape [${w.shape.join(', ')}]` : 'is missing'}`, {
          code: 'E_MODEL_WEIGHTS',
          file: dir,
          field: name,
          got: w?.shape,
          expected: shape,
          hint: 'The weights do not match the manifest (corrupt or edited model); train again',
        });
      }
      return Float32Array.from(w.data);
    };
    // Check every array before creating any tensor.
    const trainZ = need('representations.train', [trainObs.length, L]);
    const validationZ = need('representations.validation', [valObs.length, L]);
    const scaleSample = need('scale_sample', [weights.get('scale_sample')?.data.length ?? 0]);
    const decoder = new DgdDecoder(
      { latent: L, hidden: options.hidden, nGenes: genes.length, activation: activationOf(options), rInit: options.rInit },
      new Rng(0),
    );
    const gmm = new GaussianMixturePrior(
      {
        components: options.components,
        dim: L,
        softballScale: options.softballScale,
        softballSharpness: options.softballSharpness,
        dirichletAlpha: options.dirichletAlpha,
        logbetaPriorSd: options.logbetaPriorSd,
      },
      new Rng(0),
    );
    try {
      const params = [...decoder.params(), ...gmm.params()];
      const data = params.map(([name, v]) => need(name, v.shape));
      params.forEach(([, v], i) => {
        const t = tf.tensor(data[i] as Float32Array, v.shape, 'float32');
        v.assign(t);
        t.dispose();
      });
    } catch (e) {
      decoder.dispose();
      gmm.dispose();
      throw e;
    }
    return new DgdModel(decoder, gmm, {
      options,
      genes,
      classes: [...manifest.cellTypes],
      labelsKey: manifest.labelsKey as string | undefined,
      layer: manifest.layer as string | undefined,
      trainObsNames: trainObs,
      trainZ,
      validationObsNames: valObs,
      validationZ,
      scaleSample,
      history: (manifest.history as DgdHistory) ?? { epochs: [], steps: 0, representationSteps: 0, stoppedEarly: false },
      seed: Number(manifest.seed ?? 0),
      training: (manifest.training as Record<string, unknown>) ?? {},
    });
  }

  /** Frees the tensors (the model is unusable afterwards). */
  dispose(): void {
    this.decoder.dispose();
    this.gmm.dispose();
  }
}
