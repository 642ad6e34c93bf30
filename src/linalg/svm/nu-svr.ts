/**
 * Linear-kernel nu-support-vector regression, solved exactly as libsvm does (the solver behind
 * scikit-learn's `NuSVR` and R e1071's `svm(type = "nu-regression")`).
 *
 * Problem (Schölkopf et al. 2000; libsvm formulation, Chang & Lin 2011, §2.4), for training points
 * (x_i, y_i), i = 1..l:
 *
 *   min_{w,b,ε,ξ,ξ*} ½‖w‖² + C (ν ε + (1/l) Σ_i (ξ_i + ξ*_i))
 *   s.t. (w·x_i + b) − y_i ≤ ε + ξ_i,  y_i − (w·x_i + b) ≤ ε + ξ*_i,  ξ, ξ*, ε ≥ 0.
 *
 * libsvm solves the scaled dual in 2l variables (α, α*) with box [0, C], y^T α = 0 and
 * e^T α = C l ν by SMO: `Solver_NU` with the second-order working-set selection of Fan, Chen & Lin
 * (JMLR 2005), shrinking and gradient reconstruction. Because libsvm stops at a tolerance (1e-3 on
 * the maximal KKT violation), its answer is NOT the exact optimum: with a rank-d kernel the dual is
 * very degenerate and the stopped iterate differs from the optimum by ~1e-3 in w. To give the same
 * numbers as scikit-learn, this file reproduces libsvm's iteration step for step:
 * the same initial point, the same working-set rule and tie-breaking (`>=`/`<=` scans, last index
 * wins), the same shrinking schedule and index swaps, the kernel rows rounded to float32 as libsvm's
 * `Qfloat` cache stores them, the diagonal kept in double, and the same floating-point expression
 * order. A general-purpose QP solver would find a better optimum, and that is exactly why it would
 * not match.
 *
 * Speed: the kernel is linear and the number of features is small, so the l x l kernel matrix is
 * computed once per design matrix (all samples of a signature share it) instead of libsvm's LRU
 * cache, and the working-set scan is fused with the gradient update (the scan only reads the
 * updated gradient, in the same order, so the result is identical).
 */

/**
 * How kernel values x_i·x_j are summed, which decides their last bit (and the SMO path is
 * sensitive to the last bit of the kernel diagonal, kept in double):
 * - `'openblas-sse2'` (default): scikit-learn's libsvm calls BLAS `ddot`; this reproduces OpenBLAS's
 *   generic x86-64 SSE2 kernel (`dot_sse2.S`: four two-lane accumulators, a peeled first element
 *   when y is not 16-byte aligned, lanes summed at the end), the kernel OpenBLAS runs on CPUs it
 *   does not recognise ("Prescott"), as on the machine the fixtures were made on. Rows of a
 *   C-contiguous, 16-byte-aligned X (scikit-learn copies X to that layout) start at 16-byte
 *   boundaries when i*d is even.
 * - `'plain'`: libsvm's own `dot` (sequential multiply-add, as in the upstream C code and R e1071,
 *   and as reference BLAS computes it).
 * Other BLAS kernels (AVX2/AVX-512 FMA) give other last bits; the result is then a libsvm answer
 * within the same tolerance, not the bit-identical one.
 */
export type KernelDot = 'openblas-sse2' | 'plain';

/**
 * OpenBLAS `dot_sse2.S` on unit-stride vectors X[xo..xo+n) and X[yo..yo+n).
 *
 * @param yAligned whether y starts on a 16-byte boundary (else its first product is peeled).
 */
export function dotOpenblasSse2(X: Float64Array, xo: number, yo: number, n: number, yAligned: boolean): number {
  let a0l = 0;
  let a0h = 0;
  let a1l = 0;
  let a1h = 0;
  let a2l = 0;
  let a2h = 0;
  let a3l = 0;
  let a3h = 0;
  if (n <= 0) return 0;
  let k = 0;
  let m = n;
  if (!yAligned) {
    a0l = X[xo]! * X[yo]!;
    k = 1;
    m--;
  }
  for (let b = m >> 4; b > 0; b--) {
    a0l += X[xo + k]! * X[yo + k]!;
    a0h += X[xo + k + 1]! * X[yo + k + 1]!;
    a1l += X[xo + k + 2]! * X[yo + k + 2]!;
    a1h += X[xo + k + 3]! * X[yo + k + 3]!;
    a2l += X[xo + k + 4]! * X[yo + k + 4]!;
    a2h += X[xo + k + 5]! * X[yo + k + 5]!;
    a3l += X[xo + k + 6]! * X[yo + k + 6]!;
    a3h += X[xo + k + 7]! * X[yo + k + 7]!;
    a0l += X[xo + k + 8]! * X[yo + k + 8]!;
    a0h += X[xo + k + 9]! * X[yo + k + 9]!;
    a1l += X[xo + k + 10]! * X[yo + k + 10]!;
    a1h += X[xo + k + 11]! * X[yo + k + 11]!;
    a2l += X[xo + k + 12]! * X[yo + k + 12]!;
    a2h += X[xo + k + 13]! * X[yo + k + 13]!;
    a3l += X[xo + k + 14]! * X[yo + k + 14]!;
    a3h += X[xo + k + 15]! * X[yo + k + 15]!;
    k += 16;
  }
  if (m & 8) {
    a0l += X[xo + k]! * X[yo + k]!;
    a0h += X[xo + k + 1]! * X[yo + k + 1]!;
    a1l += X[xo + k + 2]! * X[yo + k + 2]!;
    a1h += X[xo + k + 3]! * X[yo + k + 3]!;
    a2l += X[xo + k + 4]! * X[yo + k + 4]!;
    a2h += X[xo + k + 5]! * X[yo + k + 5]!;
    a3l += X[xo + k + 6]! * X[yo + k + 6]!;
    a3h += X[xo + k + 7]! * X[yo + k + 7]!;
    k += 8;
  }
  if (m & 4) {
    a0l += X[xo + k]! * X[yo + k]!;
    a0h += X[xo + k + 1]! * X[yo + k + 1]!;
    a1l += X[xo + k + 2]! * X[yo + k + 2]!;
    a1h += X[xo + k + 3]! * X[yo + k + 3]!;
    k += 4;
  }
  if (m & 2) {
    a0l += X[xo + k]! * X[yo + k]!;
    a0h += X[xo + k + 1]! * X[yo + k + 1]!;
    k += 2;
  }
  if (m & 1) a0l += X[xo + k]! * X[yo + k]!;
  // addpd xmm1,xmm0; addpd xmm3,xmm2; addpd xmm2,xmm0; then low + high lane.
  const lo = a0l + a1l + (a2l + a3l);
  const hi = a0h + a1h + (a2h + a3h);
  return lo + hi;
}

/** libsvm's TAU: replaces a non-positive curvature in the two-variable subproblem. */
const TAU = 1e-12;
const LOWER = 0;
const UPPER = 1;
const FREE = 2;

/** Options of one nu-SVR fit (libsvm / scikit-learn names in parentheses). */
export interface NuSvrParams {
  /** ν in (0, 1]: upper bound on the fraction of errors, lower bound on the fraction of SVs (`nu`). */
  nu: number;
  /** Cost C > 0 (`C`, default 1). */
  C?: number;
  /** Stopping tolerance on the maximal KKT violation (`tol` / libsvm `-e`, default 1e-3). */
  tol?: number;
  /** libsvm shrinking heuristic (`shrinking`, default true as in scikit-learn and libsvm). */
  shrinking?: boolean;
  /** Iteration cap; -1 = none (scikit-learn's `max_iter=-1`, the default). */
  maxIter?: number;
}

/** Result of one nu-SVR fit. */
export interface NuSvrFit {
  /** Primal weights w = Σ_i (α_i − α*_i) x_i, length d (scikit-learn `coef_`). */
  coef: Float64Array;
  /** b = −ρ (scikit-learn `intercept_`). */
  intercept: number;
  /** α_i − α*_i for every training point, length l (zero for non-support vectors; scikit-learn `dual_coef_` scattered by `support_`). */
  dualCoef: Float64Array;
  /** The tube width found, ε = −r (libsvm prints it as "epsilon"). */
  epsilon: number;
  /** Dual objective value (libsvm `obj`). */
  objective: number;
  /** α_i for every training point (upper-tube multipliers), length l. */
  alpha: Float64Array;
  /** α*_i for every training point, length l. */
  alphaStar: Float64Array;
  /** SMO iterations (scikit-learn `n_iter_`). */
  iterations: number;
  /** False when `maxIter` stopped the solver before the tolerance was met. */
  converged: boolean;
}

/**
 * A linear-kernel nu-SVR bound to one design matrix X (l points x d features), reusable for many
 * targets y: the kernel matrix and the work buffers are allocated once.
 *
 * @example
 * // 4 points, 1 feature
 * const svr = new LinearNuSvr(new Float64Array([0, 1, 2, 3]), 4, 1);
 * const fit = svr.fit(new Float64Array([0.1, 0.9, 2.1, 2.9]), { nu: 0.5 });
 * fit.coef; // ≈ [0.93], same as sklearn.svm.NuSVR(kernel='linear', nu=0.5).fit(X, y).coef_
 */
export class LinearNuSvr {
  /** Number of training points (l). */
  readonly n: number;
  /** Number of features (d). */
  readonly d: number;
  private readonly X: Float64Array;
  /** K[i*l + j] = x_i · x_j rounded to float32, as libsvm's kernel cache (`Qfloat`) stores it. */
  private readonly K: Float32Array;
  /** K(i, i) in double, as libsvm's `QD`. */
  private readonly Kdiag: Float64Array;

  // Work buffers over the 2l dual variables, kept in libsvm's (permuted) order. The gradient is
  // stored as H = y ⊙ G (and G_bar, p likewise): multiplying by ±1 is exact, so every value is
  // bit-identical to libsvm's up to sign, and the update H_k += K_ik (y_i Δα_i) + K_jk (y_j Δα_j)
  // needs no per-element sign.
  private readonly cls: Uint8Array;
  private readonly ridx: Int32Array;
  private readonly QD: Float64Array;
  private readonly H: Float64Array;
  private readonly Hbar: Float64Array;
  private readonly hp: Float64Array;
  private readonly alpha: Float64Array;
  private readonly status: Uint8Array;
  /**
   * Membership masks, 0 for a member and NaN otherwise, so the scans need no unpredictable
   * branches: `mask - h` or `mask + h` is NaN (never selected: every NaN comparison is false) for a
   * non-member and exactly ∓h for a member. Per variable k: mask[4k] / mask[4k+1]: I_up of class
   * y=+1 / y=-1 (α can move up along y); mask[4k+2] / mask[4k+3]: I_low. (0 - h may turn -0 into +0; the sign of a zero never changes a decision.)
   */
  private readonly mask: Float64Array; // [upP, upN, lowP, lowN] per variable, interleaved
  private readonly activeSet: Int32Array;
  private readonly alphaOut: Float64Array;
  private activeSize = 0;
  private unshrink = false;
  private C = 1;
  private eps = 1e-3;
  // The first scan of select_working_set (arg-max over I_up per class, and max over I_low per
  // class), when the fused gradient update has already done it.
  private scanValid = false;
  private gmaxP = 0;
  private gmaxPIdx = -1;
  private gmaxN = 0;
  private gmaxNIdx = -1;
  private gmax2P = 0;
  private gmax2N = 0;
  private outI = -1;
  private outJ = -1;

  /**
   * @param X training points, row-major l x d (X[i*d + k] = feature k of point i). For CIBERSORT:
   *   genes x cell types (the standardised signature). Not copied: do not modify it while in use.
   * @param n number of training points l (>= 1).
   * @param d number of features (>= 1).
   * @param options `dot`: how kernel values are summed (see {@link KernelDot}, default 'openblas-sse2');
   *   `gram`: a precomputed l x l kernel matrix in double (as scikit-learn's `kernel='precomputed'`),
   *   used instead of X X^T (X then only serves to form the primal weights).
   * @throws RangeError when a buffer length does not match n and d.
   */
  constructor(X: Float64Array, n: number, d: number, options: { dot?: KernelDot; gram?: Float64Array } = {}) {
    if (!(n >= 1) || !(d >= 1) || X.length !== n * d) {
      throw new RangeError(`LinearNuSvr: X has length ${X.length}, expected n*d = ${n}*${d}`);
    }
    const gram = options.gram;
    if (gram && gram.length !== n * n) throw new RangeError(`LinearNuSvr: gram has length ${gram.length}, expected ${n * n}`);
    const sse2 = (options.dot ?? 'openblas-sse2') === 'openblas-sse2';
    this.n = n;
    this.d = d;
    this.X = X;
    this.K = new Float32Array(n * n);
    this.Kdiag = new Float64Array(n);
    const K = this.K;
    // K(i, j) = dot(x_i, x_j) with x_i as BLAS's x and x_j as its y, as libsvm's get_Q(i) computes
    // the row of i. With the SSE2 kernel that is not exactly symmetric, so every entry is computed.
    for (let i = 0; i < n; i++) {
      const oi = i * d;
      for (let j = 0; j < n; j++) {
        let s = 0;
        if (gram) s = gram[i * n + j]!;
        else if (sse2) s = dotOpenblasSse2(X, oi, j * d, d, ((j * d) & 1) === 0);
        else for (let k = 0; k < d; k++) s += X[oi + k]! * X[j * d + k]!;
        if (j === i) this.Kdiag[i] = s;
        K[i * n + j] = Math.fround(s);
      }
    }
    const L = 2 * n;
    this.cls = new Uint8Array(L);
    this.ridx = new Int32Array(L);
    this.QD = new Float64Array(L);
    this.H = new Float64Array(L);
    this.Hbar = new Float64Array(L);
    this.hp = new Float64Array(L);
    this.alpha = new Float64Array(L);
    this.status = new Uint8Array(L);
    this.mask = new Float64Array(4 * L);
    this.activeSet = new Int32Array(L);
    this.alphaOut = new Float64Array(L);
  }

  /**
   * Fits w, b to targets y (libsvm `solve_nu_svr` + `Solver_NU`).
   *
   * @param y targets, length l.
   * @param params ν, C, tolerance, shrinking, iteration cap.
   * @returns weights, intercept, dual coefficients and solver statistics.
   * @throws RangeError on a y of the wrong length or containing NaN/Inf, ν outside (0, 1], C <= 0
   *   or tol <= 0.
   */
  fit(y: ArrayLike<number>, params: NuSvrParams): NuSvrFit {
    const l = this.n;
    const L = 2 * l;
    const nu = params.nu;
    const C = params.C ?? 1;
    const tol = params.tol ?? 1e-3;
    const shrinking = params.shrinking ?? true;
    const maxIter = params.maxIter ?? -1;
    if (y.length !== l) throw new RangeError(`LinearNuSvr.fit: y has length ${y.length}, expected ${l}`);
    if (!(nu > 0 && nu <= 1)) throw new RangeError(`LinearNuSvr.fit: nu must be in (0, 1], got ${nu}`);
    if (!(C > 0 && Number.isFinite(C))) throw new RangeError(`LinearNuSvr.fit: C must be finite and > 0, got ${C}`);
    if (!(tol > 0)) throw new RangeError(`LinearNuSvr.fit: tol must be > 0, got ${tol}`);
    for (let i = 0; i < l; i++) {
      if (!Number.isFinite(y[i]!)) throw new RangeError(`LinearNuSvr.fit: y[${i}] is ${y[i]}`);
    }
    this.C = C;
    this.eps = tol;

    const { cls, ridx, QD, alpha, hp, Kdiag } = this;
    // solve_nu_svr (scikit-learn's variant with instance weights W = 1): the sum is accumulated,
    // then every α_i = α*_i gets min(remaining, C) in order. Linear term p = (-y, +y), so
    // y_sign * p = -y for both halves.
    let sum = 0;
    for (let i = 0; i < l; i++) sum += C * nu;
    sum /= 2;
    for (let i = 0; i < l; i++) {
      const a = cmin(sum, C);
      alpha[i] = a;
      alpha[i + l] = a;
      sum -= a;
      const yi = y[i]!;
      hp[i] = -yi;
      hp[i + l] = -yi;
      cls[i] = 0;
      cls[i + l] = 1;
      ridx[i] = i;
      ridx[i + l] = i;
      QD[i] = Kdiag[i]!;
      QD[i + l] = Kdiag[i]!;
    }

    const { iterations, converged, rho, r } = this.solve(shrinking, maxIter);

    // Objective (Σ α (G + p) / 2 with G + p = y (H + hp)) and the solution in the original order.
    let v = 0;
    const H = this.H;
    for (let i = 0; i < L; i++) {
      const t = H[i]! + hp[i]!;
      v += alpha[i]! * (cls[i] === 0 ? t : -t);
    }
    const alphaOut = this.alphaOut;
    const activeSet = this.activeSet;
    for (let i = 0; i < L; i++) alphaOut[activeSet[i]!] = alpha[i]!;

    const d = this.d;
    const X = this.X;
    const dualCoef = new Float64Array(l);
    const coef = new Float64Array(d);
    for (let i = 0; i < l; i++) {
      const a = alphaOut[i]! - alphaOut[i + l]!;
      dualCoef[i] = a;
      if (a !== 0) for (let k = 0; k < d; k++) coef[k] = coef[k]! + a * X[i * d + k]!;
    }
    return {
      coef,
      intercept: -rho,
      dualCoef,
      alpha: alphaOut.slice(0, l),
      alphaStar: alphaOut.slice(l),
      epsilon: -r,
      objective: v / 2,
      iterations,
      converged,
    };
  }

  private setStatus(k: number): void {
    const a = this.alpha[k]!;
    const C = this.C;
    const st = a >= C ? UPPER : a <= 0 ? LOWER : FREE;
    this.status[k] = st;
    const c = this.cls[k]!;
    // I_up: y=+1 below C, or y=-1 above 0. I_low: y=+1 above 0, or y=-1 below C.
    const up = c === 0 ? st !== UPPER : st !== LOWER;
    const low = c === 0 ? st !== LOWER : st !== UPPER;
    const m = this.mask;
    m[4 * k] = up && c === 0 ? 0 : Number.NaN;
    m[4 * k + 1] = up && c === 1 ? 0 : Number.NaN;
    m[4 * k + 2] = low && c === 0 ? 0 : Number.NaN;
    m[4 * k + 3] = low && c === 1 ? 0 : Number.NaN;
  }

  /** libsvm `Solver::Solve` specialised to Solver_NU and the SVR Q matrix. */
  private solve(shrinking: boolean, maxIter: number): { iterations: number; converged: boolean; rho: number; r: number } {
    const l = this.n;
    const L = 2 * l;
    const { cls, ridx, H, Hbar, hp, alpha, status, activeSet, K } = this;
    const C = this.C;

    for (let i = 0; i < L; i++) {
      this.setStatus(i);
      activeSet[i] = i;
    }
    this.activeSize = L;
    this.unshrink = false;
    this.scanValid = false;

    // Initial gradient G = p + Q α and G_bar = C Σ_{α_i = C} Q_i (libsvm's order: i ascending),
    // as H = y G: H_j += α_i y_i K_ij.
    for (let i = 0; i < L; i++) {
      H[i] = hp[i]!;
      Hbar[i] = 0;
    }
    for (let i = 0; i < L; i++) {
      if (status[i] === LOWER) continue;
      const base = ridx[i]! * l;
      const si = cls[i] === 0 ? 1 : -1;
      const ai = alpha[i]!;
      const upper = status[i] === UPPER;
      for (let j = 0; j < L; j++) {
        const q = si * K[base + ridx[j]!]!;
        H[j] = H[j]! + ai * q;
        if (upper) Hbar[j] = Hbar[j]! + C * q;
      }
    }

    let iter = 0;
    let counter = Math.min(L, 1000) + 1;
    let converged = true;
    for (;;) {
      if (maxIter !== -1 && iter >= maxIter) {
        converged = false;
        break;
      }
      if (--counter === 0) {
        counter = Math.min(L, 1000);
        if (shrinking) {
          this.doShrinking();
          this.scanValid = false;
        }
      }
      if (this.selectWorkingSet() !== 0) {
        this.reconstructGradient();
        this.activeSize = L;
        this.scanValid = false;
        if (this.selectWorkingSet() !== 0) break;
        counter = 1; // shrink at the next iteration
      }
      ++iter;
      this.takeStep(this.outI, this.outJ);
    }
    const { rho, r } = this.calculateRho();
    return { iterations: iter, converged, rho, r };
  }

  /**
   * Solves the two-variable subproblem on (i, j), updates the gradient over the active set (fused
   * with the first scan of the next working-set selection) and G_bar when a bound status changes.
   */
  private takeStep(i: number, j: number): void {
    const l = this.n;
    const L = 2 * l;
    const { cls, ridx, QD, H, Hbar, alpha, mask, K } = this;
    const C = this.C;
    const Ci = C;
    const Cj = C;
    const baseI = ridx[i]! * l;
    const baseJ = ridx[j]! * l;
    const si = cls[i] === 0 ? 1 : -1;
    const sj = cls[j] === 0 ? 1 : -1;
    const Qij = si * sj * K[baseI + ridx[j]!]!;
    // G = y H.
    const Gi = si * H[i]!;
    const Gj = sj * H[j]!;
    const oldAi = alpha[i]!;
    const oldAj = alpha[j]!;
    let ai = oldAi;
    let aj = oldAj;
    if (si !== sj) {
      // Never taken by Solver_NU (it pairs variables of one class); kept for fidelity to Solve().
      let quad = QD[i]! + QD[j]! + 2 * Qij;
      if (quad <= 0) quad = TAU;
      const delta = (-Gi - Gj) / quad;
      const diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0) {
        if (aj < 0) {
          aj = 0;
          ai = diff;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = -diff;
      }
      if (diff > Ci - Cj) {
        if (ai > Ci) {
          ai = Ci;
          aj = Ci - diff;
        }
      } else if (aj > Cj) {
        aj = Cj;
        ai = Cj + diff;
      }
    } else {
      let quad = QD[i]! + QD[j]! - 2 * Qij;
      if (quad <= 0) quad = TAU;
      const delta = (Gi - Gj) / quad;
      const sum = ai + aj;
      ai -= delta;
      aj += delta;
      if (sum > Ci) {
        if (ai > Ci) {
          ai = Ci;
          aj = sum - Ci;
        }
      } else if (aj < 0) {
        aj = 0;
        ai = sum;
      }
      if (sum > Cj) {
        if (aj > Cj) {
          aj = Cj;
          ai = sum - Cj;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = sum;
      }
    }
    alpha[i] = ai;
    alpha[j] = aj;
    const ui = this.status[i] === UPPER;
    const uj = this.status[j] === UPPER;
    // The statuses of i and j change before the next working-set selection scans them, so they
    // can be set now: the fused scan below then sees exactly what select_working_set would.
    this.setStatus(i);
    this.setStatus(j);

    // H_k += K_ik (y_i Δα_i) + K_jk (y_j Δα_j); bit-identical to libsvm's
    // G_k += Q_ik Δα_i + Q_jk Δα_j because every sign flip is exact.
    const ci = si * (ai - oldAi);
    const cj = sj * (aj - oldAj);
    const n = this.activeSize;
    let gmaxP = Number.NEGATIVE_INFINITY;
    let gmaxPIdx = -1;
    let gmaxN = Number.NEGATIVE_INFINITY;
    let gmaxNIdx = -1;
    let gmax2P = Number.NEGATIVE_INFINITY;
    let gmax2N = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const rk = ridx[k]!;
      const h = H[k]! + (K[baseI + rk]! * ci + K[baseJ + rk]! * cj);
      H[k] = h;
      // I_up: -y G = -H for both classes; ties go to the last index (libsvm's >=).
      const vp = mask[4 * k]! - h;
      const vn = mask[4 * k + 1]! - h;
      if (vp >= gmaxP) {
        gmaxP = vp;
        gmaxPIdx = k;
      }
      if (vn >= gmaxN) {
        gmaxN = vn;
        gmaxNIdx = k;
      }
      // I_low: y G = H. Only the maximum value is used (stopping test), not its index.
      const wp = mask[4 * k + 2]! + h;
      const wn = mask[4 * k + 3]! + h;
      if (wp >= gmax2P) gmax2P = wp;
      if (wn >= gmax2N) gmax2N = wn;
    }
    this.gmaxP = gmaxP;
    this.gmaxPIdx = gmaxPIdx;
    this.gmaxN = gmaxN;
    this.gmaxNIdx = gmaxNIdx;
    this.gmax2P = gmax2P;
    this.gmax2N = gmax2N;
    this.scanValid = true;

    if (ui !== (this.status[i] === UPPER)) {
      const q = si * Ci;
      for (let k = 0; k < L; k++) {
        if (ui) Hbar[k] = Hbar[k]! - q * K[baseI + ridx[k]!]!;
        else Hbar[k] = Hbar[k]! + q * K[baseI + ridx[k]!]!;
      }
    }
    if (uj !== (this.status[j] === UPPER)) {
      const q = sj * Cj;
      for (let k = 0; k < L; k++) {
        if (uj) Hbar[k] = Hbar[k]! - q * K[baseJ + ridx[k]!]!;
        else Hbar[k] = Hbar[k]! + q * K[baseJ + ridx[k]!]!;
      }
    }
  }

  /** The first scan of select_working_set over the active set (when not fused with an update). */
  private scan(): void {
    const { H, mask } = this;
    const n = this.activeSize;
    let gmaxP = Number.NEGATIVE_INFINITY;
    let gmaxPIdx = -1;
    let gmaxN = Number.NEGATIVE_INFINITY;
    let gmaxNIdx = -1;
    let gmax2P = Number.NEGATIVE_INFINITY;
    let gmax2N = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const h = H[k]!;
      const vp = mask[4 * k]! - h;
      const vn = mask[4 * k + 1]! - h;
      if (vp >= gmaxP) {
        gmaxP = vp;
        gmaxPIdx = k;
      }
      if (vn >= gmaxN) {
        gmaxN = vn;
        gmaxNIdx = k;
      }
      const wp = mask[4 * k + 2]! + h;
      const wn = mask[4 * k + 3]! + h;
      if (wp >= gmax2P) gmax2P = wp;
      if (wn >= gmax2N) gmax2N = wn;
    }
    this.gmaxP = gmaxP;
    this.gmaxPIdx = gmaxPIdx;
    this.gmaxN = gmaxN;
    this.gmaxNIdx = gmaxNIdx;
    this.gmax2P = gmax2P;
    this.gmax2N = gmax2N;
    this.scanValid = true;
  }

  /**
   * libsvm `Solver_NU::select_working_set`; returns 1 when optimal (within tol), else 0.
   * In H = y G terms: i maximises -H over I_up of its class; Gmax2 = max H over I_low; for a
   * candidate j of class c, grad_diff = Gmax_c + H_j, and Q_{i_c j} = +K (equal signs).
   */
  private selectWorkingSet(): number {
    if (!this.scanValid) this.scan();
    this.scanValid = false;
    const gmaxP = this.gmaxP;
    const gmaxN = this.gmaxN;
    // The stopping test needs only the maxima, so the second scan is skipped when it holds.
    const a = gmaxP + this.gmax2P;
    const b = gmaxN + this.gmax2N;
    if (cmax(a, b) < this.eps) return 1;
    const l = this.n;
    const { ridx, QD, H, mask, K } = this;
    const n = this.activeSize;
    const ip = this.gmaxPIdx;
    const iN = this.gmaxNIdx;
    const baseP = ip !== -1 ? ridx[ip]! * l : 0;
    const baseN = iN !== -1 ? ridx[iN]! * l : 0;
    const QDp = ip !== -1 ? QD[ip]! : 0;
    const QDn = iN !== -1 ? QD[iN]! : 0;
    let GminIdx = -1;
    let objDiffMin = Number.POSITIVE_INFINITY;
    // -objDiffMin with a relative margin far above rounding: a candidate whose
    // grad_diff^2 / quad is below it cannot reach objDiffMin, so its division is skipped.
    let bound = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const h = H[j]!;
      // grad_diff = Gmax_c + H_j for the candidate's class c (NaN if j is not in I_low).
      const gp = gmaxP + (mask[4 * j + 2]! + h);
      const gn = gmaxN + (mask[4 * j + 3]! + h);
      let gradDiff: number;
      let quad: number;
      if (gp > 0) {
        gradDiff = gp;
        quad = QDp + QD[j]! - 2 * K[baseP + ridx[j]!]!;
      } else if (gn > 0) {
        gradDiff = gn;
        quad = QDn + QD[j]! - 2 * K[baseN + ridx[j]!]!;
      } else continue;
      const t = gradDiff * gradDiff;
      if (quad > 0) {
        if (t < bound * quad) continue;
        const objDiff = -t / quad;
        if (objDiff <= objDiffMin) {
          GminIdx = j;
          objDiffMin = objDiff;
          bound = -objDiff * (1 - 1e-9);
        }
      } else {
        const objDiff = -t / TAU;
        if (objDiff <= objDiffMin) {
          GminIdx = j;
          objDiffMin = objDiff;
          bound = -objDiff * (1 - 1e-9);
        }
      }
    }
    if (GminIdx === -1) return 1;
    this.outI = this.cls[GminIdx] === 0 ? ip : iN;
    this.outJ = GminIdx;
    return 0;
  }

  /** libsvm `Solver_NU::be_shrunk`, with G = y H. */
  private beShrunk(i: number, Gmax1: number, Gmax2: number, Gmax3: number, Gmax4: number): boolean {
    const st = this.status[i];
    const h = this.H[i]!;
    const pos = this.cls[i] === 0;
    if (st === UPPER) return pos ? -h > Gmax1 : h > Gmax4;
    if (st === LOWER) return pos ? h > Gmax2 : -h > Gmax3;
    return false;
  }

  /** libsvm `Solver_NU::do_shrinking`. */
  private doShrinking(): void {
    const { cls, H, status } = this;
    let Gmax1 = Number.NEGATIVE_INFINITY; // max { -y_i grad_i | y_i = +1, i in I_up }
    let Gmax2 = Number.NEGATIVE_INFINITY; // max { y_i grad_i | y_i = +1, i in I_low }
    let Gmax3 = Number.NEGATIVE_INFINITY; // max { -y_i grad_i | y_i = -1, i in I_up }
    let Gmax4 = Number.NEGATIVE_INFINITY; // max { y_i grad_i | y_i = -1, i in I_low }
    for (let i = 0; i < this.activeSize; i++) {
      const pos = cls[i] === 0;
      const g = pos ? H[i]! : -H[i]!;
      if (status[i] !== UPPER) {
        if (pos) {
          if (-g > Gmax1) Gmax1 = -g;
        } else if (-g > Gmax4) Gmax4 = -g;
      }
      if (status[i] !== LOWER) {
        if (pos) {
          if (g > Gmax2) Gmax2 = g;
        } else if (g > Gmax3) Gmax3 = g;
      }
    }
    const a = Gmax1 + Gmax2;
    const b = Gmax3 + Gmax4;
    if (this.unshrink === false && cmax(a, b) <= this.eps * 10) {
      this.unshrink = true;
      this.reconstructGradient();
      this.activeSize = 2 * this.n;
    }
    for (let i = 0; i < this.activeSize; i++) {
      if (this.beShrunk(i, Gmax1, Gmax2, Gmax3, Gmax4)) {
        this.activeSize--;
        while (this.activeSize > i) {
          if (!this.beShrunk(this.activeSize, Gmax1, Gmax2, Gmax3, Gmax4)) {
            this.swapIndex(i, this.activeSize);
            break;
          }
          this.activeSize--;
        }
      }
    }
  }

  /** libsvm `Solver::swap_index` + `SVR_Q::swap_index` (sign = y, index, QD). */
  private swapIndex(i: number, j: number): void {
    swapU8(this.cls, i, j);
    swapI32(this.ridx, i, j);
    swapF64(this.QD, i, j);
    swapF64(this.H, i, j);
    swapU8(this.status, i, j);
    const m = this.mask;
    for (let q = 0; q < 4; q++) swapF64(m, 4 * i + q, 4 * j + q);
    swapF64(this.alpha, i, j);
    swapF64(this.hp, i, j);
    swapI32(this.activeSet, i, j);
    swapF64(this.Hbar, i, j);
  }

  /** libsvm `Solver::reconstruct_gradient`: G of the shrunk variables from G_bar and the free ones. */
  private reconstructGradient(): void {
    const l = this.n;
    const L = 2 * l;
    const n = this.activeSize;
    if (n === L) return;
    const { cls, ridx, H, Hbar, hp, alpha, status, K } = this;
    for (let j = n; j < L; j++) H[j] = Hbar[j]! + hp[j]!;
    let nrFree = 0;
    for (let j = 0; j < n; j++) if (status[j] === FREE) nrFree++;
    if (nrFree * L > 2 * n * (L - n)) {
      // H_i += α_j y_i Q_ij = α_j y_j K_ij
      for (let i = n; i < L; i++) {
        const base = ridx[i]! * l;
        let hi = H[i]!;
        for (let j = 0; j < n; j++) {
          if (status[j] === FREE) hi += alpha[j]! * (cls[j] === 0 ? K[base + ridx[j]!]! : -K[base + ridx[j]!]!);
        }
        H[i] = hi;
      }
    } else {
      // H_j += α_i y_j Q_ij = α_i y_i K_ij
      for (let i = 0; i < n; i++) {
        if (status[i] !== FREE) continue;
        const base = ridx[i]! * l;
        const ai = cls[i] === 0 ? alpha[i]! : -alpha[i]!;
        for (let j = n; j < L; j++) H[j] = H[j]! + ai * K[base + ridx[j]!]!;
      }
    }
  }

  /** libsvm `Solver_NU::calculate_rho`: ρ = (r1 − r2)/2 and r = (r1 + r2)/2. */
  private calculateRho(): { rho: number; r: number } {
    const { cls, H, status } = this;
    let nrFree1 = 0;
    let nrFree2 = 0;
    let ub1 = Number.POSITIVE_INFINITY;
    let ub2 = Number.POSITIVE_INFINITY;
    let lb1 = Number.NEGATIVE_INFINITY;
    let lb2 = Number.NEGATIVE_INFINITY;
    let sumFree1 = 0;
    let sumFree2 = 0;
    for (let i = 0; i < this.activeSize; i++) {
      const st = status[i];
      if (cls[i] === 0) {
        const g = H[i]!;
        if (st === UPPER) lb1 = cmax(lb1, g);
        else if (st === LOWER) ub1 = cmin(ub1, g);
        else {
          ++nrFree1;
          sumFree1 += g;
        }
      } else {
        const g = -H[i]!;
        if (st === UPPER) lb2 = cmax(lb2, g);
        else if (st === LOWER) ub2 = cmin(ub2, g);
        else {
          ++nrFree2;
          sumFree2 += g;
        }
      }
    }
    const r1 = nrFree1 > 0 ? sumFree1 / nrFree1 : (ub1 + lb1) / 2;
    const r2 = nrFree2 > 0 ? sumFree2 / nrFree2 : (ub2 + lb2) / 2;
    return { rho: (r1 - r2) / 2, r: (r1 + r2) / 2 };
  }
}

/** libsvm's `max` template, (x > y) ? x : y (not Math.max: different on NaN and signed zeros). */
function cmax(x: number, y: number): number {
  // biome-ignore lint/complexity/useMathMinMax: keep libsvm's exact semantics
  return x > y ? x : y;
}
/** libsvm's `min` template, (x < y) ? x : y. */
function cmin(x: number, y: number): number {
  // biome-ignore lint/complexity/useMathMinMax: keep libsvm's exact semantics
  return x < y ? x : y;
}

function swapF64(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
function swapI32(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
function swapU8(a: Uint8Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
