/**
 * The real-bulk input step shared by every registered method (issue 14, specs/real-bulk.md).
 *
 * `withBulkInput(spec)` wraps a MethodSpec so that each fit records its **input contract** — the
 * units it was fitted in (the pseudobulk layer it reads), the per-sample library its count-scale
 * inputs had, the per-type mRNA content of the reference, and per-type profiles on its genes — and
 * each `deconvolve` of a bulk that does NOT carry the method's own pseudobulk layer (a user's CSV,
 * an h5ad with only X) goes through one pipeline before the method sees it:
 *
 * 1. units: declared (`bulkInput.units`) or detected (reported with its evidence); logs inverted;
 * 2. genes: orthologue map, duplicated names (`first` by default, with a warning), case-only matches;
 * 3. conversion to the fitted units: count models get each sample rescaled to the training library
 *    over the model genes (MixupVI/scVI: mean cell library; Scaden/TAPE/SimpleDNN: nCells x mean
 *    type library); signature methods are invariant to a per-sample scale and get linear values as
 *    they are; a conversion that cannot be made is a typed error (`E_BULK_UNITS_CONVERSION`);
 * 4. platform correction (`bmode`: CIBERSORTx B-mode, see preprocess/platform-correction.ts), by
 *    default for trained models, as an option for signature methods;
 * 5. fractions: signature methods return mRNA fractions on a bulk (their columns are per-cell
 *    normalised), trained models cell fractions (their labels are cell fractions); the result is
 *    converted to what was asked (`cell` by default) with the reference's per-type library sizes;
 * 6. degenerate results (a cell type at 0 in every sample, identical samples) become
 *    `W_DEGENERATE_RESULT` warnings and `diagnostics.extra.degenerateResult` (`strict`: an error).
 *
 * Bulks that carry the method's layer (simulated pseudobulk .h5ad) are passed through unchanged
 * (only steps 5-6 apply). Everything is recorded in `diagnostics.extra.bulkInput`. Method files need
 * no change: the wrapper hands them a Dataset whose X is already in their units.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiagnosticWarning } from '../core/diagnostics.js';
import { fmtInt, InputError } from '../core/errors.js';
import { LAYERS } from '../core/keys.js';
import { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { toDense, toRowMajor } from '../data/matrix.js';
import { writeFileAtomic } from '../io/atomic.js';
import { applyGeneMap, type GeneTable, matchGeneCase, mergeDuplicateGenes, readGeneMap } from '../preprocess/bulk-genes.js';
import { convertFractions, type FractionKind } from '../preprocess/mrna-fractions.js';
import { bmodeCorrect } from '../preprocess/platform-correction.js';
import { detectUnits, formatUnits, parseUnits, rescaleRows, toLinear, type UnitsDetection } from '../preprocess/units.js';
import { type BulkInputOptions, PLATFORM_CORRECTIONS, type PlatformCorrection } from './bulk-input-options.js';
import type { DeconvolutionResult, DeconvolveOptions, FitOptions, Fitted, MethodSpec } from './types.js';

/** How a method's input is scaled: the pseudobulk layer it reads tells. */
export type InputTarget = 'relative' | 'counts-mean' | 'counts-sum' | 'as-is';

/** What a fit records about its input (saved as `bulk-input.json` next to a saved model). */
export interface BulkInputContract {
  version: 1;
  /** Scale of the method's input (see {@link InputTarget}). */
  target: InputTarget;
  /** The pseudobulk layer holding values in that scale (`relative_counts`, `raw_counts`, `counts_sum`). */
  layer?: string;
  /** Per-sample total over the model genes of the training inputs (count targets). */
  library?: number;
  /** Cells per training pseudobulk (counts-sum target). */
  nCells?: number;
  /** Mean library size (all genes) of the reference cells of each type, in `cellTypes` order. */
  cellSizes?: number[];
  /** Fractions the method returns on a bulk that sums molecules. */
  returns: FractionKind;
  /** Per-type mean profiles in the input scale: cellTypes x profileGenes, row-major. */
  profiles?: number[];
  profileGenes?: string[];
  /** Platform correction applied when none is asked. */
  defaultPlatform: PlatformCorrection;
}

/** B-mode rounds (first pass + corrections); see {@link deconvolveWithContract}. */
const PLATFORM_ROUNDS = 3;
/**
 * Location-only ComBat: the reconstituted mixtures' spread comes from a first pass and is not
 * trusted (on the PBMC3k test set, full location-scale ComBat lowered NNLS's median r by 0.02-0.1).
 */
const PLATFORM_MEAN_ONLY = true;

/** File written next to a saved model. */
export const BULK_INPUT_FILE = 'bulk-input.json';

function targetOf(spec: MethodSpec<any>): InputTarget {
  if (spec.bulkLayer === LAYERS.relativeCounts) return 'relative';
  if (spec.bulkLayer === LAYERS.rawCounts) return 'counts-mean';
  if (spec.bulkLayer === LAYERS.countsSum) return 'counts-sum';
  return 'as-is';
}

/**
 * The input contract of a fit: from the reference when there is one (library sizes, profiles),
 * else from the fit's signature (profiles only).
 *
 * @param ref labelled cells x genes raw counts, or null.
 */
export function computeContract(spec: MethodSpec<any>, fitted: Fitted, ref: Dataset | null, opts: FitOptions<any>): BulkInputContract {
  const target = targetOf(spec);
  const c: BulkInputContract = {
    version: 1,
    target,
    ...(spec.bulkLayer ? { layer: spec.bulkLayer } : {}),
    returns: target === 'relative' ? 'mrna' : 'cell',
    // B-mode by default for trained models, except MixupVI/scVI (mean-count input): on the PBMC3k
    // real-bulk test set it lowered MixupVI's median r (0.69 -> 0.49 on counts, docs/BENCHMARKS.md).
    defaultPlatform: spec.kind === 'trained' && target !== 'counts-mean' ? 'bmode' : 'none',
  };
  const C = fitted.cellTypes.length;
  if (target === 'counts-sum') {
    const cfg = (fitted.toJSON() as { config?: { nCells?: unknown } }).config;
    const n = Number(cfg?.nCells ?? opts.options?.nCells ?? (spec.defaults as { nCells?: unknown })?.nCells ?? 100);
    c.nCells = Number.isFinite(n) && n > 0 ? n : 100;
  }
  if (ref && opts.labelsKey) {
    const layer = opts.layer ?? (ref.layers.has(LAYERS.rawCounts) ? LAYERS.rawCounts : undefined);
    const m = toRowMajor(ref.layer(layer));
    const { codes, categories } = ref.labels(opts.labelsKey);
    const typeOf = Int32Array.from(categories, (t) => fitted.cellTypes.indexOf(t));
    const G = fitted.genes.length;
    const colOf = new Int32Array(ref.nVars).fill(-1);
    const refIdx = new Map<string, number>();
    ref.varNames.forEach((g, j) => {
      if (!refIdx.has(g)) refIdx.set(g, j);
    });
    fitted.genes.forEach((g, k) => {
      const j = refIdx.get(g);
      if (j !== undefined) colOf[j] = k;
    });
    const nType = new Float64Array(C);
    const libAll = new Float64Array(C);
    const libModel = new Float64Array(C);
    const sumCounts = new Float64Array(C * G);
    const sumRel = new Float64Array(C * G);
    const row = new Float64Array(ref.nVars);
    for (let i = 0; i < ref.nObs; i++) {
      const code = codes[i]!;
      const t = code >= 0 ? typeOf[code]! : -1;
      if (t < 0) continue;
      let total = 0;
      let model = 0;
      const visit = (j: number, v: number) => {
        total += v;
        const k = colOf[j]!;
        if (k >= 0) {
          model += v;
          sumCounts[t * G + k] = sumCounts[t * G + k]! + v;
        }
      };
      if (m.kind === 'csr') {
        for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) visit(m.indices[p]!, m.data[p]!);
      } else {
        row.set(m.row(i));
        for (let j = 0; j < row.length; j++) if (row[j] !== 0) visit(j, row[j]!);
      }
      if (total <= 0) continue;
      if (m.kind === 'csr') {
        for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) {
          const k = colOf[m.indices[p]!]!;
          if (k >= 0) sumRel[t * G + k] = sumRel[t * G + k]! + (m.data[p]! / total) * 1e4;
        }
      } else {
        for (let j = 0; j < row.length; j++) {
          const k = colOf[j]!;
          if (k >= 0 && row[j] !== 0) sumRel[t * G + k] = sumRel[t * G + k]! + (row[j]! / total) * 1e4;
        }
      }
      nType[t] = nType[t]! + 1;
      libAll[t] = libAll[t]! + total;
      libModel[t] = libModel[t]! + model;
    }
    if (nType.every((n) => n > 0)) {
      c.cellSizes = Array.from(libAll, (s, t) => s / nType[t]!);
      const nCells = nType.reduce((a, b) => a + b, 0);
      const scale = target === 'counts-sum' ? (c.nCells ?? 100) : 1;
      const src = target === 'relative' || target === 'as-is' ? sumRel : sumCounts;
      c.profiles = Array.from(src, (v, k) => (v / nType[Math.floor(k / G)]!) * (target === 'relative' || target === 'as-is' ? 1 : scale));
      c.profileGenes = [...fitted.genes];
      if (target === 'counts-mean') c.library = libModel.reduce((a, b) => a + b, 0) / nCells;
      // Training pseudobulks draw types with equal expected fractions (uniform / Dir(1)).
      if (target === 'counts-sum') c.library = (scale * Array.from(libModel, (s, t) => s / nType[t]!).reduce((a, b) => a + b, 0)) / C;
    }
  }
  if (!c.profiles) {
    const sig = (fitted as { signature?: { values: DenseMatrix<Float64Array>; genes: readonly string[] } }).signature ?? opts.signature;
    if (sig && sig.values.rows === C) {
      c.profiles = Array.from(sig.values.data);
      c.profileGenes = [...sig.genes];
    }
  }
  return c;
}

/** Reads a saved contract, or undefined when the model predates it. */
export function readContract(dir: string): BulkInputContract | undefined {
  const file = join(dir, BULK_INPUT_FILE);
  if (!existsSync(file)) return undefined;
  const c = JSON.parse(readFileSync(file, 'utf8')) as BulkInputContract;
  return c.version === 1 ? c : undefined;
}

/** Options of the input step with their defaults filled in, validated. */
function resolveOptions(o: BulkInputOptions | undefined, c: BulkInputContract) {
  const fractions = o?.fractions ?? 'cell';
  if (fractions !== 'cell' && fractions !== 'mrna') {
    throw new InputError(`unknown fractions '${fractions}'`, {
      code: 'E_OPTION',
      field: 'fractions',
      got: fractions,
      expected: 'cell | mrna',
    });
  }
  const platform = o?.platformCorrection ?? c.defaultPlatform;
  if (!PLATFORM_CORRECTIONS.includes(platform)) {
    throw new InputError(`unknown platform correction '${platform}'`, {
      code: 'E_OPTION',
      field: 'platformCorrection',
      got: platform,
      expected: PLATFORM_CORRECTIONS.join(' | '),
    });
  }
  return { fractions, platform, declared: parseUnits(o?.units), duplicateGenes: o?.duplicateGenes ?? 'first', strict: o?.strict === true };
}

/** A bulk turned into the method's input, with what was done. */
interface PreparedBulk {
  ds: Dataset;
  warnings: DiagnosticWarning[];
  report: Record<string, unknown>;
}

/**
 * Steps 1-3: units, genes, conversion. Returns a Dataset whose X is in the method's units.
 *
 * @throws InputError `E_BULK_UNITS` (bad or negative values), `E_BULK_UNITS_CONVERSION` (a count
 *   model without a recorded library given non-count data), gene-map and duplicate errors.
 */
function prepareBulk(
  bulk: Dataset,
  fitted: Fitted,
  c: BulkInputContract,
  o: ReturnType<typeof resolveOptions>,
  geneMap: BulkInputOptions['geneMap'],
): PreparedBulk {
  const warnings: DiagnosticWarning[] = [];
  const n = bulk.nObs;
  const G0 = bulk.nVars;
  const X = toDense(bulk.X, undefined, 'float64').data as Float64Array;
  // Detection uses the finite, non-empty samples only: the methods flag the others per sample.
  const good: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    let finite = true;
    for (let j = 0; j < G0; j++) {
      const v = X[i * G0 + j]!;
      if (!Number.isFinite(v)) finite = false;
      s += v;
    }
    if (finite && s !== 0) good.push(i);
  }
  let det: UnitsDetection;
  if (good.length === 0)
    det = { units: o.declared ?? { scale: 'counts', log: 'none' }, confidence: 'assumed', evidence: ['no usable sample'] };
  else {
    const sub = new Float64Array(good.length * G0);
    for (let r = 0; r < good.length; r++) sub.set(X.subarray(good[r]! * G0, (good[r]! + 1) * G0), r * G0);
    try {
      det = detectUnits(sub, good.length, G0, o.declared);
    } catch (e) {
      // Negative values: signature methods zero such samples with a warning; count models refuse them.
      if (!(e instanceof InputError) || e.code !== 'E_BULK_UNITS' || c.target === 'counts-mean' || c.target === 'counts-sum') throw e;
      warnings.push({ code: 'W_BULK_UNITS', message: `${e.message}; values passed through unchanged` });
      det = { units: { scale: 'relative', log: 'none' }, confidence: 'assumed', evidence: [e.message] };
    }
  }
  // An unconfirmed log base (spec: assume log2) is NOT applied: small linear tables (a gene subset,
  // synthetic data) are common and a wrong anti-log is catastrophic, while this way the user is told.
  if (det.confidence === 'assumed' && det.units.log !== 'none' && !o.declared) {
    warnings.push({
      code: 'W_BULK_UNITS',
      message: `bulk values look log-transformed (${det.evidence.join('; ')}) but the base could not be confirmed; they were taken as linear — declare --bulk-units log2-tpm, log1p-cpm, ... if they are logs`,
    });
    det = { units: { scale: det.units.scale, log: 'none' }, confidence: 'assumed', evidence: [...det.evidence, 'taken as linear'] };
  } else if (det.confidence === 'assumed') {
    warnings.push({ code: 'W_BULK_UNITS', message: `bulk units assumed ${formatUnits(det.units)}: ${det.evidence.join('; ')}` });
  }
  const lin = toLinear(X, det.units.log);

  // Genes: map, duplicates, case.
  let t: GeneTable = { values: lin, nSamples: n, genes: [...bulk.varNames] };
  if (geneMap !== undefined) {
    const r = applyGeneMap(t, typeof geneMap === 'string' ? readGeneMap(geneMap) : geneMap);
    t = r.table;
    warnings.push(...r.warnings);
  }
  {
    const r = mergeDuplicateGenes(t, o.duplicateGenes);
    t = r.table;
    warnings.push(...r.warnings);
  }
  {
    const r = matchGeneCase(t, fitted.genes);
    t = r.table;
    warnings.push(...r.warnings);
  }
  const G = t.genes.length;
  let values = t.values;
  const report: Record<string, unknown> = {
    source: 'X',
    units: formatUnits(det.units),
    unitsConfidence: det.confidence,
    unitsEvidence: det.evidence,
    convertedTo: c.target,
  };
  if (c.target === 'counts-mean' || c.target === 'counts-sum') {
    const idx = new Map<string, number>();
    t.genes.forEach((g, j) => {
      idx.set(g, j);
    });
    const over = Int32Array.from(fitted.genes.map((g) => idx.get(g)).filter((j): j is number => j !== undefined));
    if (c.library !== undefined) {
      // spec §1.3: x̃_sg = x_sg · L̄ / Σ_{h∈G_m} x_sh, so the model sees the library it was trained on.
      values = rescaleRows(values, n, G, c.library, over);
      report.library = c.library;
      if (det.units.scale === 'tpm' || det.units.scale === 'fpkm' || det.units.scale === 'cpm') {
        report.lengthNormalisedInput = det.units.scale !== 'cpm';
      }
    } else if (det.units.scale !== 'counts') {
      throw new InputError(
        `cannot convert a ${formatUnits(det.units)} bulk to this ${fitted.method} model's counts: the model does not record its training library size`,
        {
          code: 'E_BULK_UNITS_CONVERSION',
          field: 'bulkUnits',
          got: formatUnits(det.units),
          expected: 'raw counts, or a model fitted (or saved) with this version, which records its library size',
          hint: 'Refit the model from its reference (celldeconv train ...), or pass raw counts',
        },
      );
    } else {
      warnings.push({
        code: 'W_BULK_UNITS',
        message: `${fitted.method}: the model does not record its training library size; counts passed as they are`,
      });
    }
  }
  const ds = new Dataset({ X: new DenseMatrix(n, G, values), obsNames: [...bulk.obsNames], varNames: t.genes });
  return { ds, warnings, report };
}

/** Profiles restricted to genes present in `ds`: column indices into ds and the C x K matrix. */
function profilesOn(c: BulkInputContract, ds: Dataset, C: number): { cols: Int32Array; H: Float64Array } | undefined {
  if (!c.profiles || !c.profileGenes) return undefined;
  const idx = new Map<string, number>();
  ds.varNames.forEach((g, j) => {
    if (!idx.has(g)) idx.set(g, j);
  });
  const Gp = c.profileGenes.length;
  const ks: number[] = [];
  const cols: number[] = [];
  c.profileGenes.forEach((g, k) => {
    const j = idx.get(g);
    if (j !== undefined) {
      ks.push(k);
      cols.push(j);
    }
  });
  const K = ks.length;
  const H = new Float64Array(C * K);
  for (let t = 0; t < C; t++) for (let k = 0; k < K; k++) H[t * K + k] = c.profiles[t * Gp + ks[k]!]!;
  return { cols: Int32Array.from(cols), H };
}

/** Step 6: all-zero cell types and identical samples. */
export function degenerateResult(
  P: Float64Array,
  n: number,
  C: number,
  cellTypes: readonly string[],
  inputsIdentical: boolean,
): { zeroTypes: string[]; identicalSamples: boolean } {
  const zeroTypes: string[] = [];
  let anyNonZeroRow = false;
  for (let i = 0; i < n && !anyNonZeroRow; i++) for (let k = 0; k < C; k++) if (P[i * C + k]! > 0) anyNonZeroRow = true;
  if (n >= 3 && anyNonZeroRow) {
    for (let k = 0; k < C; k++) {
      let mx = 0;
      for (let i = 0; i < n; i++) mx = Math.max(mx, P[i * C + k]!);
      if (mx < 1e-6) zeroTypes.push(cellTypes[k]!);
    }
  }
  let identical = n >= 2 && !inputsIdentical && anyNonZeroRow;
  for (let i = 1; i < n && identical; i++) for (let k = 0; k < C; k++) if (Math.abs(P[i * C + k]! - P[k]!) > 1e-6) identical = false;
  return { zeroTypes, identicalSamples: identical };
}

/** True when every sample is a multiple of the first (then equal proportions are expected, not degenerate). */
function rowsIdentical(m: Dataset): boolean {
  if (m.nObs < 2) return true;
  const X = toDense(m.X, undefined, 'float64').data;
  const G = m.nVars;
  const total = (i: number) => {
    let s = 0;
    for (let j = 0; j < G; j++) s += X[i * G + j]!;
    return s;
  };
  const t0 = total(0);
  for (let i = 1; i < m.nObs; i++) {
    const ti = total(i);
    for (let j = 0; j < G; j++) if (Math.abs(X[i * G + j]! * t0 - X[j]! * ti) > 1e-9 * Math.abs(t0 * ti)) return false;
  }
  return true;
}

/**
 * Deconvolves `bulk` with `fitted` through the shared input step (module comment).
 *
 * @throws InputError see prepareBulk; `E_DEGENERATE_RESULT` with `strict`.
 */
export async function deconvolveWithContract(
  fitted: Fitted,
  inner: (b: Dataset, o: DeconvolveOptions) => Promise<DeconvolutionResult>,
  contract: BulkInputContract,
  bulk: Dataset,
  opts: DeconvolveOptions = {},
): Promise<DeconvolutionResult> {
  const o = resolveOptions(opts.bulkInput, contract);
  // Pass-through: the bulk carries the method's own pseudobulk layer (or one was named), or the
  // method declares no input scale (it handles its input itself).
  const passThrough =
    !o.declared &&
    (opts.layer !== undefined || contract.target === 'as-is' || (contract.layer !== undefined && bulk.layers.has(contract.layer)));
  const warnings: DiagnosticWarning[] = [];
  let report: Record<string, unknown>;
  let res: DeconvolutionResult;
  let have: FractionKind;
  const innerOpts = { ...opts, layer: undefined };
  if (passThrough) {
    res = await inner(bulk, opts);
    report = { source: opts.layer ?? contract.layer, units: 'as fitted (pseudobulk layer)' };
    // Pseudobulk layers weight cells equally (relative_counts are means of per-cell-normalised profiles).
    have = 'cell';
  } else {
    const prep = prepareBulk(bulk, fitted, contract, o, opts.bulkInput?.geneMap);
    warnings.push(...prep.warnings);
    report = prep.report;
    let ds = prep.ds;
    const C = fitted.cellTypes.length;
    const n = ds.nObs;
    const prof = o.platform === 'bmode' ? profilesOn(contract, ds, C) : undefined;
    if (o.platform === 'bmode' && (n < 2 || !prof || prof.cols.length === 0)) {
      warnings.push({
        code: 'W_PLATFORM_SKIPPED',
        message:
          n < 2
            ? 'platform correction (bmode) needs at least 2 bulk samples; skipped'
            : `platform correction (bmode) needs the model's per-type profiles, which this ${fitted.method} fit does not record; skipped`,
      });
      report.platformCorrection = 'none (skipped)';
    } else if (o.platform === 'bmode' && prof) {
      // CIBERSORTx B-mode: first pass, reconstitute M̂ = F⁰·H, ComBat the bulk onto M̂, second pass.
      if (contract.target === 'relative' || contract.target === 'as-is') {
        // The profiles are per 1e4 over all genes: the bulk must be on the same scale for ComBat.
        ds = new Dataset({
          X: new DenseMatrix(n, ds.nVars, rescaleRows((ds.X as DenseMatrix<Float64Array>).data, n, ds.nVars, 1e4)),
          obsNames: ds.obsNames,
          varNames: ds.varNames,
        });
      }
      const base = ds;
      const Gd = base.nVars;
      const Xd = (base.X as DenseMatrix<Float64Array>).data;
      const K = prof.cols.length;
      const Xk = new Float64Array(n * K);
      for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) Xk[i * K + k] = Xd[i * Gd + prof.cols[k]!]!;
      let cr: ReturnType<typeof bmodeCorrect>['report'] | undefined;
      // Each gene belongs to the cell type with the largest profile value (its marker group).
      const groups = new Int32Array(K);
      for (let k = 0; k < K; k++) {
        let best = 0;
        for (let t = 1; t < C; t++) if (prof.H[t * K + k]! > prof.H[best * K + k]!) best = t;
        groups[k] = best;
      }
      // Fixed-point rounds: fractions -> reconstituted mixtures -> corrected bulk -> fractions.
      // The true fractions are a fixed point (a gene-wise factor is exactly a location shift in log space).
      for (let round = 0; round < PLATFORM_ROUNDS; round++) {
        const pass = await inner(ds, innerOpts);
        // Reconstitution needs non-negative fractions (OLS may return negative ones).
        const F = Float64Array.from(pass.proportions.data, (v) => Math.max(0, v));
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let t = 0; t < C; t++) s += F[i * C + t]!;
          if (s > 0) for (let t = 0; t < C; t++) F[i * C + t] = F[i * C + t]! / s;
        }
        const Mhat = new Float64Array(n * K);
        for (let i = 0; i < n; i++) {
          for (let t = 0; t < C; t++) {
            const f = F[i * C + t]!;
            if (f !== 0) for (let k = 0; k < K; k++) Mhat[i * K + k] = Mhat[i * K + k]! + f * prof.H[t * K + k]!;
          }
        }
        const r = bmodeCorrect(Xk, n, Mhat, n, K, { meanOnly: PLATFORM_MEAN_ONLY, groups });
        cr = r.report;
        const Xc = Float64Array.from(Xd);
        for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) Xc[i * Gd + prof.cols[k]!] = r.corrected[i * K + k]!;
        ds = new Dataset({ X: new DenseMatrix(n, Gd, Xc), obsNames: base.obsNames, varNames: base.varNames });
      }
      report.platformCorrection = { method: 'bmode', rounds: PLATFORM_ROUNDS, genesAdjusted: cr?.genesAdjusted, meanOnly: cr?.meanOnly };
    } else report.platformCorrection = 'none';
    res = await inner(ds, innerOpts);
    have = contract.returns;
  }
  // Step 5: fractions.
  const C = res.cellTypes.length;
  const n = res.sampleNames.length;
  let fractions: FractionKind = have;
  if (o.fractions !== have) {
    if (contract.cellSizes && contract.cellSizes.length === C) {
      res = {
        ...res,
        proportions: new DenseMatrix(n, C, convertFractions(res.proportions.data, n, C, contract.cellSizes, o.fractions, res.cellTypes)),
      };
      fractions = o.fractions;
      report.cellSizes = Object.fromEntries(res.cellTypes.map((t, k) => [t, Math.round(contract.cellSizes![k]!)]));
    } else {
      warnings.push({
        code: 'W_FRACTIONS_UNCONVERTED',
        message: `${fitted.method} returns ${have === 'mrna' ? 'mRNA' : 'cell'} fractions on this input and the fit records no per-type mRNA content (fit it from a labelled reference to convert): these are ${have === 'mrna' ? 'mRNA' : 'cell'} fractions, not ${o.fractions === 'mrna' ? 'mRNA' : 'cell'} fractions`,
      });
    }
  }
  report.fractions = fractions;
  // Step 6: degenerate results.
  const deg = degenerateResult(res.proportions.data, n, C, res.cellTypes, rowsIdentical(bulk));
  const degWarnings: DiagnosticWarning[] = [];
  if (deg.zeroTypes.length > 0) {
    degWarnings.push({
      code: 'W_DEGENERATE_RESULT',
      message: `${fmtInt(deg.zeroTypes.length)} of ${fmtInt(C)} cell types are 0 in every sample (${deg.zeroTypes.slice(0, 5).join(', ')}): check the bulk units (--bulk-units) and platform (--platform-correction bmode)`,
    });
  }
  if (deg.identicalSamples) {
    degWarnings.push({
      code: 'W_DEGENERATE_RESULT',
      message: `all ${fmtInt(n)} samples got the same proportions although their expression differs${
        typeof report.platformCorrection === 'object'
          ? ' (platform correction bmode was applied: with few samples ComBat can erase their differences; try --platform-correction none)'
          : ''
      }`,
    });
  }
  if (o.strict && degWarnings.length > 0) {
    throw new InputError(`degenerate result: ${degWarnings.map((w) => w.message).join('; ')}`, {
      code: 'E_DEGENERATE_RESULT',
      field: fitted.method,
      hint: 'Check --bulk-units, try --platform-correction bmode, or drop --strict to get the result with a warning',
    });
  }
  const d = res.diagnostics;
  return {
    ...res,
    diagnostics: {
      ...d,
      warnings: [...warnings, ...d.warnings, ...degWarnings],
      extra: { ...(d.extra ?? {}), bulkInput: report, degenerateResult: deg },
    },
  };
}

/** Wraps a Fitted (all its own members stay reachable) so that `deconvolve` goes through the input step. */
export function wrapFitted(fitted: Fitted, contract: BulkInputContract): Fitted {
  const inner = fitted.deconvolve.bind(fitted);
  const innerSave = fitted.save?.bind(fitted);
  return new Proxy(fitted, {
    get(target, key, receiver) {
      if (key === 'deconvolve') return (b: Dataset, o?: DeconvolveOptions) => deconvolveWithContract(target, inner, contract, b, o);
      if (key === 'bulkInputContract') return contract;
      if (key === 'save' && innerSave) {
        return async (dir: string) => {
          await innerSave(dir);
          writeFileAtomic(join(dir, BULK_INPUT_FILE), `${JSON.stringify(contract)}\n`);
        };
      }
      const v = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * The spec with `fit` and `load` returning wrapped fits (see the module comment). Applied once, by
 * the registry, to every method.
 */
export function withBulkInput<O>(spec: MethodSpec<O>): MethodSpec<O> {
  const fit = spec.fit.bind(spec);
  const load = spec.load?.bind(spec);
  const wrapped: MethodSpec<O> = {
    ...spec,
    async fit(ref, opts) {
      const f = await fit(ref, opts);
      return wrapFitted(f, computeContract(spec as MethodSpec<any>, f, ref, opts as FitOptions<any>));
    },
  };
  if (load) {
    wrapped.load = async (dir: string) => {
      const f = await load(dir);
      const saved = readContract(dir);
      return wrapFitted(f, saved ?? computeContract(spec as MethodSpec<any>, f, null, {}));
    };
  }
  return wrapped;
}
