/**
 * CompositionPCA, the seed's baseline for sample distances [seed §4, Suppl. C]: cells embedded by
 * PCA of log-normalised counts; within each group (cell type) a kNN graph of the group's cells is
 * clustered (Louvain, resolution 1: see louvain.ts for why not Leiden); each sample gets the
 * composition vector f_d^k = (its cells of the group in cluster k) / (its cells of the group), and
 * D(d, d') = ‖f_d − f_d'‖₂. The same k-rule as MrVI drops samples with fewer than k cells.
 */
import { InputError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Matrix } from '../../data/matrix.js';
import { svd } from '../../linalg/svd.js';
import { toCsrMatrix } from '../../preprocess/matrix-stats.js';
import type { GroupDistances } from './distances.js';
import { graphFromEdges, louvain } from './louvain.js';

/** Options of {@link compositionPcaDistances}. */
export interface CompositionPcaOptions {
  /** PCA components (default 50, scanpy's default). */
  nComps?: number;
  /** Neighbours in the kNN graph (default 15, scanpy's default). */
  nNeighbors?: number;
  /** Louvain resolution (default 1). */
  resolution?: number;
  /** k-rule: minimum cells of a sample in a group (default 5). */
  minCells?: number;
  seed?: number;
}

function orthonormalizeColumns(Y: Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += (Y[r * cols + c] as number) * (Y[r * cols + p] as number);
      for (let r = 0; r < rows; r++) Y[r * cols + c] = (Y[r * cols + c] as number) - dot * (Y[r * cols + p] as number);
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += (Y[r * cols + c] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < rows; r++) Y[r * cols + c] = (Y[r * cols + c] as number) / norm;
  }
}

/**
 * PCA of log1p(counts normalised to 10⁴ per cell), genes centred, by randomised SVD (Halko et al.
 * 2011; 10 extra columns, 4 power iterations), as scanpy's `pca(svd_solver='randomized')`.
 *
 * @param counts - Cells × genes raw counts.
 * @param nComps - Components.
 * @param rng - Seeded stream for the random projection.
 * @returns Row-major cells × nComps scores.
 */
export function pcaLogNormalized(counts: Matrix, nComps: number, rng: Rng): Float64Array {
  const csr = toCsrMatrix(counts);
  const N = csr.rows;
  const G = csr.cols;
  const X = new Float64Array(N * G);
  for (let i = 0; i < N; i++) {
    let lib = 0;
    for (let p = csr.indptr[i] as number; p < (csr.indptr[i + 1] as number); p++) lib += csr.data[p] as number;
    const f = lib > 0 ? 1e4 / lib : 0;
    for (let p = csr.indptr[i] as number; p < (csr.indptr[i + 1] as number); p++)
      X[i * G + (csr.indices[p] as number)] = Math.log1p((csr.data[p] as number) * f);
  }
  const mean = new Float64Array(G);
  for (let i = 0; i < N; i++) for (let j = 0; j < G; j++) mean[j] = (mean[j] as number) + (X[i * G + j] as number);
  for (let j = 0; j < G; j++) mean[j] = (mean[j] as number) / N;
  for (let i = 0; i < N; i++) for (let j = 0; j < G; j++) X[i * G + j] = (X[i * G + j] as number) - (mean[j] as number);
  const k = Math.min(nComps, N, G);
  const l = Math.min(k + 10, N, G);
  const Omega = new Float64Array(G * l);
  for (let i = 0; i < Omega.length; i++) Omega[i] = rng.normal();
  const Y = new Float64Array(N * l);
  const Z = new Float64Array(G * l);
  const mulX = (B: Float64Array, out: Float64Array) => {
    // out (N × l) = X (N × G) · B (G × l)
    out.fill(0);
    for (let i = 0; i < N; i++)
      for (let j = 0; j < G; j++) {
        const x = X[i * G + j] as number;
        if (x === 0) continue;
        for (let c = 0; c < l; c++) out[i * l + c] = (out[i * l + c] as number) + x * (B[j * l + c] as number);
      }
  };
  const mulXt = (A: Float64Array, out: Float64Array) => {
    // out (G × l) = Xᵀ · A (N × l)
    out.fill(0);
    for (let i = 0; i < N; i++)
      for (let j = 0; j < G; j++) {
        const x = X[i * G + j] as number;
        if (x === 0) continue;
        for (let c = 0; c < l; c++) out[j * l + c] = (out[j * l + c] as number) + x * (A[i * l + c] as number);
      }
  };
  mulX(Omega, Y);
  orthonormalizeColumns(Y, N, l);
  for (let it = 0; it < 4; it++) {
    mulXt(Y, Z);
    orthonormalizeColumns(Z, G, l);
    mulX(Z, Y);
    orthonormalizeColumns(Y, N, l);
  }
  // B = Qᵀ X (l × G) = (Xᵀ Q)ᵀ
  mulXt(Y, Z);
  const B = new Float64Array(l * G);
  for (let j = 0; j < G; j++) for (let c = 0; c < l; c++) B[c * G + j] = Z[j * l + c] as number;
  const d = svd(l, G, B);
  const scores = new Float64Array(N * k);
  for (let i = 0; i < N; i++)
    for (let c = 0; c < k; c++) {
      let v = 0;
      for (let t = 0; t < l; t++) v += (Y[i * l + t] as number) * (d.U[t * d.k + c] as number);
      scores[i * k + c] = v * (d.s[c] as number);
    }
  return scores;
}

/** Symmetrised kNN graph (union of directed edges, weight 1) of the rows `idx` of `emb`. */
function knnGraph(emb: Float64Array, dim: number, idx: number[], kNeighbors: number) {
  const n = idx.length;
  const from: number[] = [];
  const to: number[] = [];
  const dist = new Float64Array(n);
  const k = Math.min(kNeighbors, n - 1);
  for (let a = 0; a < n; a++) {
    const ia = idx[a] as number;
    for (let b = 0; b < n; b++) {
      const ib = idx[b] as number;
      let s = 0;
      for (let t = 0; t < dim; t++) s += ((emb[ia * dim + t] as number) - (emb[ib * dim + t] as number)) ** 2;
      dist[b] = b === a ? Number.POSITIVE_INFINITY : s;
    }
    const order = Array.from({ length: n }, (_, b) => b).sort((x, y) => (dist[x] as number) - (dist[y] as number) || x - y);
    for (let r = 0; r < k; r++) {
      from.push(a);
      to.push(order[r] as number);
    }
  }
  // graphFromEdges sums a mutual pair twice; cap weights at 1 (union graph)
  const g = graphFromEdges(n, from, to);
  for (let p = 0; p < g.weights.length; p++) g.weights[p] = 1;
  return g;
}

/**
 * CompositionPCA distances per group.
 *
 * @param counts - Cells × genes raw counts.
 * @param groupCodes - Group of each cell (−1: none).
 * @param groups - Group names.
 * @param sampleCodes - Sample of each cell (0..S−1).
 * @param nSamples - S.
 * @returns One entry per group (same shape as MrVI's {@link GroupDistances}), plus the clusters.
 * @throws {@link InputError} `E_SHAPE` when the code arrays do not match the cells.
 */
export function compositionPcaDistances(
  counts: Matrix,
  groupCodes: Int32Array,
  groups: readonly string[],
  sampleCodes: Int32Array,
  nSamples: number,
  opts: CompositionPcaOptions = {},
): (GroupDistances & { nClusters: number })[] {
  if (groupCodes.length !== counts.rows || sampleCodes.length !== counts.rows) {
    throw new InputError('group/sample codes do not match the cells', {
      code: 'E_SHAPE',
      got: [groupCodes.length, sampleCodes.length],
      expected: counts.rows,
    });
  }
  const rng = new Rng(opts.seed ?? 0);
  const nComps = opts.nComps ?? 50;
  const emb = pcaLogNormalized(counts, nComps, rng.fork('pca'));
  const dim = Math.min(nComps, counts.rows, counts.cols);
  const minCells = opts.minCells ?? 5;
  return groups.map((group, g) => {
    const idx: number[] = [];
    for (let i = 0; i < groupCodes.length; i++) if (groupCodes[i] === g) idx.push(i);
    const cellsPerSample = new Int32Array(nSamples);
    for (const i of idx) cellsPerSample[sampleCodes[i] as number] = (cellsPerSample[sampleCodes[i] as number] as number) + 1;
    const samples: number[] = [];
    for (let s = 0; s < nSamples; s++) if ((cellsPerSample[s] as number) >= minCells) samples.push(s);
    const comm =
      idx.length > 1
        ? louvain(knnGraph(emb, dim, idx, opts.nNeighbors ?? 15), { resolution: opts.resolution ?? 1, rng: rng.fork(`louvain:${group}`) })
        : new Int32Array(idx.length);
    let K = 0;
    for (const c of comm) K = Math.max(K, c + 1);
    const f = new Float64Array(nSamples * K);
    idx.forEach((i, a) => {
      const s = sampleCodes[i] as number;
      f[s * K + (comm[a] as number)] = (f[s * K + (comm[a] as number)] as number) + 1 / (cellsPerSample[s] as number);
    });
    const m = samples.length;
    const D = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = a + 1; b < m; b++) {
        let s2 = 0;
        for (let c = 0; c < K; c++)
          s2 += ((f[(samples[a] as number) * K + c] as number) - (f[(samples[b] as number) * K + c] as number)) ** 2;
        D[a * m + b] = Math.sqrt(s2);
        D[b * m + a] = Math.sqrt(s2);
      }
    return { group, nCells: idx.length, cellsPerSample, samples, D, nClusters: K };
  });
}
