/**
 * tfjs glue for model directories (`io/model-dir.ts`): named tfjs variables to float32 arrays and
 * back. Shared by MixupVI, scVI, Scaden, TAPE and SimpleDNN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FormatError } from '../core/errors.js';
import type { WeightArray } from '../io/model-dir.js';

export {
  libraryVersions,
  loadModelDir,
  MANIFEST_FILE,
  MODEL_FORMAT_VERSION,
  type ModelManifest,
  type ModelManifestInput,
  saveModelDir,
  WEIGHTS_FILE,
  type WeightArray,
  type WeightEntry,
} from '../io/model-dir.js';

/**
 * Reads named tfjs variables into float32 arrays (for {@link saveModelDir}).
 *
 * @param params - `[name, variable]` pairs, e.g. from `Dense.params()`.
 */
export function variablesToWeights(params: readonly [string, tf.Variable | tf.Tensor][]): Map<string, WeightArray<Float32Array>> {
  const out = new Map<string, WeightArray<Float32Array>>();
  for (const [name, v] of params) out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/**
 * Assigns loaded weights to named variables, checking names and shapes.
 *
 * @throws {@link FormatError} `E_MODEL_WEIGHTS` when a parameter is missing or has another shape.
 */
export function assignWeights(params: readonly [string, tf.Variable][], weights: Map<string, WeightArray>, file?: string): void {
  for (const [name, v] of params) {
    const w = weights.get(name);
    if (!w) {
      throw new FormatError(`model weights lack parameter '${name}'`, {
        code: 'E_MODEL_WEIGHTS',
        file,
        hint: 'The model files do not match this method version',
      });
    }
    if (w.shape.length !== v.shape.length || w.shape.some((s, i) => s !== v.shape[i])) {
      throw new FormatError(`parameter '${name}' has shape [${w.shape.join(', ')}]`, {
        code: 'E_MODEL_WEIGHTS',
        file,
        got: w.shape,
        expected: v.shape,
      });
    }
    const t = tf.tensor(w.data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}
