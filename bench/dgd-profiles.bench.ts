/**
 * DGD per-type expression profiles on PBMC3k pseudobulks (issue 12): does the profile the DGD fits for
 * cell type t in bulk sample s follow the true mean expression of the type-t cells that were mixed
 * into s, better than the type's fixed reference profile does?
 *
 * Protocol: PBMC3k split 50/50 by type (seed 0); the `dgd` method (quick settings unless --full) is
 * fitted on the train half; `--n` Dirichlet pseudobulks of `--cells` held-out cells (seed 1) are
 * deconvolved from their `counts_sum` layer. For every (sample, type) with at least `--min-cells`
 * cells of that type: truth = the summed counts of those cells over the model's genes, scaled to sum
 * 1; DGD = `diagnostics.extra.expressionProfiles` (sums to 1 over the model genes); reference = the
 * type's summed train-half counts, scaled to 1 (the same for every sample). Scores: Pearson r of
 * log(1 + 1e4 x profile) with log(1 + 1e4 x truth), and of the sample-to-sample deviations (profile
 * minus the type's mean profile over samples, truth likewise: does the DGD track what varies?).
 *
 * Usage: node --import tsx bench/dgd-profiles.bench.ts [--n 30] [--cells 100] [--min-cells 5] [--full]
 */
import '../src/methods/all-methods.js';
import { columnAsStrings } from '../src/data/frame.js';
import { toDense } from '../src/data/matrix.js';
import { PBMC3K_LABEL_COLUMN, pbmc3k } from '../src/datasets/pbmc3k.js';
import { pearson } from '../src/linalg/stats.js';
import { getMethod } from '../src/methods/registry.js';
import { simulatePseudobulks } from '../src/simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../src/simulate/split.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const nSamples = arg('n', 30);
const nCells = arg('cells', 100);
const minCells = arg('min-cells', 5);
const full = process.argv.includes('--full');
const labelsKey = PBMC3K_LABEL_COLUMN;

const t0 = performance.now();
const ds = await pbmc3k();
const { train, test } = splitTrainTest(ds, { labelsKey, trainFraction: 0.5, seed: 0 });
const spec = getMethod('dgd');
const fitted = await spec.fit(train, { labelsKey, seed: 0, options: full ? {} : { ...(spec.quickOptions ?? {}) } });
const fitSeconds = (performance.now() - t0) / 1000;
const genes = fitted.genes;
const G = genes.length;
const types = fitted.cellTypes;
const C = types.length;

/** Per-type summed counts of `cells` (row indices of `data`) over the model genes, each row scaled to 1. */
function typeProfiles(data: typeof test, cells: ArrayLike<number>): { profile: Float64Array; count: Int32Array } {
  const col = new Map(data.varNames.map((g, j) => [g, j]));
  const idx = Int32Array.from(genes, (g) => col.get(g) ?? -1);
  const labels = columnAsStrings(data.obs.get(labelsKey));
  const X = toDense(data.X, undefined, 'float64').data;
  const nv = data.nVars;
  const profile = new Float64Array(C * G);
  const count = new Int32Array(C);
  for (let k = 0; k < cells.length; k++) {
    const i = cells[k] as number;
    const t = types.indexOf(labels[i] as string);
    if (t < 0) continue;
    count[t]!++;
    for (let g = 0; g < G; g++) if (idx[g]! >= 0) profile[t * G + g]! += X[i * nv + idx[g]!]!;
  }
  for (let t = 0; t < C; t++) {
    let s = 0;
    for (let g = 0; g < G; g++) s += profile[t * G + g]!;
    if (s > 0) for (let g = 0; g < G; g++) profile[t * G + g]! /= s;
  }
  return { profile, count };
}

const logScale = (p: Float64Array | number[]) => Float64Array.from(p, (v) => Math.log1p(1e4 * v));

const reference = typeProfiles(
  train,
  Int32Array.from({ length: train.nObs }, (_, i) => i),
).profile;
const sim = simulatePseudobulks(test, { labelsKey, nSamples, nCells, seed: 1 });
const t1 = performance.now();
const res = await fitted.deconvolve(sim.bulk, { layer: spec.bulkLayer, seed: 0 });
const deconvSeconds = (performance.now() - t1) / 1000;
const prof = res.diagnostics.extra?.expressionProfiles as { values: Float32Array | Float64Array | number[] };
const fittedProfile = (s: number, t: number) => Float64Array.from({ length: G }, (_, g) => Number(prof.values[(s * C + t) * G + g]));

// Per (sample, type) truth, and the DGD/reference profiles.
const rows: { t: number; truth: Float64Array; dgd: Float64Array }[] = [];
for (let s = 0; s < nSamples; s++) {
  const cells = sim.cellIndices.indices.subarray(sim.cellIndices.indptr[s], sim.cellIndices.indptr[s + 1]);
  const tp = typeProfiles(test, cells);
  for (let t = 0; t < C; t++) {
    if (tp.count[t]! < minCells) continue;
    rows.push({ t, truth: tp.profile.slice(t * G, (t + 1) * G), dgd: fittedProfile(s, t) });
  }
}

const median = (v: number[]) => {
  const a = [...v].sort((x, y) => x - y);
  return a.length === 0 ? Number.NaN : (a[(a.length - 1) >> 1]! + a[a.length >> 1]!) / 2;
};
const rDgd = rows.map((r) => pearson(logScale(r.dgd), logScale(r.truth)));
const rRef = rows.map((r) => pearson(logScale(reference.slice(r.t * G, (r.t + 1) * G)), logScale(r.truth)));
// Deviations from each type's mean over the samples where it is scored.
const devDgd: number[] = [];
for (let t = 0; t < C; t++) {
  const mine = rows.filter((r) => r.t === t);
  if (mine.length < 3) continue;
  const mean = (key: 'truth' | 'dgd') => {
    const m = new Float64Array(G);
    for (const r of mine) for (let g = 0; g < G; g++) m[g]! += logScale([r[key][g]!])[0]! / mine.length;
    return m;
  };
  const mt = mean('truth');
  const md = mean('dgd');
  for (const r of mine) {
    const lt = logScale(r.truth);
    const ld = logScale(r.dgd);
    devDgd.push(
      pearson(
        Float64Array.from(ld, (v, g) => v - md[g]!),
        Float64Array.from(lt, (v, g) => v - mt[g]!),
      ),
    );
  }
}

console.log(
  `dgd profiles: ${full ? 'published' : 'quick'} settings, ${G} genes, ${C} types, ${nSamples} pseudobulks of ${nCells} cells, ` +
    `${rows.length} (sample, type) pairs with >= ${minCells} cells; fit ${fitSeconds.toFixed(1)} s, deconvolve ${deconvSeconds.toFixed(1)} s`,
);
console.log(
  `median Pearson r on log(1 + 1e4 p) with the true per-sample type profile: DGD ${median(rDgd).toFixed(3)}, reference type profile ${median(rRef).toFixed(3)}`,
);
console.log(`pairs where the DGD beats the reference profile: ${rDgd.filter((r, k) => r > rRef[k]!).length} of ${rows.length}`);
console.log(`median Pearson r of the sample-to-sample deviations (DGD vs truth): ${median(devDgd).toFixed(3)} over ${devDgd.length} pairs`);
fitted.dispose?.();
