/**
 * The exact optimum of the linear nu-SVR, by a primal–dual interior-point method (Mehrotra
 * predictor–corrector). A fast alternative to the SMO path of `nu-svr.ts` when bit-parity with
 * libsvm is not required: libsvm stops at a KKT tolerance (1e-3) and its w lies ~1e-3 from the
 * optimum, this solver returns the optimum itself (to ~1e-9), so the two differ by libsvm's own
 * stopping error, not by a different model.
 *
 * Primal in libsvm's scaling (its dual has box [0, C] and e^T(α + α*) = C l ν), f_i = x_i·w + b:
 *
 *   min ½‖w‖² + A ε + C Σ_i (ξ_i + ζ_i),  A = C l ν,
 *   s.t. c1_i = ε + ξ_i + f_i − y_i ≥ 0 (multiplier α_i),  c2_i = ε + ζ_i − f_i + y_i ≥ 0 (α*_i),
 *        ξ, ζ ≥ 0 (multipliers η = C − α, η* = C − α*),  ε ≥ 0 (κ).
 *
 * Stationarity gives w = Σ (α_i − α*_i) x_i and Σ α = Σ α*, as in the dual. Eliminating the
 * per-point unknowns reduces every Newton system to (d + 2) x (d + 2) in (Δw, Δb, Δε), so one
 * iteration costs O(l d²) and ~15–30 iterations reach the optimum, whatever the conditioning of
 * the rank-d kernel that makes SMO take tens of thousands of steps.
 */

import { choleskyLower } from '../cholesky.js';
import { paddedLength, WasmArena } from '../wasm/kernels.js';

type IpmRegion = 'St' | 'Xr' | 'u' | 'vu' | 'WS' | 'H' | 'dv' | 'm' | 'out' | 'vec' | 'res';

/** Options of {@link nuSvrInteriorPoint}. */
export interface NuSvrIpmParams {
  nu: number;
  /** Cost C (default 1). */
  C?: number;
  /** Stop when the complementarity gap and the residuals fall below tol (relative; default 1e-11). */
  tol?: number;
  /** Iteration cap (default 100). */
  maxIter?: number;
}

/** Result of {@link nuSvrInteriorPoint}. */
export interface NuSvrIpmFit {
  /** w, length d. */
  coef: Float64Array;
  intercept: number;
  epsilon: number;
  /** α_i − α*_i, length l. */
  dualCoef: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Reusable workspace for repeated fits on the same n x d design.
 *
 * @example
 * const ipm = new NuSvrIpm(new Float64Array([0, 1, 2, 3]), 4, 1);
 * ipm.fit(new Float64Array([0.1, 0.9, 2.1, 2.9]), { nu: 0.5 }).coef; // the optimum w
 */
export class NuSvrIpm {
  readonly n: number;
  readonly d: number;
  private readonly X: Float64Array;
  // per-point state and work arrays
  private readonly xi: Float64Array;
  private readonly ze: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly a1: Float64Array;
  private readonly a2: Float64Array;
  private readonly h1: Float64Array;
  private readonly h2: Float64Array;
  private readonly f: Float64Array;
  private readonly D1: Float64Array;
  private readonly D2: Float64Array;
  private readonly dA1: Float64Array;
  private readonly dA2: Float64Array;
  private readonly dS1: Float64Array;
  private readonly dS2: Float64Array;
  private readonly dXi: Float64Array;
  private readonly dZe: Float64Array;
  private readonly dH1: Float64Array;
  private readonly dH2: Float64Array;
  private readonly M: Float64Array;
  private readonly L: Float64Array;
  private readonly rhs: Float64Array;
  private readonly sol: Float64Array;
  private readonly U: Float64Array;
  private readonly V: Float64Array;
  private readonly Mv: Float64Array;
  private readonly AD: Float64Array;
  private readonly tmp: Float64Array;
  /** The O(n d²) and O(n d) products of an iteration in WebAssembly SIMD, or null (JavaScript loops). */
  private readonly arena: WasmArena<IpmRegion> | null;
  private readonly K: number;
  private readonly Dp: number;

  /**
   * @param X training points, row-major n x d (not copied).
   * @throws RangeError when X does not have n*d values.
   */
  constructor(X: Float64Array, n: number, d: number) {
    if (!(n >= 1) || !(d >= 1) || X.length !== n * d) throw new RangeError(`NuSvrIpm: X has length ${X.length}, expected ${n}*${d}`);
    this.n = n;
    this.d = d;
    this.X = X;
    const mk = () => new Float64Array(n);
    this.xi = mk();
    this.ze = mk();
    this.s1 = mk();
    this.s2 = mk();
    this.a1 = mk();
    this.a2 = mk();
    this.h1 = mk();
    this.h2 = mk();
    this.f = mk();
    this.D1 = mk();
    this.D2 = mk();
    this.dA1 = mk();
    this.dA2 = mk();
    this.dS1 = mk();
    this.dS2 = mk();
    this.dXi = mk();
    this.dZe = mk();
    this.dH1 = mk();
    this.dH2 = mk();
    const p = d + 2;
    this.M = new Float64Array(p * p);
    this.L = new Float64Array(p * p);
    this.rhs = new Float64Array(p);
    this.sol = new Float64Array(p);
    this.U = mk();
    this.V = mk();
    this.Mv = mk();
    this.AD = mk();
    this.tmp = new Float64Array(d + 1);
    // Arena layout: St = [Xᵀ; 1ᵀ] ((d + 1) x K, points padded to K), Xr = X with rows padded to Dp.
    const K = paddedLength(n);
    const Dp = paddedLength(d);
    const D = d + 1;
    this.K = K;
    this.Dp = Dp;
    this.arena = WasmArena.create<IpmRegion>({
      St: D * K,
      Xr: n * Dp,
      u: K,
      vu: K,
      WS: D * K,
      H: D * D,
      dv: D,
      m: K,
      out: D,
      vec: Dp,
      res: n,
    });
    if (this.arena) {
      const { St, Xr } = this.arena.view;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < d; k++) {
          St[k * K + i] = X[i * d + k]!;
          Xr[i * Dp + k] = X[i * d + k]!;
        }
        St[d * K + i] = 1;
      }
    }
  }

  /** out[k] = Σ_i m_i X[i, k] for k < d, and out[d] = Σ_i m_i. */
  private xtDot(m: Float64Array, out: Float64Array): void {
    const { n, d, X, arena } = this;
    if (arena) {
      arena.view.m.set(m);
      arena.dotsNT(1, d + 1, this.K, 'm', 'St', 'out');
      out.set(arena.view.out);
      return;
    }
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const mi = m[i]!;
      const o = i * d;
      for (let k = 0; k < d; k++) out[k] = out[k]! + mi * X[o + k]!;
      out[d] = out[d]! + mi;
    }
  }

  /** out[i] = X[i, :] · vec for every point. */
  private xDot(vec: Float64Array, out: Float64Array): void {
    const { n, d, X, arena } = this;
    if (arena) {
      arena.view.vec.set(vec);
      arena.dotsNT(n, 1, this.Dp, 'Xr', 'vec', 'res');
      out.set(arena.view.res);
      return;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * d;
      for (let k = 0; k < d; k++) s += X[o + k]! * vec[k]!;
      out[i] = s;
    }
  }

  /**
   * The normal matrix M (p x p, p = d + 2) for point weights u, v: with a_i = (x_i, 1),
   * M = [I_d ⊕ 0 + Σ u a aᵀ, Σ v a; (Σ v a)ᵀ, Σ u + κ/ε].
   */
  private normalMatrix(U: Float64Array, V: Float64Array, kapOverE: number): void {
    const { n, d, X, M, arena } = this;
    const p = d + 2;
    M.fill(0);
    if (arena) {
      const D = d + 1;
      const v = arena.view;
      v.u.set(U);
      for (let i = 0; i < n; i++) v.vu[i] = V[i]! / U[i]!;
      arena.weightedGram(D, this.K, { St: 'St', w: 'u', y: 'vu', WS: 'WS', H: 'H', d: 'dv' });
      for (let r = 0; r < D; r++) {
        for (let c = r; c < D; c++) M[r * p + c] = v.H[r * D + c]!;
        M[r * p + d + 1] = v.dv[r]!;
      }
      M[(d + 1) * p + d + 1] = v.H[d * D + d]! + kapOverE;
    } else {
      let sumU = 0;
      for (let i = 0; i < n; i++) {
        const u = U[i]!;
        const vi = V[i]!;
        sumU += u;
        const o = i * d;
        for (let r = 0; r < d; r++) {
          const ur = u * X[o + r]!;
          for (let c = r; c < d; c++) M[r * p + c] = M[r * p + c]! + ur * X[o + c]!;
          M[r * p + d] = M[r * p + d]! + ur;
          M[r * p + d + 1] = M[r * p + d + 1]! + vi * X[o + r]!;
        }
        M[d * p + d] = M[d * p + d]! + u;
        M[d * p + d + 1] = M[d * p + d + 1]! + vi;
      }
      M[(d + 1) * p + d + 1] = sumU + kapOverE;
    }
    for (let k = 0; k < d; k++) M[k * p + k] = M[k * p + k]! + 1;
    for (let r = 0; r < p; r++) for (let c = 0; c < r; c++) M[r * p + c] = M[c * p + r]!;
  }

  /**
   * Solves the nu-SVR for targets y.
   *
   * @param y targets, length n.
   * @throws RangeError on a wrong length, non-finite y, ν outside (0, 1] or C <= 0.
   */
  fit(y: ArrayLike<number>, params: NuSvrIpmParams): NuSvrIpmFit {
    const { n, d } = this;
    const nu = params.nu;
    const C = params.C ?? 1;
    const tol = params.tol ?? 1e-11;
    const maxIter = params.maxIter ?? 100;
    if (y.length !== n) throw new RangeError(`NuSvrIpm.fit: y has length ${y.length}, expected ${n}`);
    if (!(nu > 0 && nu <= 1)) throw new RangeError(`NuSvrIpm.fit: nu must be in (0, 1], got ${nu}`);
    if (!(C > 0 && Number.isFinite(C))) throw new RangeError(`NuSvrIpm.fit: C must be finite and > 0, got ${C}`);
    let ySpread = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(y[i]!)) throw new RangeError(`NuSvrIpm.fit: y[${i}] is ${y[i]}`);
      ySpread = Math.max(ySpread, Math.abs(y[i]!));
    }
    const scale = Math.max(ySpread, 1e-300);
    const { xi, ze, s1, s2, a1, a2, h1, h2, f, D1, D2, dA1, dA2, dS1, dS2, dXi, dZe, dH1, dH2, U, V, Mv, AD, tmp } = this;
    const p = d + 2;
    const A = C * n * nu;
    const w = new Float64Array(d);
    let b = 0;
    let e = scale;
    let kap = 1;
    // Start: interior point with Σα = Σα* and Σ(α + α*) = A − κ (dual feasible up to κ).
    for (let i = 0; i < n; i++) {
      xi[i] = scale;
      ze[i] = scale;
      a1[i] = (C * nu) / 2;
      a2[i] = (C * nu) / 2;
      h1[i] = C - a1[i]!;
      h2[i] = C - a2[i]!;
      f[i] = 0;
    }
    for (let i = 0; i < n; i++) {
      s1[i] = Math.max(e + xi[i]! + f[i]! - y[i]!, scale);
      s2[i] = Math.max(e + ze[i]! - f[i]! + y[i]!, scale);
    }
    kap = Math.max(kap, 1e-3 * C);
    const nPairs = 4 * n + 1;
    const rW = new Float64Array(d);
    const dw = new Float64Array(d);
    let iter = 0;
    let converged = false;
    const stepTo = (v: number, dv: number, t: number) => (dv < 0 ? Math.min(t, -v / dv) : t);

    for (; iter < maxIter; iter++) {
      // Residuals: rW = w − Σ (α − α*) x, rB = Σ(α* − α).
      let sumA = 0;
      for (let i = 0; i < n; i++) {
        Mv[i] = a1[i]! - a2[i]!;
        sumA += a1[i]! + a2[i]!;
      }
      this.xtDot(Mv, tmp);
      for (let k = 0; k < d; k++) rW[k] = w[k]! - tmp[k]!;
      const rB = -tmp[d]!;
      const rE = A - sumA - kap;
      let gap = kap * e;
      let rPrim = 0;
      for (let i = 0; i < n; i++) {
        gap += a1[i]! * s1[i]! + a2[i]! * s2[i]! + h1[i]! * xi[i]! + h2[i]! * ze[i]!;
        rPrim = Math.max(rPrim, Math.abs(e + xi[i]! + f[i]! - y[i]! - s1[i]!), Math.abs(e + ze[i]! - f[i]! + y[i]! - s2[i]!));
      }
      const mu = gap / nPairs;
      let rDual = Math.abs(rB) + Math.abs(rE);
      for (let k = 0; k < d; k++) rDual = Math.max(rDual, Math.abs(rW[k]!));
      if (mu <= tol * C * scale && rPrim <= tol * scale * 10 && rDual <= tol * (1 + A)) {
        converged = true;
        break;
      }

      // Normal matrix (shared by predictor and corrector): per point D1 = ξ/η + s1/α, D2 = ζ/η* + s2/α*.
      const M = this.M;
      for (let i = 0; i < n; i++) {
        D1[i] = xi[i]! / h1[i]! + s1[i]! / a1[i]!;
        D2[i] = ze[i]! / h2[i]! + s2[i]! / a2[i]!;
        U[i] = 1 / D1[i]! + 1 / D2[i]!;
        V[i] = 1 / D1[i]! - 1 / D2[i]!;
      }
      this.normalMatrix(U, V, kap / e);
      // Near the optimum the point-wise scalings span many decades and rounding can make M
      // numerically indefinite: retry with a tiny ridge before giving up.
      if (!choleskyRidge(M, this.L, p)) {
        converged = mu <= 1e-8 * C * scale && rPrim <= 1e-8 * scale && rDual <= 1e-8 * (1 + A);
        break;
      }

      // Predictor (σ = 0), then corrector with Mehrotra's σ and second-order terms.
      let de = 0;
      let dk = 0;
      let tP = 1;
      let sigmaMu = 0;
      for (let phase = 0; phase < 2; phase++) {
        const rhs = this.rhs;
        rhs.fill(0);
        for (let k = 0; k < d; k++) rhs[k] = -rW[k]!;
        rhs[d] = -rB;
        let rhsE = -rE;
        for (let i = 0; i < n; i++) {
          const r1 = e + xi[i]! + f[i]! - y[i]! - s1[i]!;
          const r2 = e + ze[i]! - f[i]! + y[i]! - s2[i]!;
          // Complementarity targets q = σμ − (product) − (second-order term in the corrector).
          const corr = phase === 1;
          const q1 = sigmaMu - a1[i]! * s1[i]! - (corr ? dA1[i]! * dS1[i]! : 0);
          const q2 = sigmaMu - a2[i]! * s2[i]! - (corr ? dA2[i]! * dS2[i]! : 0);
          const q3 = sigmaMu - h1[i]! * xi[i]! - (corr ? dH1[i]! * dXi[i]! : 0);
          const q4 = sigmaMu - h2[i]! * ze[i]! - (corr ? dH2[i]! * dZe[i]! : 0);
          const rx = a1[i]! + h1[i]! - C;
          const rz = a2[i]! + h2[i]! - C;
          const rho1 = -r1 - (q3 + xi[i]! * rx) / h1[i]! + q1 / a1[i]!;
          const rho2 = -r2 - (q4 + ze[i]! * rz) / h2[i]! + q2 / a2[i]!;
          Mv[i] = rho1 / D1[i]! - rho2 / D2[i]!;
          rhsE += rho1 / D1[i]! + rho2 / D2[i]!;
          // keep what the back-substitution needs
          dS1[i] = q1;
          dS2[i] = q2;
          dXi[i] = q3 + xi[i]! * rx;
          dZe[i] = q4 + ze[i]! * rz;
          dA1[i] = rho1;
          dA2[i] = rho2;
        }
        this.xtDot(Mv, tmp);
        for (let k = 0; k <= d; k++) rhs[k] = rhs[k]! + tmp[k]!;
        const q5 = sigmaMu - kap * e - (phase === 1 ? dk * de : 0);
        rhs[d + 1] = rhsE + q5 / e;
        solveChol(this.L, rhs, this.sol, p);
        const sol = this.sol;
        for (let k = 0; k < d; k++) dw[k] = sol[k]!;
        const db = sol[d]!;
        de = sol[d + 1]!;
        dk = (q5 - kap * de) / e;
        // Back-substitution per point.
        let t = 1;
        t = stepTo(e, de, t);
        t = stepTo(kap, dk, t);
        this.xDot(dw, AD);
        for (let i = 0; i < n; i++) {
          const ad = db + AD[i]!;
          const da1 = (dA1[i]! - de - ad) / D1[i]!;
          const da2 = (dA2[i]! - de + ad) / D2[i]!;
          const rx = a1[i]! + h1[i]! - C;
          const rz = a2[i]! + h2[i]! - C;
          const ds1 = (dS1[i]! - s1[i]! * da1) / a1[i]!;
          const ds2 = (dS2[i]! - s2[i]! * da2) / a2[i]!;
          const dxi = (dXi[i]! + xi[i]! * da1) / h1[i]!;
          const dze = (dZe[i]! + ze[i]! * da2) / h2[i]!;
          dA1[i] = da1;
          dA2[i] = da2;
          dS1[i] = ds1;
          dS2[i] = ds2;
          dXi[i] = dxi;
          dZe[i] = dze;
          dH1[i] = -da1 - rx;
          dH2[i] = -da2 - rz;
          t = stepTo(a1[i]!, da1, t);
          t = stepTo(a2[i]!, da2, t);
          t = stepTo(s1[i]!, ds1, t);
          t = stepTo(s2[i]!, ds2, t);
          t = stepTo(xi[i]!, dxi, t);
          t = stepTo(ze[i]!, dze, t);
          t = stepTo(h1[i]!, dH1[i]!, t);
          t = stepTo(h2[i]!, dH2[i]!, t);
        }
        if (phase === 0) {
          // μ after the affine step decides the centring (Mehrotra: σ = (μ_aff / μ)^3).
          let gapAff = (kap + t * dk) * (e + t * de);
          for (let i = 0; i < n; i++) {
            gapAff +=
              (a1[i]! + t * dA1[i]!) * (s1[i]! + t * dS1[i]!) +
              (a2[i]! + t * dA2[i]!) * (s2[i]! + t * dS2[i]!) +
              (h1[i]! + t * dH1[i]!) * (xi[i]! + t * dXi[i]!) +
              (h2[i]! + t * dH2[i]!) * (ze[i]! + t * dZe[i]!);
          }
          const muAff = gapAff / nPairs;
          const sigma = (muAff / mu) ** 3;
          sigmaMu = sigma * mu;
        } else {
          tP = Math.min(1, 0.995 * t);
          // Take the step.
          for (let k = 0; k < d; k++) w[k] = w[k]! + tP * dw[k]!;
          b += tP * db;
          e += tP * de;
          kap += tP * dk;
          for (let i = 0; i < n; i++) {
            a1[i] = a1[i]! + tP * dA1[i]!;
            a2[i] = a2[i]! + tP * dA2[i]!;
            s1[i] = s1[i]! + tP * dS1[i]!;
            s2[i] = s2[i]! + tP * dS2[i]!;
            xi[i] = xi[i]! + tP * dXi[i]!;
            ze[i] = ze[i]! + tP * dZe[i]!;
            h1[i] = h1[i]! + tP * dH1[i]!;
            h2[i] = h2[i]! + tP * dH2[i]!;
          }
          this.xDot(w, f);
          for (let i = 0; i < n; i++) f[i] = f[i]! + b;
        }
      }
    }
    const dualCoef = new Float64Array(n);
    for (let i = 0; i < n; i++) dualCoef[i] = a1[i]! - a2[i]!;
    return { coef: w, intercept: b, epsilon: e, dualCoef, iterations: iter, converged };
  }
}

/** Cholesky A = L L^T of a p x p SPD matrix (linalg's one factorisation); false if a pivot is not positive. */
function cholesky(A: Float64Array, L: Float64Array, p: number): boolean {
  return choleskyLower(A, p, L, 0);
}

/** Cholesky with a ridge of 1e-14, 1e-12, ... times the largest diagonal entry when needed. */
function choleskyRidge(A: Float64Array, L: Float64Array, p: number): boolean {
  if (cholesky(A, L, p)) return true;
  let maxDiag = 0;
  for (let k = 0; k < p; k++) maxDiag = Math.max(maxDiag, A[k * p + k]!);
  const B = A.slice();
  for (let e = -14; e <= -8; e += 2) {
    for (let k = 0; k < p; k++) B[k * p + k] = A[k * p + k]! + maxDiag * 10 ** e;
    if (cholesky(B, L, p)) return true;
  }
  return false;
}

/** Solves L L^T x = b. */
function solveChol(L: Float64Array, b: Float64Array, x: Float64Array, p: number): void {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * x[k]!;
    x[i] = s / L[i * p + i]!;
  }
}
