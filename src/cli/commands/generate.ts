/**
 * `celldeconv generate`: synthetic cells from a trained DGD: z drawn from the GMM (or one component),
 * decoded, counts drawn from the negative binomial; scaling factors resampled from the training cells.
 */
import { resolve } from 'node:path';
import { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { categoricalFrom, Frame } from '../../data/frame.js';
import { writeH5ad } from '../../io/h5ad/write.js';
import { writeDataset } from '../../io/read.js';
import { optNumber, optString, reqString } from '../args.js';
import type { CommandSpec } from '../command.js';

export const generateCommand: CommandSpec = {
  name: 'generate',
  summary: 'Generate synthetic cells (counts) from a trained DGD model',
  details: [
    'Each cell: a component k ~ softmax(w) (or --component K), z ~ N(mu_k, 1/beta_k), a scaling factor',
    'resampled from the training cells, counts ~ NB(M * decoder(z), r). The .h5ad output has the',
    "counts in X, obs['dgd_component'] and z in obsm['X_dgd'].",
    'Example:',
    '  celldeconv generate --model models/dgd --n 1000 --out sim.h5ad --seed 1',
  ].join('\n'),
  options: {
    model: { type: 'string', description: "DGD model directory ('celldeconv train dgd')", valueName: 'DIR' },
    n: { type: 'string', description: 'Number of cells', default: '1000', valueName: 'N' },
    component: { type: 'string', description: 'Draw every cell from this GMM component (0-based)', valueName: 'K' },
    out: { type: 'string', short: 'o', description: 'Output (.h5ad, .mtx directory or .csv)', valueName: 'SIM.h5ad' },
    seed: { type: 'string', description: 'Seed of the draws (default: the model seed)', valueName: 'N' },
    backend: { type: 'string', description: 'tfjs backend: auto, wasm, cpu or tensorflow', default: 'auto', valueName: 'NAME' },
  },
  async run({ args, out, signal }) {
    // TensorFlow.js and the model code load only when this command runs (not for `--help` or other commands).
    const [{ DgdModel }, { initBackend }] = await Promise.all([import('../../models/dgd/model.js'), import('../../nn/backend.js')]);
    const model = await (async () => {
      await initBackend(optString(args, 'backend') ?? 'auto');
      return DgdModel.load(resolve(reqString(args, 'model', 'Pass --model DIR (a DGD model)')));
    })();
    try {
      const n = optNumber(args, 'n', 1000, { integer: true, min: 1 });
      const outPath = resolve(reqString(args, 'out', 'Pass --out SIM.h5ad'));
      const component = args.values.component !== undefined ? optNumber(args, 'component', 0, { integer: true, min: 0 }) : undefined;
      const seed = args.values.seed !== undefined ? optNumber(args, 'seed', 0, { integer: true }) : undefined;
      const t0 = Date.now();
      const g = await model.generate(n, { component, seed });
      const obs = new Frame(n, { dgd_component: categoricalFrom(Array.from(g.components, (k) => String(k))) });
      const ds = new Dataset({ X: g.counts, obs, obsNames: Array.from({ length: n }, (_, i) => `dgd${i}`), varNames: [...model.genes] });
      if (/\.h5ad$/i.test(outPath)) {
        await writeH5ad(outPath, ds, { obsm: { X_dgd: new DenseMatrix(n, model.options.latent, Float64Array.from(g.z)) }, signal });
      } else await writeDataset(outPath, ds, { signal });
      const seconds = (Date.now() - t0) / 1000;
      out.print(`generated ${n} cells x ${model.genes.length} genes in ${seconds.toFixed(1)} s -> ${outPath}`);
      out.result({ out: outPath, cells: n, genes: model.genes.length, component, seconds });
    } finally {
      model.dispose();
    }
  },
};
