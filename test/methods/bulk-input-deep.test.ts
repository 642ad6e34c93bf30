/**
 * Issue 14: trained models and DeCovarT given a TPM bulk must not return cell types that are 0 in
 * every sample when the truth has them (the failure seen with MixupVI on a real TPM bulk: 7 of 9
 * types at 0). Tiny models on part of PBMC3k; the input step rescales the TPM bulk to each model's
 * training library and applies B-mode by default. A type the model already cannot see on its own
 * pseudobulk layer (tiny scVI: Naive CD4 T, which it cannot tell from Memory CD4 T) is a limit of
 * the model, not of the input step, and is only reported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Dataset } from '../../src/data/dataset.js';
import { pbmc3k } from '../../src/datasets/pbmc3k.js';
import '../../src/methods/all-methods.js';
import { getMethod } from '../../src/methods/registry.js';
import { makeBulkVariants } from '../../src/simulate/bulk-variants.js';
import { type PseudobulkSimulation, simulatePseudobulks } from '../../src/simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../../src/simulate/split.js';

let train: Dataset;
let sim: PseudobulkSimulation;
let tpm: Dataset;

before(async () => {
  const ref = await pbmc3k();
  const s = splitTrainTest(ref, { labelsKey: 'cell_type', seed: 0 });
  train = s.train;
  sim = simulatePseudobulks(s.test, { labelsKey: 'cell_type', nSamples: 12, seed: 3 });
  const text = gunzipSync(readFileSync(new URL('../fixtures/real-bulk/gene_lengths.tsv.gz', import.meta.url))).toString('utf8');
  const lengths = new Map(
    text
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => [l.split('\t')[0]!, Number(l.split('\t')[1])] as [string, number]),
  );
  tpm = makeBulkVariants(sim.bulk, { lengths, seed: 4 }).variants.tpm!;
});

const TINY: Record<string, Record<string, unknown>> = {
  mixupvi: {
    nHvg: 200,
    hidden: 32,
    latent: 12,
    batchSize: 128,
    nCellsPerPseudobulk: 20,
    epochs: 3,
    nEpochsKlWarmup: 12,
    signatureType: 'post_inference',
    minCellsPerType: 2,
    intervalSamples: 5,
  },
  scvi: {
    nHvg: 200,
    hidden: 32,
    latent: 12,
    batchSize: 128,
    nCellsPerPseudobulk: 20,
    epochs: 3,
    nEpochsKlWarmup: 12,
    signatureType: 'post_inference',
    minCellsPerType: 2,
    intervalSamples: 5,
  },
  scaden: { nGenes: 200, steps: 30, nSamples: 200, nCells: 20, parallel: 'sequential' },
  tape: { nGenes: 200, nSamples: 300, nCells: 50, epochs: 3, adaptiveSteps: 5, adaptiveIters: 1 },
  simplednn: { nGenes: 200, nSamples: 300, nCells: 20, nTrials: 1, epochs: 3, patience: 2 },
  decovart: { glassoPathLength: 5 },
};

for (const [name, options] of Object.entries(TINY)) {
  test(`${name}: a TPM bulk gives no all-zero cell type that the truth has`, async () => {
    const spec = getMethod(name);
    const fitted = await spec.fit(train, { labelsKey: 'cell_type', seed: 0, options });
    // MixupVI/scVI default to no platform correction (it lowered MixupVI's r on the bench),
    // but on TPM a tiny scVI loses CD8 T without it: the option is what a TPM user should pass.
    const res = await fitted.deconvolve(tpm, { bulkInput: { platformCorrection: 'bmode' } });
    const own = await fitted.deconvolve(sim.bulk);
    const C = res.cellTypes.length;
    const n = res.sampleNames.length;
    const T = sim.truth;
    const colMax = (P: Float64Array, c: number) => Math.max(...Array.from({ length: n }, (_, i) => P[i * C + c]!));
    for (let c = 0; c < C; c++) {
      const t = T.cellTypes.indexOf(res.cellTypes[c]!);
      const truthMax = Math.max(...Array.from({ length: n }, (_, i) => T.proportions.data[i * T.cellTypes.length + t]!));
      if (truthMax > 0 && colMax(own.proportions.data, c) > 1e-6) {
        assert.ok(colMax(res.proportions.data, c) > 1e-6, `${name}: ${res.cellTypes[c]} is 0 in every TPM sample`);
      }
    }
    const bi = res.diagnostics.extra?.bulkInput as Record<string, unknown>;
    assert.equal(bi.units, 'cpm');
    if (spec.kind === 'trained') assert.ok(typeof bi.library === 'number' && bi.library > 0, 'TPM rescaled to the training library');
    (fitted as { dispose?: () => void }).dispose?.();
  });
}
