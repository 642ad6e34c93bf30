/**
 * Platform (batch) correction between a bulk cohort and a single-cell reference.
 *
 * - {@link combat}: parametric empirical-Bayes ComBat (Johnson, Li & Rabinovic 2007, Biostatistics
 *   8:118; sva `ComBat`, `it.sol`, `aprior`, `bprior`), for two or more batches without covariates,
 *   with an optional reference batch (sva `ref.batch`).
 * - {@link bmodeCorrect}: CIBERSORTx B-mode (Newman et al. 2019, Nat Biotechnol 37:773; open
 *   re-implementation ENIGMA `remove_batch_effect_B_mode`): the bulk and mixtures reconstituted from
 *   a first-pass deconvolution (M̂ = H·F⁰) are two batches; ComBat on log2(x + 1) moves each bulk
 *   gene onto the reference's location and scale. This absorbs gene-wise technical factors (capture
 *   bias, length effects) that no per-sample normalisation can. Deviation from ENIGMA, documented in
 *   docs/METHODS.md: the reconstituted mixtures are ComBat's REFERENCE batch (so the bulk moves all
 *   the way to the reference's scale rather than half-way to a pooled mean), and genes ComBat skips
 *   are kept unchanged rather than dropped.
 * See specs/real-bulk.md §4.
 */
import { InputError } from '../core/errors.js';

/** Options of {@link combat}. */
export interface CombatOptions {
  /** Batch whose columns are returned untouched and define the target location/scale (sva `ref.batch`). */
  refBatch?: number;
  /** Adjust locations only (sva `mean.only`); forced when any batch has a single sample. */
  meanOnly?: boolean;
  /** Convergence threshold of the EB iteration (sva: 1e-4). */
  tol?: number;
}

/** What {@link combat} did. */
export interface CombatReport {
  meanOnly: boolean;
  /** Genes adjusted (the others had zero variance inside a batch and are unchanged). */
  genesAdjusted: number;
  /** EB iterations of the slowest batch. */
  iterations: number;
}

/**
 * Parametric ComBat without covariates.
 *
 * @param Y genes x samples, row-major (length G * N), already in log space; not modified.
 * @param batch batch index (0..B-1) of each sample (length N).
 * @returns the adjusted copy and a report.
 * @throws InputError `E_COMBAT` with fewer than two batches.
 * @example
 * const { adjusted } = combat(Y, 500, 20, batch, { refBatch: 1 });
 */
export function combat(
  Y: Float64Array,
  G: number,
  N: number,
  batch: ArrayLike<number>,
  opts: CombatOptions = {},
): { adjusted: Float64Array; report: CombatReport } {
  let B = 0;
  for (let j = 0; j < N; j++) B = Math.max(B, batch[j]! + 1);
  const nb = new Array<number>(B).fill(0);
  for (let j = 0; j < N; j++) nb[batch[j]!]!++;
  if (B < 2 || nb.some((c) => c === 0)) {
    throw new InputError('ComBat needs at least two non-empty batches', { code: 'E_COMBAT', got: nb, expected: 'two or more batches' });
  }
  // sva's mean.only mode: each batch mean is shrunk as one draw of variance 1, (τ² γ̂ + γ̄)/(τ² + 1).
  // This shrinks harder than the posterior of a mean of n_b values; on the real-bulk test set that
  // proper posterior lowered NNLS's median r by 0.1 (the reconstituted side is a noisy first pass),
  // so the sva form is kept.
  const meanOnly = opts.meanOnly === true || nb.some((c) => c === 1);
  const tol = opts.tol ?? 1e-4;
  const ref = opts.refBatch;
  const out = Float64Array.from(Y);
  // Genes with zero variance inside a batch of > 1 sample are left alone (sva drops and re-adds them).
  const use: number[] = [];
  const bm = new Float64Array(B);
  for (let g = 0; g < G; g++) {
    let ok = true;
    for (let b = 0; b < B && ok; b++) {
      if (nb[b]! < 2) continue;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < N; j++) {
        if (batch[j] !== b) continue;
        const v = Y[g * N + j]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo <= 0) ok = false;
    }
    if (ok) use.push(g);
  }
  const U = use.length;
  const alpha = new Float64Array(U);
  const sigma = new Float64Array(U);
  const gammaHat = new Float64Array(U * B);
  const deltaHat = new Float64Array(U * B);
  const Z = new Float64Array(U * N);
  for (let u = 0; u < U; u++) {
    const g = use[u]!;
    bm.fill(0);
    for (let j = 0; j < N; j++) bm[batch[j]!]! += Y[g * N + j]!;
    for (let b = 0; b < B; b++) bm[b]! /= nb[b]!;
    let a = 0;
    if (ref !== undefined) a = bm[ref]!;
    else for (let b = 0; b < B; b++) a += (nb[b]! / N) * bm[b]!;
    let ss = 0;
    let cnt = 0;
    for (let j = 0; j < N; j++) {
      if (ref !== undefined && batch[j] !== ref) continue;
      const r = Y[g * N + j]! - bm[batch[j]!]!;
      ss += r * r;
      cnt++;
    }
    // A zero pooled variance (all batches of one sample, or a constant reference) would divide by 0.
    const s = Math.sqrt(ss / cnt) || 1;
    alpha[u] = a;
    sigma[u] = s;
    for (let j = 0; j < N; j++) Z[u * N + j] = (Y[g * N + j]! - a) / s;
    for (let b = 0; b < B; b++) {
      let m = 0;
      for (let j = 0; j < N; j++) if (batch[j] === b) m += Z[u * N + j]!;
      m /= nb[b]!;
      let v = 0;
      for (let j = 0; j < N; j++) if (batch[j] === b) v += (Z[u * N + j]! - m) ** 2;
      gammaHat[u * B + b] = m;
      deltaHat[u * B + b] = meanOnly ? 1 : v / (nb[b]! - 1);
    }
  }
  const gammaStar = new Float64Array(U * B);
  const deltaStar = new Float64Array(U * B).fill(1);
  let maxIter = 0;
  for (let b = 0; b < B; b++) {
    if (b === ref || U === 0) continue;
    // Hyper-priors across genes (sva aprior/bprior: inverse gamma by moments).
    let gBar = 0;
    for (let u = 0; u < U; u++) gBar += gammaHat[u * B + b]!;
    gBar /= U;
    let t2 = 0;
    for (let u = 0; u < U; u++) t2 += (gammaHat[u * B + b]! - gBar) ** 2;
    t2 = U > 1 ? t2 / (U - 1) : 1;
    if (meanOnly) {
      for (let u = 0; u < U; u++) gammaStar[u * B + b] = (t2 * gammaHat[u * B + b]! + gBar) / (t2 + 1);
      continue;
    }
    let m = 0;
    for (let u = 0; u < U; u++) m += deltaHat[u * B + b]!;
    m /= U;
    let s2 = 0;
    for (let u = 0; u < U; u++) s2 += (deltaHat[u * B + b]! - m) ** 2;
    s2 = U > 1 ? s2 / (U - 1) : 0;
    const aPrior = s2 > 0 ? (2 * s2 + m * m) / s2 : Number.POSITIVE_INFINITY;
    const bPrior = s2 > 0 ? (m * s2 + m * m * m) / s2 : Number.POSITIVE_INFINITY;
    const n = nb[b]!;
    for (let u = 0; u < U; u++) {
      const gh = gammaHat[u * B + b]!;
      let gOld = gh;
      let dOld = deltaHat[u * B + b]!;
      let it = 0;
      for (; it < 1000; it++) {
        const gNew = (n * t2 * gh + dOld * gBar) / (n * t2 + dOld);
        let sum2 = 0;
        for (let j = 0; j < N; j++) if (batch[j] === b) sum2 += (Z[u * N + j]! - gNew) ** 2;
        // With no spread in the variances (s2 = 0) the prior is a point mass at m.
        const dNew = Number.isFinite(aPrior) ? (bPrior + sum2 / 2) / (n / 2 + aPrior - 1) : m;
        // sva divides by the signed old value; |old| keeps the criterion a magnitude (documented deviation).
        const change = Math.max(Math.abs(gNew - gOld) / (Math.abs(gOld) || 1), Math.abs(dNew - dOld) / (Math.abs(dOld) || 1));
        gOld = gNew;
        dOld = dNew;
        if (change < tol) break;
      }
      maxIter = Math.max(maxIter, it + 1);
      gammaStar[u * B + b] = gOld;
      deltaStar[u * B + b] = dOld;
    }
  }
  for (let u = 0; u < U; u++) {
    const g = use[u]!;
    for (let j = 0; j < N; j++) {
      const b = batch[j]!;
      if (b === ref) continue;
      out[g * N + j] = (sigma[u]! * (Z[u * N + j]! - gammaStar[u * B + b]!)) / Math.sqrt(deltaStar[u * B + b]!) + alpha[u]!;
    }
  }
  return { adjusted: out, report: { meanOnly, genesAdjusted: U, iterations: maxIter } };
}

/**
 * CIBERSORTx B-mode correction of a bulk cohort against reconstituted mixtures.
 *
 * @param bulk n x G linear values (samples x genes in use), row-major; not modified.
 * @param reconstituted m x G linear values in the SAME units (e.g. H·F⁰ from a first pass).
 * @returns the corrected bulk (n x G, linear, ≥ 0) and the ComBat report.
 * @throws InputError `E_COMBAT` when a side is empty.
 */
export function bmodeCorrect(
  bulk: Float64Array,
  n: number,
  reconstituted: Float64Array,
  m: number,
  G: number,
  opts: { meanOnly?: boolean; groups?: Int32Array } = {},
): { corrected: Float64Array; report: CombatReport } {
  const N = n + m;
  // log2(x + 1) is only close to a log where x >> 1: put both sides on a per-million scale of the
  // genes in use first (one common factor, undone afterwards), so small relative values are not flattened.
  const totals: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let g = 0; g < G; g++) s += bulk[i * G + g]!;
    if (s > 0) totals.push(s);
  }
  totals.sort((a, b) => a - b);
  const kappa = totals.length > 0 ? 1e6 / totals[Math.floor(totals.length / 2)]! : 1;
  // Genes x samples log2(κx + 1) of [bulk | reconstituted], genes with a positive total only.
  const keep: number[] = [];
  for (let g = 0; g < G; g++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += bulk[i * G + g]!;
    let r = 0;
    for (let i = 0; i < m; i++) r += reconstituted[i * G + g]!;
    if (s > 0 && r > 0) keep.push(g);
  }
  const K = keep.length;
  const Y = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    const g = keep[k]!;
    for (let i = 0; i < n; i++) Y[k * N + i] = Math.log2(kappa * bulk[i * G + g]! + 1);
    for (let i = 0; i < m; i++) Y[k * N + n + i] = Math.log2(kappa * reconstituted[i * G + g]! + 1);
  }
  const batch = new Int32Array(N);
  batch.fill(1, n);
  const { adjusted, report } = combat(Y, K, N, batch, { refBatch: 1, meanOnly: opts.meanOnly });
  if (opts.groups) {
    // Centre the per-gene log shifts within each gene group (the marker genes of one cell type):
    // platform factors are gene-specific, so their typical value within a type's markers is ~0,
    // while a shift common to a whole group would be confounded with that type's abundance.
    const shift = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += adjusted[k * N + i]! - Y[k * N + i]!;
      shift[k] = d / n;
    }
    const byGroup = new Map<number, number[]>();
    for (let k = 0; k < K; k++) {
      const gr = opts.groups[keep[k]!]!;
      if (!byGroup.has(gr)) byGroup.set(gr, []);
      byGroup.get(gr)!.push(shift[k]!);
    }
    const med = new Map<number, number>();
    for (const [gr, v] of byGroup) {
      v.sort((a, b) => a - b);
      med.set(gr, v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2);
    }
    for (let k = 0; k < K; k++) {
      const c = med.get(opts.groups[keep[k]!]!)!;
      for (let i = 0; i < n; i++) adjusted[k * N + i] = adjusted[k * N + i]! - c;
    }
  }
  const out = Float64Array.from(bulk);
  for (let k = 0; k < K; k++) {
    const g = keep[k]!;
    for (let i = 0; i < n; i++) out[i * G + g] = Math.max(0, 2 ** adjusted[k * N + i]! - 1) / kappa;
  }
  return { corrected: out, report };
}
