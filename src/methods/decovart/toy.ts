/**
 * The seed's toy simulation (seed 002 §3.1; R `benchmark_deconvolution_algorithms_two_genes`), as a
 * reproducible experiment: 2 genes, 2 populations with unit variances and within-population
 * correlations r_1, r_2 ∈ {−0.8, …, 0.8}, two centroid distances, bulk y = p_1 x_1 + p_2 x_2 with
 * x_j ~ N(μ_j, Σ_j) and no added noise. For every grid cell, the MSE of p̂ over N samples for NNLS
 * (renormalised) and DeCovarT (known μ_j, Σ_j, as in the seed).
 */
import { Rng } from '../../core/rng.js';
import { DecovartLikelihood } from './likelihood.js';
import { nnlsProportions, SAMPLE_SOLVE_DEFAULTS, type SampleSolveOptions, solveSample } from './solve.js';

/** One centroid setting: columns = populations. */
export interface ToyOverlap {
  name: string;
  /** μ_1 (gene 1, gene 2). */
  mu1: [number, number];
  mu2: [number, number];
}

/** specs/decovart.md: high overlap μ_1 = (20, 22), μ_2 = (22, 20); low overlap (20, 40), (40, 20). */
export const TOY_OVERLAPS: ToyOverlap[] = [
  { name: 'high overlap', mu1: [20, 22], mu2: [22, 20] },
  { name: 'low overlap', mu1: [20, 40], mu2: [40, 20] },
];

/** Within-population correlations r1, r2 of the grid (seed §3.1). */
export const TOY_CORRELATIONS = [-0.8, -0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8];

/** True proportions (p1, p2) of the two settings in the task (seed: (0.5, 0.5) and (0.95, 0.05)). */
export const TOY_PROPORTIONS: [number, number][] = [
  [0.5, 0.5],
  [0.95, 0.05],
];

/** Settings of {@link runToyExperiment}. */
export interface ToyOptions {
  seed: number;
  nSamples: number;
  overlaps: ToyOverlap[];
  correlations: number[];
  proportions: [number, number][];
  /** Log-determinant weight (0.5 correct MLE; 1 the seed's variant). */
  c: number;
  /** DeCovarT per-sample options (init, tolerances). */
  solve: Partial<SampleSolveOptions>;
}

/** The task's experiment: 500 samples per cell, seed 2, correct likelihood. */
export const TOY_DEFAULTS: ToyOptions = {
  seed: 2,
  nSamples: 500,
  overlaps: TOY_OVERLAPS,
  correlations: TOY_CORRELATIONS,
  proportions: TOY_PROPORTIONS,
  c: 0.5,
  solve: {},
};

/** One grid cell. */
export interface ToyCell {
  overlap: string;
  p1: number;
  r1: number;
  r2: number;
  /** Mean over samples of the mean squared error over the two proportions. */
  mseNnls: number;
  mseDecovart: number;
  /** Samples where DeCovarT reported convergence. */
  converged: number;
  nSamples: number;
}

/**
 * Runs the grid. Each cell draws its samples from its own forked stream (named by the cell), so
 * cells are independent of the grid's order and size.
 *
 * @example
 * const cells = runToyExperiment({ nSamples: 50 });
 */
export function runToyExperiment(options: Partial<ToyOptions> = {}): ToyCell[] {
  const o = { ...TOY_DEFAULTS, ...options };
  const root = new Rng(o.seed);
  const solveOpts = { ...SAMPLE_SOLVE_DEFAULTS, ...o.solve };
  const out: ToyCell[] = [];
  const y = new Float64Array(2);
  for (const ov of o.overlaps) {
    // genes x types (for NNLS) and types x genes (for the likelihood)
    const muGT = Float64Array.of(ov.mu1[0], ov.mu2[0], ov.mu1[1], ov.mu2[1]);
    const muTG = Float64Array.of(ov.mu1[0], ov.mu1[1], ov.mu2[0], ov.mu2[1]);
    for (const [p1, p2] of o.proportions) {
      for (const r1 of o.correlations) {
        for (const r2 of o.correlations) {
          const rng = root.fork(`${ov.name}|${p1}|${r1}|${r2}`);
          const lik = new DecovartLikelihood(2, 2, muTG, [Float64Array.of(1, r1, r1, 1), Float64Array.of(1, r2, r2, 1)], o.c);
          const c1 = Math.sqrt(1 - r1 * r1);
          const c2 = Math.sqrt(1 - r2 * r2);
          let seN = 0;
          let seD = 0;
          let conv = 0;
          for (let s = 0; s < o.nSamples; s++) {
            // x_j = μ_j + chol(Σ_j) z
            const a1 = rng.normal();
            const b1 = rng.normal();
            const a2 = rng.normal();
            const b2 = rng.normal();
            const x1g1 = ov.mu1[0] + a1;
            const x1g2 = ov.mu1[1] + r1 * a1 + c1 * b1;
            const x2g1 = ov.mu2[0] + a2;
            const x2g2 = ov.mu2[1] + r2 * a2 + c2 * b2;
            y[0] = p1 * x1g1 + p2 * x2g1;
            y[1] = p1 * x1g2 + p2 * x2g2;
            const pn = nnlsProportions(muGT, 2, 2, y);
            const sol = solveSample(lik, muGT, y, solveOpts);
            seN += ((pn[0]! - p1) ** 2 + (pn[1]! - p2) ** 2) / 2;
            seD += ((sol.p[0]! - p1) ** 2 + (sol.p[1]! - p2) ** 2) / 2;
            if (sol.converged) conv++;
          }
          out.push({
            overlap: ov.name,
            p1,
            r1,
            r2,
            mseNnls: seN / o.nSamples,
            mseDecovart: seD / o.nSamples,
            converged: conv,
            nSamples: o.nSamples,
          });
        }
      }
    }
  }
  return out;
}
