/**
 * Mean and standard deviation summed in NumPy's order (pairwise summation, 8 accumulators per
 * block of at most 128 values), so that the standardised inputs of the nu-SVR are bit-identical
 * to the Python reference's `(S - S.mean()) / S.std(ddof=1)`. The SVM solver's path depends on
 * the last bit of its inputs, so a plain left-to-right sum is not good enough for 1e-4 parity.
 */

/** NumPy's `PW_BLOCKSIZE`. */
const BLOCK = 128;

/**
 * NumPy's `pairwise_sum` over a[off], a[off + stride], ... (n values).
 *
 * @example
 * pairwiseSum(new Float64Array([1, 2, 3]), 0, 3, 1); // 6
 */
export function pairwiseSum(a: ArrayLike<number>, off: number, n: number, stride: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[off + i * stride]!;
    return res;
  }
  if (n <= BLOCK) {
    let r0 = a[off]!;
    let r1 = a[off + stride]!;
    let r2 = a[off + 2 * stride]!;
    let r3 = a[off + 3 * stride]!;
    let r4 = a[off + 4 * stride]!;
    let r5 = a[off + 5 * stride]!;
    let r6 = a[off + 6 * stride]!;
    let r7 = a[off + 7 * stride]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = off + i * stride;
      r0 += a[o]!;
      r1 += a[o + stride]!;
      r2 += a[o + 2 * stride]!;
      r3 += a[o + 3 * stride]!;
      r4 += a[o + 4 * stride]!;
      r5 += a[o + 5 * stride]!;
      r6 += a[o + 6 * stride]!;
      r7 += a[o + 7 * stride]!;
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[off + i * stride]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2, stride) + pairwiseSum(a, off + n2 * stride, n - n2, stride);
}

/**
 * `(v - mean(v)) / std(v, ddof)` element-wise as NumPy computes it, for values visited in the
 * order `off, off + stride, ...` (NumPy reduces an array in memory order).
 *
 * @param v values; read only.
 * @param order the indices into `v` in NumPy's memory order (length n), or null for 0..n-1.
 * @param ddof delta degrees of freedom (1 = the sample SD, as CIBERSORT's R `sd`).
 * @returns the mean, the standard deviation, and the standardised copy (same layout as `v`).
 */
export function zscoreNumpy(v: Float64Array, order: Int32Array | null, ddof: number): { mean: number; sd: number; z: Float64Array } {
  const n = v.length;
  const seq = order ? Float64Array.from(order, (i) => v[i]!) : v;
  const mean = pairwiseSum(seq, 0, n, 1) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = seq[i]! - mean;
    sq[i] = x * x;
  }
  const sd = Math.sqrt(pairwiseSum(sq, 0, n, 1) / Math.max(n - ddof, 0));
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = (v[i]! - mean) / sd;
  return { mean, sd, z };
}

/**
 * Visiting order of a row-major rows x cols matrix in column-major (Fortran) memory order: pandas
 * hands NumPy a genes x types signature as an F-ordered array, so NumPy sums it column by column.
 */
export function columnMajorOrder(rows: number, cols: number): Int32Array {
  const o = new Int32Array(rows * cols);
  let t = 0;
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) o[t++] = r * cols + c;
  return o;
}
