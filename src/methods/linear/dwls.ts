/**
 * DWLS: dampened weighted least squares (Tsoucas et al. 2019, Nat Commun 10:2975; DWLS R
 * `solveDampenedWLS`; PyDeconv `DWLS` = `solver_wls(dampened="auto", tol=1e-2, max_iter=1000)`).
 *
 * Per sample: p0 = NNLS(S, y); the dampening constant d = 2^j is chosen by the subset-variance
 * search (`findDampeningConstant`: 100 random half gene subsets, unconstrained weighted LS per
 * multiplier); then p ← (p_qp + 4p)/5 with weights min((1/max(Sp, 1e-4))² / min, d) until
 * ‖Δp‖₁ ≤ 1e-2.
 *
 * Subsets: `subsets: 'numpy'` (default) reproduces PyDeconv's `np.random.seed(i);
 * np.random.choice(G, int(0.5·G), replace=False)`, i = 0..99, bit for bit (numpy's legacy
 * MT19937 stream), so the constants equal the Python reference's. `subsets: 'rng'` draws them
 * from our seeded `Rng` instead (seed of the fit). `dampening` may fix the constant: one number
 * for all samples or one per bulk sample.
 */
import { InputError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { numpyChoiceWithoutReplacement } from '../../linalg/numpy-random.js';
import { DampeningSearch } from '../../linalg/weighted-nnls.js';
import { registerMethod } from '../registry.js';
import { defineSignatureMethod, type SignatureMethodBaseOptions, type SignatureSolver } from '../signature-method.js';
import { nnlsStart, prepareWls, validateWlsOptions, WLS_SCHEMA, type WlsPrepared } from './wnnls.js';

/** `dampening` as given (library) or typed ('auto', '1024', '1,2,4' on the command line). */
function parseDampening(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === 'auto') return v;
  const items = v.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
  return items.length === 1 ? items[0] : items;
}

/** DWLS options (PyDeconv defaults). */
export interface DwlsMethodOptions {
  /** L1 tolerance between successive iterates (1e-2). */
  tol: number;
  /** Maximum reweighting steps (1000). */
  maxIter: number;
  /** Lower clip of S·p before weighting (1e-4, PyDeconv; the R code has none). */
  clip: number;
  /** 'auto' = per-sample search; a number fixes d for every sample; an array fixes it per bulk sample. */
  dampening: 'auto' | number | number[];
  /** Where the random gene subsets of the search come from: numpy's stream (exact PyDeconv parity) or our Rng. */
  subsets: 'numpy' | 'rng';
  /** Number of random subsets (100). */
  nSubsets: number;
}

type DwlsOpts = DwlsMethodOptions & SignatureMethodBaseOptions;

interface DwlsPrepared extends WlsPrepared {
  opts: DwlsOpts;
  search: DampeningSearch | null;
}

/** The random half subsets of the dampening search for G genes. */
export function dampeningSubsets(G: number, n: number, source: 'numpy' | 'rng', seed: number): Int32Array[] {
  const k = Math.floor(0.5 * G);
  const out: Int32Array[] = [];
  if (source === 'numpy') {
    for (let i = 0; i < n; i++) out.push(numpyChoiceWithoutReplacement(i, G, k));
  } else {
    const rng = new Rng(seed).fork('dwls-subsets');
    for (let i = 0; i < n; i++) out.push(rng.sampleWithoutReplacement(G, k));
  }
  return out;
}

/** The per-sample DWLS solver (exported for worker threads). */
export const dwlsSolver: SignatureSolver<DwlsOpts, DwlsPrepared> = {
  prepare(S, G, C, opts, seed) {
    const base = prepareWls(S, G, C);
    const search =
      opts.dampening === 'auto'
        ? new DampeningSearch(S, G, C, base.wls.outer, { subsets: dampeningSubsets(G, opts.nSubsets, opts.subsets, seed) })
        : null;
    return { ...base, opts, search };
  },
  solve(p, y, out, sample) {
    nnlsStart(p, y);
    const o = p.opts;
    let d: number;
    let nMult = 0;
    if (p.search) {
      const r = p.search.find(y, p.x0);
      d = r.dampening;
      nMult = r.nMultipliers;
    } else if (Array.isArray(o.dampening)) {
      d = o.dampening[sample] ?? Number.NaN;
      if (!(d >= 1)) {
        throw new InputError('no dampening constant for this bulk sample', {
          code: 'E_OPTION',
          field: 'dampening',
          got: `${o.dampening.length} constants, sample index ${sample}`,
          expected: 'one constant >= 1 per bulk sample, in bulk order',
        });
      }
    } else d = o.dampening as number;
    const r = p.wls.iterate(y, p.x0, { tol: o.tol, maxIter: o.maxIter, dampening: d, clip: o.clip }, out);
    return { ...r, extra: { dampening: d, nMultipliers: nMult } };
  },
  extraKeys: ['dampening', 'nMultipliers'],
  costPerSample: (G, C, o) =>
    10 * (G * (C * (C + 1) + 4 * C) + 10 * C * C * C) +
    (o.dampening === 'auto' ? o.nSubsets * (G * (C * (C + 1) + 2 * C) * 0.5 + 25 * C * C * C) : 0),
};

/** The DWLS method spec (registered as 'dwls'). */
export const dwlsMethod = defineSignatureMethod<DwlsMethodOptions>({
  name: 'dwls',
  description: 'Dampened weighted least squares with the subset-variance dampening search',
  reference: 'Tsoucas et al. 2019, Nat Commun 10:2975; DWLS R solveDampenedWLS; PyDeconv DWLS',
  defaults: { tol: 1e-2, maxIter: 1000, clip: 1e-4, dampening: 'auto', subsets: 'numpy', nSubsets: 100 },
  options: {
    ...WLS_SCHEMA,
    dampening: {
      type: 'json',
      help: "Dampening constant d: 'auto' = per-sample subset-variance search; a number fixes d; a list fixes it per bulk sample",
      expected: "'auto', a number >= 1 (e.g. 1024) or one such number per bulk sample",
      parse: parseDampening,
    },
    subsets: {
      type: 'enum',
      values: ['numpy', 'rng'],
      help: "Random gene subsets of the search: numpy's stream (PyDeconv parity) or our Rng",
    },
    nSubsets: { type: 'integer', min: 2, help: 'Number of random gene subsets of the dampening search' },
  },
  solve: dwlsSolver,
  solverLocation: { module: import.meta.url, exportName: 'dwlsSolver' },
  validateOptions(o) {
    validateWlsOptions(o);
    const d = o.dampening;
    const ok = d === 'auto' || (typeof d === 'number' && d >= 1) || (Array.isArray(d) && d.every((v) => typeof v === 'number' && v >= 1));
    if (!ok) {
      throw new InputError('invalid option dampening', {
        code: 'E_OPTION',
        field: 'dampening',
        got: d,
        expected: "'auto', a number >= 1 (e.g. 1024) or one such number per bulk sample",
      });
    }
    if (o.subsets !== 'numpy' && o.subsets !== 'rng') {
      throw new InputError('invalid option subsets', { code: 'E_OPTION', field: 'subsets', got: o.subsets, expected: "'numpy' or 'rng'" });
    }
    if (!(Number.isInteger(o.nSubsets) && o.nSubsets >= 2)) {
      throw new InputError('invalid option nSubsets', {
        code: 'E_OPTION',
        field: 'nSubsets',
        got: o.nSubsets,
        expected: 'an integer >= 2',
      });
    }
  },
});

registerMethod(dwlsMethod);
