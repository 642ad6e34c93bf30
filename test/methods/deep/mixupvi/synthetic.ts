/** A small labelled count data set for the MixupVI tests (cells of C types with distinct profiles). */
import { Rng } from '../../../../src/core/rng.js';
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../../../src/data/frame.js';
import { CsrMatrix } from '../../../../src/data/sparse.js';

/**
 * Poisson counts around type profiles: each type over-expresses its own block of genes.
 *
 * @returns A Dataset with X = layer raw_counts (CSR), obs column `cell_type`.
 */
export function syntheticCounts(
  opts: { nCells?: number; nGenes?: number; nTypes?: number; seed?: number; libSize?: number } = {},
): Dataset {
  const { nCells = 300, nGenes = 40, nTypes = 3, seed = 1, libSize = 400 } = opts;
  const rng = new Rng(seed);
  const prof = new Float64Array(nTypes * nGenes);
  for (let c = 0; c < nTypes; c++) {
    let s = 0;
    for (let g = 0; g < nGenes; g++) {
      const own = Math.floor((g * nTypes) / nGenes) === c;
      const v = (own ? 8 : 1) * (0.5 + rng.uniform());
      prof[c * nGenes + g] = v;
      s += v;
    }
    for (let g = 0; g < nGenes; g++) prof[c * nGenes + g]! /= s;
  }
  const X = new Float64Array(nCells * nGenes);
  const labels: string[] = [];
  for (let i = 0; i < nCells; i++) {
    const c = i % nTypes;
    labels.push(`type${c}`);
    const lib = libSize * (0.5 + rng.uniform());
    for (let g = 0; g < nGenes; g++) X[i * nGenes + g] = rng.poisson(lib * prof[c * nGenes + g]!);
  }
  const csr = CsrMatrix.fromDense(new DenseMatrix(nCells, nGenes, X));
  const obs = new Frame(nCells);
  obs.set('cell_type', categoricalFrom(labels));
  return new Dataset({
    X: csr,
    layers: { raw_counts: csr },
    obs,
    varNames: Array.from({ length: nGenes }, (_, g) => `g${g}`),
    obsNames: Array.from({ length: nCells }, (_, i) => `c${i}`),
  });
}

/** Pseudobulks (mean raw counts) of known compositions from a data set's cells; truth `[S, C]`. */
export function pseudobulksOf(
  ds: Dataset,
  nSamples: number,
  nCells: number,
  seed: number,
): { bulk: Dataset; truth: Float64Array; types: string[] } {
  const rng = new Rng(seed);
  const { codes, categories } = ds.labels('cell_type');
  const C = categories.length;
  const byType: number[][] = Array.from({ length: C }, () => []);
  codes.forEach((c, i) => {
    byType[c]!.push(i);
  });
  const m = ds.layer('raw_counts') as CsrMatrix;
  const G = ds.nVars;
  const out = new Float64Array(nSamples * G);
  const truth = new Float64Array(nSamples * C);
  for (let s = 0; s < nSamples; s++) {
    const p = rng.dirichlet(new Float64Array(C).fill(1));
    for (let t = 0; t < nCells; t++) {
      const u = rng.uniform();
      let c = 0;
      let acc = p[0]!;
      while (u > acc && c < C - 1) acc += p[++c]!;
      truth[s * C + c]! += 1 / nCells;
      const cell = byType[c]![rng.int(byType[c]!.length)]!;
      for (let k = m.indptr[cell]!; k < m.indptr[cell + 1]!; k++) out[s * G + m.indices[k]!]! += m.data[k]! / nCells;
    }
  }
  const dm = new DenseMatrix(nSamples, G, out);
  return {
    bulk: new Dataset({
      X: dm,
      layers: { raw_counts: dm },
      varNames: [...ds.varNames],
      obsNames: Array.from({ length: nSamples }, (_, s) => `pb${s}`),
    }),
    truth,
    types: categories,
  };
}
