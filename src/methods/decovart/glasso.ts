/**
 * Graphical lasso by block coordinate descent (Friedman, Hastie & Tibshirani 2008), following
 * scikit-learn's `graphical_lasso(mode='cd')` step by step so that results agree with
 * `sklearn.covariance.GraphicalLasso` to solver tolerance:
 *
 *   Θ̂ = argmax_{Θ≻0} log det Θ − tr(SΘ) − α Σ_{a≠b} |Θ_ab|   (diagonal not penalised)
 *
 * - start W = S with off-diagonal entries scaled by 0.95, Θ = W⁻¹ (from a Cholesky factor);
 * - per outer iteration, for each row i: a lasso on the Gram matrix W₋ᵢ₋ᵢ with target s₋ᵢ solved by
 *   cyclic coordinate descent (sklearn `enet_coordinate_descent_gram`, warm-started from −Θ₋ᵢᵢ/Θᵢᵢ,
 *   its own duality-gap stop `enet_tol`), then the row/column of Θ and W are updated in closed form;
 * - stop when the duality gap Σ SΘ − G + α Σ_{a≠b}|Θ_ab| falls below `tol` (sklearn's criterion).
 *
 * Penalty selection (specs/decovart.md): on the correlation matrix, a path of 20 log-spaced α from
 * α_max = max_{a≠b}|R_ab| down to 0.01 α_max with warm starts (as sklearn `graphical_lasso_path`),
 * picked by EBIC with γ = 0.5; fixed α = 0.1 when fewer than 10 cells.
 */
import { choleskyInPlace, cholInverse, cholLogDet } from './linalg.js';

/** Solver settings; defaults are sklearn's (`tol=1e-4, enet_tol=1e-4, max_iter=100, mode='cd'`). */
export interface GlassoOptions {
  tol: number;
  enetTol: number;
  maxIter: number;
}

/** sklearn `graphical_lasso` defaults. */
export const GLASSO_DEFAULTS: GlassoOptions = { tol: 1e-4, enetTol: 1e-4, maxIter: 100 };

/** Output of {@link graphicalLasso}. */
export interface GlassoResult {
  /** Estimated covariance W (G x G row-major), positive definite, W ≈ Θ⁻¹. */
  covariance: Float64Array;
  /** Estimated precision Θ (G x G row-major, symmetric, sparse off the diagonal). */
  precision: Float64Array;
  /** Outer iterations run. */
  nIter: number;
  /** Duality gap at the end. */
  dualGap: number;
  converged: boolean;
}

const EPS = 2.220446049250313e-16;

/**
 * Graphical lasso of an empirical covariance (or correlation) matrix, sklearn `graphical_lasso`.
 *
 * @param emp G x G row-major symmetric positive semi-definite matrix (e.g. biased covariance).
 * @param n G.
 * @param alpha l1 penalty on the off-diagonal entries of Θ (≥ 0; 0 returns emp and its inverse).
 * @param opts solver settings; `covInit` warm-starts W (a path solver passes the previous W).
 * @throws Error when the system is too ill-conditioned (non-finite precision), as sklearn does.
 * @example
 * const { precision, covariance } = graphicalLasso(corr, 5, 0.2);
 */
export function graphicalLasso(
  emp: Float64Array,
  n: number,
  alpha: number,
  opts: Partial<GlassoOptions> & { covInit?: Float64Array } = {},
): GlassoResult {
  const o = { ...GLASSO_DEFAULTS, ...opts };
  const W = Float64Array.from(opts.covInit ?? emp);
  const P = new Float64Array(n * n);
  const L = new Float64Array(n * n);
  if (alpha === 0) {
    W.set(emp);
    L.set(emp);
    if (!choleskyInPlace(L, n)) throw new Error('graphical lasso with alpha = 0 needs a positive-definite matrix');
    cholInverse(L, n, P);
    return { covariance: W, precision: P, nIter: 0, dualGap: dualGap(emp, P, n, 0), converged: true };
  }
  for (let k = 0; k < n * n; k++) W[k] = W[k]! * 0.95;
  for (let i = 0; i < n; i++) W[i * n + i] = emp[i * n + i]!;
  L.set(W);
  if (choleskyInPlace(L, n)) cholInverse(L, n, P);
  else {
    // sklearn uses pinvh; a PSD-but-singular start only happens for degenerate input, where the
    // diagonal inverse is a safe warm start (the coordinate descent does not depend on it for correctness).
    for (let i = 0; i < n; i++) P[i * n + i] = 1 / Math.max(W[i * n + i]!, EPS);
  }

  const m = n - 1;
  const coefs = new Float64Array(m);
  const row = new Float64Array(m);
  const H = new Float64Array(m);
  const tmp = new Float64Array(m);
  const idxMap = new Int32Array(m);
  const Q = new Float64Array(m * m);
  let gap = Number.POSITIVE_INFINITY;
  let it = 0;
  let converged = false;
  for (it = 0; it < o.maxIter; it++) {
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) idxMap[a] = a < i ? a : a + 1;
      const pii = P[i * n + i]!;
      for (let a = 0; a < m; a++) {
        const ia = idxMap[a]!;
        coefs[a] = -(P[ia * n + i]! / (pii + 1000 * EPS));
        row[a] = emp[i * n + ia]!;
      }
      // Contiguous copy of W₋ᵢ₋ᵢ (sklearn keeps the same buffer), so the inner loops run over memory in order.
      for (let a = 0; a < m; a++) {
        const ra = idxMap[a]! * n;
        for (let b = 0; b < m; b++) Q[a * m + b] = W[ra + idxMap[b]!]!;
      }
      enetCdGram(coefs, alpha, Q, row, o.maxIter, o.enetTol, H);
      let d = W[i * n + i]!;
      for (let a = 0; a < m; a++) d -= W[idxMap[a]! * n + i]! * coefs[a]!;
      const newPii = 1 / d;
      P[i * n + i] = newPii;
      for (let a = 0; a < m; a++) {
        const ia = idxMap[a]!;
        const v = -newPii * coefs[a]!;
        P[ia * n + i] = v;
        P[i * n + ia] = v;
      }
      // W₋ᵢᵢ = W₋ᵢ₋ᵢ β
      for (let a = 0; a < m; a++) {
        let s = 0;
        for (let b = 0; b < m; b++) s += Q[a * m + b]! * coefs[b]!;
        tmp[a] = s;
      }
      for (let a = 0; a < m; a++) {
        const ia = idxMap[a]!;
        W[i * n + ia] = tmp[a]!;
        W[ia * n + i] = tmp[a]!;
      }
    }
    let finite = true;
    for (let k = 0; k < n * n; k++) if (!Number.isFinite(P[k]!)) finite = false;
    if (!finite) throw new Error('graphical lasso: the system is too ill-conditioned for this solver');
    gap = dualGap(emp, P, n, alpha);
    if (Math.abs(gap) < o.tol) {
      converged = true;
      it++;
      break;
    }
  }
  return { covariance: W, precision: P, nIter: Math.min(it, o.maxIter), dualGap: gap, converged };
}

/**
 * {@link graphicalLasso} with exact block screening (Witten, Friedman & Simon 2011; Mazumder & Hastie
 * 2012): the connected components of the graph {|S_ab| > α} are the diagonal blocks of the solution, so
 * each block is solved on its own and singletons are closed-form (W_ii = S_ii, Θ_ii = 1/S_ii). Same
 * optimum as the unscreened solver; large penalties (most of an EBIC path) become cheap.
 */
export function graphicalLassoScreened(
  emp: Float64Array,
  n: number,
  alpha: number,
  opts: Partial<GlassoOptions> & { covInit?: Float64Array } = {},
): GlassoResult {
  if (alpha === 0) return graphicalLasso(emp, n, alpha, opts);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (Math.abs(emp[a * n + b]!) > alpha) {
        const ra = find(a);
        const rb = find(b);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  const blocks = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const b = blocks.get(r);
    if (b) b.push(i);
    else blocks.set(r, [i]);
  }
  if (blocks.size === 1) return graphicalLasso(emp, n, alpha, opts);
  const W = new Float64Array(n * n);
  const P = new Float64Array(n * n);
  let nIter = 0;
  let converged = true;
  let gap = 0;
  for (const idx of blocks.values()) {
    const k = idx.length;
    if (k === 1) {
      const i = idx[0]!;
      W[i * n + i] = emp[i * n + i]!;
      P[i * n + i] = 1 / emp[i * n + i]!;
      continue;
    }
    const sub = new Float64Array(k * k);
    const init = opts.covInit ? new Float64Array(k * k) : undefined;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        sub[a * k + b] = emp[idx[a]! * n + idx[b]!]!;
        if (init) init[a * k + b] = opts.covInit![idx[a]! * n + idx[b]!]!;
      }
    }
    const r = graphicalLasso(sub, k, alpha, { ...opts, covInit: init });
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        W[idx[a]! * n + idx[b]!] = r.covariance[a * k + b]!;
        P[idx[a]! * n + idx[b]!] = r.precision[a * k + b]!;
      }
    }
    nIter = Math.max(nIter, r.nIter);
    converged &&= r.converged;
    gap += r.dualGap;
  }
  return { covariance: W, precision: P, nIter, dualGap: gap, converged };
}

/** sklearn `_dual_gap`: Σ SΘ − G + α(Σ|Θ| − Σ|diag Θ|). */
function dualGap(emp: Float64Array, P: Float64Array, n: number, alpha: number): number {
  let s = 0;
  let off = 0;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const v = P[a * n + b]!;
      s += emp[a * n + b]! * v;
      if (a !== b) off += Math.abs(v);
    }
  }
  return s - n + alpha * off;
}

/**
 * sklearn `enet_coordinate_descent_gram` with beta = 0 (pure lasso), cyclic, not positive:
 * minimises ½ wᵀQw − qᵀw + α‖w‖₁ (Q: m x m row-major Gram matrix) with
 * y = q (so ‖y‖² = qᵀq). Stops when the largest coordinate change is small relative to the largest
 * coefficient AND the duality gap is below tol·‖y‖², or after maxIter sweeps.
 */
function enetCdGram(w: Float64Array, alpha: number, Q: Float64Array, q: Float64Array, maxIter: number, tol: number, H: Float64Array): void {
  const m = w.length;
  let yNorm2 = 0;
  for (let a = 0; a < m; a++) yNorm2 += q[a]! * q[a]!;
  const dwTol = tol;
  const gapTol = tol * yNorm2;
  // H = Q w
  for (let a = 0; a < m; a++) {
    const ra = a * m;
    let s = 0;
    for (let b = 0; b < m; b++) s += Q[ra + b]! * w[b]!;
    H[a] = s;
  }
  for (let nIter = 0; nIter < maxIter; nIter++) {
    let wMax = 0;
    let dwMax = 0;
    for (let a = 0; a < m; a++) {
      const ra = a * m;
      const qaa = Q[ra + a]!;
      if (qaa === 0) continue;
      const wOld = w[a]!;
      if (wOld !== 0) for (let b = 0; b < m; b++) H[b] = H[b]! - wOld * Q[ra + b]!;
      const t = q[a]! - H[a]!;
      const mag = Math.abs(t) - alpha;
      const wNew = mag > 0 ? (Math.sign(t) * mag) / qaa : 0;
      w[a] = wNew;
      if (wNew !== 0) for (let b = 0; b < m; b++) H[b] = H[b]! + wNew * Q[ra + b]!;
      const dw = Math.abs(wNew - wOld);
      if (dw > dwMax) dwMax = dw;
      if (Math.abs(wNew) > wMax) wMax = Math.abs(wNew);
    }
    if (wMax === 0 || dwMax / wMax < dwTol || nIter === maxIter - 1) {
      let qDotW = 0;
      let dualNorm = 0;
      let wH = 0;
      let l1 = 0;
      for (let a = 0; a < m; a++) {
        qDotW += w[a]! * q[a]!;
        const x = Math.abs(q[a]! - H[a]!);
        if (x > dualNorm) dualNorm = x;
        wH += w[a]! * H[a]!;
        l1 += Math.abs(w[a]!);
      }
      const rNorm2 = yNorm2 + wH - 2 * qDotW;
      let gap: number;
      let cst: number;
      if (dualNorm > alpha) {
        cst = alpha / dualNorm;
        gap = 0.5 * (rNorm2 + rNorm2 * cst * cst);
      } else {
        cst = 1;
        gap = rNorm2;
      }
      gap += alpha * l1 - cst * yNorm2 + cst * qDotW;
      if (gap < gapTol) break;
    }
  }
}

/** One point of the penalty path. */
export interface GlassoPathPoint {
  alpha: number;
  /** Number of non-zero off-diagonal pairs of Θ (|E|). */
  edges: number;
  /** −2·loglik + |E| log n + 4γ|E| log G, loglik = (n/2)(log det Θ − tr(RΘ)). */
  ebic: number;
}

/** Output of {@link glassoEbic}: the chosen solution, its penalty, and the path. */
export interface GlassoSelection extends GlassoResult {
  /** Chosen penalty. */
  alpha: number;
  /** 'ebic' (path), 'fixed' (too few samples for a path) or 'given'. */
  rule: 'ebic' | 'fixed' | 'given';
  path: GlassoPathPoint[];
}

/** Penalty selection settings (specs/decovart.md "Precision/covariance estimation"). */
export interface GlassoSelectionOptions extends GlassoOptions {
  /** Number of penalties on the path. */
  nAlphas: number;
  /** Smallest penalty as a fraction of α_max. */
  alphaMinRatio: number;
  /** EBIC γ. */
  gamma: number;
  /** Below this many samples, use `fallbackAlpha` instead of a path. */
  minSamplesForPath: number;
  fallbackAlpha: number;
  /** A fixed penalty (skips selection). */
  alpha?: number;
}

/** specs/decovart.md: 20 penalties down to 1 % of α_max, EBIC γ = 0.5, fixed α = 0.1 below 10 samples. */
export const GLASSO_SELECTION_DEFAULTS: GlassoSelectionOptions = {
  ...GLASSO_DEFAULTS,
  nAlphas: 20,
  alphaMinRatio: 0.01,
  gamma: 0.5,
  minSamplesForPath: 10,
  fallbackAlpha: 0.1,
};

/**
 * Graphical lasso on a correlation matrix with the penalty chosen by EBIC along a warm-started path.
 *
 * @param corr G x G correlation matrix (unit diagonal), row-major.
 * @param n G.
 * @param nSamples number of observations behind `corr` (cells of the type).
 */
export function glassoEbic(corr: Float64Array, n: number, nSamples: number, opts: Partial<GlassoSelectionOptions> = {}): GlassoSelection {
  const o = { ...GLASSO_SELECTION_DEFAULTS, ...opts };
  const solverOpts = { tol: o.tol, enetTol: o.enetTol, maxIter: o.maxIter };
  if (o.alpha !== undefined) {
    return { ...graphicalLassoScreened(corr, n, o.alpha, solverOpts), alpha: o.alpha, rule: 'given', path: [] };
  }
  if (nSamples < o.minSamplesForPath || n < 2) {
    return { ...graphicalLassoScreened(corr, n, o.fallbackAlpha, solverOpts), alpha: o.fallbackAlpha, rule: 'fixed', path: [] };
  }
  let aMax = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b) aMax = Math.max(aMax, Math.abs(corr[a * n + b]!));
  if (aMax === 0) {
    // Diagonal input: every penalty gives the same (diagonal) answer.
    return { ...graphicalLassoScreened(corr, n, o.fallbackAlpha, solverOpts), alpha: o.fallbackAlpha, rule: 'fixed', path: [] };
  }
  const path: GlassoPathPoint[] = [];
  let best: { res: GlassoResult; alpha: number; ebic: number } | undefined;
  let prevW: Float64Array | undefined;
  const L = new Float64Array(n * n);
  for (let k = 0; k < o.nAlphas; k++) {
    const alpha = o.nAlphas === 1 ? aMax : aMax * o.alphaMinRatio ** (k / (o.nAlphas - 1));
    let res: GlassoResult;
    try {
      res = graphicalLassoScreened(corr, n, alpha, { ...solverOpts, covInit: prevW });
    } catch {
      break; // too ill-conditioned at small penalties: keep the path found so far
    }
    prevW = res.covariance;
    L.set(res.precision);
    if (!choleskyInPlace(L, n)) break;
    let trRP = 0;
    let edges = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        trRP += corr[a * n + b]! * res.precision[a * n + b]!;
        if (b > a && res.precision[a * n + b] !== 0) edges++;
      }
    }
    const loglik = (nSamples / 2) * (cholLogDet(L, n) - trRP);
    const ebic = -2 * loglik + edges * Math.log(nSamples) + 4 * o.gamma * edges * Math.log(n);
    path.push({ alpha, edges, ebic });
    if (!best || ebic < best.ebic) best = { res, alpha, ebic };
  }
  if (!best) {
    return { ...graphicalLassoScreened(corr, n, aMax, solverOpts), alpha: aMax, rule: 'ebic', path };
  }
  return { ...best.res, alpha: best.alpha, rule: 'ebic', path };
}
