/**
 * Saving and loading a fitted DeCovarT model: a model directory (`io/model-dir.ts`) whose manifest
 * holds the genes, cell types, options, per-type covariance summaries and fit warnings, and whose
 * weights file holds μ (types x genes) and one Σ_j (genes x genes) per type in float64, so that a
 * loaded model gives exactly the proportions the original gave.
 */
import type { DiagnosticWarning } from '../../core/diagnostics.js';
import { FormatError } from '../../core/errors.js';
import { loadModelDir, saveModelDir } from '../../io/model-dir.js';
import type { DecovartOptions, TypeCovarianceInfo } from './config.js';

/** What a saved DeCovarT model holds. */
export interface DecovartModelData {
  genes: readonly string[];
  cellTypes: readonly string[];
  /** types x genes. */
  mu: Float64Array;
  /** genes x genes per type. */
  sigmas: readonly Float64Array[];
  options: DecovartOptions;
  covarianceInfo: readonly TypeCovarianceInfo[];
  fitWarnings: readonly DiagnosticWarning[];
  seed?: number;
}

/** Writes a DeCovarT model directory (atomic per file; the manifest last). */
export async function saveDecovartModel(dir: string, m: DecovartModelData): Promise<void> {
  const G = m.genes.length;
  const weights = new Map<string, { shape: number[]; data: Float64Array }>();
  weights.set('mu', { shape: [m.cellTypes.length, G], data: m.mu });
  for (const [j, s] of m.sigmas.entries()) weights.set(`sigma.${j}`, { shape: [G, G], data: s });
  await saveModelDir(
    dir,
    {
      method: 'decovart',
      kind: 'reference',
      genes: m.genes,
      cellTypes: m.cellTypes,
      config: { ...m.options },
      covariance: m.covarianceInfo.map((x) => ({ ...x })),
      fitWarnings: m.fitWarnings.map((w) => ({ ...w })),
      ...(m.seed === undefined ? {} : { seed: m.seed }),
    },
    weights,
    'float64',
  );
}

/**
 * Reads a DeCovarT model directory.
 *
 * @throws the errors of `loadModelDir` (missing files, checksum, another method's model), and
 *   FormatError `E_MODEL_WEIGHTS` when μ or a Σ_j is missing or has the wrong shape.
 */
export async function loadDecovartModel(dir: string): Promise<DecovartModelData> {
  const { manifest, weights } = await loadModelDir(dir, 'decovart');
  const G = manifest.genes.length;
  const J = manifest.cellTypes.length;
  const get = (name: string, shape: number[]): Float64Array => {
    const w = weights.get(name);
    if (!w || !(w.data instanceof Float64Array) || w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
      throw new FormatError(`decovart model: '${name}' is missing or not a float64 array of shape [${shape.join(', ')}]`, {
        code: 'E_MODEL_WEIGHTS',
        file: dir,
        got: w ? w.shape : 'missing',
        expected: shape,
        hint: 'The model files are corrupt or were not written by celldeconv; fit the model again',
      });
    }
    return Float64Array.from(w.data);
  };
  const mu = get('mu', [J, G]);
  const sigmas = Array.from({ length: J }, (_, j) => get(`sigma.${j}`, [G, G]));
  return {
    genes: manifest.genes,
    cellTypes: manifest.cellTypes,
    mu,
    sigmas,
    options: manifest.config as unknown as DecovartOptions,
    covarianceInfo: (manifest.covariance ?? []) as TypeCovarianceInfo[],
    fitWarnings: (manifest.fitWarnings ?? []) as DiagnosticWarning[],
    ...(typeof manifest.seed === 'number' ? { seed: manifest.seed } : {}),
  };
}
