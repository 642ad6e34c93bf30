/**
 * Robust linear regression with Huber's T norm by iteratively reweighted least squares, exactly
 * as statsmodels 0.13 `RLM(y, X, M=HuberT()).fit()` with its defaults (t = 1.345,
 * scale_est = 'mad' with centre 0, conv = 'dev', tol = 1e-8, maxiter = 50, update_scale = True,
 * start = OLS). See statsmodels `robust/robust_linear_model.py`, `robust/norms.py`,
 * `robust/scale.py` and `regression/_tools.py` (`_MinimalWLS`).
 *
 * The deviance used for convergence is Σ ρ(r_i / s_wls) with s_wls = Σ w_i r_i² / (n − p), the
 * WLS residual variance of that step (a statsmodels quirk kept for parity).
 */
import { gemvT, weightedGramColMajor } from './blas.js';
import { cholesky, choleskySolve } from './cholesky.js';
import { medianInPlace } from './stats.js';
import { pinv } from './svd.js';
import { paddedLength, WasmArena } from './wasm/kernels.js';

// Moved to stats.ts (the one median of the package); re-exported for existing importers.
export { medianInPlace };

type RlmRegion = 'Xt' | 'Dt' | 'u' | 'yd' | 'WS' | 'H' | 'd' | 'Xr' | 'beta' | 'f';

/** Φ⁻¹(3/4): MAD → standard deviation of a normal. */
export const MAD_NORMAL_CONSTANT = 0.6744897501960817;

/** Huber weight w(u) = 1 for |u| ≤ t, t/|u| otherwise. */
export function huberWeight(u: number, t = 1.345): number {
  const a = Math.abs(u);
  return a <= t ? 1 : t / a;
}

/** Huber ρ(u) = u²/2 for |u| ≤ t, t|u| − t²/2 otherwise. */
export function huberRho(u: number, t = 1.345): number {
  const a = Math.abs(u);
  return a <= t ? 0.5 * u * u : t * a - 0.5 * t * t;
}

/** Options of {@link HuberRlm.fit}. */
export interface HuberRlmOptions {
  /** Huber tuning constant (1.345). */
  t?: number;
  /** Deviance tolerance (1e-8). */
  tol?: number;
  /** Iteration limit, counting the OLS start as iteration 1 (50). */
  maxIter?: number;
}

/** Per-design-matrix data of the Huber IRLS (X is n x p row-major, n observations). */
export class HuberRlm {
  readonly n: number;
  readonly p: number;
  readonly X: Float64Array;
  private readonly resid: Float64Array;
  private readonly w: Float64Array;
  private readonly absr: Float64Array;
  private readonly H: Float64Array;
  private readonly d: Float64Array;
  /** Xᵀy of the current response. */
  private readonly fullD: Float64Array;
  /** Xᵀ (p x n) and scratch for the column-major weighted Gram kernel. */
  private readonly Xt: Float64Array;
  private readonly WX: Float64Array;
  /** Gathered down-weighted rows (column-major), their 1 − w, responses, and Gram correction. */
  private readonly Dt: Float64Array;
  private readonly u: Float64Array;
  private readonly yd: Float64Array;
  private readonly Hd: Float64Array;
  /** Unweighted Gram matrix XᵀX (full). */
  private readonly fullH: Float64Array;
  /**
   * The weighted Gram matrices and the fitted values by the SIMD kernels, or null (JavaScript):
   * Xt / Dt are p x K (observations padded to K), Xr is X with rows padded to pP.
   */
  private readonly arena: WasmArena<RlmRegion> | null;
  private readonly pP: number;

  constructor(X: Float64Array, n: number, p: number) {
    this.X = X;
    this.n = n;
    this.p = p;
    this.resid = new Float64Array(n);
    this.w = new Float64Array(n);
    this.absr = new Float64Array(n);
    this.H = new Float64Array(p * p);
    this.d = new Float64Array(p);
    this.fullD = new Float64Array(p);
    this.Xt = new Float64Array(p * n);
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) this.Xt[c * n + i] = X[i * p + c]!;
    this.WX = new Float64Array(p * n);
    this.Dt = new Float64Array(p * n);
    this.u = new Float64Array(n);
    this.yd = new Float64Array(n);
    this.Hd = new Float64Array(p * p);
    this.fullH = new Float64Array(p * p);
    // XᵀX once (weights 1; the right-hand side computed here is discarded).
    weightedGramColMajor(p, n, this.Xt, new Float64Array(n).fill(1), new Float64Array(n), this.fullH, new Float64Array(p), this.WX);
    const K = paddedLength(n);
    const pP = paddedLength(p);
    this.pP = pP;
    this.arena = WasmArena.create<RlmRegion>({
      Xt: p * K,
      Dt: p * K,
      u: K,
      yd: K,
      WS: p * K,
      H: p * p,
      d: p,
      Xr: n * pP,
      beta: pP,
      f: n,
    });
    if (this.arena) {
      const v = this.arena.view;
      for (let c = 0; c < p; c++) v.Xt.set(this.Xt.subarray(c * n, (c + 1) * n), c * K);
      for (let i = 0; i < n; i++) v.Xr.set(X.subarray(i * p, (i + 1) * p), i * pP);
    }
  }

  /**
   * H = Σ_k u_k x_k x_kᵀ and d = Σ_k u_k y_k x_k over the m columns of `Xc` (p x m, column-major
   * rows of observations), by the SIMD kernel when there is one.
   */
  private gram(Xc: Float64Array, m: number, u: Float64Array, yv: Float64Array, H: Float64Array, d: Float64Array): void {
    const { p, arena } = this;
    if (!arena) {
      weightedGramColMajor(p, m, Xc, u, yv, H, d, this.WX);
      return;
    }
    const v = arena.view;
    const Km = paddedLength(m);
    for (let c = 0; c < p; c++) v.Dt.set(Xc.subarray(c * m, c * m + m), c * Km);
    v.u.set(u.subarray(0, m));
    v.u.fill(0, m, Km); // padding observations weigh nothing
    v.yd.set(yv.subarray(0, m));
    arena.weightedGram(p, Km, { St: 'Dt', w: 'u', y: 'yd', WS: 'WS', H: 'H', d: 'd' });
    for (let a = 0; a < p; a++) {
      for (let c = a; c < p; c++) {
        H[a * p + c] = v.H[a * p + c]!;
        H[c * p + a] = v.H[a * p + c]!;
      }
      d[a] = v.d[a]!;
    }
  }

  /** β = argmin Σ w_i (y_i − x_iᵀβ)² (pinv solution; w undefined = OLS), residuals into this.resid; returns Σ w r². */
  private wls(y: Float64Array, w: Float64Array | undefined, beta: Float64Array): number {
    const { n, p, H, d, fullD } = this;
    if (w === undefined) {
      H.set(this.fullH);
      d.set(fullD);
    } else {
      let nDown = 0;
      for (let i = 0; i < n; i++) if (w[i]! !== 1) nDown++;
      if (2 * nDown <= n) {
        // Huber weights are exactly 1 for most observations: H = XᵀX − Σ_down (1 − w_i) x_i x_iᵀ,
        // the correction computed by the blocked kernel on the gathered down-weighted rows only.
        const { Xt, Dt, u, yd, Hd, fullH } = this;
        let k = 0;
        for (let i = 0; i < n; i++) {
          const ui = 1 - w[i]!;
          if (ui === 0) continue;
          u[k] = ui;
          yd[k] = y[i]!;
          for (let c = 0; c < p; c++) Dt[c * nDown + k] = Xt[c * n + i]!;
          k++;
        }
        this.gram(Dt, nDown, u, yd, Hd, d);
        for (let q = 0; q < p * p; q++) H[q] = fullH[q]! - Hd[q]!;
        for (let c = 0; c < p; c++) d[c] = fullD[c]! - d[c]!;
        return this.solveAndResiduals(y, w, beta);
      } else {
        // Many weights below 1: the blocked column-major kernel (full H, no packing).
        this.gram(this.Xt, n, w, y, H, d);
        return this.solveAndResiduals(y, w, beta);
      }
    }
    return this.solveAndResiduals(y, w, beta);
  }

  /** Solves H β = d and writes the residuals; returns Σ w r². */
  private solveAndResiduals(y: Float64Array, w: Float64Array | undefined, beta: Float64Array): number {
    const { n, p, X, H, d, resid } = this;
    if (cholesky(H, p)) {
      beta.set(d);
      choleskySolve(H, p, beta);
    } else {
      // Singular weighted design: statsmodels' pinv gives the minimum-norm solution.
      const Xw = new Float64Array(n * p);
      const yw = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const s = Math.sqrt(w ? w[i]! : 1);
        yw[i] = s * y[i]!;
        for (let c = 0; c < p; c++) Xw[i * p + c] = s * X[i * p + c]!;
      }
      const { P: Pi } = pinv(n, p, Xw, 1e-15);
      for (let c = 0; c < p; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += Pi[c * n + i]! * yw[i]!;
        beta[c] = s;
      }
    }
    const arena = this.arena;
    if (arena) {
      arena.view.beta.set(beta.subarray(0, p));
      arena.dotsNT(n, 1, this.pP, 'Xr', 'beta', 'f');
    }
    const fitted = arena?.view.f;
    let ssr = 0;
    for (let i = 0; i < n; i++) {
      let f = 0;
      if (fitted) f = fitted[i]!;
      else {
        const xb = i * p;
        for (let c = 0; c < p; c++) f += X[xb + c]! * beta[c]!;
      }
      const r = y[i]! - f;
      resid[i] = r;
      ssr += r * r * (w === undefined ? 1 : w[i]!);
    }
    return ssr;
  }

  private madScale(): number {
    const { n, resid, absr } = this;
    for (let i = 0; i < n; i++) absr[i] = Math.abs(resid[i]!) / MAD_NORMAL_CONSTANT;
    return medianInPlace(absr, n);
  }

  private deviance(s: number, t: number): number {
    let dev = 0;
    for (let i = 0; i < this.n; i++) dev += huberRho(this.resid[i]! / s, t);
    return dev;
  }

  /**
   * Huber M-estimate of β for one response y (length n) into `beta` (length p).
   *
   * @returns iterations (statsmodels' count: 1 after the OLS start) and whether the deviance
   *   criterion was met (false at maxIter; true also when the scale hits 0, a perfect fit).
   * @example
   * const rlm = new HuberRlm(X, n, p); const beta = new Float64Array(p); rlm.fit(y, beta);
   */
  fit(y: Float64Array, beta: Float64Array, opts: HuberRlmOptions = {}): { iterations: number; converged: boolean; perfectFit: boolean } {
    const t = opts.t ?? 1.345;
    const tol = opts.tol ?? 1e-8;
    const maxIter = opts.maxIter ?? 50;
    const { n, p, w, resid } = this;
    const df = n - p > 0 ? n - p : 1;
    gemvT(n, p, this.X, y, this.fullD);
    let ssr = this.wls(y, undefined, beta);
    let scale = this.madScale();
    let prev = Number.POSITIVE_INFINITY;
    let dev = this.deviance(ssr / df, t);
    let iteration = 1;
    for (;;) {
      // statsmodels checks |dev_k − dev_{k−1}| only after a reweighting step.
      if (scale === 0) return { iterations: iteration, converged: true, perfectFit: true };
      for (let i = 0; i < n; i++) w[i] = huberWeight(resid[i]! / scale, t);
      ssr = this.wls(y, w, beta);
      scale = this.madScale();
      prev = dev;
      dev = this.deviance(ssr / df, t);
      iteration++;
      const small = Math.abs(dev - prev) <= tol;
      if (small || iteration >= maxIter) return { iterations: iteration, converged: small, perfectFit: false };
    }
  }
}
