/**
 * Levenberg–Marquardt minimiser in the style of CRAN marqLevAlg (Philipps et al., R Journal 2021),
 * the optimiser DeCovarT calls (specs/decovart.md, "Optimiser").
 *
 * Minimises F with its gradient g and Hessian V. Per iteration: inflate the diagonal,
 * Ṽ_ii = V_ii + λ[(1 − η)|V_ii| + η·t] with t the mean absolute diagonal (λ starts at 0.01 and is
 * kept across iterations, η restarts at 0.01); if Ṽ is not positive definite, λ ← 5λ for the first
 * three retries and then η ← min(1, 5η). Step δ = −Ṽ⁻¹g; if it lowers F it is taken and λ ← λ/7
 * (floor 1e-7), otherwise a line search on log(step length) picks the step and λ ← 2λ.
 *
 * Convergence needs all three criteria of marqLevAlg at once: parameter stability Σδ² < epsa,
 * objective stability |ΔF| < epsb and the relative distance to the minimum RDM = gᵀV⁻¹g/m < epsd,
 * computed with the non-inflated Hessian (RDM rejects saddle points: a V that is not positive
 * definite gives RDM = epsd + 1).
 *
 * One deliberate difference: marqLevAlg's R line search (`searpas`) returns its initial tiny step
 * when the search runs forward and brackets a minimum; here it returns the bracketed minimum, which
 * is what the Fortran original and the vignette describe.
 */
import { choleskyInPlace, cholSolve } from './linalg.js';

/** Objective to minimise: writes F (and, for order 2, ∇F and ∇²F) for parameters θ. */
export interface LmObjective {
  /** Number of parameters m. */
  readonly nParams: number;
  /**
   * @param theta length m.
   * @param order 0: value only, 2: value, gradient and Hessian.
   * @param grad length m (written when order = 2).
   * @param hess m x m row-major (written when order = 2).
   * @returns F(θ); +Infinity or NaN when it cannot be evaluated there.
   */
  evaluate(theta: Float64Array, order: 0 | 2, grad: Float64Array, hess: Float64Array): number;
}

/** Settings; defaults are DeCovarT's call of marqLevAlg (epsilon = 1e-4, itmax = 200). */
export interface LmOptions {
  /** Parameter-stability threshold on Σ_j (θ_j^{k+1} − θ_j^k)². */
  epsa: number;
  /** Objective-stability threshold on |F^{k+1} − F^k|. */
  epsb: number;
  /** Relative-distance-to-minimum threshold on gᵀV⁻¹g/m. */
  epsd: number;
  /** Maximum number of iterations (accepted steps). */
  maxIter: number;
}

/** DeCovarT's marqLevAlg call: epsa = epsb = epsd = 1e-4, maxiter = 200. */
export const LM_DEFAULTS: LmOptions = { epsa: 1e-4, epsb: 1e-4, epsd: 1e-4, maxIter: 200 };

/**
 * Replaces marqLevAlg's parameter-stability measure Σ_k δ_k² (e.g. to ignore coordinates drifting to
 * infinity at a boundary of the original parameter space). Receives θ before the step and the step.
 */
export type StepNorm = (theta: Float64Array, delta: Float64Array) => number;

/** Why the optimiser stopped: marqLevAlg's istop 1 (converged), 2 (maxiter), 4 (numerical). */
export type LmStop = 'converged' | 'maxiter' | 'numerical';

/** Output of {@link levenbergMarquardt}. */
export interface LmResult {
  /** Final parameters (the best point seen when stopping for a numerical failure). */
  theta: Float64Array;
  /** F at theta. */
  value: number;
  iterations: number;
  converged: boolean;
  stop: LmStop;
  /** Last values of the three criteria. */
  ca: number;
  cb: number;
  rdm: number;
}

const DA_INIT = 0.01;
const GA_INIT = 0.01;
const DM = 5;
const DA_MIN = 1e-7;
const MAX_INFLATIONS = 10;
const TH = 1e-5;
const LOG_STEP = Math.log(1.5);

/**
 * Minimises `obj` from `theta0` (not modified).
 *
 * @example
 * // F(θ) = ½ θᵀAθ − bᵀθ converges in one or two iterations
 * const res = levenbergMarquardt(quadratic, new Float64Array(2));
 */
export function levenbergMarquardt(obj: LmObjective, theta0: Float64Array, opts: Partial<LmOptions> = {}, stepNorm?: StepNorm): LmResult {
  const o = { ...LM_DEFAULTS, ...opts };
  const m = obj.nParams;
  let b = Float64Array.from(theta0);
  const g = new Float64Array(m);
  const V = new Float64Array(m * m);
  const F = new Float64Array(m * m);
  const delta = new Float64Array(m);
  const trial = new Float64Array(m);
  const sink = new Float64Array(Math.max(m * m, 1));
  const sinkG = new Float64Array(Math.max(m, 1));
  const value0 = (t: Float64Array): number => {
    const f = obj.evaluate(t, 0, sinkG, sink);
    return Number.isFinite(f) ? f : Number.POSITIVE_INFINITY;
  };

  let ca = o.epsa + 1;
  let cb = o.epsb + 1;
  let dd = o.epsd + 1;
  let da = DA_INIT;
  let ni = 0;
  let stop: LmStop = 'maxiter';
  let f0 = Number.NaN;
  let best = { theta: Float64Array.from(b), value: Number.POSITIVE_INFINITY };

  for (;;) {
    f0 = obj.evaluate(b, 2, g, V);
    if (!Number.isFinite(f0) || !allFinite(g) || !allFinite(V)) {
      stop = 'numerical';
      break;
    }
    if (f0 < best.value) best = { theta: Float64Array.from(b), value: f0 };
    // RDM with the non-inflated Hessian.
    F.set(V);
    if (choleskyInPlace(F, m)) {
      delta.set(g);
      cholSolve(F, m, delta);
      let s = 0;
      for (let k = 0; k < m; k++) s += g[k]! * delta[k]!;
      dd = s / m;
      if (!Number.isFinite(dd)) dd = o.epsd + 1;
    } else dd = o.epsd + 1;
    if (ca < o.epsa && cb < o.epsb && dd < o.epsd) {
      stop = 'converged';
      break;
    }
    if (ni >= o.maxIter) {
      stop = 'maxiter';
      break;
    }

    let tr = 0;
    for (let k = 0; k < m; k++) tr += Math.abs(V[k * m + k]!);
    tr /= m;
    let ga = GA_INIT;
    const inflate = (): boolean => {
      F.set(V);
      for (let k = 0; k < m; k++) {
        const vkk = V[k * m + k]!;
        F[k * m + k] = vkk !== 0 ? vkk + da * ((1 - ga) * Math.abs(vkk) + ga * tr) : da * ga * tr;
      }
      return choleskyInPlace(F, m);
    };
    let ok = inflate();
    let ncount = 0;
    while (!ok && ncount < MAX_INFLATIONS) {
      ncount++;
      if (ncount <= 3 || ga >= 1) da *= DM;
      else ga = Math.min(1, ga * DM);
      ok = inflate();
    }
    if (!ok) {
      stop = 'numerical';
      break;
    }
    for (let k = 0; k < m; k++) delta[k] = -g[k]!;
    cholSolve(F, m, delta);
    for (let k = 0; k < m; k++) trial[k] = b[k]! + delta[k]!;
    let f1 = value0(trial);
    if (f1 < f0) {
      da = da < DA_MIN ? DA_MIN : da / (DM + 2);
    } else {
      let maxt = 0;
      for (let k = 0; k < m; k++) maxt = Math.max(maxt, Math.abs(delta[k]!));
      const vw0 = maxt === 0 ? TH : TH / maxt;
      const ls = lineSearch(vw0, b, delta, value0, trial);
      f1 = ls.value;
      for (let k = 0; k < m; k++) delta[k] = ls.step * delta[k]!;
      da = (DM - 3) * da;
      if (!Number.isFinite(f1)) {
        stop = 'numerical';
        break;
      }
    }
    cb = Math.abs(f0 - f1);
    ca = 0;
    for (let k = 0; k < m; k++) ca += delta[k]! * delta[k]!;
    if (stepNorm) ca = stepNorm(b, delta);
    for (let k = 0; k < m; k++) b[k] = b[k]! + delta[k]!;
    ni++;
  }
  if (stop === 'numerical' || !allFinite(b)) {
    b = best.theta;
    f0 = best.value;
  }
  return { theta: b, value: f0, iterations: ni, converged: stop === 'converged', stop, ca, cb, rdm: dd };
}

function allFinite(a: Float64Array): boolean {
  for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k]!)) return false;
  return true;
}

/**
 * marqLevAlg's `searpas`: minimises φ(s) = F(b + e^s δ) over a grid in s with ratio 1.5, starting
 * at e^s = vw0, then one parabolic refinement in s. Returns the chosen step length and φ there.
 */
function lineSearch(
  vw0: number,
  b: Float64Array,
  delta: Float64Array,
  value: (t: Float64Array) => number,
  work: Float64Array,
): { step: number; value: number } {
  const phi = (s: number): number => {
    const t = Math.exp(s);
    for (let k = 0; k < b.length; k++) work[k] = b[k]! + t * delta[k]!;
    return value(work);
  };
  let step = LOG_STEP;
  let s1 = Math.log(vw0);
  let s2 = s1 + step;
  let f1 = phi(s1);
  let f2 = phi(s2);
  let f3: number;
  const parabola = (): { s: number; f: number } => {
    const den = 2 * (f1 - 2 * f2 + f3);
    const sm = den !== 0 && Number.isFinite(den) ? s2 - (step * (f1 - f3)) / den : s2;
    const fm = phi(sm);
    return Number.isFinite(fm) && fm <= f2 ? { s: sm, f: fm } : { s: s2, f: f2 };
  };
  if (f2 >= f1) {
    // Longer is worse: look at shorter steps once, as marqLevAlg does.
    f3 = f2;
    s2 = s1;
    f2 = f1;
    step = -step;
    s1 = s2 + step;
    f1 = phi(s1);
    const r = parabola();
    return { step: Math.exp(r.s), value: r.f };
  }
  // Longer is better: walk forward until φ rises, then refine.
  [s1, s2, f1, f2] = [s2, s1, f2, f1];
  for (let i = 0; i < 40; i++) {
    f3 = f2;
    s2 = s1;
    f2 = f1;
    s1 = s2 + step;
    f1 = phi(s1);
    if (f1 > f2) {
      const r = parabola();
      return { step: Math.exp(r.s), value: r.f };
    }
    if (f1 === f2) return { step: Math.exp(s2), value: f2 };
  }
  return { step: Math.exp(s1), value: f1 };
}
