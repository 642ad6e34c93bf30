/**
 * Method-spec, fit, save and load plumbing shared by the trained baselines (Scaden, TAPE,
 * SimpleDNN): option resolution, the tfjs backend, the training set from `FitOptions`, the manifest
 * (`toJSON`) and the model directory of a single tfjs module, and the registry entry. What differs
 * between the baselines (the networks, their training and prediction) stays in each method.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { LAYERS } from '../../../core/keys.js';
import type { Dataset } from '../../../data/dataset.js';
import { backendInfo, initBackend } from '../../../nn/backend.js';
import { checkOptions, type OptionSchema } from '../../option-schema.js';
import type { FitOptions, Fitted, FittedManifest, MethodSpec } from '../../types.js';
import { assignWeights, loadModelDir, type ModelManifest, saveModelDir, variablesToWeights } from '../model-io.js';
import { buildTrainingSet, numOption, type RawTrainingSet, type TrainingDataOptions } from './pipeline.js';

/** Makes sure a tfjs backend is active (the requested one, or the default when none is set up). */
export async function ensureBackend(backend?: string): Promise<string> {
  if (backend) return (await initBackend(backend)).name;
  return (backendInfo() ?? (await initBackend())).name;
}

/** A shallow copy of `o` without its `undefined` entries (so that they do not mask defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * The method's defaults overridden by the caller's options, with the `numeric` options parsed as
 * numbers (the CLI passes strings, e.g. `--set steps=5000`), in the order given.
 *
 * @throws InputError `E_OPTION` for a numeric option that is not a number.
 */
export function resolveBaselineOptions<O extends object>(defaults: O, options: Partial<O> | undefined, numeric: readonly (keyof O)[]): O {
  const o = { ...defaults, ...stripUndefined(options ?? {}) } as O;
  const rec = o as unknown as Record<string, unknown>;
  for (const k of numeric) rec[k as string] = numOption(rec[k as string], k as string, defaults[k] as number);
  return o;
}

/**
 * The raw training pairs of a baseline fit (see `buildTrainingSet`), from its resolved options and
 * the `FitOptions` (labels, layer, progress, abort signal).
 *
 * @param ref labelled cells x genes reference, or null with paired training data.
 * @throws InputError see `buildTrainingSet`.
 */
export function baselineTrainingSet(
  ref: Dataset | null,
  o: TrainingDataOptions,
  opts: FitOptions<unknown>,
  seed: number,
): Promise<RawTrainingSet> {
  return buildTrainingSet(ref, {
    ...o,
    labelsKey: opts.labelsKey,
    layer: opts.layer,
    seed,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
}

/**
 * The manifest of a fitted baseline (`Fitted.toJSON`): the config without the in-memory paired data,
 * then `extra` fields (e.g. SimpleDNN's chosen configuration), the seed and the history.
 */
export function baselineManifest(
  f: Pick<Fitted, 'method' | 'genes' | 'cellTypes'> & { seed: number; history: Record<string, unknown> },
  config: object,
  extra: Record<string, unknown> = {},
): FittedManifest {
  const { paired: _p, ...rest } = config as Record<string, unknown>;
  return { method: f.method, version: 1, genes: f.genes, cellTypes: f.cellTypes, config: rest, ...extra, seed: f.seed, history: f.history };
}

/** A tfjs module with named variables (what a single-network baseline saves). */
export interface ParamModule {
  params(): [string, tf.Variable][];
  dispose(): void;
}

/** Writes a fitted single-network baseline: manifest.json (its `toJSON`) + weights.bin (model-io). */
export async function saveSingleModel(dir: string, fitted: Fitted, model: ParamModule): Promise<void> {
  await saveModelDir(dir, { ...fitted.toJSON() }, variablesToWeights(model.params()));
}

/**
 * Loads a saved single-network baseline (JSON manifest + float32 weights; no code is evaluated):
 * `build` makes the module from the manifest, then its weights are assigned (the module is disposed
 * if they do not fit).
 *
 * @throws NotFittedError / FormatError from model-io for a missing, corrupt or mismatched model.
 */
export async function loadSingleModel<M extends ParamModule>(
  dir: string,
  method: string,
  build: (manifest: ModelManifest) => M,
): Promise<{ manifest: ModelManifest; model: M; seed: number; history: Record<string, unknown> }> {
  const { manifest, weights } = await loadModelDir(dir, method);
  await ensureBackend();
  const model = build(manifest);
  try {
    assignWeights(model.params(), weights, dir);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { manifest, model, seed: manifest.seed ?? 0, history: (manifest.history ?? {}) as Record<string, unknown> };
}

/** The registry entry of a trained baseline (kind 'trained', bulk layer `counts_sum`). */
export function baselineSpec<O>(
  spec: Pick<MethodSpec<O>, 'name' | 'description' | 'reference' | 'defaults' | 'quickOptions' | 'fit' | 'load'> & {
    options: OptionSchema<O>;
  },
): MethodSpec<O> {
  return {
    name: spec.name,
    kind: 'trained',
    description: spec.description,
    reference: spec.reference,
    defaults: spec.defaults,
    quickOptions: spec.quickOptions,
    options: spec.options,
    bulkLayer: LAYERS.countsSum,
    // Options are checked against the schema before any work (unknown key or bad value: E_OPTION).
    fit: async (ref, opts) => spec.fit(ref, { ...opts, options: checkOptions(spec.name, spec.options, opts.options) as Partial<O> }),
    load: spec.load,
  };
}
