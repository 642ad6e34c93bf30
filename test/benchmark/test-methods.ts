/**
 * Test-only methods registered under unique names, so the runner can be tested before (and
 * independently of) the real methods: a plain NNLS on a per-type mean signature of relative counts,
 * a baseline that always predicts the training fractions, and one that fails to fit.
 */
import { InputError } from '../../src/core/errors.js';
import { LAYERS, RELATIVE_COUNTS_TARGET } from '../../src/core/keys.js';
import type { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { rowDense, toDense, toRowMajor } from '../../src/data/matrix.js';
import { getMethod, listMethods, registerMethod } from '../../src/methods/registry.js';
import type { DeconvolutionResult, Fitted, MethodSpec } from '../../src/methods/types.js';

/** Calls to fit, per method name (to check that a resumed run skips finished cells). */
export const fitCalls = new Map<string, number>();
/** The options the last fit of each method received. */
export const lastFitOptions = new Map<string, unknown>();

/** Exact NNLS for small K: least squares on every support (via the Gram matrix), keep the best feasible one. */
export function tinyNnls(S: DenseMatrix, b: ArrayLike<number>): Float64Array {
  const K = S.rows;
  const G = S.cols;
  const gram = new Float64Array(K * K);
  const sb = new Float64Array(K);
  let bb = 0;
  for (let g = 0; g < G; g++) bb += (b[g] as number) ** 2;
  for (let a = 0; a < K; a++) {
    const ra = S.row(a);
    let s = 0;
    for (let g = 0; g < G; g++) s += (ra[g] as number) * (b[g] as number);
    sb[a] = s;
    for (let c = a; c < K; c++) {
      const rc = S.row(c);
      let t = 0;
      for (let g = 0; g < G; g++) t += (ra[g] as number) * (rc[g] as number);
      gram[a * K + c] = t;
      gram[c * K + a] = t;
    }
  }
  let best = new Float64Array(K);
  let bestRes = bb;
  for (let mask = 1; mask < 1 << K; mask++) {
    const idx = [...Array(K).keys()].filter((k) => mask & (1 << k));
    const n = idx.length;
    const A = new Float64Array(n * n);
    const y = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      for (let c = 0; c < n; c++) A[a * n + c] = gram[(idx[a] as number) * K + (idx[c] as number)] as number;
      y[a] = sb[idx[a] as number] as number;
    }
    const x = solve(A, y, n);
    if (!x || x.some((v) => v < 0)) continue;
    // ||Sx - b||^2 = x'Gx - 2 x'Sb + b'b; at the LS solution x'Gx = x'Sb.
    let xs = 0;
    for (let a = 0; a < n; a++) xs += (x[a] as number) * (y[a] as number);
    const res = bb - xs;
    if (res < bestRes) {
      bestRes = res;
      best = new Float64Array(K);
      idx.forEach((k, a) => {
        best[k] = x[a] as number;
      });
    }
  }
  return best;
}

function solve(A: Float64Array, y: Float64Array, n: number): Float64Array | undefined {
  const M = A.slice();
  const x = y.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c] as number) > Math.abs(M[p * n + c] as number)) p = r;
    if (Math.abs(M[p * n + c] as number) < 1e-12) return undefined;
    for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k] as number, M[c * n + k] as number];
    [x[c], x[p]] = [x[p] as number, x[c] as number];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = (M[r * n + c] as number) / (M[c * n + c] as number);
      for (let k = 0; k < n; k++) M[r * n + k] = (M[r * n + k] as number) - f * (M[c * n + k] as number);
      x[r] = (x[r] as number) - f * (x[c] as number);
    }
  }
  for (let c = 0; c < n; c++) x[c] = (x[c] as number) / (M[c * n + c] as number);
  return x;
}

function meanRelative(ref: Dataset, labelsKey: string, layer?: string): { types: string[]; sig: DenseMatrix; fractions: Float64Array } {
  const X = toRowMajor(ref.layer(layer));
  const buf = new Float64Array(ref.nVars);
  const { codes, categories } = ref.labels(labelsKey);
  const K = categories.length;
  const G = ref.nVars;
  const sig = new Float64Array(K * G);
  const n = new Float64Array(K);
  for (let i = 0; i < ref.nObs; i++) {
    const c = codes[i] as number;
    const row = rowDense(X, i, buf);
    let tot = 0;
    for (let g = 0; g < G; g++) tot += row[g] as number;
    n[c] = (n[c] as number) + 1;
    for (let g = 0; g < G; g++) sig[c * G + g] = (sig[c * G + g] as number) + ((row[g] as number) / tot) * RELATIVE_COUNTS_TARGET;
  }
  for (let c = 0; c < K; c++) for (let g = 0; g < G; g++) sig[c * G + g] = (sig[c * G + g] as number) / (n[c] as number);
  return { types: categories, sig: new DenseMatrix(K, G, sig), fractions: n.map((v) => v / ref.nObs) };
}

function result(method: string, bulk: Dataset, types: string[], props: Float64Array): DeconvolutionResult {
  return {
    method,
    proportions: new DenseMatrix(bulk.nObs, types.length, props),
    sampleNames: bulk.obsNames,
    cellTypes: types,
    diagnostics: {
      converged: bulk.obsNames.map(() => true),
      iterations: bulk.obsNames.map(() => 0),
      genesUsed: bulk.nVars,
      genesMissing: 0,
      warnings: [],
    },
  };
}

function fitted(method: string, genes: string[], types: string[], run: (bulk: DenseMatrix) => Float64Array): Fitted {
  return {
    method,
    genes,
    cellTypes: types,
    async deconvolve(bulk, opts) {
      const b = toDense(bulk.selectVarsByName(genes).layer(opts?.layer ?? LAYERS.relativeCounts));
      return result(method, bulk, types, run(b));
    },
    toJSON: () => ({ method, version: 1, genes, cellTypes: types }),
  };
}

const specs: MethodSpec<{ scale: number }>[] = [
  {
    name: 'test-nnls',
    kind: 'signature',
    description: 'test only: NNLS on a per-type mean of relative counts',
    defaults: { scale: 1 },
    quickOptions: { scale: 2 },
    bulkLayer: LAYERS.relativeCounts,
    async fit(ref, opts) {
      if (!ref || !opts.labelsKey) throw new InputError('needs a reference', { code: 'E_TEST' });
      fitCalls.set('test-nnls', (fitCalls.get('test-nnls') ?? 0) + 1);
      lastFitOptions.set('test-nnls', opts.options);
      const { types, sig } = meanRelative(ref, opts.labelsKey, opts.layer);
      return fitted('test-nnls', ref.varNames, types, (b) => {
        const out = new Float64Array(b.rows * types.length);
        for (let i = 0; i < b.rows; i++) {
          const x = tinyNnls(sig, b.row(i));
          const s = x.reduce((a, v) => a + v, 0);
          for (let k = 0; k < types.length; k++) out[i * types.length + k] = s > 0 ? (x[k] as number) / s : 0;
        }
        return out;
      });
    },
  },
  {
    name: 'test-prior',
    kind: 'reference',
    description: 'test only: always predicts the training fractions',
    defaults: { scale: 1 },
    async fit(ref, opts) {
      if (!ref || !opts.labelsKey) throw new InputError('needs a reference', { code: 'E_TEST' });
      fitCalls.set('test-prior', (fitCalls.get('test-prior') ?? 0) + 1);
      const { types, fractions } = meanRelative(ref, opts.labelsKey, opts.layer);
      // reversed column order: the runner must align by name
      const rev = [...types].reverse();
      const fr = Array.from(fractions).reverse();
      return fitted('test-prior', ref.varNames, rev, (b) => {
        const out = new Float64Array(b.rows * rev.length);
        for (let i = 0; i < b.rows; i++) for (let k = 0; k < rev.length; k++) out[i * rev.length + k] = fr[k] as number;
        return out;
      });
    },
  },
  {
    name: 'test-trained',
    kind: 'trained',
    description: 'test only: reports a training curve (per-step and per-epoch train events) and gives intervals',
    defaults: { scale: 1, epochs: 5 } as { scale: number },
    quickOptions: { epochs: 2 } as unknown as { scale: number },
    async fit(ref, opts) {
      if (!ref || !opts.labelsKey) throw new InputError('needs a reference', { code: 'E_TEST' });
      const epochs = (opts.options as { epochs?: number } | undefined)?.epochs ?? 5;
      for (let epoch = 0; epoch < epochs; epoch++) {
        // a per-step event, then the epoch summary (as nn/trainer.ts sends them)
        opts.onProgress?.({ stage: 'train', step: 2 * epoch + 1, total: 2 * epochs, metrics: { epoch, loss: 99 } });
        opts.onProgress?.({
          stage: 'train',
          step: 2 * epoch + 2,
          total: 2 * epochs,
          metrics: { epoch, loss: 1 / (epoch + 1), kl: 0.1, val_rho: 0.5 + epoch / 20, val_d: 0.2 - epoch / 100 },
        });
      }
      const { types, sig } = meanRelative(ref, opts.labelsKey, opts.layer);
      const f = fitted('test-trained', ref.varNames, types, (b) => {
        const out = new Float64Array(b.rows * types.length);
        for (let i = 0; i < b.rows; i++) {
          const x = tinyNnls(sig, b.row(i));
          const s = x.reduce((a, v) => a + v, 0);
          for (let k = 0; k < types.length; k++) out[i * types.length + k] = s > 0 ? (x[k] as number) / s : 0;
        }
        return out;
      });
      return {
        ...f,
        async deconvolve(bulk, o) {
          const res = await f.deconvolve(bulk, o);
          if (o?.options?.intervals === true) {
            const p = res.proportions.data;
            res.lower = new DenseMatrix(
              res.proportions.rows,
              res.proportions.cols,
              p.map((v) => Math.max(0, v - 0.05)),
            );
            res.upper = new DenseMatrix(
              res.proportions.rows,
              res.proportions.cols,
              p.map((v) => v + 0.05),
            );
          }
          return res;
        },
      };
    },
  },
  {
    name: 'test-broken',
    kind: 'reference',
    description: 'test only: fails to fit',
    defaults: { scale: 1 },
    async fit() {
      throw new Error('deliberately broken');
    },
  },
];

/** Registers the test methods once per process. */
export function registerTestMethods(): void {
  for (const s of specs) if (!listMethods().includes(s.name)) registerMethod(s);
  void getMethod;
}
