/**
 * WNNLS: iteratively reweighted non-negative least squares (PyDeconv `WNNLS` = `solver_wls`
 * with `dampened=None`): from the NNLS solution, repeat w = 1/max(S p, 1e-4)², p_qp = weighted
 * NNLS, p ← (p_qp + 4 p)/5 until ‖Δp‖₁ ≤ tol (1e-3), at most 1000 steps. This is DWLS
 * (Tsoucas et al. 2019) without the dampening constant.
 */
import { InputError } from '../../core/errors.js';
import { gemvT } from '../../linalg/blas.js';
import { NnlsWorkspace, nnlsGram } from '../../linalg/nnls.js';
import { WeightedNnls } from '../../linalg/weighted-nnls.js';
import type { OptionSchema } from '../option-schema.js';
import { registerMethod } from '../registry.js';
import { defineSignatureMethod, type SignatureMethodBaseOptions, type SignatureSolver } from '../signature-method.js';
import { gramMatrix } from './nnls.js';

/** WNNLS options (PyDeconv `WNNLS.transform` defaults). */
export interface WnnlsMethodOptions {
  /** L1 tolerance between successive iterates (1e-3). */
  tol: number;
  /** Maximum reweighting steps (1000). */
  maxIter: number;
  /** Lower clip of S·p before weighting (1e-4). */
  clip: number;
}

/** Per-signature data shared by WNNLS and DWLS: plain Gram for the NNLS start, outer products for the steps. */
export interface WlsPrepared {
  G: number;
  C: number;
  S: Float64Array;
  H: Float64Array;
  d: Float64Array;
  x0: Float64Array;
  nnlsWs: NnlsWorkspace;
  wls: WeightedNnls;
}

/** Builds the shared WNNLS/DWLS per-signature data. */
export function prepareWls(S: Float64Array, G: number, C: number): WlsPrepared {
  return {
    G,
    C,
    S,
    H: gramMatrix(S, G, C),
    d: new Float64Array(C),
    x0: new Float64Array(C),
    nnlsWs: new NnlsWorkspace(C),
    wls: new WeightedNnls(S, G, C),
  };
}

/** The unnormalised NNLS start of WNNLS/DWLS (scipy nnls, maxiter 3·C), into p.x0. */
export function nnlsStart(p: WlsPrepared, y: Float64Array): void {
  gemvT(p.G, p.C, p.S, y, p.d);
  nnlsGram(p.C, p.H, p.d, p.x0, { maxIter: 3 * p.C }, p.nnlsWs);
}

/** The per-sample WNNLS solver (exported for worker threads). */
export const wnnlsSolver: SignatureSolver<WnnlsMethodOptions & SignatureMethodBaseOptions, WlsPrepared & { opts: WnnlsMethodOptions }> = {
  prepare(S, G, C, opts) {
    return { ...prepareWls(S, G, C), opts };
  },
  solve(p, y, out) {
    nnlsStart(p, y);
    return p.wls.iterate(y, p.x0, { tol: p.opts.tol, maxIter: p.opts.maxIter, dampening: null, clip: p.opts.clip }, out);
  },
  costPerSample: (G, C) => 20 * (G * (C * (C + 1) + 4 * C) + 10 * C * C * C),
};

/** Schema of the options WNNLS and DWLS share. */
export const WLS_SCHEMA: OptionSchema<WnnlsMethodOptions> = {
  tol: { type: 'number', gt: 0, help: 'L1 tolerance between successive iterates' },
  maxIter: { type: 'integer', min: 1, help: 'Maximum reweighting steps' },
  clip: { type: 'number', gt: 0, help: 'Lower clip of S·p before weighting (PyDeconv)' },
};

/** The WNNLS method spec (registered as 'wnnls'). */
export const wnnlsMethod = defineSignatureMethod<WnnlsMethodOptions>({
  name: 'wnnls',
  description: 'Weighted NNLS: DWLS iteration without dampening (weights 1/fit², step averaging)',
  reference: 'Tsoucas et al. 2019, Nat Commun 10:2975; PyDeconv WNNLS',
  defaults: { tol: 1e-3, maxIter: 1000, clip: 1e-4 },
  options: WLS_SCHEMA,
  solve: wnnlsSolver,
  solverLocation: { module: import.meta.url, exportName: 'wnnlsSolver' },
  validateOptions: validateWlsOptions,
});

/** Typed errors for impossible tolerance / iteration settings. */
export function validateWlsOptions(o: { tol: number; maxIter: number; clip: number }): void {
  const bad = (field: string, got: unknown, expected: string) => {
    throw new InputError(`invalid option ${field}`, { code: 'E_OPTION', field, got, expected });
  };
  if (!(o.tol > 0)) bad('tol', o.tol, 'a positive number');
  if (!(Number.isInteger(o.maxIter) && o.maxIter >= 1)) bad('maxIter', o.maxIter, 'an integer >= 1');
  if (!(o.clip > 0)) bad('clip', o.clip, 'a positive number');
}

registerMethod(wnnlsMethod);
