/**
 * What a quick (demo-sized) run changes, in words: each method's `quickOptions` against its
 * published defaults, so that the demo, the benchmark table and the report say plainly that a deep
 * model scored with a few epochs is not the published model.
 */
import type { MethodSpec } from '../methods/types.js';

/** One option a quick run changes. */
export interface QuickChange {
  key: string;
  /** Value used in this run (quick value, or the user's override). */
  used: unknown;
  /** Published default. */
  published: unknown;
  /** What the option is, in words (when known). */
  meaning?: string;
}

/** A method's quick settings. */
export interface QuickSettings {
  method: string;
  kind: MethodSpec['kind'];
  changes: QuickChange[];
}

/** Words for the options quick settings change (keys shared by several methods). */
const MEANING: Record<string, string> = {
  epochs: 'training epochs',
  steps: 'training steps',
  nGenes: 'genes used',
  nHvg: 'highly variable genes',
  hidden: 'hidden units',
  batchSize: 'batch size',
  nSamples: 'simulated training pseudobulks',
  adaptiveSteps: 'adaptive-stage steps',
  nTrials: 'hyper-parameter trials',
  patience: 'early-stopping patience, epochs',
  glassoPathLength: 'graphical-lasso penalties tried',
  nCellsPerPseudobulk: 'cells per training pseudobulk',
  nEpochsKlWarmup: 'KL warm-up epochs',
  intervalSamples: 'posterior draws for intervals',
  minCellsPerType: 'minimum cells per type',
  signatureType: 'latent signature',
};

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The quick settings of `specs` as this run uses them: `quickOptions` merged with the user's
 * per-method overrides, compared with the published defaults. Methods without quick settings (or
 * whose quick settings equal the defaults) are left out.
 */
export function quickSettings(specs: readonly MethodSpec<any>[], overrides: Record<string, Record<string, unknown>> = {}): QuickSettings[] {
  const out: QuickSettings[] = [];
  for (const spec of specs) {
    const used: Record<string, unknown> = { ...(spec.quickOptions ?? {}), ...(overrides[spec.name] ?? {}) };
    const defaults = (spec.defaults ?? {}) as Record<string, unknown>;
    const changes: QuickChange[] = [];
    for (const key of Object.keys(spec.quickOptions ?? {})) {
      if (JSON.stringify(used[key]) === JSON.stringify(defaults[key])) continue;
      changes.push({ key, used: used[key], published: defaults[key], ...(MEANING[key] ? { meaning: MEANING[key] } : {}) });
    }
    if (changes.length > 0) out.push({ method: spec.name, kind: spec.kind, changes });
  }
  return out;
}

/** "epochs 25 (published 400; training epochs), nHvg 500 (published 2500; highly variable genes)". */
export function describeChanges(q: QuickSettings): string {
  return q.changes
    .map(
      (c) =>
        `${c.key} ${show(c.used)} (published ${c.published === undefined ? 'unset' : show(c.published)}${c.meaning ? `; ${c.meaning}` : ''})`,
    )
    .join(', ');
}

/** The sentence that says what quick settings mean for the scores. */
export function quickSettingsMeaning(q: readonly QuickSettings[]): string {
  const trained = q.filter((s) => s.kind === 'trained').map((s) => s.method);
  const parts = [
    'This run used QUICK, demo-sized settings: fewer training epochs/steps, fewer genes and smaller training sets than the published methods.',
  ];
  if (trained.length > 0) {
    parts.push(
      `The deep models (${trained.join(', ')}) are therefore under-trained here: their scores are lower bounds of what they reach with the published settings, not a fair comparison with the linear methods, which need no training.`,
    );
  }
  parts.push("Run with the published settings: 'celldeconv demo --full' (or 'celldeconv benchmark' without --quick).");
  return parts.join(' ');
}

/** Lines for the CLI: the meaning, then one line per method. */
export function quickSettingsLines(q: readonly QuickSettings[]): string[] {
  if (q.length === 0) return [];
  return [quickSettingsMeaning(q), ...q.map((s) => `  ${s.method}: ${describeChanges(s)}`)];
}
