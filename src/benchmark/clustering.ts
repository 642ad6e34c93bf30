/**
 * Clustering agreement metrics: adjusted Rand index (Hubert & Arabie 1985, as sklearn's
 * `adjusted_rand_score`) and the Hungarian-matched accuracy used by scDGD's `gmm_cluster_acc`
 * (the confusion matrix's best one-to-one matching of clusters to labels, over all cells).
 */

function contingency(a: ArrayLike<number>, b: ArrayLike<number>): { table: number[][]; n: number } {
  const ia = new Map<number, number>();
  const ib = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if (!ia.has(a[i] as number)) ia.set(a[i] as number, ia.size);
    if (!ib.has(b[i] as number)) ib.set(b[i] as number, ib.size);
  }
  const table = Array.from({ length: ia.size }, () => new Array<number>(ib.size).fill(0));
  for (let i = 0; i < a.length; i++) (table[ia.get(a[i] as number) as number] as number[])[ib.get(b[i] as number) as number]! += 1;
  return { table, n: a.length };
}

const comb2 = (x: number) => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index of two labelings of the same items (1 = identical partitions, ~0 = chance).
 *
 * @example
 * ```ts
 * adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]); // 1
 * ```
 */
export function adjustedRandIndex(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  if (truth.length !== pred.length) throw new Error('adjustedRandIndex: labelings differ in length');
  const { table, n } = contingency(truth, pred);
  let sumCells = 0;
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = (table[0] ?? []).map((_, j) => table.reduce((s, r) => s + (r[j] as number), 0));
  for (const r of table) for (const v of r) sumCells += comb2(v);
  const sumRows = rows.reduce((s, v) => s + comb2(v), 0);
  const sumCols = cols.reduce((s, v) => s + comb2(v), 0);
  const expected = (sumRows * sumCols) / comb2(n);
  const max = 0.5 * (sumRows + sumCols);
  // sklearn: identical trivial partitions (one cluster each, or all singletons) score 1.
  if (max === expected) return 1;
  return (sumCells - expected) / (max - expected);
}

/**
 * Minimum-cost assignment of an n x m cost matrix (n ≤ m): for each row, its column (Hungarian
 * algorithm with potentials, O(n²m)).
 */
export function linearAssignment(cost: number[][]): Int32Array {
  const n = cost.length;
  const m = cost[0]?.length ?? 0;
  if (n > m) throw new Error('linearAssignment: more rows than columns');
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row (1-based) matched to column j
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(INF);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0] as number;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = ((cost[i0 - 1] as number[])[j - 1] as number) - (u[i0] as number) - (v[j] as number);
        if (cur < (minv[j] as number)) {
          minv[j] = cur;
          way[j] = j0;
        }
        if ((minv[j] as number) < delta) {
          delta = minv[j] as number;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j] as number]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0] as number;
      p[j0] = p[j1] as number;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if ((p[j] as number) > 0) out[(p[j] as number) - 1] = j - 1;
  return out;
}

/**
 * Fraction of items whose cluster maps to their label under the best one-to-one matching of clusters
 * and labels (scDGD `gmm_cluster_acc`; unmatched clusters count as errors).
 *
 * @example
 * ```ts
 * hungarianAccuracy([0, 0, 1, 1], [5, 5, 7, 5]); // 0.75
 * ```
 */
export function hungarianAccuracy(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  const { table, n } = contingency(truth, pred);
  if (n === 0) return Number.NaN;
  const rows = table.length;
  const cols = table[0]?.length ?? 0;
  // Maximise matches = minimise (max − count); pad to a square so every row and column can be matched.
  const size = Math.max(rows, cols);
  let mx = 0;
  for (const r of table) for (const v of r) mx = Math.max(mx, v);
  const cost = Array.from({ length: size }, (_, i) =>
    Array.from({ length: size }, (_, j) => mx - (i < rows && j < cols ? ((table[i] as number[])[j] as number) : 0)),
  );
  const match = linearAssignment(cost);
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    const j = match[i] as number;
    if (j < cols) hits += (table[i] as number[])[j] as number;
  }
  return hits / n;
}
