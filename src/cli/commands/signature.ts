/**
 * `celldeconv signature`: build a signature matrix (genes x cell types CSV, PyDeconv layout) from a
 * labelled single-cell reference (Wilcoxon markers + condition-number search; see
 * signature/build-signature.ts).
 */
import { resolve } from 'node:path';
import { datasets, isDatasetName } from '../../datasets/index.js';
import { readDataset } from '../../io/read.js';
import type { BuildSignatureOptions } from '../../signature/build-signature.js';
import {
  buildSignatureDetailed,
  HOUSEKEEPING_GENES,
  MIRNA_GENES,
  RIBO_MITO_GENES,
  SIGNATURE_DEFAULTS,
} from '../../signature/build-signature.js';
import { writeSignatureCsv } from '../../signature/signature-csv.js';
import { optBool, optList, optNumber, optString, reqString, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { REFERENCE_OPTIONS, referenceOptions } from '../reference.js';

const KAPPA_NAMES: Record<string, string> = { r1: 'QR 1-norm', linpack: 'R kappa, LINPACK estimate', '2': '2-norm' };

const EXCLUDE_PRESETS: Record<string, RegExp> = { 'ribo-mito': RIBO_MITO_GENES, housekeeping: HOUSEKEEPING_GENES, mirna: MIRNA_GENES };

function choice<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError('invalid value', name, value, allowed.join(' | '));
  return value as T;
}

/** `--exclude ribo-mito,mirna` (presets) or `--exclude 're:^MT-'` (a regular expression). */
function parseExclude(items: string[] | undefined): RegExp | undefined {
  if (!items || items.length === 0) return undefined;
  const parts: string[] = [];
  for (const it of items) {
    if (it.startsWith('re:')) {
      try {
        parts.push(new RegExp(it.slice(3)).source);
      } catch {
        throw new UsageError('invalid regular expression', 'exclude', it);
      }
    } else {
      const re = EXCLUDE_PRESETS[it];
      if (!re) throw new UsageError('unknown preset', 'exclude', it, `${Object.keys(EXCLUDE_PRESETS).join(', ')} or re:REGEX`);
      parts.push(re.source);
    }
  }
  return new RegExp(parts.map((p) => `(?:${p})`).join('|'));
}

export const signatureCommand: CommandSpec = {
  name: 'signature',
  summary: 'Build a signature matrix (genes x cell types CSV) from a labelled single-cell reference',
  details: [
    'Per cell type: Wilcoxon rank-sum test against the other cells (tie-corrected), Benjamini-Hochberg,',
    'markers with adjusted p < 0.05 and log2FC > 0.25; the number of top markers per type (50..200) is',
    'chosen by minimising the condition number (of the QR factor, as R kappa); values are mean relative counts per type.',
    'Examples:',
    '  celldeconv signature --reference pbmc3k --out pbmc_signature.csv',
    '  celldeconv signature --reference ref.h5ad --labels cell_type --layer counts --out sig.csv --json',
  ].join('\n'),
  options: {
    ...REFERENCE_OPTIONS,
    'labels-file': {
      type: 'string',
      description: 'Per-cell label table (TSV/CSV, joined by barcode) added to obs before --labels is looked up',
      valueName: 'FILE',
    },
    out: { type: 'string', short: 'o', description: 'Output CSV/TSV (genes x cell types)', valueName: 'SIG.csv' },
    layer: { type: 'string', description: 'Layer with raw counts (default X)', valueName: 'LAYER' },
    'value-layer': {
      type: 'string',
      description: 'Signature values: relative_counts or raw_counts (per-type means)',
      default: 'relative_counts',
      valueName: 'L',
    },
    'cell-types': { type: 'string', description: 'Comma-separated cell types, in column order (default: all, sorted)', valueName: 'LIST' },
    'min-markers': { type: 'string', description: 'Smallest number of top markers per type tried', default: '50', valueName: 'N' },
    'max-markers': { type: 'string', description: 'Largest number of top markers per type tried', default: '200', valueName: 'N' },
    'pval-cutoff': { type: 'string', description: 'Adjusted p-value cutoff', default: '0.05', valueName: 'P' },
    'logfc-cutoff': { type: 'string', description: 'log2 fold-change cutoff', default: '0.25', valueName: 'X' },
    'min-pct': { type: 'string', description: 'Minimum fraction of expressing cells in either group', default: '0.01', valueName: 'F' },
    'de-test': { type: 'string', description: 'wilcoxon (paper) or t-test (Welch, scanpy t-test)', default: 'wilcoxon', valueName: 'T' },
    'p-adjust': { type: 'string', description: 'bh or bonferroni', default: 'bh', valueName: 'M' },
    'logfc-formula': { type: 'string', description: 'seurat or scanpy', default: 'seurat', valueName: 'F' },
    direction: { type: 'string', description: 'up (up-regulated markers only) or abs', default: 'up', valueName: 'D' },
    'kappa-norm': {
      type: 'string',
      description: 'Condition number: r1 (exact 1-norm of the QR factor), linpack (R 4.2 kappa(), LINPACK estimate) or 2 (2-norm)',
      default: 'r1',
      valueName: 'K',
    },
    'no-tie-correction': { type: 'boolean', description: "Wilcoxon without tie correction (scanpy's default)" },
    exclude: {
      type: 'string',
      description: 'Genes never used as markers: presets ribo-mito, housekeeping, mirna and/or re:REGEX',
      valueName: 'LIST',
    },
  },
  async run({ args, out, signal }) {
    const { refName, labelsKey } = referenceOptions(args);
    const outPath = resolve(reqString(args, 'out', 'Pass --out SIG.csv'));
    const d = SIGNATURE_DEFAULTS;
    const opts: BuildSignatureOptions = {
      labelsKey,
      layer: optString(args, 'layer'),
      valueLayer: choice(optString(args, 'value-layer'), 'value-layer', ['relative_counts', 'raw_counts'] as const),
      cellTypes: optList(args, 'cell-types'),
      minMarkers: optNumber(args, 'min-markers', d.minMarkers, { integer: true, min: 1 }),
      maxMarkers: optNumber(args, 'max-markers', d.maxMarkers, { integer: true, min: 1 }),
      pvalCutoff: optNumber(args, 'pval-cutoff', d.pvalCutoff, { min: 0, max: 1 }),
      logfcCutoff: optNumber(args, 'logfc-cutoff', d.logfcCutoff, { min: 0 }),
      minPct: optNumber(args, 'min-pct', d.minPct, { min: 0, max: 1 }),
      deTest: choice(optString(args, 'de-test'), 'de-test', ['wilcoxon', 't-test'] as const),
      pAdjust: choice(optString(args, 'p-adjust'), 'p-adjust', ['bh', 'bonferroni'] as const),
      logfcFormula: choice(optString(args, 'logfc-formula'), 'logfc-formula', ['seurat', 'scanpy'] as const),
      direction: choice(optString(args, 'direction'), 'direction', ['up', 'abs'] as const),
      kappaNorm: choice(optString(args, 'kappa-norm'), 'kappa-norm', ['r1', 'linpack', '2'] as const),
      tieCorrect: !optBool(args, 'no-tie-correction'),
      excludeGenes: parseExclude(optList(args, 'exclude')),
      signal,
      onProgress: out.progress(),
    };
    out.info(`reading ${refName} ...`);
    const ref = isDatasetName(refName)
      ? await datasets[refName]({ signal })
      : await readDataset(refName, { signal, labels: optString(args, 'labels-file'), onProgress: out.progress() });
    const t0 = Date.now();
    const r = buildSignatureDetailed(ref, opts);
    const seconds = (Date.now() - t0) / 1000;
    await writeSignatureCsv(outPath, r.signature);
    const sig = r.signature;
    const kappa = sig.meta.conditionNumber as number;
    for (const w of r.warnings) out.info(`warning: ${w.message}`);
    out.result({
      out: outPath,
      reference: refName,
      labels: labelsKey,
      nCells: ref.nObs,
      nGenesTested: r.genes.length,
      cellTypes: sig.cellTypes,
      nMarkersPerType: sig.meta.nMarkersPerType,
      nTopChosen: r.nTopChosen,
      nGenes: sig.nGenes,
      conditionNumber: Number.isFinite(kappa) ? kappa : null,
      kappaNorm: sig.meta.kappaNorm,
      conditionNumbers: r.conditionNumbers.map((c) => ({ ...c, kappa: Number.isFinite(c.kappa) ? c.kappa : null })),
      seconds,
      warnings: r.warnings,
    });
    out.print(`Signature: ${sig.nGenes} genes x ${sig.nTypes} cell types -> ${outPath}`);
    out.print(`  top markers per type (n*): ${r.nTopChosen}  (tried ${opts.minMarkers}..${opts.maxMarkers})`);
    out.print(
      `  condition number (${KAPPA_NAMES[sig.meta.kappaNorm as string]}): ${Number.isFinite(kappa) ? kappa.toFixed(2) : 'infinite'}`,
    );
    out.print(
      `  markers per type: ${sig.cellTypes.map((t) => `${t} ${(sig.meta.nMarkersPerType as Record<string, number>)[t]}`).join(', ')}`,
    );
    out.print(`  built in ${seconds.toFixed(1)} s from ${ref.nObs} cells x ${r.genes.length} genes`);
  },
};
