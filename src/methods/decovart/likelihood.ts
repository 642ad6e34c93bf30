/**
 * DeCovarT's per-sample model (seed 002, §2, Eqs. 7–10): y | p ~ N_G(μ p, Σ(p)), Σ(p) = Σ_j p_j² Σ_j,
 * and its log-likelihood, analytic gradient and Hessian in p (specs/decovart.md, "Log-likelihood").
 *
 * ℓ_c(p) = −(G/2) log 2π − c·log det Σ(p) − ½ rᵀΘr with r = y − μp, Θ = Σ(p)⁻¹. The correct Gaussian
 * likelihood has c = ½ (default); the seed's Eq. 8 and the R package drop the ½ (c = 1, option
 * `compat: 'decovart-r'`). The factor changes the maximiser.
 *
 * Cost per evaluation with derivatives: one Cholesky of Σ(p) (G³/3) and one whitening
 * B_j = L⁻¹ Σ_j L⁻ᵀ = (L⁻¹C_j)(L⁻¹C_j)ᵀ per cell type from the Cholesky factor C_j of Σ_j computed once
 * (G³/3 each, both factors triangular), then O(J² G²). Value only: G³/3 + J G². No inverse is
 * formed: tr(ΘΣ_j) = tr(B_j), tr(ΘΣ_iΘΣ_j) = ⟨B_i, B_j⟩_F, and the quadratic forms use solves.
 */
import { choleskyInPlace, cholLogDet, cholSolve, forwardSolve, whiten, whitenFactored } from './linalg.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Value and (optionally) derivatives of ℓ_c at one p. */
export interface LikelihoodEval {
  /** ℓ_c(p); −Infinity when Σ(p) is not positive definite. */
  value: number;
  /** ∂ℓ/∂p (length J). */
  grad: Float64Array;
  /** ∂²ℓ/∂p∂p (J x J row-major, symmetric). */
  hess: Float64Array;
}

/**
 * The model of one fit: means and covariances of J cell types on G genes. Holds work buffers, so
 * one instance evaluates one sample at a time (create one per concurrent use).
 *
 * @example
 * const lik = new DecovartLikelihood(2, 2, new Float64Array([20, 22, 22, 20]), [eye2, eye2], 0.5);
 * const e = lik.evaluate(new Float64Array([21, 21]), new Float64Array([0.5, 0.5]), 2);
 */
export class DecovartLikelihood {
  readonly nGenes: number;
  readonly nTypes: number;
  /** Means, cell types x genes row-major (μ_j = row j). */
  readonly mu: Float64Array;
  /** Covariances Σ_j, each genes x genes row-major, symmetric positive definite. */
  readonly sigmas: readonly Float64Array[];
  /** Weight of log det Σ(p): 0.5 (correct MLE) or 1 (seed / R package). */
  readonly c: number;

  private readonly sig: Float64Array;
  private readonly r: Float64Array;
  private readonly v: Float64Array;
  private readonly B: Float64Array[];
  private readonly u: Float64Array[];
  private readonly z: Float64Array[];
  private readonly w: Float64Array[];
  private readonly trB: Float64Array;
  /** Cholesky factors of the Σ_j (null where Σ_j is not numerically positive definite). */
  private readonly chols: (Float64Array | null)[];
  private readonly work: Float64Array;

  /**
   * @param nGenes G.
   * @param nTypes J.
   * @param mu J x G row-major means (cell types x genes).
   * @param sigmas J covariance matrices, G x G row-major.
   * @param c log-determinant weight (0.5 correct, 1 seed).
   */
  constructor(nGenes: number, nTypes: number, mu: Float64Array, sigmas: readonly Float64Array[], c = 0.5) {
    this.nGenes = nGenes;
    this.nTypes = nTypes;
    this.mu = mu;
    this.sigmas = sigmas;
    this.c = c;
    const G = nGenes;
    this.sig = new Float64Array(G * G);
    this.r = new Float64Array(G);
    this.v = new Float64Array(G);
    this.B = Array.from({ length: nTypes }, () => new Float64Array(G * G));
    this.u = Array.from({ length: nTypes }, () => new Float64Array(G));
    this.z = Array.from({ length: nTypes }, () => new Float64Array(G));
    this.w = Array.from({ length: nTypes }, () => new Float64Array(G));
    this.trB = new Float64Array(nTypes);
    this.chols = sigmas.map((S) => {
      const c = Float64Array.from(S);
      return choleskyInPlace(c, G) ? c : null;
    });
    this.work = new Float64Array(G * G);
  }

  /** A result record with buffers of the right size. */
  newEval(): LikelihoodEval {
    return { value: 0, grad: new Float64Array(this.nTypes), hess: new Float64Array(this.nTypes * this.nTypes) };
  }

  /**
   * Evaluates ℓ_c at p.
   *
   * @param y bulk sample on the model's genes (length G).
   * @param p proportions (length J; any positive vector, the formulas do not assume Σp = 1).
   * @param order 0: value only; 1: + gradient; 2: + Hessian.
   * @param out receives the result (see {@link newEval}).
   * @returns false when Σ(p) is not numerically positive definite (out.value = −Infinity).
   */
  evaluate(y: ArrayLike<number>, p: ArrayLike<number>, order: 0 | 1 | 2, out: LikelihoodEval): boolean {
    const G = this.nGenes;
    const J = this.nTypes;
    const { sig, r, v, mu } = this;
    sig.fill(0);
    for (let j = 0; j < J; j++) {
      const w = p[j]! * p[j]!;
      if (w === 0) continue;
      const s = this.sigmas[j]!;
      for (let k = 0; k < G * G; k++) sig[k] = sig[k]! + w * s[k]!;
    }
    for (let g = 0; g < G; g++) {
      let s = y[g]!;
      for (let j = 0; j < J; j++) s -= p[j]! * mu[j * G + g]!;
      r[g] = s;
    }
    if (!choleskyInPlace(sig, G)) {
      out.value = Number.NEGATIVE_INFINITY;
      return false;
    }
    v.set(r);
    cholSolve(sig, G, v);
    let rv = 0;
    for (let g = 0; g < G; g++) rv += r[g]! * v[g]!;
    out.value = -0.5 * G * LOG_2PI - this.c * cholLogDet(sig, G) - 0.5 * rv;
    if (order === 0) return true;

    const c = this.c;
    for (let j = 0; j < J; j++) {
      const s = this.sigmas[j]!;
      // z_j = Σ_j v
      const z = this.z[j]!;
      for (let a = 0; a < G; a++) {
        let t = 0;
        const ra = a * G;
        for (let b = 0; b < G; b++) t += s[ra + b]! * v[b]!;
        z[a] = t;
      }
      const cj = this.chols[j];
      if (cj) whitenFactored(sig, G, cj, this.B[j]!, this.work);
      else whiten(sig, G, s, this.B[j]!);
      let tr = 0;
      const B = this.B[j]!;
      for (let a = 0; a < G; a++) tr += B[a * G + a]!;
      this.trB[j] = tr;
      let muv = 0;
      let vz = 0;
      for (let g = 0; g < G; g++) {
        muv += mu[j * G + g]! * v[g]!;
        vz += v[g]! * z[g]!;
      }
      out.grad[j] = -2 * c * p[j]! * tr + muv + p[j]! * vz;
    }
    if (order === 1) return true;

    for (let j = 0; j < J; j++) {
      const u = this.u[j]!;
      for (let g = 0; g < G; g++) u[g] = mu[j * G + g]!;
      cholSolve(sig, G, u);
      const w = this.w[j]!;
      w.set(this.z[j]!);
      forwardSolve(sig, G, w);
    }
    const H = out.hess;
    for (let i = 0; i < J; i++) {
      const Bi = this.B[i]!;
      const zi = this.z[i]!;
      const ui = this.u[i]!;
      const wi = this.w[i]!;
      for (let j = i; j < J; j++) {
        const Bj = this.B[j]!;
        const zj = this.z[j]!;
        const uj = this.u[j]!;
        const wj = this.w[j]!;
        let bb = 0;
        for (let k = 0; k < G * G; k++) bb += Bi[k]! * Bj[k]!;
        let muiuj = 0;
        let ujzi = 0;
        let uizj = 0;
        let ww = 0;
        for (let g = 0; g < G; g++) {
          muiuj += mu[i * G + g]! * uj[g]!;
          ujzi += uj[g]! * zi[g]!;
          uizj += ui[g]! * zj[g]!;
          ww += wi[g]! * wj[g]!;
        }
        const pi = p[i]!;
        const pj = p[j]!;
        let h = 4 * c * pi * pj * bb - muiuj - 2 * pi * ujzi - 2 * pj * uizj - 4 * pi * pj * ww;
        if (i === j) {
          let vz = 0;
          for (let g = 0; g < G; g++) vz += v[g]! * zi[g]!;
          h += -2 * c * this.trB[i]! + vz;
        }
        H[i * J + j] = h;
        H[j * J + i] = h;
      }
    }
    return true;
  }
}
