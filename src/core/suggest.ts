/**
 * "Did you mean ...?" for names a user typed: the closest candidate by edit distance, or a known
 * alias (e.g. `cibersort` -> `nusvr`). Used by the method registry and the CLI's flag messages.
 */

/** Levenshtein distance between `a` and `b` (insertions, deletions, substitutions all cost 1). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const sub = (prev[j - 1] as number) + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n] as number;
}

/**
 * The candidate the user most likely meant by `name`: an alias target, a candidate that starts with
 * (or is started by) the name, or the nearest candidate within an edit distance of about a third of
 * the name's length (at least 2). Case-insensitive. Undefined when nothing is close.
 *
 * @example
 * suggestName('dwsl', ['nnls', 'dwls']); // 'dwls'
 * suggestName('cibersort', ['nusvr'], { cibersort: 'nusvr' }); // 'nusvr'
 */
export function suggestName(
  name: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const lower = name.toLowerCase();
  const alias = aliases[lower];
  if (alias !== undefined && candidates.includes(alias)) return alias;
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  // Near misses of an alias count too ('cibersrt' -> 'cibersort' -> 'nusvr').
  const pool = [...candidates, ...Object.keys(aliases).filter((a) => candidates.includes(aliases[a] as string))];
  for (const c of pool) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = aliases[c] !== undefined && !candidates.includes(c) ? aliases[c] : c;
    }
  }
  if (best !== undefined && bestD <= Math.max(2, Math.floor(lower.length / 3))) return best;
  const prefix = candidates.find((c) => lower.length >= 3 && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())));
  return prefix;
}
