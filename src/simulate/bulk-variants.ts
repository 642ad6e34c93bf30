/**
 * Real-bulk-like variants of simulated pseudobulks (issue 14's test set): the same mixtures written
 * the way real bulks arrive — summed raw counts, CPM, TPM with gene lengths, log1p(CPM), CPM with
 * gene-wise log-normal platform factors, and counts with duplicated gene rows. Each variant is a
 * samples x genes Dataset with X only (no pseudobulk layers), so methods treat it as a real bulk.
 */
import { InputError } from '../core/errors.js';
import { LAYERS } from '../core/keys.js';
import { Rng } from '../core/rng.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { toDense } from '../data/matrix.js';
import { countsToTpm, rescaleRows } from '../preprocess/units.js';

/** The variant names, in report order. */
export const BULK_VARIANTS = ['counts', 'cpm', 'tpm', 'log1p-cpm', 'platform', 'duplicates'] as const;
export type BulkVariant = (typeof BULK_VARIANTS)[number];

/** Options of {@link makeBulkVariants}. */
export interface BulkVariantOptions {
  /** Gene lengths (bp) by gene name, for the TPM variant (genes without a length are dropped, as TAPE does). */
  lengths?: ReadonlyMap<string, number>;
  /** SD of the log-normal gene-wise platform factors (default 0.75, inside the 0.5-1). */
  platformSd?: number;
  /** Fraction of genes given a second, duplicated row (default 0.05). */
  duplicateFraction?: number;
  seed?: number;
}

/** A variant and the gene-wise factors it applied (platform variant), for reports. */
export interface BulkVariantSet {
  variants: Partial<Record<BulkVariant, Dataset>>;
  /** log platform factor per gene (platform variant). */
  platformLogFactors: Float64Array;
  /** Genes dropped from the TPM variant for lack of a length. */
  tpmDropped: number;
}

/**
 * Builds the variants from simulated pseudobulks carrying the `counts_sum` layer (summed raw counts
 * of the sampled cells: what a bulk library sums).
 *
 * @param pseudobulks samples x genes with layer `counts_sum` (from `simulatePseudobulks`).
 * @throws InputError `E_NO_LAYER` without `counts_sum`.
 * @example
 * const { variants } = makeBulkVariants(sim.bulk, { seed: 0 });
 * await nnls.deconvolve(variants.tpm!);
 */
export function makeBulkVariants(pseudobulks: Dataset, opts: BulkVariantOptions = {}): BulkVariantSet {
  if (!pseudobulks.layers.has(LAYERS.countsSum)) {
    throw new InputError('pseudobulks need the counts_sum layer', {
      code: 'E_NO_LAYER',
      field: LAYERS.countsSum,
      hint: 'Simulate them with simulatePseudobulks',
    });
  }
  const rng = new Rng(opts.seed ?? 0);
  const n = pseudobulks.nObs;
  const G = pseudobulks.nVars;
  const counts = toDense(pseudobulks.layer(LAYERS.countsSum), undefined, 'float64').data as Float64Array;
  const names = pseudobulks.obsNames;
  const genes = pseudobulks.varNames;
  const ds = (x: Float64Array, g: readonly string[]) =>
    new Dataset({ X: new DenseMatrix(n, g.length, x), obsNames: [...names], varNames: [...g] });
  const variants: Partial<Record<BulkVariant, Dataset>> = {};
  variants.counts = ds(Float64Array.from(counts), genes);
  const cpm = rescaleRows(counts, n, G, 1e6);
  variants.cpm = ds(cpm, genes);
  variants['log1p-cpm'] = ds(cpm.map(Math.log1p), genes);
  let tpmDropped = 0;
  if (opts.lengths) {
    const keep: number[] = [];
    for (let j = 0; j < G; j++) if ((opts.lengths.get(genes[j]!) ?? 0) > 0) keep.push(j);
    tpmDropped = G - keep.length;
    const K = keep.length;
    const sub = new Float64Array(n * K);
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) sub[i * K + k] = counts[i * G + keep[k]!]!;
    const L = Float64Array.from(keep, (j) => opts.lengths!.get(genes[j]!)!);
    variants.tpm = ds(
      countsToTpm(sub, n, K, L),
      keep.map((j) => genes[j]!),
    );
  }
  const sd = opts.platformSd ?? 0.75;
  const prng = rng.fork('platform');
  const logF = Float64Array.from({ length: G }, () => prng.normal() * sd);
  const pf = new Float64Array(n * G);
  for (let i = 0; i < n; i++) for (let j = 0; j < G; j++) pf[i * G + j] = counts[i * G + j]! * Math.exp(logF[j]!);
  variants.platform = ds(rescaleRows(pf, n, G, 1e6), genes);
  const drng = rng.fork('duplicates');
  const frac = opts.duplicateFraction ?? 0.05;
  const dups: number[] = [];
  for (let j = 0; j < G; j++) if (drng.uniform() < frac) dups.push(j);
  const G2 = G + dups.length;
  const dx = new Float64Array(n * G2);
  for (let i = 0; i < n; i++) {
    dx.set(counts.subarray(i * G, (i + 1) * G), i * G2);
    // The extra row is a minor copy (a second probe or isoform collapsing onto the same symbol).
    dups.forEach((j, k) => {
      dx[i * G2 + G + k] = Math.round(counts[i * G + j]! * 0.3);
    });
  }
  variants.duplicates = ds(dx, [...genes, ...dups.map((j) => genes[j]!)]);
  return { variants, platformLogFactors: logF, tpmDropped };
}
