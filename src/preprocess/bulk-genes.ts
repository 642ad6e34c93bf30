/**
 * Gene identifiers of a bulk table: duplicated names, orthologue maps and letter case
 * (specs/real-bulk.md §6). Works on a samples x genes Float64 matrix in LINEAR units (logs are
 * inverted by the caller first, so that `sum` and `mean` aggregate molecules, not logs).
 */
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { fmtInt, InputError } from '../core/errors.js';
import { readSmallDelimited } from '../io/table.js';

/** What to do with a gene name that occurs more than once in the bulk. */
export type DuplicateGenesPolicy = 'first' | 'sum' | 'mean' | 'error';
export const DUPLICATE_GENES_POLICIES: readonly DuplicateGenesPolicy[] = ['first', 'sum', 'mean', 'error'];

/** A samples x genes matrix with its gene names. */
export interface GeneTable {
  values: Float64Array;
  nSamples: number;
  genes: string[];
}

/**
 * Merges duplicated gene names. `first` keeps the first row (R's name indexing, as DWLS and
 * PyDeconv do), `sum` adds them (preserves every sample total, so CPM/TPM stay at 1e6), `mean`
 * averages them, `error` refuses. Names are trimmed of surrounding whitespace first.
 *
 * @returns the merged table (the input itself when there are no duplicates) and a warning naming
 *   how many names repeated and the policy used.
 * @throws InputError `E_DUPLICATE_GENES` with policy 'error' (the message names the first few).
 * @example
 * mergeDuplicateGenes({ values: Float64Array.from([1, 2, 3]), nSamples: 1, genes: ['A', 'B', 'A'] }, 'sum').table.genes; // ['A', 'B']
 */
export function mergeDuplicateGenes(t: GeneTable, policy: DuplicateGenesPolicy): { table: GeneTable; warnings: DiagnosticWarning[] } {
  if (!DUPLICATE_GENES_POLICIES.includes(policy)) {
    throw new InputError(`unknown duplicate-genes policy '${policy}'`, {
      code: 'E_OPTION',
      field: 'duplicateGenes',
      got: policy,
      expected: DUPLICATE_GENES_POLICIES.join(' | '),
    });
  }
  const names = t.genes.map((g) => g.trim());
  const first = new Map<string, number>();
  const members: number[][] = [];
  const dupNames: string[] = [];
  for (let j = 0; j < names.length; j++) {
    const k = first.get(names[j]!);
    if (k === undefined) {
      first.set(names[j]!, members.length);
      members.push([j]);
    } else {
      if (members[k]!.length === 1) dupNames.push(names[j]!);
      members[k]!.push(j);
    }
  }
  if (dupNames.length === 0) return { table: names.some((n, j) => n !== t.genes[j]) ? { ...t, genes: names } : t, warnings: [] };
  if (policy === 'error') {
    throw new InputError(
      `${fmtInt(dupNames.length)} gene names occur more than once in the bulk, e.g. ${dupNames.slice(0, 3).join(', ')}`,
      {
        code: 'E_DUPLICATE_GENES',
        field: 'genes',
        got: dupNames.slice(0, 5),
        hint: 'Choose how to merge them: --duplicate-genes first | sum | mean',
      },
    );
  }
  const n = t.nSamples;
  const G = t.genes.length;
  const M = members.length;
  const out = new Float64Array(n * M);
  for (let k = 0; k < M; k++) {
    const js = members[k]!;
    for (let i = 0; i < n; i++) {
      if (policy === 'first') out[i * M + k] = t.values[i * G + js[0]!]!;
      else {
        let s = 0;
        for (const j of js) s += t.values[i * G + j]!;
        out[i * M + k] = policy === 'mean' ? s / js.length : s;
      }
    }
  }
  const extra = G - M;
  return {
    table: { values: out, nSamples: n, genes: members.map((js) => names[js[0]!]!) },
    warnings: [
      {
        code: 'W_DUPLICATED_BULK_GENES',
        message: `${fmtInt(dupNames.length)} bulk gene names occur more than once (${fmtInt(extra)} extra rows, e.g. ${dupNames.slice(0, 3).join(', ')}); merged with '${policy}'${policy === 'first' ? ' (the first occurrence kept; --duplicate-genes sum|mean|error to change)' : ''}`,
      },
    ],
  };
}

/** A parsed orthologue / identifier map: source id -> target id, after the 1:1 filter. */
export interface GeneMap {
  /** source -> target for the kept pairs. */
  pairs: Map<string, string>;
  /** Counts by outcome; they add up to the pairs read. */
  report: { read: number; kept: number; oneToMany: number; manyToOne: number; lowConfidence: number; selfDuplicate: number };
  file?: string;
}

const HEADER_WORDS = /^(source|from|gene|gene[ _]?(stable[ _]?)?id|gene[ _]?name|symbol|human|mouse|source_id|id)/i;

/**
 * Reads a gene map file: two columns `from to` (tab or comma), optional header, `#` comments,
 * optional third `type` (one2one / one2many / many2many, BioMart's `ortholog_one2one` too) and
 * fourth `confidence` (0/1) columns. Only 1:1 pairs are kept (a source with one target and a target
 * with one source; confidence 1 when given): copying one source to several targets double-counts,
 * and summing several sources into one target is only right for true many-to-one families.
 *
 * @throws InputError `E_GENE_MAP` for a file with fewer than two columns or no pair.
 * @example
 * // map.tsv:  Cd8a\tCD8A
 * readGeneMap('map.tsv').pairs.get('Cd8a'); // 'CD8A'
 */
export function readGeneMap(path: string): GeneMap {
  const rows = readSmallDelimited(path).filter((r) => r.length > 0 && !(r[0] ?? '').startsWith('#'));
  if (rows.length > 0 && rows[0]!.length >= 2 && HEADER_WORDS.test(rows[0]![0]!.trim()) && HEADER_WORDS.test(rows[0]![1]!.trim()))
    rows.shift();
  return geneMapFromPairs(
    rows.map((r, i) => {
      if (r.length < 2) {
        throw new InputError(`gene map line ${i + 1} has ${r.length} column(s)`, {
          code: 'E_GENE_MAP',
          file: path,
          got: r.join(' '),
          expected: 'two columns: from-id and to-id (tab or comma separated)',
          hint: 'See docs/METHODS.md "Gene maps" for how to export one from Ensembl BioMart',
        });
      }
      return { from: r[0]!.trim(), to: r[1]!.trim(), type: r[2]?.trim(), confidence: r[3]?.trim() };
    }),
    path,
  );
}

/** {@link readGeneMap} on pairs already in memory. */
export function geneMapFromPairs(rows: { from: string; to: string; type?: string; confidence?: string }[], file?: string): GeneMap {
  const report = { read: rows.length, kept: 0, oneToMany: 0, manyToOne: 0, lowConfidence: 0, selfDuplicate: 0 };
  const valid = rows.filter((r) => r.from !== '' && r.to !== '');
  report.selfDuplicate = rows.length - valid.length;
  const seen = new Set<string>();
  const uniq: typeof valid = [];
  for (const r of valid) {
    const key = `${r.from}\u0000${r.to}`;
    if (seen.has(key)) report.selfDuplicate++;
    else {
      seen.add(key);
      uniq.push(r);
    }
  }
  const nTargets = new Map<string, number>();
  const nSources = new Map<string, number>();
  for (const r of uniq) {
    nTargets.set(r.from, (nTargets.get(r.from) ?? 0) + 1);
    nSources.set(r.to, (nSources.get(r.to) ?? 0) + 1);
  }
  const pairs = new Map<string, string>();
  for (const r of uniq) {
    if (r.confidence !== undefined && r.confidence !== '' && Number(r.confidence) < 1) report.lowConfidence++;
    else if (r.type && /many/i.test(r.type) && !/one2one/i.test(r.type)) {
      if (/one2many/i.test(r.type)) report.oneToMany++;
      else report.manyToOne++;
    } else if ((nTargets.get(r.from) ?? 0) > 1) report.oneToMany++;
    else if ((nSources.get(r.to) ?? 0) > 1) report.manyToOne++;
    else pairs.set(r.from, r.to);
  }
  report.kept = pairs.size;
  if (pairs.size === 0) {
    throw new InputError('the gene map has no usable one-to-one pair', {
      code: 'E_GENE_MAP',
      file,
      got: report,
      hint: 'Check the columns (from-id first, to-id second) and the confidence column',
    });
  }
  return { pairs, report, file };
}

/**
 * Renames bulk genes through a map; genes without a pair are dropped (they cannot match the
 * reference anyway). Several bulk genes mapping to one target cannot happen after the 1:1 filter.
 */
export function applyGeneMap(t: GeneTable, map: GeneMap): { table: GeneTable; warnings: DiagnosticWarning[] } {
  const keep: number[] = [];
  const genes: string[] = [];
  for (let j = 0; j < t.genes.length; j++) {
    const to = map.pairs.get(t.genes[j]!);
    if (to !== undefined) {
      keep.push(j);
      genes.push(to);
    }
  }
  if (keep.length === 0) {
    throw new InputError('no bulk gene is a source id of the gene map', {
      code: 'E_GENE_MAP',
      file: map.file,
      got: t.genes.slice(0, 3),
      hint: 'The map goes from the bulk identifiers (first column) to the reference identifiers (second column): swap the columns?',
    });
  }
  const n = t.nSamples;
  const G = t.genes.length;
  const out = new Float64Array(n * keep.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < keep.length; k++) out[i * keep.length + k] = t.values[i * G + keep[k]!]!;
  const r = map.report;
  return {
    table: { values: out, nSamples: n, genes },
    warnings: [
      {
        code: 'W_GENE_MAP',
        message: `gene map: ${fmtInt(keep.length)} of ${fmtInt(G)} bulk genes mapped (${fmtInt(r.kept)} 1:1 pairs kept of ${fmtInt(r.read)} read; dropped: ${fmtInt(r.oneToMany)} one-to-many, ${fmtInt(r.manyToOne)} many-to-one, ${fmtInt(r.lowConfidence)} low confidence, ${fmtInt(r.selfDuplicate)} empty or repeated)`,
      },
    ],
  };
}

/**
 * Renames bulk genes whose name matches a fitted gene only up to letter case (e.g. `Cd8a` vs
 * `CD8A`), when the exact name is absent and the case-folded match is unique. Exact matches are
 * never touched.
 *
 * @returns the table (same values, some names changed) and a warning with the count when any was renamed.
 */
export function matchGeneCase(t: GeneTable, fittedGenes: readonly string[]): { table: GeneTable; warnings: DiagnosticWarning[] } {
  const exact = new Set(t.genes);
  const fitted = new Set(fittedGenes);
  const byFold = new Map<string, string | null>();
  for (const g of fittedGenes) {
    const f = g.toUpperCase();
    byFold.set(f, byFold.has(f) && byFold.get(f) !== g ? null : g);
  }
  const used = new Set<string>();
  let renamed = 0;
  const examples: string[] = [];
  const genes = t.genes.map((g) => {
    if (fitted.has(g)) return g;
    const target = byFold.get(g.toUpperCase());
    if (!target || target === g || exact.has(target) || used.has(target)) return g;
    used.add(target);
    renamed++;
    if (examples.length < 3) examples.push(`${g} -> ${target}`);
    return target;
  });
  if (renamed === 0) return { table: t, warnings: [] };
  return {
    table: { ...t, genes },
    warnings: [
      {
        code: 'W_GENE_CASE',
        message: `${fmtInt(renamed)} bulk genes matched the model's genes only up to letter case and were renamed (${examples.join(', ')}); for another species use --gene-map with real orthologues`,
      },
    ],
  };
}
