/**
 * Model directories: how fitted models are saved and loaded (the deep models, DeCovarT).
 *
 * A model is a directory with two files:
 * - `manifest.json`: method, format version, config, genes (in order), cell types, anything else the
 *   method needs (e.g. the latent signature), training history, seed, library versions, and the
 *   index of the weights (name, shape, offset in elements) with the SHA-256 of `weights.bin`;
 * - `weights.bin`: all arrays as little-endian float32 (network weights) or float64 (statistical
 *   parameters that must round-trip exactly, e.g. covariance matrices), concatenated in index order.
 *
 * Loading reads data only (JSON and floats; no code is evaluated) and verifies the checksum.
 * Writing is atomic per file (temp file + rename), weights first and the manifest last, so a
 * directory with a manifest always has the weights the manifest describes.
 *
 * @example
 * ```ts
 * await saveModelDir('model/', { method: 'mixupvi', genes, cellTypes, config }, weights);
 * const { manifest, weights } = await loadModelDir('model/');
 * ```
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FormatError, InputError, NotFittedError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

/** Version of the on-disk format written by {@link saveModelDir}. */
export const MODEL_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
/** Largest weights.bin {@link loadModelDir} reads: one Node buffer (2 GiB - 1 byte). */
export const MAX_WEIGHTS_BYTES = 2 ** 31 - 1;

/** One named parameter array (float32 or float64, as the model directory stores it). */
export interface WeightArray<T extends Float32Array | Float64Array = Float32Array | Float64Array> {
  /** Shape, e.g. `[2500, 512]` (row-major). */
  shape: number[];
  data: T;
}

/** Element type of weights.bin. */
export type WeightDtype = 'float32' | 'float64';

/** Entry of the weights index in the manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  /** Offset in elements from the start of weights.bin. */
  offset: number;
  /** Number of elements. */
  length: number;
}

/** What a method puts in its manifest (anything JSON beyond these fields is kept as is). */
export interface ModelManifestInput {
  method: string;
  genes: readonly string[];
  cellTypes: readonly string[];
  config?: Record<string, unknown>;
  history?: unknown;
  seed?: number;
  [k: string]: unknown;
}

/** The manifest as written/read. */
export interface ModelManifest extends ModelManifestInput {
  format: 'celldeconv-model';
  version: number;
  createdAt: string;
  libraries: Record<string, string>;
  weights: { file: string; dtype: WeightDtype; byteOrder: 'little'; sha256: string; bytes: number; index: WeightEntry[] };
}

const require = createRequire(import.meta.url);
function pkgVersion(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Versions of the libraries that produced a model (recorded for provenance). */
export function libraryVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node };
  for (const n of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu']) {
    const v = pkgVersion(n);
    if (v) out[n] = v;
  }
  try {
    const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (own.version) out.celldeconv = own.version;
  } catch {
    // not fatal: running from an unusual layout
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * Writes a model directory (created if missing; its parent must exist).
 *
 * @param dir - Output directory.
 * @param manifest - Method, genes, cell types, config, history, seed and method-specific JSON.
 * @param weights - Named arrays; written in insertion order.
 * @param dtype - Element type on disk (default float32; float64 keeps float64 arrays exact).
 * @returns The manifest as written.
 * @throws {@link InputError} `E_WEIGHT_SHAPE` when a shape does not match its data, `E_WRITE` when
 *   the files cannot be written.
 */
export async function saveModelDir(
  dir: string,
  manifest: ModelManifestInput,
  weights: Map<string, WeightArray> | Record<string, WeightArray>,
  dtype: WeightDtype = 'float32',
): Promise<ModelManifest> {
  if (!isLittleEndian()) throw new InputError('big-endian hosts are not supported for model files', { code: 'E_ENDIAN' });
  const entries = weights instanceof Map ? [...weights.entries()] : Object.entries(weights);
  let total = 0;
  const index: WeightEntry[] = [];
  for (const [name, w] of entries) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (n !== w.data.length) {
      throw new InputError(`weight '${name}' has ${w.data.length} values for shape [${w.shape.join(', ')}]`, {
        code: 'E_WEIGHT_SHAPE',
        field: name,
        got: w.data.length,
        expected: n,
      });
    }
    index.push({ name, shape: [...w.shape], offset: total, length: n });
    total += n;
  }
  if (total * (dtype === 'float64' ? 8 : 4) > MAX_WEIGHTS_BYTES) {
    throw new InputError(
      `model weights need ${((total * (dtype === 'float64' ? 8 : 4)) / 2 ** 30).toFixed(1)} GiB, above the 2 GiB limit`,
      {
        code: 'E_MODEL_TOO_LARGE',
        file: dir,
        got: total,
        expected: `<= ${MAX_WEIGHTS_BYTES} bytes of weights`,
        hint: 'Use fewer genes or smaller layers',
      },
    );
  }
  const buf = dtype === 'float64' ? new Float64Array(total) : new Float32Array(total);
  for (let i = 0; i < entries.length; i++) buf.set((entries[i] as [string, WeightArray])[1].data, (index[i] as WeightEntry).offset);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const full: ModelManifest = {
    format: 'celldeconv-model',
    version: MODEL_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    libraries: libraryVersions(),
    ...manifest,
    weights: { file: WEIGHTS_FILE, dtype, byteOrder: 'little', sha256: sha256(bytes), bytes: bytes.length, index },
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the model directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
      code: 'E_NOT_WRITABLE',
      file: dir,
      hint: 'Choose a --out directory in a writable location',
      cause: e,
    });
  }
  writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/**
 * Reads and verifies a model directory.
 *
 * @param dir - Directory written by {@link saveModelDir}.
 * @param expectMethod - When given, the manifest's method must match (one name or a list).
 * @returns The manifest and the weights by name (each a view of one shared buffer, of the stored dtype).
 * @throws {@link NotFittedError} `E_MODEL_MISSING` when the directory or a file is missing;
 *   {@link FormatError} `E_MODEL_MANIFEST` for an unreadable/invalid manifest, `E_MODEL_CHECKSUM`
 *   when weights.bin does not match its SHA-256, `E_MODEL_WEIGHTS` for a size/index mismatch,
 *   `E_MODEL_TOO_LARGE` above {@link MAX_WEIGHTS_BYTES};
 *   {@link InputError} `E_MODEL_METHOD` for a model of another method.
 */
export async function loadModelDir(
  dir: string,
  expectMethod?: string | readonly string[],
): Promise<{ manifest: ModelManifest; weights: Map<string, WeightArray> }> {
  const mPath = join(dir, MANIFEST_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NotFittedError('model directory not found', {
      code: 'E_MODEL_MISSING',
      file: dir,
      hint: "Train a model first with 'celldeconv train <method> --out DIR'",
    });
  }
  if (!existsSync(mPath)) {
    throw new NotFittedError(`no ${MANIFEST_FILE} in the model directory`, {
      code: 'E_MODEL_MISSING',
      file: dir,
      hint: 'The directory is not a celldeconv model, or saving was interrupted; train again',
    });
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(readFileSync(mPath, 'utf8')) as ModelManifest;
  } catch (e) {
    throw new FormatError('model manifest is not valid JSON', { code: 'E_MODEL_MANIFEST', file: mPath, cause: e });
  }
  const bad = (what: string, got?: unknown, expected?: unknown) =>
    new FormatError(what, { code: 'E_MODEL_MANIFEST', file: mPath, got, expected, hint: 'The model files are corrupt; train again' });
  if (manifest?.format !== 'celldeconv-model') throw bad('not a celldeconv model manifest', manifest?.format, 'celldeconv-model');
  if (typeof manifest.version !== 'number' || manifest.version > MODEL_FORMAT_VERSION) {
    throw new FormatError('model was written by a newer celldeconv', {
      code: 'E_MODEL_VERSION',
      file: mPath,
      got: manifest.version,
      expected: `<= ${MODEL_FORMAT_VERSION}`,
      hint: 'Upgrade celldeconv',
    });
  }
  if (!Array.isArray(manifest.genes) || !Array.isArray(manifest.cellTypes)) throw bad('manifest lacks genes or cellTypes');
  if (!Array.isArray(manifest.genes) || !manifest.genes.every((g) => typeof g === 'string')) throw bad('genes must be strings');
  if (!Array.isArray(manifest.cellTypes) || !manifest.cellTypes.every((g) => typeof g === 'string')) throw bad('cellTypes must be strings');
  const wi = manifest.weights;
  if (!wi || !Array.isArray(wi.index) || typeof wi.sha256 !== 'string') throw bad('manifest lacks the weights index');
  if (expectMethod !== undefined) {
    const ok = typeof expectMethod === 'string' ? [expectMethod] : expectMethod;
    if (!ok.includes(manifest.method)) {
      throw new InputError(`model was trained with method '${manifest.method}'`, {
        code: 'E_MODEL_METHOD',
        file: dir,
        got: manifest.method,
        expected: ok.join(' or '),
        hint: `Use the '${manifest.method}' method with this model`,
      });
    }
  }
  if (!existsSync(wPath)) {
    throw new NotFittedError(`no ${WEIGHTS_FILE} in the model directory`, {
      code: 'E_MODEL_MISSING',
      file: dir,
      hint: 'The weights file was removed or saving was interrupted; train again',
    });
  }
  const width = wi.dtype === 'float64' ? 8 : 4;
  if (wi.dtype !== 'float32' && wi.dtype !== 'float64') throw bad('unknown weights dtype', wi.dtype, 'float32 or float64');
  // Sizes are checked before reading, so a huge or damaged file fails at once with a typed error.
  const size = statSync(wPath).size;
  if (size !== wi.bytes || size % width !== 0) {
    throw new FormatError('weights file has the wrong size', {
      code: 'E_MODEL_WEIGHTS',
      file: wPath,
      got: size,
      expected: wi.bytes,
      hint: 'The model files are corrupt or truncated; train again',
    });
  }
  if (size > MAX_WEIGHTS_BYTES) {
    throw new FormatError(`weights file is ${(size / 2 ** 30).toFixed(1)} GiB, above the 2 GiB limit`, {
      code: 'E_MODEL_TOO_LARGE',
      file: wPath,
      got: size,
      expected: `<= ${MAX_WEIGHTS_BYTES} bytes`,
      hint: 'Node reads at most 2 GiB into one buffer; train a smaller model (fewer genes or hidden units)',
    });
  }
  const raw = readFileSync(wPath);
  const digest = sha256(raw);
  if (digest !== wi.sha256) {
    throw new FormatError('weights checksum mismatch', {
      code: 'E_MODEL_CHECKSUM',
      file: wPath,
      got: digest.slice(0, 16),
      expected: wi.sha256.slice(0, 16),
      hint: 'The weights file is corrupt or belongs to another model; train again',
    });
  }
  // Copy into an aligned buffer (Buffer slices may be unaligned for typed arrays).
  const all = width === 8 ? new Float64Array(raw.length / 8) : new Float32Array(raw.length / 4);
  new Uint8Array(all.buffer).set(raw);
  const weights = new Map<string, WeightArray>();
  wi.index.forEach((e: WeightEntry, i: number) => {
    const isEntry = e !== null && typeof e === 'object';
    const shape: unknown = isEntry ? e.shape : undefined;
    const n = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? shape.reduce((a, b) => a * b, 1) : -1;
    if (
      !isEntry ||
      typeof e.name !== 'string' ||
      n !== e.length ||
      !Number.isSafeInteger(e.offset) ||
      e.offset < 0 ||
      e.offset + e.length > all.length
    ) {
      throw new FormatError(`weights index entry #${i}${isEntry && typeof e.name === 'string' ? ` ('${e.name}')` : ''} is inconsistent`, {
        code: 'E_MODEL_WEIGHTS',
        file: mPath,
        got: e === undefined ? 'nothing' : e,
        expected: '{name, shape, offset, length} with length = product of shape, inside weights.bin',
        hint: 'The model files are corrupt; train again',
      });
    }
    weights.set(e.name, { shape: e.shape, data: all.subarray(e.offset, e.offset + e.length) });
  });
  return { manifest, weights };
}
