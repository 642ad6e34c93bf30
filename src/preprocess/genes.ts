/**
 * Gene intersection and reordering with an explicit report of what was dropped (STYLE §2: gene
 * mismatch is explicit; nothing is shrunk in place).
 */
import { InputError } from '../core/errors.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix, type FloatArrayCtor } from '../data/dense.js';
import { Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { CsrMatrix } from '../data/sparse.js';

/** Anything that carries an ordered gene list. */
export type GeneSource = readonly string[] | { readonly varNames: readonly string[] } | { readonly genes: readonly string[] };

/** How two gene lists overlap. */
export interface GeneOverlapReport {
  /** Number of genes kept (present in both, or found in the data when reordering). */
  kept: number;
  /** Genes of b that are not in a (first 1000 at most are listed). */
  missingFromA: string[];
  /** Genes of a that are not in b (first 1000 at most are listed). */
  missingFromB: string[];
  /** Counts of the two missing lists (the lists themselves are truncated). */
  nMissingFromA: number;
  nMissingFromB: number;
  /** kept / number of genes of b (for {@link reorderGenes}: found / requested). */
  fraction: number;
}

const MAX_LISTED = 1000;

function genesOf(src: GeneSource): readonly string[] {
  if (Array.isArray(src)) return src as readonly string[];
  if ('varNames' in src) return src.varNames;
  return (src as { genes: readonly string[] }).genes;
}

/**
 * Genes present in both `a` and `b`, in the order of `a` (first occurrence of duplicates).
 *
 * @param a - genes (or a Dataset / Signature), e.g. the bulk.
 * @param b - genes (or a Dataset / Signature), e.g. the signature; `fraction` is relative to b.
 * @returns the common genes and a {@link GeneOverlapReport}.
 * @example
 * intersectGenes(['A', 'B', 'C'], ['C', 'A', 'D']).genes; // ['A', 'C'], fraction 2/3
 */
export function intersectGenes(a: GeneSource, b: GeneSource): { genes: string[]; report: GeneOverlapReport } {
  const ga = genesOf(a);
  const gb = genesOf(b);
  const inB = new Set(gb);
  const inA = new Set(ga);
  const genes: string[] = [];
  const seen = new Set<string>();
  const missingFromB: string[] = [];
  let nMissingFromB = 0;
  for (const g of ga) {
    if (seen.has(g)) continue;
    seen.add(g);
    if (inB.has(g)) genes.push(g);
    else {
      nMissingFromB++;
      if (missingFromB.length < MAX_LISTED) missingFromB.push(g);
    }
  }
  const missingFromA: string[] = [];
  let nMissingFromA = 0;
  const seenB = new Set<string>();
  for (const g of gb) {
    if (seenB.has(g)) continue;
    seenB.add(g);
    if (!inA.has(g)) {
      nMissingFromA++;
      if (missingFromA.length < MAX_LISTED) missingFromA.push(g);
    }
  }
  return {
    genes,
    report: {
      kept: genes.length,
      missingFromA,
      missingFromB,
      nMissingFromA,
      nMissingFromB,
      fraction: seenB.size === 0 ? 0 : genes.length / seenB.size,
    },
  };
}

/** Options of {@link reorderGenes}. */
export interface ReorderGenesOptions {
  /** What to do with requested genes the data lacks: zero columns, or a typed error (default). */
  fill?: 'zero' | 'error';
}

/**
 * The Dataset with exactly the requested genes, in the requested order. Missing genes become zero
 * columns (`fill: 'zero'`) or raise an error (`fill: 'error'`, the default). Every layer follows.
 *
 * @param ds - observations x genes Dataset.
 * @param genes - the target gene order (e.g. a fitted model's genes); must be unique.
 * @param opts - `fill` policy.
 * @returns the reordered Dataset and a {@link GeneOverlapReport} (a = the data, b = `genes`).
 * @throws {@link InputError} `E_GENES_MISSING` when genes are missing and fill is 'error';
 *   `E_DUPLICATE_GENE` when `genes` repeats a name.
 * @example
 * const { dataset, report } = reorderGenes(bulk, signature.genes, { fill: 'zero' });
 */
export function reorderGenes(
  ds: Dataset,
  genes: readonly string[],
  opts: ReorderGenesOptions = {},
): { dataset: Dataset; report: GeneOverlapReport } {
  const fill = opts.fill ?? 'error';
  const index = ds.varIndex();
  const src = new Int32Array(genes.length);
  const seen = new Set<string>();
  const missingFromA: string[] = [];
  let nMissing = 0;
  for (let k = 0; k < genes.length; k++) {
    const g = genes[k] as string;
    if (seen.has(g)) {
      throw new InputError(`requested gene list repeats '${g}'`, { code: 'E_DUPLICATE_GENE', field: g, hint: 'Pass each gene once' });
    }
    seen.add(g);
    const j = index.get(g);
    if (j === undefined) {
      src[k] = -1;
      nMissing++;
      if (missingFromA.length < MAX_LISTED) missingFromA.push(g);
    } else src[k] = j;
  }
  if (nMissing > 0 && fill === 'error') {
    throw new InputError(`${nMissing} of ${genes.length} requested genes are not in the data`, {
      code: 'E_GENES_MISSING',
      got: missingFromA.slice(0, 5),
      hint: "Check the gene identifiers (Ensembl IDs vs symbols), or pass fill: 'zero' to add them as zero columns",
    });
  }
  const missingFromB: string[] = [];
  let nMissingFromB = 0;
  for (const g of ds.varNames) {
    if (!seen.has(g)) {
      nMissingFromB++;
      if (missingFromB.length < MAX_LISTED) missingFromB.push(g);
    }
  }
  const report: GeneOverlapReport = {
    kept: genes.length - nMissing,
    missingFromA,
    missingFromB,
    nMissingFromA: nMissing,
    nMissingFromB,
    fraction: genes.length === 0 ? 0 : (genes.length - nMissing) / genes.length,
  };
  if (nMissing === 0) return { dataset: ds.selectVars(src), report };
  const layers = new Map<string, Matrix>();
  for (const [k, m] of ds.layers) layers.set(k, gatherColumns(m, src));
  // var annotations cannot be invented for the added genes: keep only the gene names.
  const dataset = new Dataset({
    X: gatherColumns(ds.X, src),
    obsNames: ds.obsNames,
    varNames: [...genes],
    obs: ds.obs,
    var: new Frame(genes.length),
    layers,
    uns: ds.uns,
    raw: ds.raw,
  });
  return { dataset, report };
}

/** Columns `src[k]` (or zeros where src[k] = -1), keeping the storage kind (CSC becomes CSR). */
function gatherColumns(m: Matrix, src: Int32Array): Matrix {
  const g = src.length;
  if (m.kind === 'dense') {
    const out = new (m.data.constructor as FloatArrayCtor)(m.rows * g);
    for (let i = 0; i < m.rows; i++) {
      const b = i * m.cols;
      const ob = i * g;
      for (let k = 0; k < g; k++) {
        const j = src[k] as number;
        if (j >= 0) out[ob + k] = m.data[b + j] as number;
      }
    }
    return new DenseMatrix(m.rows, g, out);
  }
  const csr = m.kind === 'csr' ? m : m.toCsr();
  const map = new Int32Array(csr.cols).fill(-1);
  for (let k = 0; k < g; k++) if ((src[k] as number) >= 0) map[src[k] as number] = k;
  const indptr = new Float64Array(csr.rows + 1);
  let nnz = 0;
  for (let i = 0; i < csr.rows; i++) {
    const b = csr.indptr[i + 1] as number;
    for (let p = csr.indptr[i] as number; p < b; p++) if ((map[csr.indices[p] as number] as number) >= 0) nnz++;
    indptr[i + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const data = new (csr.data.constructor as FloatArrayCtor)(nnz);
  const order: number[] = [];
  let q = 0;
  for (let i = 0; i < csr.rows; i++) {
    const b = csr.indptr[i + 1] as number;
    const start = q;
    for (let p = csr.indptr[i] as number; p < b; p++) {
      const k = map[csr.indices[p] as number] as number;
      if (k >= 0) {
        indices[q] = k;
        data[q] = csr.data[p] as number;
        q++;
      }
    }
    // new column positions are not monotone in the old ones: sort the row segment by index
    if (q - start > 1) {
      order.length = 0;
      for (let t = start; t < q; t++) order.push(t);
      order.sort((x, y) => (indices[x] as number) - (indices[y] as number));
      const ci = order.map((t) => indices[t] as number);
      const cv = order.map((t) => data[t] as number);
      for (let t = 0; t < ci.length; t++) {
        indices[start + t] = ci[t] as number;
        data[start + t] = cv[t] as number;
      }
    }
  }
  return new CsrMatrix(csr.rows, g, { indptr, indices, data });
}
