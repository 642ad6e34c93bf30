/** Writes the per-type expression profiles a method reports (DGD) as an .h5ad: obs = sample x cell type. */
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { categoricalFrom, Frame } from '../data/frame.js';
import { writeH5ad } from '../io/h5ad/write.js';
import type { DeconvolutionResult } from '../methods/types.js';

/** The profiles of a result, if it has them. */
export function expressionProfiles(res: DeconvolutionResult): { shape: number[]; genes: string[]; values: Float32Array } | undefined {
  const p = res.diagnostics.extra?.expressionProfiles as { shape?: number[]; genes?: string[]; values?: Float32Array } | undefined;
  return p?.shape && p.genes && p.values ? (p as { shape: number[]; genes: string[]; values: Float32Array }) : undefined;
}

/**
 * Writes profiles `[S, C, G]` as an (S·C) x G .h5ad with obs columns `sample`, `cell_type` and
 * `proportion` (each row sums to 1 over the genes: the type's share of each gene's expression).
 *
 * @returns false when the result has no profiles.
 */
export async function writeProfilesH5ad(path: string, res: DeconvolutionResult, signal?: AbortSignal): Promise<boolean> {
  const p = expressionProfiles(res);
  if (!p) return false;
  const [S, C, G] = p.shape as [number, number, number];
  const samples: string[] = [];
  const types: string[] = [];
  const prop = new Float64Array(S * C);
  for (let s = 0; s < S; s++) {
    for (let c = 0; c < C; c++) {
      samples.push(res.sampleNames[s] as string);
      types.push(res.cellTypes[c] as string);
      prop[s * C + c] = res.proportions.data[s * C + c] as number;
    }
  }
  const obs = new Frame(S * C, {
    sample: categoricalFrom(samples),
    cell_type: categoricalFrom(types),
    proportion: { kind: 'numeric', values: prop },
  });
  const ds = new Dataset({
    X: new DenseMatrix(S * C, G, Float32Array.from(p.values)),
    obs,
    obsNames: samples.map((s, i) => `${s}|${types[i]}`),
    varNames: [...p.genes],
  });
  await writeH5ad(path, ds, { signal });
  return true;
}
