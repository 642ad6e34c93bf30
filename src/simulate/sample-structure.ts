/**
 * The semi-synthetic sample-structure benchmark of the MrVI seed [Supplement B.2], on real cells:
 * every cell of a reference is assigned at random to one of S samples; in each of the chosen cell
 * types a random binary tree is drawn over the samples and the genes are partitioned at random over
 * its edges; for the cells of that type in sample s, the counts of the genes on s's root-to-leaf
 * path are multiplied by `fold` (default 2). Other cell types are untouched. Optionally the samples
 * are split over two sites, and site 1's cells get a site effect on a random tenth of the genes.
 *
 * Integer counts: fold 2 doubles exactly (x' = 2x); a fold f in (1, 2) adds Binomial(x, f − 1)
 * (binomial upsampling, mean f·x); f in (0, 1) keeps Binomial(x, f) (binomial thinning). Zeros stay
 * zero, so the sparsity pattern of the reference is kept.
 *
 * obs gets `sample`, `site` (with sites), `perturbed` (cell of a perturbed type) and, per perturbed
 * type T, `root_side_T` (left/right side of T's tree root for the cell's sample: a sample-level
 * covariate the guided test should find in type T's cells).
 *
 * Truth per perturbed type: the tree (merge table; heights = depth of the merge), the gene → edge
 * assignment, and the true sample distance D*(a, b) = |ln fold| · √(number of genes on the edges
 * where the root-to-leaf paths of a and b differ): the Euclidean distance between the two samples'
 * log-expression shifts.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Dataset } from '../data/dataset.js';
import { columnAsStrings, Frame } from '../data/frame.js';
import type { Matrix } from '../data/matrix.js';
import { CsrMatrix } from '../data/sparse.js';
import { toCsrMatrix } from '../preprocess/matrix-stats.js';

/** A rooted binary tree over samples, as a merge table (same layout as scipy's linkage). */
export interface SimulatedTree {
  nLeaves: number;
  left: Int32Array;
  right: Int32Array;
  height: Float64Array;
}

/** Options of {@link simulateSampleStructure}. */
export interface SampleStructureOptions {
  /** obs column of cell types. */
  labelsKey: string;
  /** Number of samples S (default 32). */
  nSamples?: number;
  /** Cell types to perturb (default: the two most frequent). */
  perturbedTypes?: string[];
  /** Fold change of the genes on a sample's path (default 2). */
  fold?: number;
  /** Two sites with a site effect (default false). */
  sites?: boolean;
  /** Fold change of the site effect on site 1 (default 2). */
  siteFold?: number;
  /** Seed (default 0). */
  seed?: number;
  /** obs column names written (defaults 'sample', 'site'). */
  sampleKey?: string;
  siteKey?: string;
}

/** Truth for one perturbed cell type. */
export interface PerturbedTypeTruth {
  cellType: string;
  tree: SimulatedTree;
  /** Edge (child node id) each gene is assigned to. */
  geneEdge: Int32Array;
  /** True S × S distances (row-major). */
  distances: Float64Array;
  /** Side of the root split of each sample (0 or 1): a sample covariate the guided test should find in this type. */
  rootSide: Uint8Array;
}

/** Output of {@link simulateSampleStructure}. */
export interface SampleStructureResult {
  dataset: Dataset;
  sampleNames: string[];
  truth: PerturbedTypeTruth[];
  /** Cells of a perturbed type (1) or not (0). */
  affected: Uint8Array;
  seed: number;
}

/**
 * Random binary tree by sequential random merges of two clusters drawn uniformly (ids: leaves
 * 0..S−1, merge k → S + k); heights are the depth of each merge.
 */
export function randomSampleTree(S: number, rng: Rng): SimulatedTree {
  const left = new Int32Array(S - 1);
  const right = new Int32Array(S - 1);
  const height = new Float64Array(S - 1);
  const pool = Array.from({ length: S }, (_, i) => i);
  const depth = new Float64Array(2 * S - 1);
  for (let k = 0; k < S - 1; k++) {
    const i = rng.int(pool.length);
    const a = pool[i] as number;
    pool[i] = pool[pool.length - 1] as number;
    pool.pop();
    const j = rng.int(pool.length);
    const b = pool[j] as number;
    pool[j] = S + k;
    left[k] = Math.min(a, b);
    right[k] = Math.max(a, b);
    depth[S + k] = Math.max(depth[a] as number, depth[b] as number) + 1;
    height[k] = depth[S + k] as number;
  }
  return { nLeaves: S, left, right, height };
}

/** parent[node] for every node (root: −1). */
function parents(tree: SimulatedTree): Int32Array {
  const S = tree.nLeaves;
  const p = new Int32Array(2 * S - 1).fill(-1);
  for (let k = 0; k < S - 1; k++) {
    p[tree.left[k] as number] = S + k;
    p[tree.right[k] as number] = S + k;
  }
  return p;
}

/**
 * Applies an integer fold change to one count.
 *
 * @returns 2x for fold 2, x + Binomial(x, f − 1) for f in (1, 2), Binomial(x, f) for f < 1.
 */
export function foldCount(x: number, fold: number, rng: Rng): number {
  if (x === 0 || fold === 1) return x;
  if (fold >= 2 && Number.isInteger(fold)) return x * fold;
  const p = fold > 1 ? fold - 1 : fold;
  let k = 0;
  for (let t = 0; t < x; t++) if (rng.uniform() < p) k++;
  return fold > 1 ? x + k : k;
}

/**
 * Builds the semi-synthetic data set.
 *
 * @param ref - Cells × genes raw counts (X) with the labels column.
 * @param opts - See {@link SampleStructureOptions}.
 * @throws {@link InputError} `E_SAMPLES` for fewer than 2 samples or more samples than cells,
 *   `E_UNKNOWN_LABEL` for a perturbed type not in the labels, `E_FOLD` for a non-positive fold.
 * @example
 * const sim = simulateSampleStructure(pbmc, { labelsKey: 'cell_type', nSamples: 32, seed: 0 });
 */
export function simulateSampleStructure(ref: Dataset, opts: SampleStructureOptions): SampleStructureResult {
  const S = opts.nSamples ?? 32;
  const seed = opts.seed ?? 0;
  const fold = opts.fold ?? 2;
  const sampleKey = opts.sampleKey ?? 'sample';
  const siteKey = opts.siteKey ?? 'site';
  const N = ref.nObs;
  const G = ref.nVars;
  if (!Number.isInteger(S) || S < 2 || S > N) {
    throw new InputError('invalid number of samples', {
      code: 'E_SAMPLES',
      field: 'nSamples',
      got: S,
      expected: `an integer in [2, ${N}]`,
    });
  }
  if (!(fold > 0)) throw new InputError('fold change must be positive', { code: 'E_FOLD', field: 'fold', got: fold });
  const labels = columnAsStrings(ref.obs.get(opts.labelsKey));
  const freq = new Map<string, number>();
  for (const l of labels) freq.set(l, (freq.get(l) ?? 0) + 1);
  const types =
    opts.perturbedTypes ??
    [...freq.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 2)
      .map((e) => e[0]);
  for (const t of types) {
    if (!freq.has(t)) {
      throw new InputError(`cell type '${t}' is not in the labels`, {
        code: 'E_UNKNOWN_LABEL',
        field: opts.labelsKey,
        got: t,
        expected: `one of ${JSON.stringify([...freq.keys()].sort())}`,
      });
    }
  }
  const rng = new Rng(seed);
  // samples: a random permutation dealt round-robin, so sizes differ by at most one
  const perm = rng.fork('assign').permutation(N);
  const sampleOf = new Int32Array(N);
  for (let k = 0; k < N; k++) sampleOf[perm[k] as number] = k % S;
  const siteOfSample = new Int32Array(S);
  if (opts.sites) {
    const sp = rng.fork('sites').permutation(S);
    for (let k = 0; k < S; k++) siteOfSample[sp[k] as number] = k % 2;
  }
  const truth: PerturbedTypeTruth[] = [];
  // per type: multiplier per (sample, gene) as a set of genes on the path
  const pathGenes: Map<string, Uint8Array[]> = new Map();
  for (const t of types) {
    const trng = rng.fork(`type:${t}`);
    const tree = randomSampleTree(S, trng);
    const par = parents(tree);
    const nNodes = 2 * S - 1;
    const root = nNodes - 1;
    // edges are named by their child node (every node but the root)
    const geneEdge = new Int32Array(G);
    for (let g = 0; g < G; g++) {
      // edges are named by their child node: every node but the root (the last id)
      geneEdge[g] = trng.int(nNodes - 1);
    }
    const onPath: Uint8Array[] = [];
    const pathNodes: Uint8Array[] = [];
    for (let s = 0; s < S; s++) {
      const nodes = new Uint8Array(nNodes);
      for (let v = s; v !== root && v >= 0; v = par[v] as number) nodes[v] = 1;
      pathNodes.push(nodes);
      const genes = new Uint8Array(G);
      for (let g = 0; g < G; g++) genes[g] = nodes[geneEdge[g] as number] as number;
      onPath.push(genes);
    }
    const genesPerEdge = new Int32Array(nNodes);
    for (let g = 0; g < G; g++) genesPerEdge[geneEdge[g] as number] = (genesPerEdge[geneEdge[g] as number] as number) + 1;
    const distances = new Float64Array(S * S);
    for (let a = 0; a < S; a++)
      for (let b = a + 1; b < S; b++) {
        let n = 0;
        const pa = pathNodes[a] as Uint8Array;
        const pb = pathNodes[b] as Uint8Array;
        for (let v = 0; v < nNodes; v++) if (pa[v] !== pb[v]) n += genesPerEdge[v] as number;
        const d = Math.abs(Math.log(fold)) * Math.sqrt(n);
        distances[a * S + b] = d;
        distances[b * S + a] = d;
      }
    // root split: the samples under the root's left child
    const rootSide = new Uint8Array(S);
    const leftChild = tree.left[S - 2] as number;
    for (let s = 0; s < S; s++) rootSide[s] = (pathNodes[s] as Uint8Array)[leftChild] ? 0 : 1;
    truth.push({ cellType: t, tree, geneEdge, distances, rootSide });
    pathGenes.set(t, onPath);
  }
  const siteGenes = new Uint8Array(G);
  if (opts.sites) {
    const pick = rng.fork('site-genes').sampleWithoutReplacement(G, Math.max(1, Math.round(G / 10)));
    for (const g of pick) siteGenes[g] = 1;
  }
  const csr: CsrMatrix = toCsrMatrix(ref.X as Matrix);
  const data = new (csr.data.constructor as Float64ArrayConstructor)(csr.data.length);
  const crng = rng.fork('counts');
  const siteFold = opts.siteFold ?? 2;
  const affected = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const genes = pathGenes.get(labels[i] as string)?.[sampleOf[i] as number];
    if (genes) affected[i] = 1;
    const atSite1 = opts.sites && siteOfSample[sampleOf[i] as number] === 1;
    for (let k = csr.indptr[i] as number; k < (csr.indptr[i + 1] as number); k++) {
      const g = csr.indices[k] as number;
      let x = csr.data[k] as number;
      if (genes?.[g]) x = foldCount(x, fold, crng);
      if (atSite1 && siteGenes[g]) x = foldCount(x, siteFold, crng);
      data[k] = x;
    }
  }
  const X = new CsrMatrix(N, G, { indptr: csr.indptr, indices: csr.indices, data });
  const sampleNames = Array.from({ length: S }, (_, s) => `sample_${String(s).padStart(String(S - 1).length, '0')}`);
  const obs = new Frame(N, ref.obs.entries());
  obs.set(sampleKey, { kind: 'categorical', codes: sampleOf, categories: sampleNames, ordered: false });
  if (opts.sites) {
    const site = Int32Array.from(sampleOf, (s) => siteOfSample[s] as number);
    obs.set(siteKey, { kind: 'categorical', codes: site, categories: ['site_0', 'site_1'], ordered: false });
  }
  obs.set('perturbed', { kind: 'boolean', values: affected });
  // a sample-level covariate per perturbed type (side of its tree's root split), for the guided test
  for (const t of truth) {
    const name = `root_side_${t.cellType.replace(/[^A-Za-z0-9]+/g, '_')}`;
    obs.set(name, {
      kind: 'categorical',
      codes: Int32Array.from(sampleOf, (s) => t.rootSide[s] as number),
      categories: ['left', 'right'],
      ordered: false,
    });
  }
  const dataset = new Dataset({ X, obsNames: ref.obsNames, varNames: ref.varNames, obs, var: ref.var, uns: {} });
  return { dataset, sampleNames, truth, affected, seed };
}
