/**
 * Louvain community detection (Blondel et al. 2008) on a weighted undirected graph, with the
 * resolution parameter γ of Reichardt & Bornholdt (modularity Q = Σ_c [in_c/2m − γ (tot_c/2m)²]).
 *
 * Why our own: the CompositionPCA baseline needs Leiden/Louvain clusters of a kNN graph. The npm
 * registry has `graphology-communities-louvain` (maintained) but no maintained Leiden; adding a
 * dependency needs the shared install that helpers may not change, so this is a small, seeded
 * implementation of the same algorithm (node order shuffled by our Rng; phase 1 local moves until
 * no gain, phase 2 aggregation, repeated while the partition changes).
 */
import type { Rng } from '../../core/rng.js';

/** An undirected weighted graph in CSR form (both directions stored; self-loops allowed). */
export interface WeightedGraph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
}

/** Builds a symmetric CSR graph from edge lists (duplicate edges are summed). */
export function graphFromEdges(n: number, from: ArrayLike<number>, to: ArrayLike<number>, w?: ArrayLike<number>): WeightedGraph {
  const maps: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let e = 0; e < from.length; e++) {
    const a = from[e] as number;
    const b = to[e] as number;
    const x = w ? (w[e] as number) : 1;
    (maps[a] as Map<number, number>).set(b, ((maps[a] as Map<number, number>).get(b) ?? 0) + x);
    if (a !== b) (maps[b] as Map<number, number>).set(a, ((maps[b] as Map<number, number>).get(a) ?? 0) + x);
  }
  const indptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) indptr[i + 1] = (indptr[i] as number) + (maps[i] as Map<number, number>).size;
  const indices = new Int32Array(indptr[n] as number);
  const weights = new Float64Array(indptr[n] as number);
  for (let i = 0; i < n; i++) {
    let p = indptr[i] as number;
    for (const [j, x] of [...(maps[i] as Map<number, number>).entries()].sort((a, b) => a[0] - b[0])) {
      indices[p] = j;
      weights[p] = x;
      p++;
    }
  }
  return { n, indptr, indices, weights };
}

/** Modularity of a partition (γ = resolution). */
export function modularity(g: WeightedGraph, community: ArrayLike<number>, resolution = 1): number {
  const k = new Float64Array(g.n);
  let m2 = 0;
  let inside = 0;
  const tot = new Map<number, number>();
  for (let i = 0; i < g.n; i++) {
    for (let p = g.indptr[i] as number; p < (g.indptr[i + 1] as number); p++) {
      const j = g.indices[p] as number;
      // a self-loop is stored once but counts twice in the degree (networkx convention)
      const w = (g.weights[p] as number) * (j === i ? 2 : 1);
      k[i] = (k[i] as number) + w;
      if (community[i] === community[j]) inside += w;
    }
    m2 += k[i] as number;
    const c = community[i] as number;
    tot.set(c, (tot.get(c) ?? 0) + (k[i] as number));
  }
  if (m2 === 0) return 0;
  let q = inside / m2;
  for (const t of tot.values()) q -= resolution * (t / m2) ** 2;
  return q;
}

/**
 * One level of local moves. Returns the community of each node (relabelled 0..c−1) and whether
 * any node moved.
 */
function localMoves(g: WeightedGraph, resolution: number, rng: Rng): { comm: Int32Array; moved: boolean } {
  const n = g.n;
  const k = new Float64Array(n);
  const selfW = new Float64Array(n);
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    for (let p = g.indptr[i] as number; p < (g.indptr[i + 1] as number); p++) {
      const j = g.indices[p] as number;
      const w = g.weights[p] as number;
      if (j === i) {
        k[i] = (k[i] as number) + 2 * w;
        selfW[i] = w;
      } else k[i] = (k[i] as number) + w;
    }
    m2 += k[i] as number;
  }
  const comm = Int32Array.from({ length: n }, (_, i) => i);
  const tot = Float64Array.from(k);
  if (m2 === 0) return { comm, moved: false };
  const order = rng.permutation(n);
  const wTo = new Float64Array(n);
  const touched: number[] = [];
  let movedAny = false;
  let improved = true;
  while (improved) {
    improved = false;
    for (let oi = 0; oi < n; oi++) {
      const i = order[oi] as number;
      const ci = comm[i] as number;
      touched.length = 0;
      for (let p = g.indptr[i] as number; p < (g.indptr[i + 1] as number); p++) {
        const j = g.indices[p] as number;
        if (j === i) continue;
        const c = comm[j] as number;
        if (wTo[c] === 0) touched.push(c);
        wTo[c] = (wTo[c] as number) + (g.weights[p] as number);
      }
      const ki = k[i] as number;
      tot[ci] = (tot[ci] as number) - ki;
      // gain of putting i into c (up to terms that do not depend on c): w_i,c − γ k_i tot_c / 2m
      let best = ci;
      let bestGain = (wTo[ci] as number) - (resolution * ki * (tot[ci] as number)) / m2;
      for (const c of touched) {
        const gain = (wTo[c] as number) - (resolution * ki * (tot[c] as number)) / m2;
        if (gain > bestGain + 1e-12) {
          bestGain = gain;
          best = c;
        }
      }
      tot[best] = (tot[best] as number) + ki;
      if (best !== ci) {
        comm[i] = best;
        improved = true;
        movedAny = true;
      }
      for (const c of touched) wTo[c] = 0;
      wTo[ci] = 0;
    }
  }
  // relabel
  const label = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = comm[i] as number;
    if (!label.has(c)) label.set(c, label.size);
    comm[i] = label.get(c) as number;
  }
  return { comm, moved: movedAny };
}

/** Graph of communities: node = community, edge weights summed (internal edges become self-loops). */
function aggregate(g: WeightedGraph, comm: Int32Array, nc: number): WeightedGraph {
  const from: number[] = [];
  const to: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < g.n; i++) {
    for (let p = g.indptr[i] as number; p < (g.indptr[i + 1] as number); p++) {
      const j = g.indices[p] as number;
      if (j < i) continue; // each undirected edge once
      from.push(comm[i] as number);
      to.push(comm[j] as number);
      w.push(g.weights[p] as number);
    }
  }
  return graphFromEdges(nc, from, to, w);
}

/**
 * Louvain communities.
 *
 * @param g - Undirected weighted graph.
 * @param opts.resolution - γ (default 1, scanpy/Leiden default).
 * @param opts.rng - Seeded stream for the node order.
 * @returns Community of each node, 0..c−1, ordered by first appearance.
 * @example
 * louvain(graphFromEdges(4, [0, 2], [1, 3]), { rng: new Rng(0) }); // [0, 0, 1, 1]
 */
export function louvain(g: WeightedGraph, opts: { resolution?: number; rng: Rng }): Int32Array {
  const resolution = opts.resolution ?? 1;
  let membership = Int32Array.from({ length: g.n }, (_, i) => i);
  let graph = g;
  for (let level = 0; level < 50; level++) {
    const { comm, moved } = localMoves(graph, resolution, opts.rng);
    if (!moved) break;
    let nc = 0;
    for (const c of comm) nc = Math.max(nc, c + 1);
    membership = Int32Array.from(membership, (m) => comm[m] as number);
    if (nc === graph.n) break;
    graph = aggregate(graph, comm, nc);
  }
  // relabel by first appearance
  const label = new Map<number, number>();
  return Int32Array.from(membership, (c) => {
    if (!label.has(c)) label.set(c, label.size);
    return label.get(c) as number;
  });
}
