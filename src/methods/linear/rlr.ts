/**
 * RLR: robust linear regression per bulk sample, Huber's T M-estimator by IRLS with statsmodels
 * `RLM` defaults (PyDeconv `solver_rlr`: `sm.RLM(y, S, M=HuberT()).fit()`): t = 1.345, MAD scale
 * (centre 0), deviance convergence, tol 1e-8, maxiter 50, OLS start, no intercept.
 * Unconstrained (coefficients may be negative); PyDeconv's default ratio is true.
 */
import { InputError } from '../../core/errors.js';
import { HuberRlm } from '../../linalg/huber-irls.js';
import { registerMethod } from '../registry.js';
import { defineSignatureMethod, type SignatureMethodBaseOptions, type SignatureSolver } from '../signature-method.js';

/** RLR options (statsmodels RLM / HuberT defaults). */
export interface RlrMethodOptions {
  /** Huber tuning constant t (1.345, 95% efficiency at the normal). */
  t: number;
  /** Tolerance on the change of deviance (1e-8). */
  tol: number;
  /** Iteration limit (50). */
  maxIter: number;
}

interface RlrPrepared {
  rlm: HuberRlm;
  opts: RlrMethodOptions;
}

/** The per-sample RLR solver (exported for worker threads). */
export const rlrSolver: SignatureSolver<RlrMethodOptions & SignatureMethodBaseOptions, RlrPrepared> = {
  prepare(S, G, C, opts) {
    return { rlm: new HuberRlm(S, G, C), opts };
  },
  solve(p, y, out) {
    const r = p.rlm.fit(y, out, { t: p.opts.t, tol: p.opts.tol, maxIter: p.opts.maxIter });
    return { iterations: r.iterations, converged: r.converged };
  },
  costPerSample: (G, C) => 15 * (G * ((C * (C + 1)) / 2 + 3 * C + 20) + 2 * C * C * C),
};

/** The RLR method spec (registered as 'rlr'). */
export const rlrMethod = defineSignatureMethod<RlrMethodOptions>({
  name: 'rlr',
  description: 'Robust linear regression (Huber T, IRLS with statsmodels RLM defaults)',
  reference: 'Huber 1981, Robust Statistics; statsmodels RLM; PyDeconv solver_rlr',
  defaults: { t: 1.345, tol: 1e-8, maxIter: 50 },
  options: {
    t: { type: 'number', gt: 0, help: 'Huber tuning constant (1.345: 95% efficiency at the normal)' },
    tol: { type: 'number', gt: 0, help: 'Tolerance on the change of deviance (statsmodels RLM)' },
    maxIter: { type: 'integer', min: 1, help: 'IRLS iteration limit' },
  },
  solve: rlrSolver,
  solverLocation: { module: import.meta.url, exportName: 'rlrSolver' },
  validateOptions(o) {
    if (!(o.t > 0))
      throw new InputError('invalid option t', { code: 'E_OPTION', field: 't', got: o.t, expected: 'a positive number (1.345)' });
    if (!(o.tol > 0))
      throw new InputError('invalid option tol', { code: 'E_OPTION', field: 'tol', got: o.tol, expected: 'a positive number' });
    if (!(Number.isInteger(o.maxIter) && o.maxIter >= 1))
      throw new InputError('invalid option maxIter', { code: 'E_OPTION', field: 'maxIter', got: o.maxIter, expected: 'an integer >= 1' });
  },
});

registerMethod(rlrMethod);
