import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import { NnlsWorkspace, nnlsGram } from '../../src/linalg/nnls.js';
import { paddedLength, WasmArena, wasmKernelsAvailable } from '../../src/linalg/wasm/kernels.js';
import { WeightedNnls } from '../../src/linalg/weighted-nnls.js';
import { withJavaScriptKernels } from '../helpers/wasm.js';

const root = new URL('../../', import.meta.url);

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-300, Math.abs(b));
}

test('the committed kernel bytes are the compiled kernels.wat (run `node scripts/build-wasm.mjs` after editing it)', async () => {
  const script = (await import(pathToFileURL(new URL('scripts/build-wasm.mjs', root).pathname).href)) as {
    compileKernels(): Promise<string>;
    kernelsModuleSource(b64: string): string;
  };
  const committed = readFileSync(new URL('src/linalg/wasm/kernels-bytes.ts', root), 'utf8');
  assert.equal(committed, script.kernelsModuleSource(await script.compileKernels()));
});

test('WebAssembly SIMD kernels are available on this Node (the fast path is the one tested)', () => {
  assert.ok(wasmKernelsAvailable(), 'Node 20 supports WebAssembly SIMD; CELLDECONV_NO_WASM=1 must not be set for the tests');
});

test('dotsNT equals the naive row products for every tile shape (4, 2 and 1 leftover rows)', () => {
  const rng = new Rng(3);
  for (const [M, N, G] of [
    [1, 1, 1],
    [3, 9, 17],
    [2, 6, 500],
    [5, 7, 33],
    [4, 4, 8],
  ] as const) {
    const K = paddedLength(G);
    const a = WasmArena.create({ A: M * K, B: N * K, out: M * N });
    assert.ok(a);
    const A = new Float64Array(M * G).map(() => rng.normal());
    const B = new Float64Array(N * G).map(() => rng.normal());
    for (let i = 0; i < M; i++) a.view.A.set(A.subarray(i * G, (i + 1) * G), i * K);
    for (let j = 0; j < N; j++) a.view.B.set(B.subarray(j * G, (j + 1) * G), j * K);
    a.dotsNT(M, N, K, 'A', 'B', 'out');
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let g = 0; g < G; g++) s += A[i * G + g]! * B[j * G + g]!;
        assert.ok(Math.abs(a.view.out[i * N + j]! - s) < 1e-12 * Math.sqrt(G), `M=${M} N=${N} G=${G} (${i},${j})`);
      }
    }
  }
});

test('wlsStep computes the WLS weights (clipped, dampened), SᵀWy and the upper triangle of SᵀWS', () => {
  const rng = new Rng(11);
  for (const [G, C, damp] of [
    [37, 5, 0],
    [37, 5, 8],
    [120, 9, 0],
    [13, 3, 2],
  ] as const) {
    const K = paddedLength(G);
    const a = WasmArena.create({ St: C * K, x: C, y: K, w: K, WS: C * K, H: C * C, d: C });
    assert.ok(a);
    const St = new Float64Array(C * G).map(() => rng.uniform() * 3);
    const x = new Float64Array(C).map(() => rng.uniform());
    x[0] = 0; // a zero coefficient leaves some fitted values small, exercising the clip
    const y = new Float64Array(G).map(() => rng.uniform() * 5);
    for (let c = 0; c < C; c++) a.view.St.set(St.subarray(c * G, (c + 1) * G), c * K);
    a.view.x.set(x);
    a.view.y.set(y);
    const clip = 0.5;
    a.wlsStep(C, G, K, clip, damp, { St: 'St', x: 'x', y: 'y', w: 'w', WS: 'WS', H: 'H', d: 'd' });
    const w = new Float64Array(G);
    let wmin = Number.POSITIVE_INFINITY;
    for (let g = 0; g < G; g++) {
      let f = 0;
      for (let c = 0; c < C; c++) f += x[c]! * St[c * G + g]!;
      const p = Math.max(f, clip);
      w[g] = 1 / (p * p);
      wmin = Math.min(wmin, w[g]!);
    }
    if (damp > 0) for (let g = 0; g < G; g++) w[g] = Math.min(w[g]! / wmin, damp);
    for (let g = 0; g < G; g++) assert.equal(a.view.w[g], w[g], `w[${g}]`);
    for (let g = G; g < K; g++) assert.equal(a.view.w[g], 0, 'padding genes weigh nothing');
    for (let p = 0; p < C; p++) {
      let dp = 0;
      for (let g = 0; g < G; g++) dp += w[g]! * St[p * G + g]! * y[g]!;
      assert.ok(relErr(a.view.d[p]!, dp) < 1e-13, `d[${p}]`);
      for (let q = p; q < C; q++) {
        let h = 0;
        for (let g = 0; g < G; g++) h += w[g]! * St[p * G + g]! * St[q * G + g]!;
        assert.ok(relErr(a.view.H[p * C + q]!, h) < 1e-13, `H[${p},${q}]`);
      }
    }
  }
});

test('WeightedNnls gives the same iterates with the WebAssembly step as with the JavaScript loops', async () => {
  const rng = new Rng(5);
  const G = 61;
  const C = 6;
  const S = new Float64Array(G * C).map(() => rng.uniform() * 4 + (rng.uniform() < 0.2 ? 10 : 0));
  const truth = Float64Array.of(0.3, 0.2, 0, 0.1, 0.25, 0.15);
  const y = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < C; c++) y[g] = y[g]! + S[g * C + c]! * truth[c]!;
    y[g] = y[g]! * (1 + 0.1 * rng.normal()) + 0.01;
  }
  const x0 = Float64Array.of(0.2, 0.2, 0.1, 0.1, 0.2, 0.2);
  const run = (dampening: number | null) => {
    const out = new Float64Array(C);
    const r = new WeightedNnls(S, G, C).iterate(y, x0, { tol: 1e-9, maxIter: 1000, dampening }, out);
    return { out, iterations: r.iterations };
  };
  for (const dampening of [null, 4]) {
    const fast = run(dampening);
    const slow = await withJavaScriptKernels(() => run(dampening));
    assert.equal(fast.iterations, slow.iterations);
    for (let c = 0; c < C; c++) assert.ok(Math.abs(fast.out[c]! - slow.out[c]!) < 1e-12, `dampening ${dampening}, type ${c}`);
  }
});

test('nnlsGram with a warm start returns the cold-start minimiser', () => {
  const rng = new Rng(9);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + rng.int(10);
    const m = n + 5 + rng.int(20);
    const A = new Float64Array(m * n).map(() => rng.normal());
    const H = new Float64Array(n * n);
    for (let i = 0; i < m; i++)
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) H[p * n + q] = H[p * n + q]! + A[i * n + p]! * A[i * n + q]!;
    const d = new Float64Array(n).map(() => rng.normal() * 3);
    const cold = new Float64Array(n);
    nnlsGram(n, H, d, cold);
    const ws = new NnlsWorkspace(n);
    // Any guess of the passive set: right, wrong or infeasible.
    for (let j = 0; j < n; j++) ws.passive[j] = rng.uniform() < 0.5 ? 1 : 0;
    const warm = new Float64Array(n);
    const r = nnlsGram(n, H, d, warm, { warmStart: true }, ws);
    assert.ok(r.converged);
    for (let j = 0; j < n; j++) assert.ok(Math.abs(warm[j]! - cold[j]!) < 1e-10 * (1 + Math.abs(cold[j]!)), `trial ${trial} x[${j}]`);
  }
});

test('axpyRows subtracts coef[j]·v from every row j', () => {
  const K = 8;
  const a = WasmArena.create({ B: 3 * K, v: K, coef: 3 });
  assert.ok(a);
  for (let k = 0; k < 3 * K; k++) a.view.B[k] = k;
  for (let k = 0; k < K; k++) a.view.v[k] = k + 1;
  a.view.coef.set([2, -1, 0.5]);
  a.axpyRows(2, K, 'coef', 'v', 'B', 0, 1); // rows 1 and 2 with coef[0], coef[1]
  for (let k = 0; k < K; k++) {
    assert.equal(a.view.B[k], k, 'row 0 untouched');
    assert.equal(a.view.B[K + k], K + k - 2 * (k + 1));
    assert.equal(a.view.B[2 * K + k], 2 * K + k + (k + 1));
  }
});

test('accSnap: prefix sums of selected rows with snapshots, bit-identical to the scalar loop', () => {
  const rng = new Rng(21);
  const rows = 30;
  const L = 6;
  const a = WasmArena.create({ data: rows * L, idx: 10, breaks: 2, acc: L, snap: 4 * L });
  assert.ok(a);
  for (let k = 0; k < rows * L; k++) a.view.data[k] = rng.normal() * 10 ** rng.int(6);
  const idx = Int32Array.of(3, 7, 0, 29, 12, 5, 5, 18);
  const breaks = Int32Array.of(2, 2, 5, 8);
  a.int32('idx').set(idx);
  a.int32('breaks').set(breaks);
  a.accSnap(idx.length, 'idx', L, 'data', breaks.length, 'breaks', 'acc', 'snap');
  const acc = new Float64Array(L);
  let i = 0;
  for (let b = 0; b < breaks.length; b++) {
    for (; i < breaks[b]!; i++) for (let k = 0; k < L; k++) acc[k] = acc[k]! + a.view.data[idx[i]! * L + k]!;
    for (let k = 0; k < L; k++) assert.equal(a.view.snap[b * L + k], acc[k], `snapshot ${b}, entry ${k}`);
  }
});

test('an arena larger than WebAssembly can address is refused (callers fall back to JavaScript)', () => {
  assert.equal(WasmArena.create({ huge: 2 ** 30 }), null); // 8 GiB of doubles
});

test('copy moves doubles between regions of one arena (overlapping memory handled as memmove)', () => {
  const a = WasmArena.create({ A: 8, B: 8 });
  assert.ok(a);
  a.view.A.set([1, 2, 3, 4, 5, 6, 7, 8]);
  a.copy('B', 2, 'A', 1, 4);
  assert.deepEqual(Array.from(a.view.B), [0, 0, 2, 3, 4, 5, 0, 0]);
  a.copy('A', 1, 'A', 0, 4); // overlapping
  assert.deepEqual(Array.from(a.view.A), [1, 1, 2, 3, 4, 6, 7, 8]);
});
