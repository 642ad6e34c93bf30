/**
 * `celldeconv embed`: representations of cells under a trained DGD (decoder and GMM frozen; the
 * multiDGD procedure), their GMM clusters and reconstruction log-likelihood, written as an .h5ad with
 * z in `obsm['X_dgd']` and `obs['dgd_cluster']`, `obs['dgd_loglik']`.
 */
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import { DenseMatrix } from '../../data/dense.js';
import { categoricalFrom, Frame } from '../../data/frame.js';
import { writeH5ad } from '../../io/h5ad/write.js';
import { withObsColumns } from '../../io/labels.js';
import { optNumber, optString, reqString } from '../args.js';
import type { CommandSpec } from '../command.js';
import { loadReference } from '../reference.js';

export const embedCommand: CommandSpec = {
  name: 'embed',
  summary: 'Representations, clusters and log-likelihoods of cells under a trained DGD model',
  details: [
    'New cells get representations with the decoder and GMM frozen: one candidate per GMM component',
    '(started at its mean) trained briefly, the best kept and refined (multiDGD). Output: the cells',
    "with z in obsm['X_dgd'], the GMM cluster in obs['dgd_cluster'] and the reconstruction",
    "log-likelihood per cell in obs['dgd_loglik'].",
    'Examples:',
    '  celldeconv train dgd --reference pbmc3k --labels cell_type --set supervised=false --out models/dgd',
    '  celldeconv embed --model models/dgd --data pbmc3k --out pbmc3k.dgd.h5ad',
  ].join('\n'),
  options: {
    model: { type: 'string', description: "DGD model directory ('celldeconv train dgd')", valueName: 'DIR' },
    data: { type: 'string', description: 'Cells: .h5ad, a 10x directory/.mtx, or pbmc3k', valueName: 'CELLS' },
    out: { type: 'string', short: 'o', description: 'Output .h5ad', valueName: 'OUT.h5ad' },
    layer: { type: 'string', description: 'Layer with raw counts (default: the training layer when present, else X)', valueName: 'LAYER' },
    epochs: { type: 'string', description: 'Refinement epochs of the chosen representation (model default: 10)', valueName: 'N' },
    'select-first': {
      type: 'boolean',
      description: 'Choose the best component mean before any training (scDGD text) instead of after 5 epochs',
    },
    'min-overlap': { type: 'string', description: 'Minimum fraction of the model genes in the data', default: '0.7', valueName: 'F' },
    backend: { type: 'string', description: 'tfjs backend: auto, wasm, cpu or tensorflow', default: 'auto', valueName: 'NAME' },
  },
  async run({ args, out, signal }) {
    // TensorFlow.js and the model code load only when this command runs (not for `--help` or other commands).
    const [{ DgdModel }, { initBackend }] = await Promise.all([import('../../models/dgd/model.js'), import('../../nn/backend.js')]);
    const modelDir = resolve(reqString(args, 'model', 'Pass --model DIR (a DGD model)'));
    const dataName = reqString(args, 'data', 'Pass --data CELLS.h5ad');
    const outPath = resolve(reqString(args, 'out', 'Pass --out OUT.h5ad'));
    if (!/\.h5ad$/i.test(outPath)) {
      throw new InputError('embed writes .h5ad (z goes to obsm)', {
        code: 'E_OUTPUT_FORMAT',
        file: outPath,
        expected: '.h5ad',
        hint: 'Pass --out NAME.h5ad',
      });
    }
    await initBackend(optString(args, 'backend') ?? 'auto');
    const model = await DgdModel.load(modelDir);
    try {
      out.info(`reading cells ${dataName} ...`);
      const ds = await loadReference(dataName, signal);
      const epochs = args.values.epochs !== undefined ? optNumber(args, 'epochs', 10, { integer: true, min: 0 }) : undefined;
      const t0 = Date.now();
      const emb = await model.embed(ds, {
        layer: optString(args, 'layer'),
        minGeneOverlap: optNumber(args, 'min-overlap', 0.7, { min: 0, max: 1 }),
        options: {
          ...(epochs !== undefined ? { inferEpochs: epochs } : {}),
          ...(args.values['select-first'] ? { selectBeforeTraining: true } : {}),
        },
        signal,
      });
      const seconds = (Date.now() - t0) / 1000;
      const L = model.options.latent;
      const outDs = withObsColumns(
        ds,
        new Frame(ds.nObs, {
          dgd_cluster: categoricalFrom(Array.from(emb.clusters, (k) => String(k))),
          dgd_loglik: { kind: 'numeric', values: Float64Array.from(emb.logLik) },
        }),
      );
      await writeH5ad(outPath, outDs, { obsm: { X_dgd: new DenseMatrix(ds.nObs, L, Float64Array.from(emb.z)) }, signal });
      const meanLl = emb.logLik.reduce((a, b) => a + b, 0) / Math.max(1, emb.logLik.length);
      out.print(
        `embedded ${ds.nObs} cells (L = ${L}, ${emb.genesFound} of ${model.genes.length} model genes) in ${seconds.toFixed(1)} s -> ${outPath}`,
      );
      out.print(`  mean reconstruction log-likelihood per cell ${meanLl.toFixed(2)}`);
      out.result({ out: outPath, cells: ds.nObs, latent: L, genesFound: emb.genesFound, meanLogLik: meanLl, seconds });
    } finally {
      model.dispose();
    }
  },
};
