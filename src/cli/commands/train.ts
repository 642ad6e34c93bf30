/**
 * `celldeconv train <method>`: train any registered trained method (MixupVI, scVI, Scaden, TAPE,
 * SimpleDNN...) on a labelled single-cell reference and save it to a model directory.
 *
 * Generic on purpose: it calls `getMethod(name).fit(ref, {labelsKey, seed, options})` then
 * `fitted.save(dir)`. Common flags map onto the method's own option names when the method has them
 * (e.g. --hvg -> `nHvg` for MixupVI, `nGenes` for Scaden); anything else goes through `--set KEY=VALUE`.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.js';
import '../../methods/all-methods.js';
import { getMethod } from '../../methods/registry.js';
import type { MethodSpec } from '../../methods/types.js';
import { initBackend } from '../../nn/backend.js';
import { optBool, optNumber, optString, parseSetValue, reqString, UsageError } from '../args.js';
import type { CommandSpec } from '../command.js';
import { loadReference, REFERENCE_OPTIONS, referenceOptions } from '../reference.js';
import { runTrainMrvi, TRAIN_MRVI_OPTIONS } from './mrvi.js';

/** CLI flag -> candidate option names, first one the method defines wins. */
const FLAG_OPTIONS: Record<string, { keys: string[]; integer: boolean }> = {
  epochs: { keys: ['epochs'], integer: true },
  'batch-size': { keys: ['batchSize'], integer: true },
  latent: { keys: ['latent', 'latentDim', 'nLatent'], integer: true },
  hvg: { keys: ['nHvg', 'nGenes', 'nTopGenes'], integer: true },
};

/**
 * Builds the method options from the flags.
 *
 * @throws {@link UsageError} for a flag the method has no option for, or a malformed --set.
 */
export function trainOptions(
  spec: MethodSpec<any>,
  values: Record<string, unknown>,
  sets: string[],
  quick: boolean,
): Record<string, unknown> {
  const defaults = (spec.defaults ?? {}) as Record<string, unknown>;
  const options: Record<string, unknown> = quick ? { ...(spec.quickOptions ?? {}) } : {};
  for (const [flag, { keys, integer }] of Object.entries(FLAG_OPTIONS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const v = Number(raw);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < 0) {
      throw new UsageError('invalid value', flag, raw, integer ? 'a non-negative integer' : 'a number');
    }
    const key = keys.find((k) => k in defaults);
    if (!key) {
      throw new UsageError(
        `method '${spec.name}' has no option for --${flag}`,
        flag,
        raw,
        undefined,
        `Its options are: ${Object.keys(defaults).join(', ')}; pass them with --set KEY=VALUE`,
      );
    }
    options[key] = v;
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError('expected KEY=VALUE', 'set', s, 'e.g. --set mixupPenalty=kl');
    options[s.slice(0, eq)] = parseSetValue(s.slice(eq + 1));
  }
  return options;
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
    '  celldeconv train mrvi --reference sim/data.h5ad --sample-key sample [--batch-key site] --out models/mrvi',
    'MixupVI/scVI save a checkpoint every 5 epochs (--checkpoint-every) next to the model directory;',
    'after an interruption (Ctrl-C) the same command with --resume continues and gives the same model.',
  ].join('\n'),
  positionals: [{ name: 'method', description: "A trained method (see 'celldeconv methods')", required: true }],
  options: {
    ...REFERENCE_OPTIONS,
    out: { type: 'string', short: 'o', description: 'Model directory to write', valueName: 'MODEL_DIR' },
    layer: {
      type: 'string',
      description: 'Reference layer with raw counts (default: raw_counts when present, else X)',
      valueName: 'LAYER',
    },
    epochs: { type: 'string', description: 'Training epochs (method default when omitted)', valueName: 'N' },
    'batch-size': { type: 'string', description: 'Minibatch size', valueName: 'N' },
    latent: { type: 'string', description: 'Latent dimension (MixupVI/scVI; must exceed the number of cell types)', valueName: 'D' },
    hvg: { type: 'string', description: 'Number of highly variable input genes (0 = all)', valueName: 'N' },
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
  async run(ctx) {
    const { args, out, signal } = ctx;
    const name = args.positionals[0];
    if (!name) throw new UsageError('missing the method to train', 'method', undefined, undefined, 'e.g. celldeconv train mixupvi ...');
    // MrVI is a generative model, not a deconvolution method: it has its own data contract
    if (name === 'mrvi') {
      const sets = (args.values.set as string[] | string | undefined) ?? [];
      const options: Record<string, unknown> = {};
      for (const s of Array.isArray(sets) ? sets : [sets]) {
        const eq = s.indexOf('=');
        if (eq <= 0) throw new UsageError('expected KEY=VALUE', 'set', s, 'e.g. --set latent=10');
        options[s.slice(0, eq)] = parseSetValue(s.slice(eq + 1));
      }
      for (const [flag, key] of [
        ['epochs', 'epochs'],
        ['batch-size', 'batchSize'],
        ['latent', 'latent'],
        ['hvg', 'nHvg'],
      ] as const) {
        if (args.values[flag] !== undefined) options[key] = optNumber(args, flag, 0, { integer: true, min: 0 });
      }
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
    const { refName, labelsKey } = referenceOptions(args);
    const outDir = resolve(reqString(args, 'out', 'Pass --out MODEL_DIR'));
    const seed = optNumber(args, 'seed', 0, { integer: true });
    const sets = (args.values.set as string[] | string | undefined) ?? [];
    const options = trainOptions(spec, args.values, Array.isArray(sets) ? sets : [sets], optBool(args, 'quick'));
    const backend = optString(args, 'backend') ?? 'auto';
    const info = await initBackend(backend);
    if ('backend' in (spec.defaults as object) && backend !== 'auto') options.backend = backend;
    out.info(`backend: ${info.name}${info.simd ? ' (SIMD)' : ''}`);
    out.info(`reading reference ${refName} ...`);
    const ref = await loadReference(refName, signal);
    out.info(`training ${name} on ${ref.nObs} cells x ${ref.nVars} genes (labels '${labelsKey}', seed ${seed}) ...`);
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
      backend: info.name,
      genes: fitted.genes.length,
      cellTypes: fitted.cellTypes,
      options,
      validation: last?.val,
      training: last?.train,
    });
  },
};
