/**
 * `celldeconv deconvolve`: estimate cell-type proportions of bulk samples with any registered
 * method, from a signature CSV, a labelled single-cell reference, or a saved model directory.
 *
 * `--method all` runs every registered method and writes one CSV per method next to `--out`
 * (`props.csv` -> `props.nnls.csv`, `props.dwls.csv`, ...), so that each file has the same
 * samples x cell types layout as a single-method run. Methods that cannot run from what was given
 * (e.g. a trained model with only a signature) are skipped with a notice.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InputError, NotFittedError } from '../../core/errors.js';
import type { Dataset } from '../../data/dataset.js';
import { DenseMatrix } from '../../data/dense.js';
import { readDataset } from '../../io/read.js';
import { writeDenseTable } from '../../io/table.js';
import '../../methods/all-methods.js';
import { checkOptions, describeOptions, schemaOf } from '../../methods/option-schema.js';
import { getMethod, listMethods } from '../../methods/registry.js';
import type { DeconvolutionResult, Fitted, MethodSpec } from '../../methods/types.js';
import { buildSignature } from '../../signature/build-signature.js';
import type { Signature } from '../../signature/signature.js';
import { readSignatureCsv } from '../../signature/signature-csv.js';
import { optBool, optNumber, optString, parseSetOptions, reqString, UsageError } from '../args.js';
import { BULK_INPUT_CLI_OPTIONS, bulkInputFromArgs, DEGENERATE_EXIT, describeBulkInput } from '../bulk-input-options.js';
import { type CommandSpec, rawOptionValue } from '../command.js';
import { writeProfilesH5ad } from '../profiles.js';
import { labelsOption, loadReference, REFERENCE_OPTIONS } from '../reference.js';

/** Output path of one method in a `--method all` run: `dir/stem.<method><ext>`. */
export function perMethodPath(out: string, method: string): string {
  const ext = extname(out.replace(/\.gz$/i, ''));
  const gz = /\.gz$/i.test(out) ? '.gz' : '';
  const stem = basename(out).slice(0, basename(out).length - ext.length - gz.length);
  return join(dirname(out), `${stem}.${method}${ext}${gz}`);
}

function readManifestMethod(dir: string): string {
  const file = join(dir, 'manifest.json');
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NotFittedError('cannot read the model manifest', {
      code: 'E_MODEL_MANIFEST',
      file,
      cause: e,
      hint: 'Pass a directory written by a fitted model (it holds manifest.json)',
    });
  }
  const method = (m as { method?: unknown }).method;
  if (typeof method !== 'string') {
    throw new NotFittedError("model manifest has no 'method' field", { code: 'E_MODEL_MANIFEST', file, field: 'method' });
  }
  return method;
}

/** `--method` value -> method names: 'all', one name, or a comma-separated list (duplicates dropped). */
export function methodNames(value: string): string[] {
  const items = [
    ...new Set(
      value
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    ),
  ];
  if (items.length === 0) throw new UsageError('invalid value', 'method', value, "a method name, a list NAME,NAME or 'all'");
  return items.includes('all') ? listMethods() : items;
}

export const deconvolveCommand: CommandSpec = {
  name: 'deconvolve',
  summary: 'Estimate cell-type proportions of bulk samples',
  details: [
    'Genes are matched by name: the signature (or model) genes found in the bulk are used, in',
    'signature order; fewer than --min-overlap of them is an error. The bulk layer is relative_counts',
    'when the bulk has it (pseudobulk .h5ad), else X; linear methods work on linear-scale values.',
    'Output: samples x cell types, rows summing to 1 (all-zero row for a degenerate sample).',
    '--method all (or a list, --method nnls,dwls) writes one file per method: props.csv -> props.nnls.csv, props.dwls.csv, ...',
    "A bulk without the method's pseudobulk layer (a CSV, an h5ad with only X) is a real bulk: its units are",
    'detected or declared (--bulk-units), converted to those the method was fitted in, and the result is given',
    `as cell fractions (--fractions). Degenerate results exit with status ${4} (--strict: an error).`,
    'Examples:',
    '  celldeconv deconvolve --method nnls --signature sig.csv --bulk bulk.tsv --out props.csv',
    '  celldeconv deconvolve --method dwls --reference ref.h5ad --labels cell_type --bulk pb.h5ad --out p.csv --json',
    '  celldeconv deconvolve --model models/mixupvi --bulk bulk.csv --out props.csv',
  ].join('\n'),
  options: {
    method: {
      type: 'string',
      short: 'm',
      description: "Method name (see 'celldeconv methods'), a comma-separated list, or 'all'",
      valueName: 'NAME[,NAME]',
    },
    signature: { type: 'string', short: 's', description: 'Signature CSV/TSV (genes x cell types)', valueName: 'SIG.csv' },
    ...REFERENCE_OPTIONS,
    model: { type: 'string', description: 'Directory of a saved model (manifest.json names its method)', valueName: 'DIR' },
    bulk: { type: 'string', short: 'b', description: 'Bulk expression: CSV/TSV (either orientation) or .h5ad', valueName: 'BULK' },
    out: { type: 'string', short: 'o', description: 'Output CSV/TSV (samples x cell types)', valueName: 'PROPS.csv' },
    'genes-in': { type: 'string', description: 'Bulk table orientation: rows or columns (default: detected)', valueName: 'AXIS' },
    layer: { type: 'string', description: 'Bulk layer (default: relative_counts when present, else X)', valueName: 'LAYER' },
    'min-overlap': { type: 'string', description: 'Minimum fraction of signature genes found in the bulk', default: '0.7', valueName: 'F' },
    threads: { type: 'string', description: 'Worker threads: 0 = automatic, 1 = none', default: '0', valueName: 'N' },
    seed: { type: 'string', description: 'Seed of every random step', default: '0', valueName: 'N' },
    raw: { type: 'boolean', description: 'Write the unnormalised coefficients instead of proportions' },
    set: {
      type: 'string',
      multiple: true,
      description: 'A method option, e.g. --set solver=ipm or --set fitIntercept=true (repeatable; see METHODS.md)',
      valueName: 'KEY=VALUE',
    },
    profiles: {
      type: 'string',
      description: "DGD: write each sample's fitted per-type expression profiles to this .h5ad (rows = sample x cell type)",
      valueName: 'FILE.h5ad',
    },
    intervals: {
      type: 'boolean',
      description:
        '90% intervals (MixupVI/scVI: posterior draws; signature methods: bootstrap over genes, --set intervalSamples=100), written next to --out as PROPS.lower.csv / PROPS.upper.csv',
    },
    permutations: {
      type: 'string',
      description: "nusvr: CIBERSORT's empirical p-value from N random mixtures (e.g. 100), written as PROPS.pvalue.csv",
      valueName: 'N',
    },
    ...BULK_INPUT_CLI_OPTIONS,
  },
  dynamicHelp(argv) {
    const value = rawOptionValue(argv, 'method', 'm');
    if (value === undefined) return "With --method NAME, --help also lists that method's options (--set KEY=VALUE).";
    return methodNames(value)
      .map(getMethod)
      .map((spec) => [`Options of ${spec.name} (--set KEY=VALUE):`, ...describeOptions(spec)].join('\n'))
      .join('\n\n');
  },
  async run({ args, out, signal }) {
    const modelDir = optString(args, 'model');
    const sigPath = optString(args, 'signature');
    const refName = optString(args, 'reference');
    const sources = [modelDir, sigPath, refName].filter((x) => x !== undefined).length;
    if (sources !== 1) {
      throw new UsageError(
        sources === 0 ? 'missing input: a signature, a reference or a model' : 'give only one of --signature, --reference, --model',
        sources === 0 ? 'signature' : 'model',
        undefined,
        undefined,
        'Pass --signature SIG.csv, or --reference REF --labels COLUMN, or --model DIR',
      );
    }
    const bulkPath = resolve(reqString(args, 'bulk', 'Pass --bulk BULK.csv'));
    const outPath = resolve(reqString(args, 'out', 'Pass --out PROPS.csv'));
    const genesInRaw = optString(args, 'genes-in');
    if (genesInRaw !== undefined && genesInRaw !== 'rows' && genesInRaw !== 'columns') {
      throw new UsageError('invalid value', 'genes-in', genesInRaw, 'rows | columns');
    }
    const genesIn = genesInRaw as 'rows' | 'columns' | undefined;
    const minGeneOverlap = optNumber(args, 'min-overlap', 0.7, { min: 0, max: 1 });
    const threads = optNumber(args, 'threads', 0, { integer: true, min: 0 });
    const seed = optNumber(args, 'seed', 0, { integer: true });
    const layer = optString(args, 'layer');
    const writeRaw = optBool(args, 'raw');
    const permutations = optNumber(args, 'permutations', 0, { integer: true, min: 0 });
    const bulkInput = bulkInputFromArgs(args);
    const progress = out.progress();
    // Which methods, and how each one gets its fit.
    let methodName = optString(args, 'method');
    let specs: MethodSpec<any>[];
    if (modelDir) {
      const fromManifest = readManifestMethod(resolve(modelDir));
      if (methodName !== undefined && methodName !== fromManifest) {
        throw new UsageError('--method does not match the saved model', 'method', methodName, fromManifest);
      }
      methodName = fromManifest;
      specs = [getMethod(fromManifest)];
    } else {
      if (methodName === undefined)
        throw new UsageError('missing required option', 'method', undefined, undefined, "Pass --method NAME, a list NAME,NAME or 'all'");
      specs = methodNames(methodName).map(getMethod);
    }

    // --set applies to every chosen method that has the option: all options must exist for a
    // single method, and each one in at least one of several methods. Checked before any work.
    const sets = parseSetOptions(args);
    if (specs.length === 1) checkOptions((specs[0] as MethodSpec<any>).name, schemaOf(specs[0] as MethodSpec<any>), sets);
    else {
      for (const key of Object.keys(sets)) {
        if (!specs.some((s) => key in schemaOf(s))) {
          throw new UsageError(`none of the methods ${specs.map((s) => s.name).join(', ')} has an option '${key}'`, 'set', key);
        }
      }
    }
    const methodOptions = (spec: MethodSpec<any>): Record<string, unknown> => {
      const schema = schemaOf(spec);
      return checkOptions(spec.name, schema, Object.fromEntries(Object.entries(sets).filter(([k]) => k in schema)));
    };

    let signature: Signature | undefined;
    let ref: Dataset | null = null;
    let labelsKey: string | undefined;
    if (sigPath) {
      out.info(`reading signature ${sigPath} ...`);
      signature = await readSignatureCsv(resolve(sigPath), { signal });
    } else if (refName) {
      labelsKey = labelsOption(args, refName);
      out.info(`reading reference ${refName} ...`);
      ref = await loadReference(refName, signal);
      if (specs.some((s) => s.kind === 'signature')) {
        const t0 = Date.now();
        signature = buildSignature(ref, { labelsKey, signal, onProgress: progress });
        out.info(`signature: ${signature.nGenes} genes x ${signature.nTypes} cell types (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }

    const fits: { spec: MethodSpec<any>; fitted: Fitted }[] = [];
    const skipped: { method: string; reason: string }[] = [];
    for (const spec of specs) {
      if (modelDir) {
        if (!spec.load) throw new InputError(`method '${spec.name}' cannot load saved models`, { code: 'E_NO_LOAD', field: spec.name });
        fits.push({ spec, fitted: await spec.load(resolve(modelDir)) });
        continue;
      }
      if (spec.kind !== 'signature' && !ref) {
        const reason = 'needs a labelled reference (--reference REF --labels COLUMN), not a signature';
        if (specs.length === 1) throw new InputError(`method '${spec.name}' ${reason}`, { code: 'E_NEEDS_REFERENCE', field: spec.name });
        skipped.push({ method: spec.name, reason });
        out.info(`skipping ${spec.name}: ${reason}`);
        continue;
      }
      out.info(`fitting ${spec.name} ...`);
      const fitted = await spec.fit(ref, {
        signature,
        labelsKey,
        seed,
        signal,
        onProgress: progress,
        options: { ...(spec.kind === 'signature' ? { threads } : {}), ...methodOptions(spec) },
      });
      fits.push({ spec, fitted });
    }

    // The bulk: orientation decided against the genes of the (first) fit.
    out.info(`reading bulk ${bulkPath} ...`);
    const bulk = await readDataset(bulkPath, { genes: fits[0]?.fitted.genes, genesIn, signal });

    const summaries: Record<string, unknown>[] = [];
    let anyDegenerate = false;
    for (const { spec, fitted } of fits) {
      const t0 = Date.now();
      const res: DeconvolutionResult = await fitted.deconvolve(bulk, {
        layer,
        minGeneOverlap,
        seed,
        signal,
        onProgress: progress,
        ...(optBool(args, 'intervals') || permutations > 0
          ? { options: { ...(optBool(args, 'intervals') ? { intervals: true } : {}), ...(permutations > 0 ? { permutations } : {}) } }
          : {}),
        bulkInput,
      });
      const seconds = (Date.now() - t0) / 1000;
      const path = specs.length > 1 ? perMethodPath(outPath, spec.name) : outPath;
      const matrix = writeRaw && res.raw ? res.raw : res.proportions;
      await writeDenseTable(path, res.sampleNames, res.cellTypes, matrix, { cornerLabel: 'sample' });
      for (const [tag, m] of [
        ['lower', res.lower],
        ['upper', res.upper],
      ] as const) {
        if (m) await writeDenseTable(perMethodPath(path, tag), res.sampleNames, res.cellTypes, m, { cornerLabel: 'sample' });
      }
      const profilesPath = optString(args, 'profiles');
      if (profilesPath) {
        const pp = resolve(specs.length > 1 ? perMethodPath(profilesPath, spec.name) : profilesPath);
        if (await writeProfilesH5ad(pp, res, signal)) out.info(`${spec.name}: per-type expression profiles -> ${pp}`);
      }
      const d = res.diagnostics;
      const pvalue = d.extra?.pvalue as number[] | undefined;
      if (Array.isArray(pvalue)) {
        // CIBERSORT's output columns: P-value, Correlation, RMSE per sample.
        const r = (d.extra?.r as number[] | undefined) ?? [];
        const rmse = (d.extra?.rmse as number[] | undefined) ?? [];
        const cols = DenseMatrix.fromRows(
          res.sampleNames.map((_, i) => [pvalue[i] ?? Number.NaN, r[i] ?? Number.NaN, rmse[i] ?? Number.NaN]),
        );
        await writeDenseTable(perMethodPath(path, 'pvalue'), res.sampleNames, ['pvalue', 'r', 'rmse'], cols, { cornerLabel: 'sample' });
      } else if (permutations > 0) {
        out.info(`note: ${spec.name} has no permutation p-value (only nusvr in cibersort mode); --permutations ignored`);
      }
      const total = d.genesUsed + d.genesMissing;
      const degenerate = Array.isArray(d.extra?.degenerate) ? (d.extra.degenerate as boolean[]).filter(Boolean).length : 0;
      const notConverged = d.converged.filter((c) => !c).length;
      for (const w of d.warnings) out.info(`warning (${spec.name}): ${w.message}`);
      const input = describeBulkInput(res);
      if (input) out.info(`${spec.name}: ${input}`);
      const degenerateResult = d.warnings.some((w) => w.code === 'W_DEGENERATE_RESULT');
      if (degenerateResult) anyDegenerate = true;
      out.print(
        `${spec.name}: ${res.sampleNames.length} samples x ${res.cellTypes.length} cell types -> ${path}  ` +
          `(genes ${d.genesUsed} of ${total} found, ${((100 * d.genesUsed) / Math.max(total, 1)).toFixed(1)}%; ${seconds.toFixed(2)} s` +
          `${notConverged ? `; ${notConverged} not converged` : ''}${degenerate ? `; ${degenerate} degenerate` : ''})`,
      );
      summaries.push({
        method: spec.name,
        out: path,
        values: matrix === res.raw ? 'raw' : 'proportions',
        nSamples: res.sampleNames.length,
        cellTypes: res.cellTypes,
        genesUsed: d.genesUsed,
        genesMissing: d.genesMissing,
        geneOverlap: total > 0 ? d.genesUsed / total : 1,
        notConverged,
        degenerate,
        seconds,
        seed: d.seed ?? seed,
        warnings: d.warnings,
        bulkInput: d.extra?.bulkInput,
        degenerateResult,
      });
    }
    out.result({ bulk: bulkPath, results: summaries, skipped });
    // A degenerate result is written (it may still be useful) but the exit status says so.
    if (anyDegenerate) return DEGENERATE_EXIT;
  },
};
