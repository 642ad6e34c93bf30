/**
 * Sample trees: average-linkage (UPGMA) clustering of a sample–sample distance matrix, the tree in
 * Newick, random binary trees, and the Robinson–Foulds distance between trees [seed §3.2, §4].
 *
 * A tree is stored as a merge table like scipy's `linkage` output: with S leaves (0..S−1), merge k
 * joins clusters `left[k]` and `right[k]` (ids < S are leaves, id S + k' is the cluster of merge k')
 * at `height[k]`. Average linkage matches `scipy.cluster.hierarchy.linkage(method='average')`
 * (merge heights and cophenetic distances tested on fixtures without ties; with tied distances
 * the merge order, not the heights, may differ).
 */
import { InputError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { randomSampleTree } from '../../simulate/sample-structure.js';

/** A rooted binary tree over `nLeaves` leaves as a merge table (scipy linkage layout). */
export interface SampleTree {
  nLeaves: number;
  /** Child ids of each merge (length nLeaves − 1). */
  left: Int32Array;
  right: Int32Array;
  /** Merge heights (average linkage: the average distance between the two clusters). */
  height: Float64Array;
}

/**
 * Average-linkage (UPGMA) hierarchical clustering, O(S³) (fine for S ≤ 500).
 *
 * @param D - Row-major S × S symmetric dissimilarities.
 * @param S - Number of samples.
 * @returns The merge table; merges in order of increasing height.
 * @throws {@link InputError} `E_TREE_INPUT` for S < 2 or a non-finite entry.
 * @example
 * averageLinkage(Float64Array.of(0, 1, 4, 1, 0, 4, 4, 4, 0), 3).height; // [1, 4]
 */
export function averageLinkage(D: ArrayLike<number>, S: number): SampleTree {
  if (S < 2) throw new InputError('clustering needs at least 2 samples', { code: 'E_TREE_INPUT', got: S, expected: '>= 2' });
  const d = new Float64Array(S * S);
  for (let i = 0; i < S * S; i++) {
    const v = D[i] as number;
    if (!Number.isFinite(v))
      throw new InputError('distance matrix has a non-finite entry', {
        code: 'E_TREE_INPUT',
        got: v,
        field: `[${Math.floor(i / S)}, ${i % S}]`,
      });
    d[i] = v;
  }
  const size = new Int32Array(S).fill(1);
  const id = Int32Array.from({ length: S }, (_, i) => i);
  const alive = new Uint8Array(S).fill(1);
  const left = new Int32Array(S - 1);
  const right = new Int32Array(S - 1);
  const height = new Float64Array(S - 1);
  for (let k = 0; k < S - 1; k++) {
    let bi = -1;
    let bj = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < S; i++) {
      if (!alive[i]) continue;
      for (let j = i + 1; j < S; j++) {
        if (!alive[j]) continue;
        const v = d[i * S + j] as number;
        if (v < best) {
          best = v;
          bi = i;
          bj = j;
        }
      }
    }
    const a = id[bi] as number;
    const b = id[bj] as number;
    left[k] = Math.min(a, b);
    right[k] = Math.max(a, b);
    height[k] = best;
    // the merged cluster takes slot bi; Lance–Williams update for average linkage
    const si = size[bi] as number;
    const sj = size[bj] as number;
    for (let t = 0; t < S; t++) {
      if (!alive[t] || t === bi || t === bj) continue;
      const v = (si * (d[bi * S + t] as number) + sj * (d[bj * S + t] as number)) / (si + sj);
      d[bi * S + t] = v;
      d[t * S + bi] = v;
    }
    alive[bj] = 0;
    size[bi] = si + sj;
    id[bi] = S + k;
  }
  return { nLeaves: S, left, right, height };
}

/** Leaves of the tree in drawing order (left subtree first): the order for heatmaps. */
export function leafOrder(tree: SampleTree): number[] {
  const S = tree.nLeaves;
  if (S === 1) return [0];
  const out: number[] = [];
  const stack = [2 * S - 2];
  while (stack.length) {
    const node = stack.pop() as number;
    if (node < S) out.push(node);
    else {
      const k = node - S;
      stack.push(tree.right[k] as number, tree.left[k] as number);
    }
  }
  return out;
}

function newickName(s: string): string {
  // Quote names with Newick's special characters; a quote inside is doubled.
  return /^[^\s():;,[\]']+$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`;
}

/**
 * The tree in Newick format, branch lengths = differences of merge heights (leaves at height 0).
 *
 * @param tree - Merge table.
 * @param names - Leaf names (length nLeaves).
 * @returns e.g. `((a:1,b:1):3,c:4);`
 */
export function toNewick(tree: SampleTree, names: readonly string[]): string {
  const S = tree.nLeaves;
  const h = (node: number) => (node < S ? 0 : (tree.height[node - S] as number));
  const fmt = (x: number) => String(Number(x.toPrecision(8)));
  const rec = (node: number, parentHeight: number): string => {
    const len = `:${fmt(Math.max(0, parentHeight - h(node)))}`;
    if (node < S) return `${newickName(names[node] as string)}${len}`;
    const k = node - S;
    return `(${rec(tree.left[k] as number, h(node))},${rec(tree.right[k] as number, h(node))})${len}`;
  };
  if (S === 1) return `${newickName(names[0] as string)};`;
  const root = 2 * S - 2;
  const k = root - S;
  return `(${rec(tree.left[k] as number, h(root))},${rec(tree.right[k] as number, h(root))});`;
}

/**
 * A random binary tree over S leaves (two clusters drawn uniformly join at each step; the
 * generator of the semi-synthetic benchmark): the "random tree" baseline of the RF comparison.
 */
export function randomBinaryTree(S: number, rng: Rng): SampleTree {
  return randomSampleTree(S, rng);
}

/** Leaf sets of every node (index = node id), as sorted leaf lists. */
export function clusters(tree: SampleTree): number[][] {
  const S = tree.nLeaves;
  const out: number[][] = Array.from({ length: 2 * S - 1 }, (_, i) => (i < S ? [i] : []));
  for (let k = 0; k < S - 1; k++) {
    out[S + k] = [...(out[tree.left[k] as number] as number[]), ...(out[tree.right[k] as number] as number[])].sort((a, b) => a - b);
  }
  return out;
}

/** Non-trivial bipartitions of the unrooted tree, each as the bitstring of the side without leaf 0. */
function splits(tree: SampleTree, leafIndex: Int32Array): Set<string> {
  const S = tree.nLeaves;
  const cl = clusters(tree);
  const out = new Set<string>();
  for (let node = S; node < 2 * S - 2; node++) {
    const members = (cl[node] as number[]).map((l) => leafIndex[l] as number);
    const bits = new Uint8Array(S);
    for (const m of members) bits[m] = 1;
    if (bits[0]) for (let i = 0; i < S; i++) bits[i] = bits[i] ? 0 : 1;
    let count = 0;
    for (let i = 0; i < S; i++) count += bits[i] as number;
    if (count < 2 || count > S - 2) continue; // trivial split (one leaf on a side)
    out.add(bits.join(''));
  }
  return out;
}

/**
 * Robinson–Foulds distance between two trees on the same leaves, treating both as unrooted
 * (as dendropy's `symmetric_difference` and ete3's `robinson_foulds(unrooted_trees=True)`): the
 * number of non-trivial bipartitions found in one tree but not the other. Range 0..2(S − 3).
 *
 * @param a - First tree (leaf ids 0..S−1).
 * @param b - Second tree; `bLeaves[i]` = the leaf of `a` that leaf i of `b` is (default identity).
 * @returns `{ rf, max, normalized: rf / max }`.
 * @throws {@link InputError} `E_TREE_INPUT` when the leaf counts differ.
 */
export function robinsonFoulds(a: SampleTree, b: SampleTree, bLeaves?: ArrayLike<number>): { rf: number; max: number; normalized: number } {
  const S = a.nLeaves;
  if (b.nLeaves !== S)
    throw new InputError('trees have different numbers of leaves', { code: 'E_TREE_INPUT', got: b.nLeaves, expected: S });
  const idA = Int32Array.from({ length: S }, (_, i) => i);
  const idB = bLeaves ? Int32Array.from(bLeaves) : idA;
  const sa = splits(a, idA);
  const sb = splits(b, idB);
  let rf = 0;
  for (const s of sa) if (!sb.has(s)) rf++;
  for (const s of sb) if (!sa.has(s)) rf++;
  const max = Math.max(0, 2 * (S - 3));
  return { rf, max, normalized: max > 0 ? rf / max : 0 };
}

/**
 * Subtree of `tree` restricted to the leaves in `keep` (sorted or not), renumbered 0..keep.length−1
 * in the order given: used when the k-rule drops samples and the true tree must be compared on the
 * samples that remain. Heights of surviving merges are kept.
 */
export function restrictTree(tree: SampleTree, keep: readonly number[]): SampleTree {
  const S = tree.nLeaves;
  const pos = new Int32Array(S).fill(-1);
  keep.forEach((l, i) => {
    pos[l] = i;
  });
  const n = keep.length;
  const left = new Int32Array(Math.max(0, n - 1));
  const right = new Int32Array(Math.max(0, n - 1));
  const height = new Float64Array(Math.max(0, n - 1));
  // map each node of the old tree to its node in the new one (−1 = no kept leaf below)
  const map = new Int32Array(2 * S - 1).fill(-1);
  for (let i = 0; i < S; i++) map[i] = pos[i] as number;
  let k = 0;
  for (let m = 0; m < S - 1; m++) {
    const l = map[tree.left[m] as number] as number;
    const r = map[tree.right[m] as number] as number;
    if (l >= 0 && r >= 0) {
      left[k] = Math.min(l, r);
      right[k] = Math.max(l, r);
      height[k] = tree.height[m] as number;
      map[S + m] = n + k;
      k++;
    } else map[S + m] = l >= 0 ? l : r;
  }
  return { nLeaves: n, left, right, height };
}

/**
 * Cophenetic distance matrix of a tree (height of the merge where two leaves first join): the
 * "true distance matrix" of a simulated tree.
 */
export function copheneticMatrix(tree: SampleTree): Float64Array {
  const S = tree.nLeaves;
  const out = new Float64Array(S * S);
  const cl = clusters(tree);
  for (let k = 0; k < S - 1; k++) {
    const a = cl[tree.left[k] as number] as number[];
    const b = cl[tree.right[k] as number] as number[];
    const h = tree.height[k] as number;
    for (const i of a)
      for (const j of b) {
        out[i * S + j] = h;
        out[j * S + i] = h;
      }
  }
  return out;
}
