/**
 * Training checkpoints: everything needed to continue an interrupted run and end with the same
 * weights as an uninterrupted one — the network's weights, the training loop's state (epoch, history,
 * early-stopping counters, Adam moments) and the state of every random stream the steps draw from.
 *
 * Layout in `dir`: `checkpoint.json` (state + a table of the tensors) and `checkpoint-<epoch>.bin`
 * (float32 values, little-endian). Both are written atomically, the binary first, so a crash between
 * the two leaves the previous pair valid; the older binary is removed afterwards.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { AdamState } from '../../nn/adam.js';
import type { RowAdamState } from '../../nn/modules/embedding-table.js';
import type { LoopState } from '../../nn/training.js';

/** Where and how often to checkpoint; `resume` continues from the checkpoint in `dir`. */
export interface CheckpointOptions {
  dir: string;
  /** Save after every `every`-th epoch (default 1). */
  every: number;
  resume?: boolean;
}

/** Identifies a run: a checkpoint only resumes the same model, seed, options and data shape. */
export type RunKey = Record<string, unknown>;

const JSON_NAME = 'checkpoint.json';
const VERSION = 1;

interface TensorEntry {
  name: string;
  offset: number;
  length: number;
}

/** Writes a checkpoint (weights + loop state + RNG streams). */
export function writeCheckpoint(
  dir: string,
  runKey: RunKey,
  state: LoopState,
  params: [string, tf.Variable][],
  streams: Record<string, Rng>,
): void {
  mkdirSync(dir, { recursive: true });
  const arrays: [string, Float32Array][] = params.map(([n, v]) => [`param:${n}`, v.dataSync() as Float32Array]);
  const optimizers: Record<string, { step: number; kind: 'dense' | 'rows'; count: number }> = {};
  for (const [g, s] of Object.entries(state.optimizers)) {
    if (Array.isArray(s.m)) {
      const d = s as AdamState;
      optimizers[g] = { step: d.step, kind: 'dense', count: d.m.length };
      for (const [i, a] of d.m.entries()) arrays.push([`opt:${g}:m:${i}`, a]);
      for (const [i, a] of d.v.entries()) arrays.push([`opt:${g}:v:${i}`, a]);
    } else {
      const r = s as RowAdamState;
      optimizers[g] = { step: r.step, kind: 'rows', count: 1 };
      arrays.push([`opt:${g}:m:0`, r.m], [`opt:${g}:v:0`, r.v]);
    }
  }
  const total = arrays.reduce((a, [, x]) => a + x.length, 0);
  const buf = new Float32Array(total);
  const table: TensorEntry[] = [];
  let off = 0;
  for (const [name, a] of arrays) {
    buf.set(a, off);
    table.push({ name, offset: off, length: a.length });
    off += a.length;
  }
  const binName = `checkpoint-${state.nextEpoch}.bin`;
  writeFileAtomic(join(dir, binName), new Uint8Array(buf.buffer));
  const meta = {
    version: VERSION,
    runKey,
    binary: binName,
    nextEpoch: state.nextEpoch,
    history: state.history,
    earlyStopping: state.earlyStopping,
    optimizers,
    rng: Object.fromEntries(Object.entries(streams).map(([k, r]) => [k, r.snapshot()])),
    tensors: table,
  };
  writeFileAtomic(
    join(dir, JSON_NAME),
    JSON.stringify(meta, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
  );
  for (const f of readdirSync(dir)) if (/^checkpoint-\d+\.bin$/.test(f) && f !== binName) rmSync(join(dir, f), { force: true });
}

/** JSON stores NaN/Infinity as strings (see writeCheckpoint); turn them back into numbers. */
function revive(_k: string, v: unknown): unknown {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : v;
}

/**
 * Reads the checkpoint in `dir`: assigns the weights, restores the RNG streams and returns the loop
 * state to pass as `resume`.
 *
 * @throws {@link InputError} `E_CHECKPOINT` when there is no checkpoint, it is unreadable, or it
 *   belongs to another run (model, seed, options or data differ).
 */
export async function readCheckpoint(
  dir: string,
  runKey: RunKey,
  params: [string, tf.Variable][],
  streams: Record<string, Rng>,
): Promise<LoopState> {
  const path = join(dir, JSON_NAME);
  const bad = (msg: string, hint: string) => new InputError(msg, { code: 'E_CHECKPOINT', file: path, hint });
  if (!existsSync(path))
    throw bad('no checkpoint to resume from', 'Run without --resume first (with --checkpoint-every N), or check the output directory');
  let meta: {
    version: number;
    runKey: RunKey;
    binary: string;
    nextEpoch: number;
    history: LoopState['history'];
    earlyStopping: LoopState['earlyStopping'];
    optimizers: Record<string, { step: number; kind: 'dense' | 'rows'; count: number }>;
    rng: Record<string, { state: number[]; spareNormal: number | null }>;
    tensors: TensorEntry[];
  };
  try {
    meta = JSON.parse(readFileSync(path, 'utf8'), revive);
  } catch (e) {
    throw bad(`checkpoint is not valid JSON: ${(e as Error).message}`, 'Delete the checkpoint and train again');
  }
  if (meta.version !== VERSION) throw bad(`checkpoint version ${meta.version} is not supported`, 'Train again without --resume');
  if (JSON.stringify(meta.runKey) !== JSON.stringify(JSON.parse(JSON.stringify(runKey), revive))) {
    throw bad(
      'the checkpoint belongs to another run (model, seed, options or data differ)',
      'Resume with the same data, seed and options as the interrupted run, or train without --resume',
    );
  }
  const bytes = readFileSync(join(dir, meta.binary));
  const buf = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const get = (name: string): Float32Array => {
    const e = meta.tensors.find((t) => t.name === name);
    if (!e || e.offset + e.length > buf.length) throw bad(`checkpoint lacks tensor ${name}`, 'Delete the checkpoint and train again');
    return buf.subarray(e.offset, e.offset + e.length);
  };
  tf.tidy(() => {
    for (const [n, v] of params) {
      const a = get(`param:${n}`);
      if (a.length !== v.size)
        throw bad(`checkpoint tensor ${n} has ${a.length} values, expected ${v.size}`, 'Train again without --resume');
      v.assign(tf.tensor(a, v.shape));
    }
  });
  for (const [k, r] of Object.entries(streams)) {
    const s = meta.rng[k];
    if (!s) throw bad(`checkpoint lacks random stream ${k}`, 'Train again without --resume');
    r.restore(s);
  }
  const optimizers: LoopState['optimizers'] = {};
  for (const [g, o] of Object.entries(meta.optimizers)) {
    if (o.kind === 'dense') {
      const m: Float32Array[] = [];
      const v: Float32Array[] = [];
      for (let i = 0; i < o.count; i++) {
        m.push(Float32Array.from(get(`opt:${g}:m:${i}`)));
        v.push(Float32Array.from(get(`opt:${g}:v:${i}`)));
      }
      optimizers[g] = { step: o.step, m, v };
    } else {
      optimizers[g] = { step: o.step, m: Float32Array.from(get(`opt:${g}:m:0`)), v: Float32Array.from(get(`opt:${g}:v:0`)) };
    }
  }
  return { nextEpoch: meta.nextEpoch, history: meta.history, earlyStopping: meta.earlyStopping, optimizers };
}
