/**
 * Scaden (Menden et al. 2020, Sci. Adv. 6:eaba2619): an ensemble of three MLPs trained on simulated
 * pseudobulks, registered as method `scaden` (kind 'trained', bulk layer `counts_sum`).
 *
 * Defaults [SC `scaden/__main__.py`, `scaden/model/scaden.py`]: 1,000 Scaden-simulated samples of
 * 100 cells (500 normal + 500 sparse), log2(x+1) + per-sample min–max inputs, MSE loss, Adam
 * lr 1e-4 (Keras β 0.9/0.999, ε 1e-7), batch 128, 5,000 steps per member, prediction = mean of the
 * three softmax outputs. Genes: 2,500 highly variable genes of the reference (scanpy seurat_v3), as
 * the MixupVI benchmark does for trained models [P App. E]; Scaden's own `scaden process` instead
 * keeps the bulk genes with variance > 0.1 (`scadenVarianceGenes`), which needs the bulk at
 * training time.
 */
import { FormatError, InputError } from '../../../core/errors.js';
import { Rng } from '../../../core/rng.js';
import type { Dataset } from '../../../data/dataset.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from '../../types.js';
import {
  baselineManifest,
  baselineSpec,
  baselineTrainingSet,
  ensureBackend,
  resolveBaselineOptions,
  stripUndefined,
} from '../common-baselines/fitted.js';
import { Mlp, type MlpConfig } from '../common-baselines/mlp.js';
import { predictMlp } from '../common-baselines/mlp-train.js';
import { alignBulk, makeResult, toFloat32 } from '../common-baselines/pipeline.js';
import { assignWeights, loadModelDir, saveModelDir, type WeightArray } from '../model-io.js';
import { SCADEN_DEFAULTS, SCADEN_INFO, SCADEN_QUICK, SCADEN_SCHEMA, type ScadenMemberName, type ScadenOptions } from './config.js';
import { type MemberTask, trainMembers } from './ensemble.js';
import { SCADEN_MEMBERS } from './module.js';
import { logMinMax } from './preprocess.js';

export { SCADEN_DEFAULTS, SCADEN_QUICK, type ScadenMemberName, type ScadenOptions } from './config.js';

// Moved to common-baselines/fitted.ts; re-exported for existing importers.
export { ensureBackend, stripUndefined };

/** A trained Scaden ensemble. */
export class ScadenFitted implements Fitted {
  readonly method = 'scaden';
  constructor(
    readonly genes: readonly string[],
    readonly cellTypes: readonly string[],
    readonly members: Mlp[],
    readonly config: Record<string, unknown>,
    readonly seed: number,
    readonly history: Record<string, unknown>,
  ) {}

  /**
   * Proportions of each bulk sample: mean of the members' softmax outputs on log2 + min–max inputs.
   * @throws InputError `E_GENE_OVERLAP` when too few model genes are in the bulk.
   */
  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    const aligned = alignBulk(bulk, this.genes, opts);
    const X = logMinMax(aligned.X);
    const C = this.cellTypes.length;
    const mean = new Float64Array(bulk.nObs * C);
    for (const m of this.members) {
      const p = predictMlp(m, X);
      for (let i = 0; i < p.length; i++) mean[i] = (mean[i] as number) + (p[i] as number) / this.members.length;
    }
    return makeResult(this.method, mean, bulk, this.cellTypes, aligned, this.seed, { members: this.members.map((m) => m.name) });
  }

  toJSON(): FittedManifest {
    return baselineManifest(this, this.config);
  }

  /** Writes manifest.json + weights.bin (model-io). */
  async save(dir: string): Promise<void> {
    const weights = new Map<string, WeightArray>();
    for (const m of this.members)
      for (const [k, v] of m.params()) weights.set(k, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    await saveModelDir(dir, { ...this.toJSON(), members: this.members.map((m) => ({ name: m.name, ...m.config })) }, weights);
  }

  /** Frees the tfjs variables. */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

function resolveOptions(opts: FitOptions<ScadenOptions>): ScadenOptions {
  const o = resolveBaselineOptions(SCADEN_DEFAULTS, opts.options, ['steps', 'batchSize', 'lr', 'nSamples', 'nCells', 'nGenes']);
  if (typeof o.members === 'string') o.members = (o.members as string).split(',').map((s) => s.trim()) as ScadenMemberName[];
  for (const m of o.members) {
    if (!(m in SCADEN_MEMBERS)) {
      throw new InputError(`unknown Scaden member '${m}'`, {
        code: 'E_OPTION',
        field: 'members',
        got: m,
        expected: Object.keys(SCADEN_MEMBERS).join(', '),
      });
    }
  }
  if (!Number.isInteger(o.steps) || o.steps < 1)
    throw new InputError('steps must be a positive integer', { code: 'E_OPTION', field: 'steps', got: o.steps });
  return o;
}

/**
 * Trains a Scaden ensemble.
 *
 * @param ref labelled cells x genes raw counts (`opts.labelsKey`; layer `raw_counts` when present),
 *   or null with paired training data.
 * @throws InputError for bad options or data (see `buildTrainingSet`); AbortError on `signal`.
 * @example
 * const fitted = await scaden.fit(cells, { labelsKey: 'cell_type', seed: 0 });
 * const res = await fitted.deconvolve(pseudobulks); // reads the counts_sum layer
 */
async function fitScaden(ref: Dataset | null, opts: FitOptions<ScadenOptions>): Promise<ScadenFitted> {
  const o = resolveOptions(opts);
  const seed = opts.seed ?? 0;
  await ensureBackend(o.backend);
  const t0 = performance.now();
  const raw = await baselineTrainingSet(ref, o, opts, seed);
  const X = logMinMax(raw.X);
  const Y = toFloat32(raw.Y);
  const simSeconds = (performance.now() - t0) / 1000;
  const tasks: MemberTask[] = o.members.map((name) => ({
    member: name,
    config: SCADEN_MEMBERS[name],
    rows: X.rows,
    cols: X.cols,
    nTypes: Y.cols,
    X: X.data,
    Y: Y.data,
    steps: o.steps,
    batchSize: o.batchSize,
    lr: o.lr,
    seed,
    backend: o.backend,
  }));
  const t1 = performance.now();
  const { results, workers } = await trainMembers(tasks, { X, Y }, o.parallel, { onProgress: opts.onProgress, signal: opts.signal });
  const trainSeconds = (performance.now() - t1) / 1000;
  const members = o.members.map((name, i) => {
    const m = new Mlp(name, X.cols, Y.cols, SCADEN_MEMBERS[name], new Rng(0));
    assignWeights(m.params(), new Map((results[i] as { weights: [string, WeightArray][] }).weights));
    return m;
  });
  const history = {
    trainingSet: raw.description,
    simulateSeconds: simSeconds,
    trainSeconds,
    workers,
    members: Object.fromEntries(
      o.members.map((name, i) => {
        const h = results[i]?.history;
        return [name, { seconds: results[i]?.seconds, steps: h?.steps, finalLoss: h?.epochs.at(-1)?.train.loss }];
      }),
    ),
  };
  const { paired: _p, ...config } = o;
  return new ScadenFitted(raw.genes, raw.cellTypes, members, config as Record<string, unknown>, seed, history);
}

/** Loads a saved Scaden model (JSON manifest + float32 weights; no code is evaluated). */
async function loadScaden(dir: string): Promise<ScadenFitted> {
  const { manifest, weights } = await loadModelDir(dir, 'scaden');
  await ensureBackend();
  const specs = manifest.members as ({ name: string } & MlpConfig)[] | undefined;
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new FormatError('Scaden manifest lists no members', {
      code: 'E_MODEL_MANIFEST',
      file: dir,
      hint: 'The model files are corrupt; train again',
    });
  }
  const members = specs.map((s) => {
    const m = new Mlp(
      s.name,
      manifest.genes.length,
      manifest.cellTypes.length,
      { hidden: s.hidden, dropout: s.dropout, init: s.init },
      new Rng(0),
    );
    assignWeights(m.params(), weights, dir);
    return m;
  });
  return new ScadenFitted(
    manifest.genes,
    manifest.cellTypes,
    members,
    (manifest.config ?? {}) as Record<string, unknown>,
    manifest.seed ?? 0,
    (manifest.history ?? {}) as Record<string, unknown>,
  );
}

/** Registry entry of Scaden. */
export const scaden: MethodSpec<ScadenOptions> = baselineSpec({
  ...SCADEN_INFO,
  defaults: SCADEN_DEFAULTS,
  quickOptions: SCADEN_QUICK,
  options: SCADEN_SCHEMA,
  fit: fitScaden,
  load: loadScaden,
});
