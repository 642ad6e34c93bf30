/** Name and column helpers shared by the readers: unique names, typed columns from text. */
import { type Column, categoricalFrom } from '../data/frame.js';

/**
 * Makes names unique the way anndata's `var_names_make_unique` / `make_index_unique` does: the first
 * occurrence keeps its name, later duplicates get `-1`, `-2`, ... (a suffix that would collide with
 * an existing name is skipped, trying the next number).
 *
 * @param names - Names, possibly with duplicates (not modified).
 * @returns A new array (or `names` itself when already unique).
 * @example
 * ```ts
 * makeUnique(['a', 'a', 'b']); // ['a', 'a-1', 'b']
 * ```
 */
export function makeUnique(names: readonly string[], join = '-'): string[] {
  const seen = new Set<string>();
  const dupIdx: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    if (seen.has(n)) dupIdx.push(i);
    else seen.add(n);
  }
  const out = [...names];
  if (dupIdx.length === 0) return out;
  const counter = new Map<string, number>();
  for (const i of dupIdx) {
    const v = names[i] as string;
    let k = counter.get(v) ?? 0;
    for (;;) {
      k++;
      const cand = `${v}${join}${k}`;
      if (!seen.has(cand)) {
        seen.add(cand);
        out[i] = cand;
        break;
      }
    }
    counter.set(v, k);
  }
  return out;
}

const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Types a column of text cells: all finite numbers -> numeric (Int32 when all are small integers,
 * else Float64); all true/false -> boolean; strings that repeat and have few distinct values (at most
 * 100, or at most half the rows, and never more than 10,000) -> categorical (categories sorted, as pandas does); other strings stay strings.
 *
 * @param values - One cell per row, as read from a text table.
 */
export function inferColumn(values: readonly string[]): Column {
  const n = values.length;
  if (n > 0 && values.every((v) => NUM_RE.test(v.trim()))) {
    const f = Float64Array.from(values, (v) => Number(v));
    let allInt = true;
    for (let i = 0; i < n; i++) {
      const x = f[i] as number;
      if (!Number.isInteger(x) || Math.abs(x) > 2147483647) {
        allInt = false;
        break;
      }
    }
    return { kind: 'numeric', values: allInt ? Int32Array.from(f) : f };
  }
  if (n > 0 && values.every((v) => /^(true|false)$/i.test(v.trim()))) {
    return { kind: 'boolean', values: Uint8Array.from(values, (v) => (/^true$/i.test(v.trim()) ? 1 : 0)) };
  }
  const distinct = new Set(values).size;
  if (distinct < n && (distinct <= 100 || distinct <= n / 2) && distinct <= 10000) return categoricalFrom(values);
  return { kind: 'string', values: [...values] };
}
