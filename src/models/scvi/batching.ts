/**
 * Minibatch composition of MixupVI (the fork's `MixUpDataSplitter`) and the pseudobulks drawn inside
 * each minibatch. Pure index arithmetic on typed arrays; seeded.
 */
import type { Rng } from '../../core/rng.js';

/** numpy-style rounding (half to even), used by the fork for cell counts. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Splits cell indices into validation (first nVal of a permutation) and training (the rest), as the
 * fork does with RandomState(42); here from `rng`.
 *
 * @param n - Number of cells.
 * @param trainSize - Fraction for training (nTrain = ceil(trainSize·n), at least 1).
 */
export function trainValidationSplit(n: number, trainSize: number, rng: Rng): { train: Int32Array; validation: Int32Array } {
  const perm = rng.permutation(n);
  const nTrain = Math.max(1, Math.min(n, Math.ceil(trainSize * n)));
  const nVal = n - nTrain;
  return { validation: perm.slice(0, nVal), train: perm.slice(nVal) };
}

/**
 * Dirichlet-composed training batches [FORK `MixUpDataSplitter.setup`; spec pseudobulk-and-metrics §2]:
 * floor(nTrain/batchSize) full batches plus one with the remainder; per batch proportions
 * p ~ Dir(1 + N_c/nTrain), counts round(p·size), cells of each type drawn without replacement from the
 * training cells of that type (with replacement when the count exceeds the population).
 *
 * @param trainIdx - Training cell indices.
 * @param codes - Cell-type code per cell (indexed by cell).
 * @param nTypes - Number of cell types C.
 * @param batchSize - Target batch size.
 * @returns Batches of cell indices (sizes may differ slightly from the target because of rounding).
 */
export function dirichletBatches(trainIdx: Int32Array, codes: Int32Array, nTypes: number, batchSize: number, rng: Rng): Int32Array[] {
  const byType: number[][] = Array.from({ length: nTypes }, () => []);
  for (const i of trainIdx) byType[codes[i] as number]?.push(i);
  const n = trainIdx.length;
  const alpha = new Float64Array(nTypes);
  for (let c = 0; c < nTypes; c++) alpha[c] = 1 + (byType[c] as number[]).length / n;
  const sizes: number[] = [];
  for (let b = 0; b < Math.floor(n / batchSize); b++) sizes.push(batchSize);
  if (n % batchSize > 0) sizes.push(n % batchSize);
  const out: Int32Array[] = [];
  const p = new Float64Array(nTypes);
  for (const size of sizes) {
    rng.dirichlet(alpha, p);
    const cells: number[] = [];
    for (let c = 0; c < nTypes; c++) {
      const pop = byType[c] as number[];
      const k = roundHalfEven((p[c] as number) * size);
      if (k === 0 || pop.length === 0) continue;
      if (k > pop.length) for (let t = 0; t < k; t++) cells.push(pop[rng.int(pop.length)] as number);
      else for (const j of rng.sampleWithoutReplacement(pop.length, k)) cells.push(pop[j] as number);
    }
    if (cells.length > 0) out.push(Int32Array.from(cells));
  }
  return out;
}

/** Pseudobulks of one batch: members as batch-row indices, plus the averaging matrix. */
export interface BatchPseudobulks {
  /** `[M * nCells]` batch-row indices, pseudobulk-major. */
  members: Int32Array;
  nPseudobulks: number;
  nCells: number;
  /** Row-major `[M, B]`: A[m, i] = multiplicity of row i in pseudobulk m / nCells. */
  average: Float32Array;
}

/**
 * Uniform-with-replacement pseudobulks of a batch of B cells [FORK `inference`]: the fork re-creates
 * RandomState(42) at every forward pass, so every batch of the same size gets the same index pattern;
 * we reproduce that by seeding a fresh stream from `patternSeed` for every call.
 */
export function uniformPseudobulks(B: number, M: number, nCellsWanted: number, newRng: () => Rng): BatchPseudobulks {
  const n = Math.min(nCellsWanted, B);
  const rng = newRng();
  const members = new Int32Array(M * n);
  for (let t = 0; t < members.length; t++) members[t] = rng.int(B);
  return { members, nPseudobulks: M, nCells: n, average: averagingMatrix(members, M, n, B) };
}

/**
 * [P Fig. 1] variant: per pseudobulk, proportions β ~ Dir(1) over the types present in the batch, then
 * round(β·n) cells of each type drawn with replacement from the batch.
 *
 * @param batchCodes - Cell-type code per batch row.
 */
export function dirichletPseudobulks(batchCodes: Int32Array, nTypes: number, M: number, nCellsWanted: number, rng: Rng): BatchPseudobulks {
  const B = batchCodes.length;
  const n = Math.min(nCellsWanted, B);
  const rows: number[][] = Array.from({ length: nTypes }, () => []);
  for (let i = 0; i < B; i++) rows[batchCodes[i] as number]?.push(i);
  const present = rows.map((r, c) => (r.length > 0 ? c : -1)).filter((c) => c >= 0);
  const members = new Int32Array(M * n);
  const beta = new Float64Array(present.length);
  const ones = new Float64Array(present.length).fill(1);
  for (let m = 0; m < M; m++) {
    rng.dirichlet(ones, beta);
    // Largest-remainder rounding so each pseudobulk has exactly n members.
    const k = Array.from(beta, (b) => Math.floor(b * n));
    let left = n - k.reduce((a, b) => a + b, 0);
    const order = Array.from(beta, (b, i) => [b * n - Math.floor(b * n), i] as const).sort((a, b) => b[0] - a[0]);
    for (let t = 0; left > 0; t++, left--) k[(order[t % order.length] as readonly [number, number])[1]]! += 1;
    let pos = m * n;
    present.forEach((c, ci) => {
      const pop = rows[c] as number[];
      for (let t = 0; t < (k[ci] as number); t++) members[pos++] = pop[rng.int(pop.length)] as number;
    });
  }
  return { members, nPseudobulks: M, nCells: n, average: averagingMatrix(members, M, n, B) };
}

function averagingMatrix(members: Int32Array, M: number, n: number, B: number): Float32Array {
  const A = new Float32Array(M * B);
  const w = 1 / n;
  for (let m = 0; m < M; m++) for (let t = 0; t < n; t++) A[m * B + (members[m * n + t] as number)]! += w;
  return A;
}

/**
 * True cell-type proportions of each pseudobulk `[M, C]` (row-major Float64).
 *
 * @param batchCodes - Cell-type code per batch row.
 */
export function pseudobulkProportions(pb: BatchPseudobulks, batchCodes: Int32Array, nTypes: number): Float64Array {
  const out = new Float64Array(pb.nPseudobulks * nTypes);
  for (let m = 0; m < pb.nPseudobulks; m++) {
    for (let t = 0; t < pb.nCells; t++) out[m * nTypes + (batchCodes[pb.members[m * pb.nCells + t] as number] as number)]! += 1 / pb.nCells;
  }
  return out;
}
