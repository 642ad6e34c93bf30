/**
 * `celldeconv train <method>`: train any registered trained method (MixupVI, scVI, Scaden, TAPE,
 * SimpleDNN...) on a labelled single-cell reference and save it to a model directory.
 *
 * Generic on purpose: it calls `getMethod(name).fit(ref, {labelsKey, seed, options})` then
 * `fitted.save(dir)`. The method's flags come from its option schema (methods/option-schema.ts):
 * every option is a flag (`--batch-size`, `--epochs`; MixupVI's `nHvg` is `--hvg`) and can also be
 * given as `--set KEY=VALUE`; `train METHOD --help` lists them with defaults and quick values.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import '../../methods/all-methods.js';
import { checkOptions, describeOptions, optionFlag, schemaOf } from '../../methods/option-schema.js';
import { getMethod } from '../../methods/registry.js';
import type { MethodSpec } from '../../methods/types.js';
import { optBool, optNumber, optString, reqString, UsageError } from '../args.js';
import { type CommandSpec, firstPositional, type OptionSpec } from '../command.js';
import { LABELS_FILE_OPTION, loadReference, REFERENCE_OPTIONS, referenceOptions } from '../reference.js';
import { MRVI_TRAIN_INFO, runTrainMrvi, TRAIN_MRVI_OPTIONS } from './mrvi.js';

/** What `train` needs to know of a model to turn flags into options: its name, schema, defaults and quick values. */
export type TrainableInfo = Pick<MethodSpec<any>, 'name' | 'options' | 'defaults' | 'quickOptions'>;

/** Flags of `train` itself (and the global ones): never taken for a method option. */
const OWN_FLAGS = new Set([
  'reference',
  'labels',
  'labels-file',
  'sample-key',
  'batch-key',
  'checkpoint-every',
  'resume',
  'out',
  'layer',
  'seed',
  'backend',
  'quick',
  'set',
  'help',
  'json',
  'quiet',
  'debug',
]);

/**
 * The flags `train <method>` derives from the method's option schema: one string flag per option
 * (`batchSize` -> `--batch-size`, or the flag the schema names, e.g. MixupVI `nHvg` -> `--hvg`);
 * library-only options (in-memory data) get none.
 */
export function methodFlags(spec: TrainableInfo): Record<string, { key: string; option: OptionSpec }> {
  const out: Record<string, { key: string; option: OptionSpec }> = {};
  for (const [key, def] of Object.entries(schemaOf(spec))) {
    const flag = optionFlag(key, def);
    if (!flag || OWN_FLAGS.has(flag)) continue;
    const valueName = def.type === 'enum' ? (def.values ?? []).join('|') : def.type === 'boolean' ? 'true|false' : 'VALUE';
    out[flag] = { key, option: { type: 'string', description: def.help, valueName } };
  }
  return out;
}

/**
 * Builds the method options from the derived flags, `--set KEY=VALUE` and `--quick`, and checks them
 * against the method's schema (strings converted to numbers, booleans, lists).
 *
 * @param values parsed flag values (flag name -> string).
 * @throws {@link UsageError} for a flag the method has no option for, or a malformed --set;
 *   InputError `E_OPTION` for an unknown option or a bad value (listing the valid options).
 */
export function trainOptions(
  spec: TrainableInfo,
  values: Record<string, unknown>,
  sets: string[],
  quick: boolean,
): Record<string, unknown> {
  const flags = methodFlags(spec);
  const options: Record<string, unknown> = quick ? { ...(spec.quickOptions ?? {}) } : {};
  for (const [flag, raw] of Object.entries(values)) {
    if (raw === undefined || OWN_FLAGS.has(flag)) continue;
    const f = flags[flag];
    if (!f) {
      throw new UsageError(
        `method '${spec.name}' has no option for --${flag}`,
        flag,
        raw,
        undefined,
        `Its options are: ${Object.keys(schemaOf(spec)).join(', ')}; see 'celldeconv train ${spec.name} --help'`,
      );
    }
    options[f.key] = raw;
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError('expected KEY=VALUE', 'set', s, 'e.g. --set mixupPenalty=kl');
    options[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return checkOptions(spec.name, schemaOf(spec), options);
}

/** The method named on a raw `train` command line, if any (for its flags and --help). */
function methodOf(argv: readonly string[]): TrainableInfo | undefined {
  const name = firstPositional(argv, trainCommand.options);
  // MrVI is an analysis model, not a registered deconvolution method; its options are described alike.
  if (name === 'mrvi') return MRVI_TRAIN_INFO;
  return name === undefined ? undefined : getMethod(name);
}

/**
 * Checkpoint settings of a training run: `MODEL_DIR.checkpoint`, every N epochs (0 = off), resumed
 * with `--resume`. Methods without checkpoint support get none (and `--resume` is an error).
 *
 * @throws {@link UsageError} for `--resume` on a method without checkpoints or with `--checkpoint-every 0`.
 */
export function checkpointOptions(
  spec: MethodSpec<any>,
  outDir: string,
  every: number,
  resume: boolean,
): { dir: string; every: number; resume: boolean } | undefined {
  if (!spec.checkpoints) {
    if (resume)
      throw new UsageError(
        `method '${spec.name}' does not save training checkpoints`,
        'resume',
        true,
        undefined,
        'Train it again without --resume',
      );
    return undefined;
  }
  if (every < 0) throw new UsageError('invalid value', 'checkpoint-every', every, 'a non-negative integer');
  if (every === 0) {
    if (resume) throw new UsageError('--resume needs checkpoints', 'checkpoint-every', 0, undefined, 'Drop --checkpoint-every 0');
    return undefined;
  }
  return { dir: `${outDir}.checkpoint`, every, resume };
}

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'Train a deep method (or fit DeCovarT) on a labelled single-cell reference and save the model',
  details: [
    'The model directory holds manifest.json (config, genes, cell types, history, seed, checksums) and',
    'weights.bin; use it with: celldeconv deconvolve --model DIR --bulk BULK --out PROPS.csv',
    'Progress shows the loss terms and, per epoch, the validation rho and d (MixupVI/scVI).',
    'Examples:',
    '  celldeconv train mixupvi --reference pbmc3k --labels cell_type --out models/mixupvi --quick',
    '  celldeconv train mixupvi --reference ref.h5ad --labels cell_type --out m/ --latent 30 --epochs 100 --hvg 2500',
    '  celldeconv train scvi --reference ref.h5ad --labels cell_type --out m/ --set likelihood=nb',
    '  celldeconv train scaden --reference pbmc3k --labels cell_type --out models/scaden --quick',
    '  celldeconv train decovart --reference pbmc3k --labels cell_type --out models/decovart',
    '  celldeconv train scaden --set trainingData=paired --paired-bulk bulk.csv --paired-proportions props.csv \\',
    '      --n-aug 10 --aug-ratio 0.8 --out models/scaden-paired   (paired training: no --reference)',
    "Each method's own options are flags too: 'celldeconv train METHOD --help' lists them with defaults and quick values.",
    '  celldeconv train dgd --reference pbmc3k --labels cell_type --out models/dgd --epochs 100',
    '  celldeconv train dgd --reference cells.h5ad --labels cell_type --set supervised=false --components 12 --out m/',
    '  celldeconv train mrvi --reference sim/data.h5ad --sample-key sample [--batch-key site] --out models/mrvi',
    'MixupVI/scVI save a checkpoint every 5 epochs (--checkpoint-every) next to the model directory;',
    'after an interruption (Ctrl-C) the same command with --resume continues and gives the same model.',
  ].join('\n'),
  positionals: [{ name: 'method', description: "A trained method (see 'celldeconv methods')", required: true }],
  options: {
    ...REFERENCE_OPTIONS,
    ...LABELS_FILE_OPTION,
    out: { type: 'string', short: 'o', description: 'Model directory to write', valueName: 'MODEL_DIR' },
    layer: {
      type: 'string',
      description: 'Reference layer with raw counts (default: raw_counts when present, else X)',
      valueName: 'LAYER',
    },
    seed: { type: 'string', description: 'Seed of every random step', default: '0', valueName: 'N' },
    backend: { type: 'string', description: 'tfjs backend: auto, wasm, cpu or tensorflow (tfjs-node)', default: 'auto', valueName: 'NAME' },
    quick: { type: 'boolean', description: "Use the method's quick settings (demo-sized; see METHODS.md)" },
    'checkpoint-every': {
      type: 'string',
      description: 'Save a training checkpoint every N epochs into MODEL_DIR.checkpoint (MixupVI/scVI; 0 = off)',
      default: '5',
      valueName: 'N',
    },
    resume: { type: 'boolean', description: 'Continue an interrupted training from its last checkpoint (same flags and seed)' },
    set: {
      type: 'string',
      multiple: true,
      description: 'Any method option, e.g. --set mixupPenalty=kl (repeatable)',
      valueName: 'KEY=VALUE',
    },
    ...TRAIN_MRVI_OPTIONS,
  },
  dynamicOptions(argv) {
    const spec = methodOf(argv);
    if (!spec) return {};
    return Object.fromEntries(Object.entries(methodFlags(spec)).map(([flag, f]) => [flag, f.option]));
  },
  dynamicHelp(argv) {
    const spec = methodOf(argv);
    if (!spec) return "Run 'celldeconv train METHOD --help' for the method's own options.";
    return [
      `Options of ${spec.name} (each a flag, or --set KEY=VALUE; "quick" = the --quick value, demo-sized, see docs/METHODS.md):`,
      ...describeOptions(spec, true),
    ].join('\n');
  },
  async run(ctx) {
    const { args, out, signal } = ctx;
    const name = args.positionals[0];
    if (!name) throw new UsageError('missing the method to train', 'method', undefined, undefined, 'e.g. celldeconv train mixupvi ...');
    // MrVI is a generative model, not a deconvolution method: it has its own data contract
    if (name === 'mrvi') {
      const sets = (args.values.set as string[] | string | undefined) ?? [];
      const options = trainOptions(MRVI_TRAIN_INFO, args.values, Array.isArray(sets) ? sets : [sets], optBool(args, 'quick'));
      return runTrainMrvi(ctx, options);
    }
    const spec = getMethod(name);
    // Trained methods, and reference methods whose fit can be saved (DeCovarT's covariances).
    if (spec.kind === 'signature' || !spec.load) {
      throw new InputError(`method '${name}' is not a trained method`, {
        code: 'E_NOT_TRAINABLE',
        field: 'method',
        got: name,
        hint: "Signature methods need no training: use 'celldeconv deconvolve --method NAME' directly",
      });
    }
    // Options first: a bad or unknown one fails before the reference is read or a model is built.
    const sets = (args.values.set as string[] | string | undefined) ?? [];
    const options = trainOptions(spec, args.values, Array.isArray(sets) ? sets : [sets], optBool(args, 'quick'));
    // Paired training learns from measured bulks with known fractions: no single-cell reference.
    const paired = options.trainingData === 'paired';
    const { refName, labelsKey } =
      paired && optString(args, 'reference') === undefined
        ? { refName: undefined, labelsKey: optString(args, 'labels') }
        : referenceOptions(args);
    const outDir = resolve(reqString(args, 'out', 'Pass --out MODEL_DIR'));
    const seed = optNumber(args, 'seed', 0, { integer: true });
    const backend = optString(args, 'backend') ?? 'auto';
    let backendName: string | undefined;
    if (spec.kind === 'trained') {
      // TensorFlow.js loads here, only for the methods that need it.
      const { initBackend } = await import('../../nn/backend.js');
      const info = await initBackend(backend);
      backendName = info.name;
      out.info(`backend: ${info.name}${info.simd ? ' (SIMD)' : ''}`);
    }
    // The backend now active ('node' was asked as 'tensorflow'...): a name every method's schema accepts.
    if ('backend' in schemaOf(spec) && backend !== 'auto' && backendName !== undefined) options.backend = backendName;
    let ref = null;
    if (refName !== undefined) {
      out.info(`reading reference ${refName} ...`);
      ref = await loadReference(refName, signal, { labelsFile: optString(args, 'labels-file') });
      out.info(`training ${name} on ${ref.nObs} cells x ${ref.nVars} genes (labels '${labelsKey}', seed ${seed}) ...`);
    } else out.info(`training ${name} on paired bulk data (seed ${seed}) ...`);
    const t0 = Date.now();
    const checkpoint = checkpointOptions(spec, outDir, optNumber(args, 'checkpoint-every', 5, { integer: true }), optBool(args, 'resume'));
    if (checkpoint?.resume) out.info(`resuming from ${checkpoint.dir}`);
    const fitted = await spec.fit(ref, {
      labelsKey,
      layer: optString(args, 'layer'),
      seed,
      signal,
      onProgress: out.progress(),
      options,
      checkpoint,
    });
    const seconds = (Date.now() - t0) / 1000;
    if (!fitted.save) throw new InputError(`method '${name}' cannot save its fit`, { code: 'E_NO_SAVE', field: name });
    await fitted.save(outDir);
    // The model is complete: its checkpoints are no longer needed.
    if (checkpoint) rmSync(checkpoint.dir, { recursive: true, force: true });
    const manifest = fitted.toJSON() as Record<string, unknown>;
    const history = manifest.history as { epochs?: { val?: Record<string, number>; train?: Record<string, number> }[] } | undefined;
    const last = history?.epochs?.at(-1);
    const fmt = (r?: Record<string, number>) =>
      r
        ? Object.entries(r)
            .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toPrecision(4) : v}`)
            .join(', ')
        : '';
    out.print(`${name}: trained in ${seconds.toFixed(1)} s -> ${outDir}`);
    if (last?.val) out.print(`  validation: ${fmt(last.val)}`);
    else if (last?.train) out.print(`  training: ${fmt(last.train)}`);
    out.result({
      method: name,
      out: outDir,
      seconds,
      seed,
      backend: backendName,
      genes: fitted.genes.length,
      cellTypes: fitted.cellTypes,
      options,
      validation: last?.val,
      training: last?.train,
    });
  },
};
