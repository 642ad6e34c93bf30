/**
 * `npm run bench -- kernels`: the float64 WebAssembly SIMD kernels (src/linalg/wasm) against the
 * scalar JavaScript loops they replace, on the shapes of the linear benchmark (400 samples x
 * 1,400 genes x 17 cell types). Prints the best of 30 calls and the multiply-add rate of each.
 */
import { weightedGramColMajor } from '../src/linalg/blas.js';
import { paddedLength, WasmArena } from '../src/linalg/wasm/kernels.js';

function best(f: () => void, reps = 30): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

function row(name: string, ms: number, macs: number, ref?: number): void {
  const rate = (macs / ms / 1e6).toFixed(2);
  console.log(`| ${name} | ${ms.toFixed(3)} | ${rate} | ${ref === undefined ? '' : `${(ref / ms).toFixed(1)}x`} |`);
}

function main(): void {
  const N = 400;
  const G = 1400;
  const C = 17;
  const K = paddedLength(G);
  const a = WasmArena.create({ Y: N * K, P: C * K, out: N * C, w: K, WS: C * K, H: C * C, d: C, y: K });
  if (!a) {
    console.log('kernels bench: WebAssembly SIMD unavailable (or CELLDECONV_NO_WASM=1); skipped');
    return;
  }
  const Y = new Float64Array(N * G).map(() => Math.random());
  const P = new Float64Array(C * G).map(() => Math.random() - 0.5);
  for (let i = 0; i < N; i++) a.view.Y.set(Y.subarray(i * G, (i + 1) * G), i * K);
  for (let c = 0; c < C; c++) a.view.P.set(P.subarray(c * G, (c + 1) * G), c * K);
  const out = new Float64Array(N * C);
  console.log(`\n${N} samples x ${G} genes x ${C} types; best of 30 calls\n`);
  console.log('| kernel | ms | GMAC/s | vs JavaScript |');
  console.log('|---|---|---|---|');
  const jsDots = best(() => {
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let g = 0; g < G; g++) s += P[c * G + g]! * Y[i * G + g]!;
        out[i * C + c] = s;
      }
    }
  });
  row('JavaScript: P·y for every sample (OLS apply)', jsDots, N * C * G);
  row(
    'wasm dotsNT: P·y for every sample',
    best(() => a.dotsNT(N, C, K, 'Y', 'P', 'out')),
    N * C * G,
    jsDots,
  );

  const St = new Float64Array(C * G).map(() => Math.random());
  const w = new Float64Array(G).map(() => Math.random());
  const y = new Float64Array(G).map(() => Math.random());
  const H = new Float64Array(C * C);
  const d = new Float64Array(C);
  const WS = new Float64Array(C * G);
  for (let c = 0; c < C; c++) a.view.P.set(St.subarray(c * G, (c + 1) * G), c * K);
  a.view.w.set(w);
  a.view.y.set(y);
  const gramMacs = G * ((C * (C + 1)) / 2 + 2 * C);
  const jsGram = best(() => weightedGramColMajor(C, G, St, w, y, H, d, WS), 200);
  row('JavaScript: weighted Gram SᵀWS, SᵀWy (one WLS step)', jsGram, gramMacs);
  row(
    'wasm weightedGram',
    best(() => a.weightedGram(C, K, { St: 'P', w: 'w', y: 'y', WS: 'WS', H: 'H', d: 'd' }), 200),
    gramMacs,
    jsGram,
  );
}

main();
