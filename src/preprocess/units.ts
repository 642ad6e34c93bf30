/**
 * Expression units of a bulk table: names, detection and conversion (specs/real-bulk.md §1).
 *
 * A unit is a linear scale (`counts`, `cpm`, `tpm`, `fpkm`, `relative` = per 1e4, `proportions`)
 * optionally under a log (`log1p` = ln(1 + u), `log2` = log2(u + 1)), written e.g. `log1p-cpm` or
 * `log2-tpm`. Detection follows the spec's ordered heuristics and always reports its evidence; an
 * explicit unit wins. Conversions act on samples x genes Float64 rows and never change the input.
 */
import { InputError } from '../core/errors.js';

/** Linear scales a bulk can be in. */
export const LINEAR_UNITS = ['counts', 'cpm', 'tpm', 'fpkm', 'relative', 'proportions'] as const;
export type LinearUnit = (typeof LINEAR_UNITS)[number];
/** Log transforms: none, ln(1 + u) (scanpy), log2(u + 1) (Scaden, CIBERSORT). */
export type LogTransform = 'none' | 'log1p' | 'log2';

/** A bulk's units: a linear scale, maybe under a log. */
export interface BulkUnits {
  scale: LinearUnit;
  log: LogTransform;
}

/** The accepted `--bulk-units` names, for messages and help. */
export const BULK_UNIT_NAMES = [
  'auto',
  ...LINEAR_UNITS,
  ...LINEAR_UNITS.filter((u) => u !== 'proportions').flatMap((u) => [`log1p-${u}`, `log2-${u}`]),
] as const;

/** Target row total of each constant-total scale (spec §1.1). */
const SCALE_TOTAL: Partial<Record<LinearUnit, number>> = { cpm: 1e6, tpm: 1e6, relative: 1e4, proportions: 1 };

/** `log1p-cpm` etc. as a string. */
export function formatUnits(u: BulkUnits): string {
  return u.log === 'none' ? u.scale : `${u.log}-${u.scale}`;
}

/**
 * Parses a unit name (`counts`, `tpm`, `log1p-cpm`, `log2-tpm`, ...); `auto` and undefined give undefined.
 *
 * @throws InputError `E_BULK_UNITS` for an unknown name (the message lists the valid ones).
 * @example
 * parseUnits('log1p-cpm'); // { scale: 'cpm', log: 'log1p' }
 */
export function parseUnits(name: string | undefined): BulkUnits | undefined {
  if (name === undefined || name === 'auto') return undefined;
  const m = /^(?:(log1p|log2)-)?([a-z]+)$/.exec(name.trim().toLowerCase());
  const scale = m?.[2] as LinearUnit | undefined;
  if (!m || !scale || !(LINEAR_UNITS as readonly string[]).includes(scale) || (m[1] && scale === 'proportions')) {
    throw new InputError(`unknown bulk units '${name}'`, {
      code: 'E_BULK_UNITS',
      field: 'bulkUnits',
      got: name,
      expected: BULK_UNIT_NAMES.join(', '),
      hint: 'Pass --bulk-units with one of these names, or auto to detect them',
    });
  }
  return { scale, log: (m[1] as LogTransform | undefined) ?? 'none' };
}

/** Outcome of {@link detectUnits}: the decision, how sure, and the evidence. */
export interface UnitsDetection {
  units: BulkUnits;
  /** 'detected': a rule matched; 'assumed': a fallback (e.g. log base undecided); 'declared': given by the user. */
  confidence: 'declared' | 'detected' | 'assumed';
  /** Sentences saying what was seen (totals, integrality, maximum). */
  evidence: string[];
  /** The spec's `fpkm-or-subset` outcome: varying non-integer totals (FPKM, estimated counts, or a subset). */
  subset?: boolean;
}

function rowSums(x: Float64Array, n: number, g: number): Float64Array {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let j = 0; j < g; j++) t += x[i * g + j]!;
    s[i] = t;
  }
  return s;
}

function fmtNum(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(2) : String(Math.round(v * 100) / 100);
}

/** Fraction of non-zero entries that are integers (to 1e-8 relative). */
function integerFraction(x: Float64Array): number {
  let nz = 0;
  let int = 0;
  for (let k = 0; k < x.length; k++) {
    const v = x[k]!;
    if (v === 0) continue;
    nz++;
    if (Math.abs(v - Math.round(v)) <= 1e-8 * Math.max(1, Math.abs(v))) int++;
  }
  return nz === 0 ? 1 : int / nz;
}

/** Coefficient of variation of the row totals. */
function totalsCv(s: Float64Array): number {
  let m = 0;
  for (const v of s) m += v;
  m /= s.length;
  let v2 = 0;
  for (const v of s) v2 += (v - m) ** 2;
  return m === 0 ? Number.POSITIVE_INFINITY : Math.sqrt(v2 / Math.max(1, s.length - 1)) / m;
}

/** Steps 4-6 of the spec on linear values. */
function detectLinear(x: Float64Array, n: number, g: number, evidence: string[]): { scale: LinearUnit; subset?: boolean } {
  const s = rowSums(x, n, g);
  const intFrac = integerFraction(x);
  const sorted = [...s].sort((a, b) => a - b);
  evidence.push(
    `sample totals ${fmtNum(sorted[0]!)}..${fmtNum(sorted[sorted.length - 1]!)} (median ${fmtNum(sorted[Math.floor(n / 2)]!)}), ${(intFrac * 100).toFixed(1)}% of non-zero values are integers`,
  );
  if (intFrac >= 0.999) return { scale: 'counts' };
  for (const [scale, total] of [
    ['cpm', 1e6],
    ['relative', 1e4],
    ['proportions', 1],
  ] as const) {
    let ok = true;
    for (const v of s) if (Math.abs(v / total - 1) > 0.01) ok = false;
    if (ok) {
      if (scale === 'cpm') evidence.push('every sample sums to 1e6: CPM or TPM (indistinguishable without gene lengths)');
      return { scale };
    }
  }
  evidence.push('non-integer values with varying totals: FPKM, estimated or mean counts, or CPM/TPM restricted to a gene subset');
  return { scale: 'fpkm', subset: true };
}

/**
 * Detects the units of a samples x genes matrix (specs/real-bulk.md §1.2, first match wins):
 * negatives ⇒ refused; maximum < 50 and non-integer ⇒ log space (base from constant back-transformed
 * totals or integral back-transforms, else log2 assumed); ≥ 99.9% integers ⇒ counts; totals within
 * 1% of 1e6 / 1e4 / 1 ⇒ cpm (CPM or TPM) / relative / proportions; otherwise fpkm-or-subset.
 *
 * @param x samples x genes values, row-major (length n * g); finite.
 * @param declared explicit units, which win (reported as 'declared').
 * @throws InputError `E_BULK_UNITS` for values with real negatives (z-scores, log-ratios), which no
 *   method can take; `E_BULK_ZERO_SAMPLE` for a sample whose values are all 0.
 * @example
 * detectUnits(Float64Array.from([1, 2, 3, 4]), 2, 2).units; // { scale: 'counts', log: 'none' }
 */
export function detectUnits(x: Float64Array, n: number, g: number, declared?: BulkUnits, sampleNames?: readonly string[]): UnitsDetection {
  let max = 0;
  let min = 0;
  for (let k = 0; k < x.length; k++) {
    const v = x[k]!;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const s = rowSums(x, n, g);
  for (let i = 0; i < n; i++) {
    if (s[i] === 0) {
      throw new InputError(`bulk sample '${sampleNames?.[i] ?? i}' is zero on every gene`, {
        code: 'E_BULK_ZERO_SAMPLE',
        field: sampleNames?.[i] ?? String(i),
        hint: 'Remove empty samples from the bulk table',
      });
    }
  }
  if (declared) return { units: declared, confidence: 'declared', evidence: [`declared as ${formatUnits(declared)}`] };
  const evidence: string[] = [];
  if (min < -1e-6 * Math.max(max, -min)) {
    throw new InputError(`bulk values are negative (minimum ${fmtNum(min)}): z-scores, log-ratios or centred data`, {
      code: 'E_BULK_UNITS',
      field: 'bulk',
      got: min,
      expected: 'non-negative expression (counts, CPM/TPM, or their log1p / log2(x+1))',
      hint: 'Deconvolution needs linear-scale expression: pass the un-centred values (counts, TPM), not transformed ones',
    });
  }
  const intFrac = integerFraction(x);
  if (max < 50 && intFrac < 0.999) {
    evidence.push(`maximum ${fmtNum(max)} < 50 with non-integer values: log space (CIBERSORT's rule)`);
    const tries: [LogTransform, Float64Array][] = [
      ['log1p', x.map((v) => Math.max(0, Math.expm1(v)))],
      ['log2', x.map((v) => Math.max(0, 2 ** v - 1))],
    ];
    for (const [log, y] of tries) {
      if (totalsCv(rowSums(y, n, g)) < 1e-3) {
        evidence.push(`back-transformed totals are constant under ${log === 'log1p' ? 'expm1' : '2^y - 1'}`);
        return { units: { scale: detectLinear(y, n, g, evidence).scale, log }, confidence: 'detected', evidence };
      }
    }
    for (const [log, y] of tries) {
      if (integerFraction(y) >= 0.99) {
        evidence.push(`back-transform under ${log === 'log1p' ? 'expm1' : '2^y - 1'} gives integers: log of counts`);
        return { units: { scale: 'counts', log }, confidence: 'detected', evidence };
      }
    }
    evidence.push('log base undecided: assumed log2(x + 1) (the CIBERSORT convention); declare --bulk-units to be sure');
    const lin = detectLinear(tries[1]![1], n, g, []);
    return { units: { scale: lin.scale, log: 'log2' }, confidence: 'assumed', evidence };
  }
  const lin = detectLinear(x, n, g, evidence);
  return { units: { scale: lin.scale, log: 'none' }, confidence: 'detected', evidence, ...(lin.subset ? { subset: true } : {}) };
}

/** Inverts the log of `u` (clipping rounding negatives to 0); a copy, or `x` itself when linear. */
export function toLinear(x: Float64Array, log: LogTransform): Float64Array {
  if (log === 'none') return x;
  if (log === 'log1p') return x.map((v) => Math.max(0, Math.expm1(v)));
  return x.map((v) => Math.max(0, 2 ** v - 1));
}

/**
 * Scales each row of linear values to a total of `target` over the columns in `over` (all columns
 * when omitted): x̃_sg = x_sg · target / Σ_{h∈over} x_sh. A row with zero total stays zero.
 *
 * @param x samples x genes, row-major (not modified).
 * @returns a new array.
 * @example
 * rescaleRows(Float64Array.from([1, 3]), 1, 2, 1e4); // [2500, 7500]
 */
export function rescaleRows(x: Float64Array, n: number, g: number, target: number, over?: Int32Array): Float64Array {
  const out = new Float64Array(n * g);
  for (let i = 0; i < n; i++) {
    let s = 0;
    if (over) for (const j of over) s += x[i * g + j]!;
    else for (let j = 0; j < g; j++) s += x[i * g + j]!;
    const f = s > 0 ? target / s : 0;
    for (let j = 0; j < g; j++) out[i * g + j] = x[i * g + j]! * f;
  }
  return out;
}

/**
 * Counts → TPM with gene lengths (TAPE's counts2TPM: rate c/L, then per-sample total 1e6).
 *
 * @param lengths one positive length per gene (bp); genes with a missing (NaN) or non-positive length must be dropped first.
 * @throws InputError `E_GENE_LENGTH` for a non-positive or non-finite length.
 */
export function countsToTpm(x: Float64Array, n: number, g: number, lengths: Float64Array): Float64Array {
  for (let j = 0; j < g; j++) {
    if (!(lengths[j]! > 0 && Number.isFinite(lengths[j]!))) {
      throw new InputError(`gene length ${lengths[j]} at column ${j} is not positive`, {
        code: 'E_GENE_LENGTH',
        field: 'lengths',
        got: lengths[j],
        hint: 'Drop genes without a known length before computing TPM',
      });
    }
  }
  const r = new Float64Array(n * g);
  for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) r[i * g + j] = x[i * g + j]! / lengths[j]!;
  return rescaleRows(r, n, g, 1e6);
}

/** The row total a constant-total scale implies, or undefined (counts, fpkm). */
export function scaleTotal(scale: LinearUnit): number | undefined {
  return SCALE_TOTAL[scale];
}

/** "12 of 50 samples ..." helper for reports. */
export function describeDetection(d: UnitsDetection): string {
  return `bulk units: ${formatUnits(d.units)} (${d.confidence}; ${d.evidence.join('; ')})`;
}
