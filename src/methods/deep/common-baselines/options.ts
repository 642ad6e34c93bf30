/**
 * Option schema of the training-data options Scaden, TAPE and SimpleDNN share (see
 * `TrainingDataOptions` in pipeline.ts). Loads nothing heavy: method registration imports it.
 */
import type { OptionSchema } from '../../option-schema.js';
import type { TrainingDataOptions } from './pipeline.js';

export const TRAINING_DATA_SCHEMA: OptionSchema<TrainingDataOptions> = {
  trainingData: {
    type: 'enum',
    values: ['simulated', 'paired'],
    help: "'simulated' pseudobulks from the reference, or 'paired' measured bulks (no --reference needed)",
  },
  simulator: { type: 'enum', values: ['scaden', 'tape'], help: "Pseudobulk simulator: Scaden's (uniform fractions) or TAPE's (Dirichlet)" },
  nSamples: { type: 'integer', min: 1, help: 'Number of simulated pseudobulks' },
  nCells: { type: 'integer', min: 1, help: 'Cells per simulated pseudobulk' },
  nGenes: { type: 'integer', min: 0, flag: 'hvg', help: 'Highly variable input genes (0 = all genes)' },
  hvgFlavor: {
    type: 'enum',
    values: ['seurat_v3', 'seurat', 'cell_ranger'],
    optional: true,
    help: 'scanpy HVG flavour: seurat_v3 on raw counts (default), or seurat / cell_ranger on log1p(CP10k)',
  },
  paired: { type: 'json', flag: false, optional: true, help: 'Paired data in memory (library only: a PairedSet)' },
  pairedBulk: { type: 'string', optional: true, help: 'Paired training: bulk table (samples x genes)' },
  pairedCells: { type: 'string', optional: true, help: 'Paired training: per-cell table (sample, cell_type) giving the true fractions' },
  pairedProportions: { type: 'string', optional: true, help: 'Paired training: proportions table (samples x cell types)' },
  nAug: {
    type: 'integer',
    min: 1,
    optional: true,
    help: 'Paired training: augmentation copies per sample (required, no published default)',
  },
  augRatio: { type: 'number', gt: 0, max: 1, optional: true, help: "Paired training: fraction of a sample's cells per draw (required)" },
};
