/** Multiple-testing corrections of p-values (statsmodels `multipletests`). */

/**
 * Benjamini-Hochberg adjusted p-values (statsmodels `fdr_bh`): sort ascending, adj(i) =
 * min over k >= i of m / k * p(k), capped at 1, mapped back to the input order. NaN p-values are
 * treated as 1 first, as scanpy does.
 *
 * @param p - raw p-values, length m.
 * @returns adjusted p-values, length m.
 * @example
 * benjaminiHochberg([0.01, 0.04, 0.03, 0.2]); // [0.04, 0.0533.., 0.0533.., 0.2]
 */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  const vals = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const v = p[i] as number;
    vals[i] = Number.isNaN(v) ? 1 : v;
  }
  // p-values >= 1 sort last and adjust to 1 without lowering anyone else's minimum, so only the
  // others need sorting (most untested genes carry p = 1)
  const small: number[] = [];
  for (let i = 0; i < m; i++) if ((vals[i] as number) < 1) small.push(i);
  const order = small.sort((a, b) => (vals[a] as number) - (vals[b] as number) || a - b);
  const out = new Float64Array(m).fill(1);
  let running = Number.POSITIVE_INFINITY;
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] as number;
    // p / (k / m), statsmodels' order of operations
    const v = (vals[i] as number) / ((k + 1) / m);
    if (v < running) running = v;
    out[i] = Math.min(1, running);
  }
  return out;
}

/**
 * Bonferroni adjusted p-values: min(1, p * nTests) (Seurat `FindMarkers` uses the number of genes
 * in the object as nTests).
 *
 * @param p - raw p-values.
 * @param nTests - number of tests (default p.length).
 * @returns adjusted p-values.
 * @example
 * bonferroni([0.01, 0.5]); // [0.02, 1]
 */
export function bonferroni(p: ArrayLike<number>, nTests: number = p.length): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    out[i] = Number.isNaN(v) ? 1 : Math.min(1, v * nTests);
  }
  return out;
}
