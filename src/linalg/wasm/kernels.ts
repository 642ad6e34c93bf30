/**
 * float64 SIMD kernels in WebAssembly (source: kernels.wat), for the hot loops of the linear
 * methods: dot products of many rows (OLS, NNLS right-hand sides, the nu-SVR interior point), the
 * weighted normal equations (WNNLS/DWLS steps, RLR, nu-SVR), Householder updates (pseudo-inverse)
 * and DWLS's subset prefix sums. V8 runs this f64x2 code 7–10x faster than the equivalent scalar
 * JavaScript loops (7.1 vs 0.69 GMAC/s for row products; `npm run bench -- kernels`).
 *
 * Each user gets a private instance with its own memory ({@link WasmArena}), laid out once as
 * named float64 regions, so worker threads and several solvers in one thread never share state.
 * When WebAssembly SIMD is unavailable, or CELLDECONV_NO_WASM=1 is set, {@link WasmArena.create}
 * returns null and callers keep their JavaScript loops (same numbers up to summation order).
 */
import { KERNELS_WASM_BASE64 } from './kernels-bytes.js';

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object, imports: object) => { exports: unknown };
}
const Wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  dotsNT(M: number, N: number, K: number, A: number, B: number, out: number): void;
  axpyRows(n: number, K: number, coef: number, v: number, B: number): void;
  accSnap(n: number, idx: number, L: number, data: number, nb: number, breaks: number, acc: number, snap: number): void;
  weightedGram(C: number, K: number, St: number, w: number, y: number, WS: number, H: number, d: number): void;
  wlsStep(
    C: number,
    G: number,
    K: number,
    St: number,
    x: number,
    y: number,
    clip: number,
    damp: number,
    w: number,
    WS: number,
    H: number,
    d: number,
  ): void;
}

let compiled: object | null | undefined;
let enabled = true;

function kernelsModule(): object | null {
  if (!enabled) return null;
  if (compiled === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (ch) => ch.charCodeAt(0));
    compiled = !Wasm || env?.CELLDECONV_NO_WASM === '1' || !Wasm.validate(bytes) ? null : new Wasm.Module(bytes);
  }
  return compiled;
}

/** Whether the WebAssembly kernels are in use (SIMD supported, not disabled). */
export function wasmKernelsAvailable(): boolean {
  return kernelsModule() !== null;
}

/**
 * Turns the kernels off (or back on) for this thread: tests use it to compare both code paths.
 * Arenas already created keep working.
 */
export function setWasmKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Rounds a length in doubles up to the multiple of 4 the kernels need (rows padded with zeros). */
export function paddedLength(n: number): number {
  return (n + 3) & ~3;
}

/**
 * A private kernel instance whose memory holds named float64 regions.
 *
 * @example
 * const a = WasmArena.create({ A: 2 * 4, B: 3 * 4, out: 6 });
 * a?.view.A.set(...); a?.dotsNT(2, 3, 4, 'A', 'B', 'out'); // a.view.out = A Bᵀ
 */
export class WasmArena<R extends string> {
  /** A float64 view of each region (valid for the arena's lifetime: its memory never grows). */
  readonly view: Record<R, Float64Array>;
  /** Byte offset of each region. */
  readonly at: Record<R, number>;
  private readonly k: KernelExports;

  private constructor(k: KernelExports, view: Record<R, Float64Array>, at: Record<R, number>) {
    this.k = k;
    this.view = view;
    this.at = at;
  }

  /**
   * Lays out `sizes` (doubles per region, each region 16-byte aligned) in a new instance.
   * @returns null when the kernels are unavailable (callers fall back to JavaScript).
   */
  static create<R extends string>(sizes: Record<R, number>): WasmArena<R> | null {
    const mod = kernelsModule();
    if (!mod) return null;
    const at = {} as Record<R, number>;
    let bytes = 0;
    for (const name of Object.keys(sizes) as R[]) {
      at[name] = bytes;
      bytes += Math.ceil((sizes[name] * 8) / 16) * 16;
    }
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    const inst = new (Wasm as WasmApi).Instance(mod, {});
    const k = inst.exports as unknown as KernelExports;
    // The module owns its memory (exported); grow it to the layout's size once. A layout beyond
    // what WebAssembly can address (4 GiB) or the process can give falls back to JavaScript.
    const have = k.memory.buffer.byteLength / 65536;
    try {
      if (have < pages) k.memory.grow(pages - have);
    } catch {
      return null;
    }
    const view = {} as Record<R, Float64Array>;
    for (const name of Object.keys(sizes) as R[]) view[name] = new Float64Array(k.memory.buffer, at[name], sizes[name]);
    return new WasmArena(k, view, at);
  }

  /**
   * out[i·N + j] = Σ_k A[i·K + k]·B[j·K + k] for the regions A (M x K), B (N x K), out (M x N),
   * starting `aRow`, `bRow` rows and `outAt` doubles into them. K must be a multiple of 4.
   */
  dotsNT(M: number, N: number, K: number, A: R, B: R, out: R, aRow = 0, bRow = 0, outAt = 0): void {
    this.k.dotsNT(M, N, K, this.at[A] + aRow * K * 8, this.at[B] + bRow * K * 8, this.at[out] + outAt * 8);
  }

  /** Copies n doubles from region `src` (from `srcAt`) to region `dst` (from `dstAt`) inside the arena's memory. */
  copy(dst: R, dstAt: number, src: R, srcAt: number, n: number): void {
    const all = new Float64Array(this.k.memory.buffer);
    const s = this.at[src] / 8 + srcAt;
    all.copyWithin(this.at[dst] / 8 + dstAt, s, s + n);
  }

  /** An int32 view of region `name` (sized in doubles: 2 ints per double). */
  int32(name: R): Int32Array {
    const v = this.view[name];
    return new Int32Array(v.buffer, v.byteOffset, v.length * 2);
  }

  /**
   * Prefix sums with snapshots (kernels.wat `accSnap`): for b < nb, add the rows `data[idx[i]]`
   * (L doubles each, L even) for i < breaks[b] into `acc`, then copy `acc` to row b of `snap`.
   * `idx` and `breaks` are int32 regions (see {@link int32}). Bit-identical to the scalar loop.
   */
  accSnap(n: number, idx: R, L: number, data: R, nb: number, breaks: R, acc: R, snap: R): void {
    const a = this.at;
    this.k.accSnap(n, a[idx], L, a[data], nb, a[breaks], a[acc], a[snap]);
  }

  /** B[j] −= coef[j]·v for the n rows of region B from row `bRow` (v = row `vRow` of region `v`). */
  axpyRows(n: number, K: number, coef: R, v: R, B: R, vRow = 0, bRow = 0): void {
    this.k.axpyRows(n, K, this.at[coef], this.at[v] + vRow * K * 8, this.at[B] + bRow * K * 8);
  }

  /**
   * Weighted normal equations of C rows St (C x K) with weights w (K): WS = W·St, d = WS·y and the
   * upper triangle of H = WS·Stᵀ (C x C, row-major; the caller mirrors it).
   */
  weightedGram(C: number, K: number, r: Record<'St' | 'w' | 'y' | 'WS' | 'H' | 'd', R>): void {
    const a = this.at;
    this.k.weightedGram(C, K, a[r.St], a[r.w], a[r.y], a[r.WS], a[r.H], a[r.d]);
  }

  /**
   * One reweighting step of the WLS solvers (see kernels.wat `wlsStep`): weights from x, then
   * WS = W·St, d = WS·y and the upper triangle of H = WS·Stᵀ. `damp` ≤ 0 means no dampening.
   */
  wlsStep(C: number, G: number, K: number, clip: number, damp: number, r: Record<'St' | 'x' | 'y' | 'w' | 'WS' | 'H' | 'd', R>): void {
    const a = this.at;
    this.k.wlsStep(C, G, K, a[r.St], a[r.x], a[r.y], clip, damp, a[r.w], a[r.WS], a[r.H], a[r.d]);
  }
}
