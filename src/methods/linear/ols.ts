/**
 * OLS: unconstrained least squares per bulk sample, the minimum-norm solution of ‖S p − y‖²
 * (PyDeconv `solver_ols` = `scipy.linalg.lstsq`, cutoff eps · s_max; handles rank deficiency).
 * A well-conditioned signature (the usual case) is solved by the normal equations with the SIMD
 * kernel; a rank-deficient or ill-conditioned one by the SVD pseudo-inverse (see
 * {@link OLS_NORMAL_EQUATIONS_MAX_COND}).
 *
 * Coefficients may be negative; PyDeconv does not clip OLS (onlyPositive false), so normalised
 * `proportions` can hold negative entries (they still sum to 1).
 */
import { spdInverse } from '../../linalg/cholesky.js';
import { pinv } from '../../linalg/svd.js';
import { paddedLength, WasmArena } from '../../linalg/wasm/kernels.js';
import { registerMethod } from '../registry.js';
import { defineSignatureMethod, type SignatureMethodBaseOptions, type SignatureSolver } from '../signature-method.js';

/** OLS options. */
export interface OlsMethodOptions {
  /** Relative singular-value cutoff; default machine epsilon (scipy `lstsq(cond=None)`). */
  rcond: number;
}

/**
 * Largest 1-norm condition number of SᵀS for which OLS solves the normal equations:
 * cond₂(SᵀS) ≤ C·1e6 keeps their rounding error (≈ cond₂(SᵀS)·eps ≤ 4e-9 relative for C ≤ 17) far
 * below the 1e-6 parity tolerance, and no singular value is near lstsq's cutoff (eps·s_max), so
 * the solution is the minimum-norm one. Anything worse goes through the SVD pseudo-inverse.
 */
export const OLS_NORMAL_EQUATIONS_MAX_COND = 1e6;

type OlsRegion = 'St' | 'y' | 'd' | 'H' | 'P' | 'out';

interface OlsPrepared {
  G: number;
  C: number;
  K: number;
  rank: number;
  /**
   * 'normal': p = (SᵀS)⁻¹ Sᵀy with Sᵀy by the SIMD kernel (well-conditioned S, the usual case);
   * 'pinv': p = S⁺y with S⁺ from the SVD (rank-deficient or ill-conditioned S).
   */
  mode: 'normal' | 'pinv';
  /** (SᵀS)⁻¹, C x C (mode 'normal'). */
  Hinv: Float64Array;
  /** S⁺, C x G (mode 'pinv'). */
  P: Float64Array;
  /** Kernel regions (St or P padded to K genes), or null for the JavaScript loop. */
  arena: WasmArena<OlsRegion> | null;
}

/** The per-sample OLS solver: the inverse Gram matrix or the pseudo-inverse is computed once per signature. */
export const olsSolver: SignatureSolver<OlsMethodOptions & SignatureMethodBaseOptions, OlsPrepared> = {
  prepare(S, G, C, opts) {
    const K = paddedLength(G);
    const arena = WasmArena.create<OlsRegion>({ St: C * K, y: K, d: C, H: C * C, P: C * K, out: C });
    if (arena) {
      const St = arena.view.St;
      for (let g = 0; g < G; g++) for (let c = 0; c < C; c++) St[c * K + g] = S[g * C + c]!;
      arena.dotsNT(C, C, K, 'St', 'St', 'H');
      const sym = arena.view.H.slice();
      for (let a = 0; a < C; a++) for (let b = 0; b < a; b++) sym[a * C + b] = sym[b * C + a]!; // exact symmetry
      const inv = spdInverse(sym, C);
      if (inv && inv.cond1 <= OLS_NORMAL_EQUATIONS_MAX_COND) {
        return { G, C, K, rank: C, mode: 'normal', Hinv: inv.inv, P: new Float64Array(0), arena };
      }
    }
    const { P, rank } = pinv(G, C, S, opts.rcond);
    if (arena) for (let c = 0; c < C; c++) arena.view.P.set(P.subarray(c * G, (c + 1) * G), c * K);
    return { G, C, K, rank, mode: 'pinv', Hinv: new Float64Array(0), P, arena };
  },
  solve(p, y, out) {
    const { P, G, C, arena } = p;
    const outcome = { iterations: 0, converged: true, extra: { rank: p.rank } };
    if (arena) {
      arena.view.y.set(y.subarray(0, G));
      if (p.mode === 'normal') {
        arena.dotsNT(1, C, p.K, 'y', 'St', 'd');
        const d = arena.view.d;
        const Hinv = p.Hinv;
        for (let a = 0; a < C; a++) {
          let s = 0;
          for (let b = 0; b < C; b++) s += Hinv[a * C + b]! * d[b]!;
          out[a] = s;
        }
      } else {
        arena.dotsNT(1, C, p.K, 'y', 'P', 'out');
        out.set(arena.view.out);
      }
      return outcome;
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      const b = c * G;
      for (let g = 0; g < G; g++) s += P[b + g]! * y[g]!;
      out[c] = s;
    }
    return outcome;
  },
  extraKeys: ['rank'],
  // One SIMD dot product per cell type (~8x scalar speed): never worth a worker.
  costPerSample: (G, C) => (G * C) / 4,
};

/** The OLS method spec (registered as 'ols'). */
export const olsMethod = defineSignatureMethod<OlsMethodOptions>({
  name: 'ols',
  description: 'Ordinary least squares (minimum-norm, unconstrained), per bulk sample',
  reference: 'PyDeconv solver_ols (scipy.linalg.lstsq)',
  defaults: { rcond: 2.220446049250313e-16 },
  options: { rcond: { type: 'number', min: 0, help: 'Relative singular-value cutoff (scipy lstsq cond; default machine epsilon)' } },
  solve: olsSolver,
  solverLocation: { module: import.meta.url, exportName: 'olsSolver' },
});

registerMethod(olsMethod);
