/**
 * The linear methods on PyDeconv's shipped signature matrices (real conditioning, 275-1,000+
 * genes): noise-free mixtures y = S p must give back p. Reads ../shared when present (not
 * redistributed here: licence), otherwise skips with the reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import '../../src/methods/all-methods.js';
import { getMethod } from '../../src/methods/registry.js';
import { readSignatureCsv } from '../../src/signature/signature-csv.js';

const DIR = fileURLToPath(new URL('../../../shared/data/pydeconv_signature_matrices/', import.meta.url));
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.csv')) : [];
const skip = files.length === 0 ? `no PyDeconv signatures at ${DIR} (../shared is not part of the repository)` : false;

test('linear methods recover noise-free mixtures of the PyDeconv signature matrices', { skip }, async () => {
  for (const f of files) {
    const sig = await readSignatureCsv(join(DIR, f));
    const C = sig.nTypes;
    const G = sig.nGenes;
    const rng = new Rng(1);
    const N = 3;
    const P = new DenseMatrix(N, C, new Float64Array(N * C));
    const X = new DenseMatrix(N, G, new Float64Array(N * G));
    for (let i = 0; i < N; i++) {
      const p = rng.dirichlet(new Float64Array(C).fill(1));
      P.row(i).set(p);
      for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) X.data[i * G + g] = X.data[i * G + g]! + p[c]! * sig.values.get(c, g);
    }
    const bulk = new Dataset({ X, obsNames: ['a', 'b', 'c'], varNames: [...sig.genes] });
    for (const m of ['ols', 'nnls', 'rlr', 'wnnls', 'dwls']) {
      const res = await (await getMethod(m).fit(null, { signature: sig })).deconvolve(bulk);
      for (let k = 0; k < P.data.length; k++) {
        const d = Math.abs(res.proportions.data[k]! - P.data[k]!);
        assert.ok(d < 1e-6, `${f} ${m}: |Δ| = ${d}`);
      }
    }
  }
});
