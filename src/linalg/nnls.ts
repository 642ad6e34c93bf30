/**
 * Non-negative least squares, min ‖A x − b‖₂ s.t. x ≥ 0, by the Lawson–Hanson active-set
 * algorithm (Lawson & Hanson 1974, ch. 23), following scipy 1.10's `optimize.nnls` (Fortran
 * `nnls.f`): same entering rule (largest positive gradient), same rejection of an entering
 * column whose new coefficient is not positive, same step-back interpolation, removal of the
 * blocking and any non-positive coefficient, and the same default `maxIter = 3·n` counted on the
 * inner (step-back) loop.
 *
 * Two entry points:
 * - {@link nnls}: on A itself (subproblems by Householder QR of the passive columns), the
 *   numerically safest form; used to check the fast one.
 * - {@link nnlsGram}: on the Gram matrix AᵀA and Aᵀb (subproblems by Cholesky), for many
 *   right-hand sides sharing A (signature methods): O(n²) per sample after O(m n²) once.
 */
import { choleskySolve, choleskySubset } from './cholesky.js';

/** Result of an NNLS solve. */
export interface NnlsResult {
  x: Float64Array;
  /** Least-squares subproblems solved. */
  iterations: number;
  /** False when `maxIter` inner iterations were exceeded (scipy raises "too many iterations"). */
  converged: boolean;
}

/** Options of the NNLS solvers. */
export interface NnlsOptions {
  /** Maximum inner (step-back) iterations; default 3·n as scipy 1.10. */
  maxIter?: number;
  /**
   * nnlsGram only: start from the passive set left in the workspace by the previous solve (a
   * sequence of similar problems, e.g. the reweighting steps of WNNLS). When the unconstrained
   * solution on that set is strictly positive it is the starting point; otherwise the solve starts
   * from x = 0 as usual. H is positive definite in these uses, so the minimiser is unique and the
   * result is the same up to rounding.
   */
  warmStart?: boolean;
}

/** Reusable buffers for {@link nnlsGram}, sized for n unknowns (avoids allocation per sample). */
export class NnlsWorkspace {
  readonly n: number;
  readonly passive: Uint8Array;
  readonly idx: Int32Array;
  readonly w: Float64Array;
  readonly z: Float64Array;
  readonly zp: Float64Array;
  readonly L: Float64Array;
  constructor(n: number) {
    this.n = n;
    this.passive = new Uint8Array(n);
    this.idx = new Int32Array(n);
    this.w = new Float64Array(n);
    this.z = new Float64Array(n);
    this.zp = new Float64Array(n);
    this.L = new Float64Array(n * n);
  }
}

/**
 * Lawson–Hanson on the normal equations: min ½xᵀHx − dᵀx s.t. x ≥ 0 with H = AᵀA, d = Aᵀb
 * (same minimiser as ‖Ax − b‖ when H is built from A).
 *
 * @param n number of unknowns; @param H row-major n x n Gram matrix; @param d length n.
 * @param x output, length n (overwritten).
 * @returns iterations and convergence flag (x is written in place).
 * @example
 * // A = I, b = [1, -1] -> x = [1, 0]
 * nnlsGram(2, Float64Array.of(1, 0, 0, 1), Float64Array.of(1, -1), new Float64Array(2));
 */
export function nnlsGram(
  n: number,
  H: Float64Array,
  d: Float64Array,
  x: Float64Array,
  opts: NnlsOptions = {},
  ws: NnlsWorkspace = new NnlsWorkspace(n),
): { iterations: number; converged: boolean } {
  const maxIter = opts.maxIter ?? 3 * n;
  const { passive, w, z } = ws;
  let iter = 0;
  let solves = 0;
  x.fill(0, 0, n);
  let warm = false;
  if (opts.warmStart) {
    let k = 0;
    for (let j = 0; j < n; j++) k += passive[j]!;
    if (k > 0) {
      solves++;
      warm = solvePassive(n, H, d, ws);
      for (let j = 0; j < n && warm; j++) if (passive[j] && !(z[j]! > 0)) warm = false;
      if (warm) for (let j = 0; j < n; j++) x[j] = passive[j] ? z[j]! : 0;
      else x.fill(0, 0, n);
    }
  }
  if (!warm) passive.fill(0);
  gramGradient(n, H, d, x, w);
  const guard = 10 * (maxIter + n) + 10;
  for (let pass = 0; pass < guard; pass++) {
    // Entering variable: largest positive gradient among the active (zero) set.
    let t = -1;
    let wmax = 0;
    for (let j = 0; j < n; j++) {
      if (!passive[j] && w[j]! > wmax) {
        wmax = w[j]!;
        t = j;
      }
    }
    if (t < 0) return { iterations: solves, converged: true };
    passive[t] = 1;
    solves++;
    if (!solvePassive(n, H, d, ws) || !(z[t]! > 0)) {
      // Rounding made the entering column useless (dependent or wrong sign): reject it, as nnls.f does.
      passive[t] = 0;
      w[t] = 0;
      continue;
    }
    for (;;) {
      let feasible = true;
      for (let j = 0; j < n; j++) {
        if (passive[j] && !(z[j]! > 0)) {
          feasible = false;
          break;
        }
      }
      if (feasible) break;
      iter++;
      if (iter > maxIter) return { iterations: solves, converged: false };
      // Step back from x towards z until the first passive coefficient hits zero.
      let alpha = 2;
      let jj = -1;
      for (let j = 0; j < n; j++) {
        if (!passive[j] || z[j]! > 0) continue;
        const tt = x[j]! / (x[j]! - z[j]!);
        if (tt < alpha) {
          alpha = tt;
          jj = j;
        }
      }
      for (let j = 0; j < n; j++) if (passive[j]) x[j] = x[j]! + alpha * (z[j]! - x[j]!);
      if (jj >= 0) {
        passive[jj] = 0;
        x[jj] = 0;
      }
      for (let j = 0; j < n; j++) {
        if (passive[j] && !(x[j]! > 0)) {
          passive[j] = 0;
          x[j] = 0;
        }
      }
      solves++;
      if (!solvePassive(n, H, d, ws)) {
        // Cannot happen for a PD subset of a PD set; keep the feasible iterate.
        z.set(x.subarray(0, n));
        break;
      }
    }
    for (let j = 0; j < n; j++) x[j] = passive[j] ? z[j]! : 0;
    gramGradient(n, H, d, x, w);
  }
  return { iterations: solves, converged: false };
}

/** w = d − H x (the negative gradient of ½xᵀHx − dᵀx). */
function gramGradient(n: number, H: Float64Array, d: Float64Array, x: Float64Array, w: Float64Array): void {
  for (let j = 0; j < n; j++) {
    let s = d[j]!;
    const r = j * n;
    for (let k = 0; k < n; k++) {
      const xk = x[k]!;
      if (xk !== 0) s -= H[r + k]! * xk;
    }
    w[j] = s;
  }
}

/** ws.z = the unconstrained minimiser on the passive set (0 elsewhere); false if H[P,P] is not positive definite. */
function solvePassive(n: number, H: Float64Array, d: Float64Array, ws: NnlsWorkspace): boolean {
  const { passive, idx, z, zp, L } = ws;
  let k = 0;
  for (let j = 0; j < n; j++) if (passive[j]) idx[k++] = j;
  if (!choleskySubset(H, n, idx, k, L)) return false;
  for (let a = 0; a < k; a++) zp[a] = d[idx[a]!]!;
  choleskySolve(L, k, zp);
  z.fill(0, 0, n);
  for (let a = 0; a < k; a++) z[idx[a]!] = zp[a]!;
  return true;
}

/**
 * Least squares on the columns `cols` (k of them) of a row-major m x n matrix A by Householder
 * QR: writes the solution into z (length k). Returns false for a numerically dependent column.
 */
function lsqColumns(m: number, n: number, A: Float64Array, b: Float64Array, cols: Int32Array, k: number, z: Float64Array): boolean {
  const Q = new Float64Array(k * m); // column-major copy
  for (let a = 0; a < k; a++) {
    const c = cols[a]!;
    for (let i = 0; i < m; i++) Q[a * m + i] = A[i * n + c]!;
  }
  const r = Float64Array.from(b.subarray(0, m));
  let maxNorm = 0;
  for (let a = 0; a < k; a++) {
    const o = a * m;
    let norm = 0;
    for (let i = a; i < m; i++) norm += Q[o + i]! * Q[o + i]!;
    norm = Math.sqrt(norm);
    maxNorm = Math.max(maxNorm, norm);
    if (norm <= 1e-13 * maxNorm || norm === 0) return false;
    const x0 = Q[o + a]!;
    const alpha = x0 > 0 ? -norm : norm;
    const v0 = x0 - alpha;
    Q[o + a] = v0;
    const vnorm2 = norm * norm - x0 * x0 + v0 * v0; // ‖v‖² with v = x − alpha·e1
    // Apply H = I - 2 v vᵀ / ‖v‖² to the remaining columns and to r.
    for (let c = a + 1; c < k; c++) {
      const oc = c * m;
      let s = 0;
      for (let i = a; i < m; i++) s += Q[o + i]! * Q[oc + i]!;
      const f = (2 * s) / vnorm2;
      for (let i = a; i < m; i++) Q[oc + i] = Q[oc + i]! - f * Q[o + i]!;
    }
    let s = 0;
    for (let i = a; i < m; i++) s += Q[o + i]! * r[i]!;
    const f = (2 * s) / vnorm2;
    for (let i = a; i < m; i++) r[i] = r[i]! - f * Q[o + i]!;
    Q[o + a] = alpha; // R diagonal
  }
  for (let a = k - 1; a >= 0; a--) {
    let s = r[a]!;
    for (let c = a + 1; c < k; c++) s -= Q[c * m + a]! * z[c]!;
    z[a] = s / Q[a * m + a]!;
  }
  return true;
}

/**
 * Lawson–Hanson NNLS on A itself: min ‖A x − b‖₂ s.t. x ≥ 0 (scipy 1.10 `optimize.nnls`).
 *
 * @param m rows of A (genes); @param n columns (cell types); @param A row-major m x n; @param b length m.
 * @example
 * nnls(2, 2, Float64Array.of(1, 0, 0, 1), Float64Array.of(1, -1)).x; // [1, 0]
 */
export function nnls(m: number, n: number, A: Float64Array, b: Float64Array, opts: NnlsOptions = {}): NnlsResult {
  const maxIter = opts.maxIter ?? 3 * n;
  const x = new Float64Array(n);
  const passive = new Uint8Array(n);
  const cols = new Int32Array(n);
  const zp = new Float64Array(n);
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  const res = new Float64Array(m);
  let iter = 0;
  let solves = 0;
  const gradient = () => {
    for (let i = 0; i < m; i++) {
      let s = b[i]!;
      for (let j = 0; j < n; j++) s -= A[i * n + j]! * x[j]!;
      res[i] = s;
    }
    w.fill(0);
    for (let i = 0; i < m; i++) {
      const ri = res[i]!;
      for (let j = 0; j < n; j++) w[j] = w[j]! + A[i * n + j]! * ri;
    }
  };
  const solveP = (): boolean => {
    let k = 0;
    for (let j = 0; j < n; j++) if (passive[j]) cols[k++] = j;
    solves++;
    if (!lsqColumns(m, n, A, b, cols, k, zp)) return false;
    z.fill(0);
    for (let a = 0; a < k; a++) z[cols[a]!] = zp[a]!;
    return true;
  };
  gradient();
  const guard = 10 * (maxIter + n) + 10;
  for (let pass = 0; pass < guard; pass++) {
    let t = -1;
    let wmax = 0;
    for (let j = 0; j < n; j++) {
      if (!passive[j] && w[j]! > wmax) {
        wmax = w[j]!;
        t = j;
      }
    }
    if (t < 0) return { x, iterations: solves, converged: true };
    passive[t] = 1;
    if (!solveP() || !(z[t]! > 0)) {
      passive[t] = 0;
      w[t] = 0;
      continue;
    }
    for (;;) {
      let feasible = true;
      for (let j = 0; j < n; j++) if (passive[j] && !(z[j]! > 0)) feasible = false;
      if (feasible) break;
      iter++;
      if (iter > maxIter) return { x, iterations: solves, converged: false };
      let alpha = 2;
      let jj = -1;
      for (let j = 0; j < n; j++) {
        if (!passive[j] || z[j]! > 0) continue;
        const tt = x[j]! / (x[j]! - z[j]!);
        if (tt < alpha) {
          alpha = tt;
          jj = j;
        }
      }
      for (let j = 0; j < n; j++) if (passive[j]) x[j] = x[j]! + alpha * (z[j]! - x[j]!);
      if (jj >= 0) {
        passive[jj] = 0;
        x[jj] = 0;
      }
      for (let j = 0; j < n; j++) {
        if (passive[j] && !(x[j]! > 0)) {
          passive[j] = 0;
          x[j] = 0;
        }
      }
      if (!solveP()) {
        z.set(x);
        break;
      }
    }
    for (let j = 0; j < n; j++) x[j] = passive[j] ? z[j]! : 0;
    gradient();
  }
  return { x, iterations: solves, converged: false };
}
