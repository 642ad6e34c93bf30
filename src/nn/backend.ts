/**
 * The one place that chooses the TensorFlow.js backend for deep models.
 *
 * Order for `'auto'`: `@tensorflow/tfjs-node` when it is installed (optional, loaded with a dynamic
 * import and never required, because its native install fails on many machines: tfjs #2390, #8736),
 * else `@tensorflow/tfjs-backend-wasm` (the default: installs from npm alone, SIMD kernels), else the
 * plain JavaScript `cpu` backend. The user overrides the choice with `--backend` / `{backend}` or the
 * `CELLDECONV_BACKEND` environment variable.
 *
 * The wasm binaries are loaded from `node_modules` through `setWasmPaths` with a file-system path,
 * so nothing is fetched over the network.
 *
 * @example
 * ```ts
 * const info = await initBackend(); // { name: 'wasm', ... }
 * ```
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../core/errors.js';

/** Backend names a user may ask for. `'tensorflow'` is tfjs-node's backend. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** Backends this module knows, in the order `'auto'` tries them. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** What {@link initBackend} set up. */
export interface BackendInfo {
  /** The active tfjs backend name (`tensorflow`, `wasm` or `cpu`). */
  name: string;
  /** What was asked for. */
  requested: BackendChoice;
  /** For wasm: whether SIMD kernels are in use. */
  simd?: boolean;
  /** Backends that were tried and failed, with the reason (for diagnostics). */
  skipped: { name: string; reason: string }[];
  /** Version of tfjs-core. */
  tfjsVersion: string;
}

let current: BackendInfo | undefined;
let wasmPathsSet = false;
const require = createRequire(import.meta.url);

function wasmDir(): string {
  // The package's main entry is dist/tf-backend-wasm.node.js; the .wasm files sit next to it.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep;
}

async function tryWasm(): Promise<{ ok: boolean; reason?: string }> {
  try {
    if (!wasmPathsSet) {
      setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
    const ok = await tf.setBackend('wasm');
    return ok ? { ok } : { ok, reason: 'tf.setBackend("wasm") returned false' };
  } catch (e) {
    return { ok: false, reason: (e as Error)?.message ?? String(e) };
  }
}

async function tryTfjsNode(): Promise<{ ok: boolean; reason?: string }> {
  try {
    // A computed specifier keeps bundlers and tsc from requiring the optional package.
    const spec = ['@tensorflow', 'tfjs-node'].join('/');
    await import(spec);
    const ok = tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
    return ok ? { ok } : { ok: false, reason: 'tfjs-node loaded but did not register a "tensorflow" backend for this tfjs-core' };
  } catch (e) {
    return { ok: false, reason: `not installed or failed to load (${(e as Error)?.message?.split('\n')[0] ?? String(e)})` };
  }
}

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ... install our
 * node backend" on its first tensor. The backend here is chosen on purpose (tfjs-node is optional,
 * see above) and `info.name` reports it, so the banner is noise in every log and test run: mark the
 * backend as already used. Only this one-time notice is affected; tfjs warnings stay on.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

function normalise(choice: string | undefined): BackendChoice {
  const c = (choice ?? 'auto').toLowerCase();
  if (c === 'node' || c === 'tfjs-node') return 'tensorflow';
  if ((BACKEND_CHOICES as readonly string[]).includes(c)) return c as BackendChoice;
  throw new BackendError(`unknown backend '${choice}'`, {
    code: 'E_BACKEND_NAME',
    field: 'backend',
    got: choice,
    expected: `one of ${BACKEND_CHOICES.join(', ')}`,
    hint: 'Use --backend wasm (default) or --backend cpu',
  });
}

/**
 * Selects and initialises the tfjs backend. Idempotent: a second call with the same request returns
 * the cached result; a different request switches backend.
 *
 * @param choice - `'auto'` (default; honours `CELLDECONV_BACKEND`), `'tensorflow'`, `'wasm'` or `'cpu'`.
 * @returns What is active now.
 * @throws {@link BackendError} `E_BACKEND_NAME` for an unknown name; `E_BACKEND_UNAVAILABLE` when an
 *   explicitly requested backend cannot be started.
 * @example
 * ```ts
 * await initBackend('cpu');
 * ```
 */
export async function initBackend(choice?: BackendChoice | string): Promise<BackendInfo> {
  const requested = normalise(choice ?? (process.env.CELLDECONV_BACKEND || 'auto'));
  if (current && current.requested === requested && tf.getBackend() === current.name) return current;
  const skipped: { name: string; reason: string }[] = [];
  const attempts: Record<Exclude<BackendChoice, 'auto'>, () => Promise<{ ok: boolean; reason?: string }>> = {
    tensorflow: tryTfjsNode,
    wasm: tryWasm,
    cpu: async () => {
      const ok = await tf.setBackend('cpu');
      if (ok) silenceCpuBanner();
      return { ok };
    },
  };
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    const r = await attempts[name]();
    if (r.ok) {
      await tf.ready();
      current = {
        name: tf.getBackend(),
        requested,
        simd: name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined,
        skipped,
        tfjsVersion: tf.version_core,
      };
      return current;
    }
    skipped.push({ name, reason: r.reason ?? 'failed' });
  }
  throw new BackendError(`backend '${requested}' is not available`, {
    code: 'E_BACKEND_UNAVAILABLE',
    field: 'backend',
    got: skipped.map((s) => `${s.name}: ${s.reason}`).join('; '),
    hint:
      requested === 'tensorflow'
        ? 'Install @tensorflow/tfjs-node (optional) or use --backend wasm'
        : 'Reinstall @tensorflow/tfjs-backend-wasm or use --backend cpu',
  });
}

/** The backend set up by the last {@link initBackend}, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/**
 * Backends that can be started on this installation (used by tests to run on every backend).
 * Leaves the previously active backend selected.
 */
export async function availableBackends(): Promise<string[]> {
  const before = current?.requested;
  const out: string[] = [];
  for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
    if (name === 'tensorflow' && tf.findBackend('tensorflow') === null) {
      const r = await tryTfjsNode();
      if (!r.ok) continue;
    }
    if (name === 'wasm' && !(await tryWasm()).ok) continue;
    out.push(name);
  }
  if (before) await initBackend(before);
  else current = undefined;
  return out;
}

/** Path of the wasm binaries in node_modules (for diagnostics). */
export function wasmBinaryDir(): string {
  return join(wasmDir());
}

export { tf };
