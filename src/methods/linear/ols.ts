/**
 * OLS: unconstrained least squares per bulk sample, the minimum-norm solution of ‖S p − y‖²
 * (PyDeconv `solver_ols` = `scipy.linalg.lstsq`, cutoff eps · s_max; handles rank deficiency).
 *
 * Coefficients may be negative; PyDeconv does not clip OLS (onlyPositive false), so normalised
 * `proportions` can hold negative entries (they still sum to 1).
 */
import { pinv } from '../../linalg/svd.js';
import { paddedLength, WasmArena } from '../../linalg/wasm/kernels.js';
import { registerMethod } from '../registry.js';
import { defineSignatureMethod, type SignatureMethodBaseOptions, type SignatureSolver } from '../signature-method.js';

/** OLS options. */
export interface OlsMethodOptions {
  /** Relative singular-value cutoff; default machine epsilon (scipy `lstsq(cond=None)`). */
  rcond: number;
}

interface OlsPrepared {
  P: Float64Array;
  G: number;
  C: number;
  rank: number;
  /** P applied by the WebAssembly kernel (rows padded to K), or null for the JavaScript loop. */
  arena: WasmArena<'P' | 'y' | 'out'> | null;
  K: number;
}

/** The per-sample OLS solver: the pseudo-inverse of S is computed once per signature. */
export const olsSolver: SignatureSolver<OlsMethodOptions & SignatureMethodBaseOptions, OlsPrepared> = {
  prepare(S, G, C, opts) {
    const { P, rank } = pinv(G, C, S, opts.rcond);
    const K = paddedLength(G);
    const arena = WasmArena.create({ P: C * K, y: K, out: C });
    if (arena) for (let c = 0; c < C; c++) arena.view.P.set(P.subarray(c * G, (c + 1) * G), c * K);
    return { P, G, C, rank, arena, K };
  },
  solve(p, y, out) {
    const { P, G, C, arena } = p;
    if (arena) {
      arena.view.y.set(y.subarray(0, G));
      arena.dotsNT(1, C, p.K, 'y', 'P', 'out');
      out.set(arena.view.out);
      return { iterations: 0, converged: true, extra: { rank: p.rank } };
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      const b = c * G;
      for (let g = 0; g < G; g++) s += P[b + g]! * y[g]!;
      out[c] = s;
    }
    return { iterations: 0, converged: true, extra: { rank: p.rank } };
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
  solve: olsSolver,
  solverLocation: { module: import.meta.url, exportName: 'olsSolver' },
});

registerMethod(olsMethod);
