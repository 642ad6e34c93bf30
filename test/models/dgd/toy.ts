/** A toy data set of two NB clusters (cells x genes raw counts) for the DGD tests. */
import { Rng } from '../../../src/core/rng.js';
import { Dataset } from '../../../src/data/dataset.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../../src/data/frame.js';
import { sampleNb } from '../../../src/models/dgd/nb.js';

/**
 * n cells, G genes; cluster 0 expresses genes [0, G/2) 6x more than the rest, cluster 1 the other half;
 * library sizes uniform in [2000, 6000]; NB dispersion r = 8.
 */
export function twoClusterNb(n = 160, G = 300, seed = 1, libMin = 2000, libRange = 4000): { ds: Dataset; truth: Int32Array } {
  const rng = new Rng(seed);
  const truth = new Int32Array(n);
  const x = new Float64Array(n * G);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    truth[i] = c;
    const lib = libMin + libRange * rng.uniform();
    const w = Float64Array.from({ length: G }, (_, g) => (g < G / 2 === (c === 0) ? 6 : 1) * (1 + 0.5 * Math.sin(g)));
    const tot = w.reduce((a, b) => a + b, 0);
    for (let g = 0; g < G; g++) x[i * G + g] = sampleNb((lib * (w[g] as number)) / tot, 8, rng);
  }
  const labels = categoricalFrom(Array.from(truth, (c) => (c === 0 ? 'A' : 'B')));
  const ds = new Dataset({
    X: new DenseMatrix(n, G, x),
    obsNames: Array.from({ length: n }, (_, i) => `cell${i}`),
    varNames: Array.from({ length: G }, (_, g) => `g${g}`),
    obs: new Frame(n, { cell_type: labels }),
  });
  return { ds, truth };
}
