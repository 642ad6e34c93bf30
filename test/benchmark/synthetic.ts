/**
 * Small labelled single-cell data for simulate/benchmark tests: counts ~ Poisson(type profile x
 * library size), CSR, with a categorical label column and a donor column.
 */
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';

export interface SyntheticCells {
  ds: Dataset;
  /** types x genes mean expression profiles. */
  profiles: Float64Array;
  typeNames: string[];
}

/**
 * `sizes[t]` cells of type `T${t}` (or `names[t]`), `nGenes` genes; each type over-expresses its own
 * block of marker genes, so a plain NNLS on type means separates them well.
 */
export function syntheticCells(sizes: number[], nGenes = 60, seed = 1, names?: string[]): SyntheticCells {
  const rng = new Rng(seed);
  const K = sizes.length;
  const typeNames = names ?? sizes.map((_, t) => `T${t}`);
  const profiles = new Float64Array(K * nGenes);
  for (let t = 0; t < K; t++) {
    for (let g = 0; g < nGenes; g++) {
      const marker = g % K === t;
      profiles[t * nGenes + g] = (marker ? 3 : 0.2) * (0.5 + rng.uniform());
    }
  }
  const labels: string[] = [];
  const donors: string[] = [];
  const indptr: number[] = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let t = 0; t < K; t++) {
    for (let i = 0; i < (sizes[t] as number); i++) {
      const lib = 0.5 + rng.uniform();
      for (let g = 0; g < nGenes; g++) {
        const v = rng.poisson((profiles[t * nGenes + g] as number) * lib);
        if (v > 0) {
          indices.push(g);
          data.push(v);
        }
      }
      indptr.push(indices.length);
      labels.push(typeNames[t] as string);
      donors.push(`d${labels.length % 4}`);
    }
  }
  const n = labels.length;
  const X = new CsrMatrix(n, nGenes, {
    indptr: Float64Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  });
  const obs = new Frame(n, {
    cell_type: categoricalFrom(labels),
    donor: { kind: 'string', values: donors },
  });
  const ds = new Dataset({
    X,
    obs,
    obsNames: labels.map((_, i) => `cell${i}`),
    varNames: Array.from({ length: nGenes }, (_, g) => `G${g}`),
  });
  return { ds, profiles, typeNames };
}
