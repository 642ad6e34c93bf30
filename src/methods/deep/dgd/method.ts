/**
 * The `dgd` method's implementation: deconvolution with a supervised Deep Generative Decoder (scDGD, Schuster & Krogh;
 * issue 12). `fit` trains the supervised DGD on the labelled reference (one or more GMM components
 * per cell type); `deconvolve` fits, per bulk sample, proportions p = softmax(w), one representation
 * per type and a bulk dispersion per gene (see deconvolve.ts). Besides proportions it reports each
 * type's fitted expression profile in each sample (`diagnostics.extra.expressionProfiles`), the
 * cell-type-specific expression that BayesPrism / CIBERSORTx high-resolution mode offer.
 */
import { fmtInt, InputError } from '../../../core/errors.js';
import { DEFAULT_MIN_GENE_OVERLAP } from '../../../core/keys.js';
import type { Dataset } from '../../../data/dataset.js';
import { DenseMatrix } from '../../../data/dense.js';
import { checkCounts } from '../../../models/dgd/data.js';
import { DgdModel } from '../../../models/dgd/model.js';
import { backendInfo } from '../../../nn/backend.js';
import { rowSource } from '../../../nn/batches.js';
import { alignGenes } from '../../align-genes.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, FittedManifest, MethodSpec } from '../../types.js';
import { DECONV_KEYS, DGD_INFO, DGD_METHOD_DEFAULTS, type DgdMethodOptions } from './config.js';
import { fitBulk } from './deconvolve.js';

function splitOptions(o: Record<string, unknown>): {
  model: Record<string, unknown>;
  bulk: Pick<DgdMethodOptions, (typeof DECONV_KEYS)[number]>;
} {
  const model: Record<string, unknown> = {};
  const bulk = {
    deconvIterations: DGD_METHOD_DEFAULTS.deconvIterations,
    deconvLr: DGD_METHOD_DEFAULTS.deconvLr,
    deconvChunk: DGD_METHOD_DEFAULTS.deconvChunk,
  };
  for (const [k, v] of Object.entries(o)) {
    if ((DECONV_KEYS as readonly string[]).includes(k)) (bulk as Record<string, number>)[k] = Number(v);
    else model[k] = v;
  }
  for (const k of DECONV_KEYS) {
    const v = bulk[k];
    if (!(v > 0) || (k !== 'deconvLr' && !Number.isInteger(v))) {
      throw new InputError(`invalid DGD option '${k}'`, {
        code: 'E_OPTION',
        field: k,
        got: v,
        expected: k === 'deconvLr' ? '> 0' : 'a positive integer',
      });
    }
  }
  return { model, bulk };
}

/** A DGD trained for deconvolution. */
export class DgdFitted implements Fitted {
  readonly method = 'dgd';
  readonly model: DgdModel;
  readonly bulkOptions: Pick<DgdMethodOptions, (typeof DECONV_KEYS)[number]>;

  constructor(model: DgdModel, bulkOptions: Pick<DgdMethodOptions, (typeof DECONV_KEYS)[number]>) {
    this.model = model;
    this.bulkOptions = bulkOptions;
  }

  get genes(): readonly string[] {
    return this.model.genes;
  }

  get cellTypes(): readonly string[] {
    return this.model.classes;
  }

  /**
   * Proportions of each bulk sample (layer `counts_sum` when present: an NB on summed counts), plus
   * per-type expression profiles in `diagnostics.extra.expressionProfiles` (`{shape: [S, C, G],
   * genes, values}`, each profile summing to 1 over the model's genes).
   *
   * @throws {@link InputError} `E_GENE_OVERLAP` when fewer than `minGeneOverlap` (0.7) of the model's
   *   genes are in the bulk; `E_NEGATIVE_COUNTS`/`E_NAN` for a bulk that is not counts.
   */
  async deconvolve(bulk: Dataset, opts: DeconvolveOptions = {}): Promise<DeconvolutionResult> {
    const m = bulk.layer(opts.layer);
    checkCounts(m, `bulk ${opts.layer ?? 'X'}`, false);
    const align = alignGenes(this.genes, bulk.varNames, opts.minGeneOverlap ?? DEFAULT_MIN_GENE_OVERLAP, 'DGD model genes');
    const G = this.genes.length;
    const colMap = new Int32Array(bulk.nVars).fill(-1);
    for (let k = 0; k < align.bulkIdx.length; k++) colMap[align.bulkIdx[k] as number] = align.fittedIdx[k] as number;
    let mask: Float32Array | undefined;
    if (align.missing.length > 0) {
      mask = new Float32Array(G);
      for (const j of align.fittedIdx) mask[j] = 1;
    }
    const o = { ...this.bulkOptions };
    for (const k of DECONV_KEYS) if (opts.options?.[k] !== undefined) o[k] = Number(opts.options[k]);
    const fit = await fitBulk(
      this.model,
      rowSource(m),
      colMap,
      mask,
      { iterations: o.deconvIterations, lr: o.deconvLr, chunk: o.deconvChunk },
      opts.signal,
    );
    const S = bulk.nObs;
    const C = this.cellTypes.length;
    const warnings = [...align.warnings];
    if (align.missing.length > 0) {
      warnings.push({
        code: 'W_GENES_MASKED',
        message: `${fmtInt(align.missing.length)} model genes missing from the bulk were left out of the likelihood`,
      });
    }
    return {
      method: 'dgd',
      proportions: new DenseMatrix(S, C, fit.proportions),
      sampleNames: [...bulk.obsNames],
      cellTypes: [...this.cellTypes],
      diagnostics: {
        converged: new Array<boolean>(S).fill(true),
        iterations: new Array<number>(S).fill(o.deconvIterations),
        genesUsed: align.fittedIdx.length,
        genesMissing: align.missing.length,
        warnings,
        seed: opts.seed ?? this.model.state.seed,
        extra: {
          backend: backendInfo()?.name,
          expressionProfiles: {
            shape: [S, C, G],
            orientation: 'samples x cellTypes x genes',
            genes: [...this.genes],
            values: fit.profiles,
          },
          bulkDispersion: fit.bulkDispersion,
          negLogLik: Array.from(fit.loss),
        },
      },
    };
  }

  toJSON(): FittedManifest {
    const j = this.model.toJSON();
    return { ...j, method: 'dgd', version: 1, genes: this.genes, cellTypes: this.cellTypes, deconvolution: this.bulkOptions };
  }

  async save(dir: string): Promise<void> {
    this.model.state.training.deconvolution = this.bulkOptions;
    await this.model.save(dir);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The `dgd` method spec. */
export const dgdImplementation: MethodSpec<DgdMethodOptions> = {
  ...DGD_INFO,
  fit: async (ref: Dataset | null, opts: FitOptions<DgdMethodOptions>) => {
    if (!ref) {
      throw new InputError('dgd needs a single-cell reference to train on', {
        code: 'E_NO_REFERENCE',
        field: 'reference',
        hint: 'Pass --reference REF.h5ad with raw counts and a cell-type column',
      });
    }
    if (!opts.labelsKey) {
      throw new InputError('dgd needs cell-type labels', {
        code: 'E_NO_LABELS',
        field: 'labelsKey',
        hint: 'Pass --labels COLUMN (an obs column of the reference)',
      });
    }
    const { model, bulk } = splitOptions({ supervised: true, initRepresentations: 'component-mean', ...(opts.options ?? {}) });
    const dgd = await DgdModel.train(
      ref,
      { layer: opts.layer, labelsKey: opts.labelsKey },
      { seed: opts.seed, options: model, onProgress: opts.onProgress, signal: opts.signal },
    );
    if (!dgd.options.supervised) {
      dgd.dispose();
      throw new InputError('dgd deconvolution needs the supervised DGD', {
        code: 'E_OPTION',
        field: 'supervised',
        got: false,
        expected: true,
      });
    }
    return new DgdFitted(dgd, bulk);
  },
  load: async (dir: string) => {
    const model = await DgdModel.load(dir);
    if (!model.options.supervised) {
      model.dispose();
      throw new InputError('this DGD model is not supervised: it has no component per cell type to deconvolve with', {
        code: 'E_MODEL_METHOD',
        file: dir,
        hint: "Train it with 'celldeconv train dgd --labels COLUMN' (supervised is the default there)",
      });
    }
    const dec = (model.state.training.deconvolution ?? {}) as Record<string, unknown>;
    return new DgdFitted(model, splitOptions(dec).bulk);
  },
};
