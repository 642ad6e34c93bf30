/**
 * DGD training speed and memory (issue 12; a benchmark, not a test).
 *
 * 1. Cells/s of one DGD training epoch (L = 20, decoder 20-100-100-100-G, K components, batch 128,
 *    library-size scaling + softmax, three Adam groups) here and in a PyTorch script of the same shape
 *    (bench/dgd_torch_bench.py, CPU, 1 thread: our wasm backend runs on one thread), in the same run,
 *    on synthetic counts of the same size. Median of the timed epochs after one warm-up.
 * 2. Peak RSS of a child process that trains one epoch on N synthetic cells (CSR), for two N: the
 *    growth should be the data (CSR) plus the representation table (values, gradient, two Adam
 *    moments: 4·N·L float32), not N x G.
 *
 * Usage: node --import tsx bench/dgd-speed.bench.ts [--cells 4000] [--genes 1000] [--rss-cells 5000,50000]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import { Dataset } from '../src/data/dataset.js';
import { CsrMatrix } from '../src/data/sparse.js';
import { DgdModel } from '../src/models/dgd/model.js';
import { initBackend } from '../src/nn/backend.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : def;
}

/** N cells x G genes of Poisson(gamma-mixed programs) counts as CSR (never dense). */
function synthetic(N: number, G: number, K: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const prog = new Float64Array(K * G);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let g = 0; g < G; g++) {
      prog[k * G + g] = rng.gamma(0.5);
      s += prog[k * G + g] as number;
    }
    for (let g = 0; g < G; g++) prog[k * G + g] = (prog[k * G + g] as number) / s;
  }
  const indptr = new Float64Array(N + 1);
  // Typed buffers grown by doubling (JS number arrays would dominate the peak RSS being measured).
  let idx = new Int32Array(1 << 20);
  let val = new Float32Array(1 << 20);
  let nnz = 0;
  for (let i = 0; i < N; i++) {
    const k = rng.int(K);
    const lib = 1000 + 3000 * rng.uniform();
    for (let g = 0; g < G; g++) {
      const c = rng.poisson((rng.gamma(5) * ((prog[k * G + g] as number) * lib)) / 5);
      if (c > 0) {
        if (nnz === idx.length) {
          const i2 = new Int32Array(idx.length * 2);
          i2.set(idx);
          idx = i2;
          const v2 = new Float32Array(val.length * 2);
          v2.set(val);
          val = v2;
        }
        idx[nnz] = g;
        val[nnz] = c;
        nnz++;
      }
    }
    indptr[i + 1] = nnz;
  }
  const X = new CsrMatrix(N, G, { indptr, indices: idx.slice(0, nnz), data: val.slice(0, nnz) });
  return new Dataset({ X });
}

const here = fileURLToPath(new URL('.', import.meta.url));
const G = Number(arg('genes', '1000'));
const K = 8;

if (process.argv.includes('--rss-child')) {
  // Child: one epoch on N cells, then report the peak RSS.
  const N = Number(arg('n', '5000'));
  await initBackend('wasm');
  const ds = synthetic(N, G, K, 1);
  const csrBytes = (ds.X as CsrMatrix).data.byteLength + (ds.X as CsrMatrix).indices.byteLength + (ds.X as CsrMatrix).indptr.byteLength;
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const m = await DgdModel.train(ds, {}, { options: { epochs: 1, components: K, validationFraction: 0 } });
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  m.dispose();
  const mib = (b: number) => b / 2 ** 20;
  console.log(
    `RSS ${JSON.stringify({ n: N, maxRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeTrainMiB: mib(before), peakDuringTrainMiB: mib(peak), csrMiB: mib(csrBytes) })}`,
  );
  process.exit(0);
}

const N = Number(arg('cells', '4000'));
const epochs = 3;
await initBackend('wasm');
if (!process.argv.includes('--rss-only')) {
  const ds = synthetic(N, G, K, 0);
  const m = await DgdModel.train(ds, {}, { options: { epochs, components: K, validationFraction: 0 } });
  const secs = m.history.epochs
    .slice(1)
    .map((e) => e.seconds)
    .sort((a, b) => a - b);
  const ours = secs[Math.floor(secs.length / 2)] as number;
  m.dispose();
  const py = spawnSync(
    '/usr/bin/python3',
    [
      `${here}dgd_torch_bench.py`,
      '--cells',
      String(N),
      '--genes',
      String(G),
      '--components',
      String(K),
      '--epochs',
      String(epochs - 1),
      '--threads',
      '1',
    ],
    {
      encoding: 'utf8',
    },
  );
  const line = py.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  const torch = line ? (JSON.parse(line.slice(7)) as { epoch_s: number; cells_per_s: number; torch: string }) : undefined;
  console.log(`DGD training epoch, ${N} cells x ${G} genes, K = ${K}, batch 128 (median of ${epochs - 1} epochs after a warm-up)`);
  console.log('| implementation | s / epoch | cells / s |');
  console.log('| --- | --- | --- |');
  console.log(`| celldeconv (tfjs wasm, 1 thread) | ${ours.toFixed(2)} | ${(N / ours).toFixed(0)} |`);
  if (torch)
    console.log(
      `| PyTorch ${torch.torch} CPU, 1 thread (bench/dgd_torch_bench.py) | ${torch.epoch_s.toFixed(2)} | ${torch.cells_per_s.toFixed(0)} |`,
    );
  else console.log(`| PyTorch | not run: ${py.stderr?.split('\n').slice(-3).join(' ') ?? py.error?.message} | |`);
}

const rssCells = arg('rss-cells', '5000,50000').split(',').map(Number);
console.log(`\nPeak RSS while training one epoch on synthetic cells (G = ${G}, L = 20)`);
console.log(
  '| cells | RSS before training (MiB) | peak RSS during training (MiB) | growth (MiB) | process max RSS (MiB) | CSR counts (MiB) | representation table 4·N·L·4 B (MiB) | dense N x G float32 would be (MiB) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const n of rssCells) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--rss-child', '--n', String(n), '--genes', String(G)],
    { encoding: 'utf8' },
  );
  const l = r.stdout?.split('\n').find((x) => x.startsWith('RSS '));
  if (!l) {
    console.log(`| ${n} | failed: ${r.stderr?.split('\n').slice(-3).join(' ')} | | | | | |`);
    continue;
  }
  const o = JSON.parse(l.slice(4)) as { maxRssMiB: number; rssBeforeTrainMiB: number; peakDuringTrainMiB: number; csrMiB: number };
  console.log(
    `| ${n} | ${o.rssBeforeTrainMiB.toFixed(0)} | ${o.peakDuringTrainMiB.toFixed(0)} | ${(o.peakDuringTrainMiB - o.rssBeforeTrainMiB).toFixed(0)} | ${o.maxRssMiB.toFixed(0)} | ${o.csrMiB.toFixed(1)} | ${((4 * n * 20 * 4) / 2 ** 20).toFixed(1)} | ${((n * G * 4) / 2 ** 20).toFixed(0)} |`,
  );
}
