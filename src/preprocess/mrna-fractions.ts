/**
 * Cell fractions vs mRNA fractions (specs/real-bulk.md §3; MuSiC, Wang et al. 2019, Nat Commun
 * 10:380, design matrix θ·M.S; CIBERSORTx absolute mode). A bulk sums molecules: a cell type with
 * twice the mRNA per cell contributes twice per cell. With per-type mRNA content s_k (mean library
 * size of the type's reference cells):
 *   m_k = p_k s_k / Σ_j p_j s_j   (cell → mRNA),   p_k = (m_k / s_k) / Σ_j (m_j / s_j)   (mRNA → cell).
 */
import { InputError } from '../core/errors.js';

/** Which fractions a result holds. */
export type FractionKind = 'cell' | 'mrna';

/**
 * Converts each row of n x C fractions between cell and mRNA fractions, in place on a copy.
 *
 * @param P n x C fractions, row-major (rows sum to 1, or all zero); not modified.
 * @param sizes per-type mRNA content (length C), all > 0.
 * @param to the kind wanted (`'mrna'`: multiply by s; `'cell'`: divide by s), then renormalise.
 * @returns a new array; an all-zero row stays all zero.
 * @throws InputError `E_CELL_SIZE` for a size that is not a positive finite number (naming the type).
 * @example
 * convertFractions(Float64Array.from([0.5, 0.5]), 1, 2, [1, 3], 'mrna'); // [0.25, 0.75]
 */
export function convertFractions(
  P: Float64Array,
  n: number,
  C: number,
  sizes: readonly number[],
  to: FractionKind,
  cellTypes?: readonly string[],
): Float64Array {
  for (let c = 0; c < C; c++) {
    const s = sizes[c]!;
    if (!(s > 0 && Number.isFinite(s))) {
      throw new InputError(`mRNA content of cell type '${cellTypes?.[c] ?? c}' is ${s}`, {
        code: 'E_CELL_SIZE',
        field: cellTypes?.[c] ?? String(c),
        got: s,
        expected: 'a positive number (mean library size of its reference cells)',
        hint: 'Fit from a reference that has cells of every type, or ask for --fractions mrna',
      });
    }
  }
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let c = 0; c < C; c++) {
      const v = to === 'mrna' ? P[i * C + c]! * sizes[c]! : P[i * C + c]! / sizes[c]!;
      out[i * C + c] = v;
      t += v;
    }
    if (t > 0) for (let c = 0; c < C; c++) out[i * C + c] = out[i * C + c]! / t;
  }
  return out;
}
