/**
 * `npm run bench -- nn`: the neural engine at the MixupVI paper's shape, next to PyTorch.
 *
 * 1. matmul kernels on the default backend at 2,048 x 2,500 x 512: plain, transposeA, transposeB, and
 *    explicit transpose + plain matmul (what our custom gradient uses);
 * 2. one MixupVI training step (forward + backward + Adam; batch 2,048 cells x 2,500 genes, hidden 512,
 *    latent 30, ZINB, 100 pseudobulks of 100 cells) with the custom-gradient matmul and with tfjs'
 *    stock matmul gradient, plus a per-kernel profile of the step;
 * 3. `../shared/reference/torch_vae_bench.py` (Debian python3-torch, OpenBLAS-OpenMP, 2 threads) on the
 *    same shape in the same run, and the ratio ours / torch.
 *
 * Environment: BENCH_NN_STEPS (timed steps, default 3), BENCH_NN_BATCH (2048), BENCH_NN_BACKEND (auto),
 * BENCH_NO_PYTHON=1 (skip torch), BENCH_NN_STOCK=0 (skip the stock-gradient step, which is slow),
 * BENCH_NN_PARALLEL=0 (skip the 2-thread data-parallel step).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.js';
import { MixupVAE, type VaeBatch } from '../src/models/mixupvi/module.js';
import { averageShards, type ShardInput, shardGradients } from '../src/models/scvi/shards.js';
import { StepWorkerPool } from '../src/models/scvi/step-pool.js';
import { Adam } from '../src/nn/adam.js';
import { initBackend } from '../src/nn/backend.js';
import { setFastMatMul } from '../src/nn/dense.js';

const STEPS = Number(process.env.BENCH_NN_STEPS ?? 3);
const B = Number(process.env.BENCH_NN_BATCH ?? 2048);
const G = 2500;
const H = 512;
const D = 30;
const M = 100;
const NCPP = 100;
const PY = '/usr/bin/python3';
const TORCH = fileURLToPath(new URL('../../shared/reference/torch_vae_bench.py', import.meta.url));
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] as number;
}

/** CPU seconds (all threads of this process) per call, from the last timing; robust to a loaded machine. */
let lastCpu = Number.NaN;

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function timeIt(f: () => void, n: number): number {
  f();
  const t: number[] = [];
  const c0 = cpuNow();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  lastCpu = (cpuNow() - c0) / n;
  return median(t) / 1000;
}

const info = await initBackend(process.env.BENCH_NN_BACKEND ?? 'auto');
console.log(`backend ${info.name}${info.simd ? ' (SIMD)' : ''}, tfjs ${info.tfjsVersion}, node ${process.versions.node}`);
console.log(
  `load average at start: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

// 1. matmul kernels
{
  const a = tf.randomNormal([B, G]) as tf.Tensor2D;
  const w = tf.randomNormal([G, H]) as tf.Tensor2D;
  const g = tf.randomNormal([B, H]) as tf.Tensor2D;
  const gf = (2 * B * G * H) / 1e9;
  const run = (name: string, f: () => tf.Tensor) => {
    const s = timeIt(() => {
      const r = f();
      r.dataSync();
      r.dispose();
    }, 2);
    console.log(`| ${name} | ${(s * 1000).toFixed(0)} ms | ${(gf / s).toFixed(1)} GFLOP/s |`);
  };
  console.log('\n| matmul (2048x2500x512) | time | throughput |\n|---|---|---|');
  run('a·w (plain)', () => tf.matMul(a, w));
  run('aᵀ·g (transposeA)', () => tf.matMul(a, g, true, false));
  run('transpose(a)·g', () => tf.tidy(() => tf.matMul(tf.transpose(a), g)));
  run('g·wᵀ (transposeB)', () => tf.matMul(g, w, false, true));
  run('g·transpose(w)', () => tf.tidy(() => tf.matMul(g, tf.transpose(w))));
  tf.dispose([a, w, g]);
}

// 2. a full training step
function makeStep() {
  const vae = new MixupVAE(
    { nGenes: G, latent: D, hidden: H, dropout: 0.1, likelihood: 'zinb', mixupPenalty: 'l2', pseudobulkReconWeight: 0, init: 'torch' },
    new Rng(0),
  );
  const rng = new Rng(1);
  const xs = new Float32Array(B * G);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.uniform() < 0.7 ? 0 : 1 + rng.int(5);
  const x = tf.tensor2d(xs, [B, G]);
  const A = new Float32Array(M * B);
  for (let m = 0; m < M; m++) for (let t = 0; t < NCPP; t++) A[m * B + rng.int(B)]! += 1 / NCPP;
  const batch: VaeBatch = {
    x,
    lib: tf.sum(x, 1, true) as tf.Tensor2D,
    lgammaX1: tf.zeros([B]) as tf.Tensor1D,
    pbAverage: tf.tensor2d(A, [M, B]),
    pbCells: NCPP,
  };
  const adam = new Adam(vae.variables());
  const ctx = { epoch: 0, step: 0, klWeight: 1, training: true };
  const step = () => {
    const { value, grads } = tf.variableGrads(() => vae.loss(batch, ctx, rng).loss, vae.variables());
    adam.apply(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const dispose = () => {
    vae.dispose();
    adam.dispose();
    tf.dispose([batch.x, batch.lib, batch.lgammaX1, batch.pbAverage as tf.Tensor]);
  };
  return { step, dispose };
}

console.log(`\none training step: batch ${B} x ${G} genes, hidden ${H}, latent ${D}, ZINB, ${M} pseudobulks of ${NCPP} cells`);
setFastMatMul(true);
const fast = makeStep();
const sFast = timeIt(fast.step, STEPS);
const cpuFast = lastCpu;
const prof = await tf.profile(() => fast.step());
fast.dispose();
let sStock = Number.NaN;
let cpuStock = Number.NaN;
if (process.env.BENCH_NN_STOCK !== '0') {
  // "Before": tfjs-core's own BatchMatMul gradient (matMul with transposeA/transposeB flags) instead of
  // ours (src/nn/gradients.ts registers an explicit-transpose version), and no custom-gradient matmul.
  const ours = tf.getGradient('BatchMatMul');
  tf.unregisterGradient('BatchMatMul');
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
      return { a: () => tf.matMul(dy as tf.Tensor2D, b, false, true), b: () => tf.matMul(a, dy as tf.Tensor2D, true, false) };
    }) as unknown as tf.GradConfig['gradFunc'],
  });
  setFastMatMul(false);
  const stock = makeStep();
  sStock = timeIt(stock.step, Math.max(1, Math.min(STEPS, 2)));
  cpuStock = lastCpu;
  stock.dispose();
  setFastMatMul(true);
  tf.unregisterGradient('BatchMatMul');
  tf.registerGradient(ours);
}
console.log(`| matmul gradient | s/step (wall) | CPU s/step | cells/s |\n|---|---|---|---|`);
console.log(`| custom (transpose + plain matMul) | ${sFast.toFixed(2)} | ${cpuFast.toFixed(2)} | ${(B / sFast).toFixed(0)} |`);
if (Number.isFinite(sStock)) {
  console.log(`| tfjs stock (transposeA/B kernels) | ${sStock.toFixed(2)} | ${cpuStock.toFixed(2)} | ${(B / sStock).toFixed(0)} |`);
}
const agg = new Map<string, { ms: number; n: number }>();
for (const k of prof.kernels) {
  const a = agg.get(k.name) ?? { ms: 0, n: 0 };
  a.ms += k.kernelTimeMs as number;
  a.n++;
  agg.set(k.name, a);
}
let total = 0;
for (const v of agg.values()) total += v.ms;
console.log(
  `\nprofile of one step (custom gradient): ${prof.kernels.length} kernels, peak ${(prof.peakBytes / 2 ** 30).toFixed(2)} GiB of tensors`,
);
console.log('| kernel | calls | ms | share |\n|---|---|---|---|');
for (const [k, v] of [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(`| ${k} | ${v.n} | ${v.ms.toFixed(0)} | ${((100 * v.ms) / total).toFixed(0)}% |`);
}

// 2b. data-parallel: the same batch as 2 interleaved shards (50 pseudobulks each), shard 0 on the main
// thread and shard 1 on a worker thread, gradients averaged (what MixupVI does by default).
let sPar = Number.NaN;
if (process.env.BENCH_NN_PARALLEL !== '0') {
  const vae = new MixupVAE(
    { nGenes: G, latent: D, hidden: H, dropout: 0.1, likelihood: 'zinb', mixupPenalty: 'l2', pseudobulkReconWeight: 0, init: 'torch' },
    new Rng(0),
  );
  const vars = vae.variables();
  const pool = await StepWorkerPool.create(
    1,
    vae.config,
    info.name,
    vars.reduce((a, v) => a + v.size, 0),
  );
  const adam = new Adam(vars);
  const rng = new Rng(1);
  const xs = new Float32Array(B * G);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.uniform() < 0.7 ? 0 : 1 + rng.int(5);
  const shard = (k: number, seed: number): ShardInput => {
    const Bk = Math.ceil((B - k) / 2);
    const x = new Float32Array(Bk * G);
    const lib = new Float32Array(Bk);
    for (let r = 0; r < Bk; r++) {
      x.set(xs.subarray((2 * r + k) * G, (2 * r + k + 1) * G), r * G);
      for (let g = 0; g < G; g++) lib[r]! += x[r * G + g]!;
    }
    const Mk = M / 2;
    const A = new Float32Array(Mk * Bk);
    const pr = new Rng(42);
    for (let m = 0; m < Mk; m++) for (let t = 0; t < NCPP; t++) A[m * Bk + pr.int(Bk)]! += 1 / NCPP;
    return {
      B: Bk,
      G,
      x,
      lib,
      lgammaX1: new Float32Array(Bk),
      M: Mk,
      average: A,
      pbCells: NCPP,
      seed,
      ctx: { epoch: 0, step: 0, klWeight: 1, training: true },
    };
  };
  const step = async () => {
    pool.writeWeights(vars);
    const remote = pool.run(0, shard(1, 2));
    const local = shardGradients(vae, shard(0, 1));
    const avg = averageShards(
      [local, await remote],
      vars.map((v) => v.shape),
    );
    adam.apply(avg.grads);
    tf.dispose(avg.grads);
  };
  await step();
  const t: number[] = [];
  const c0 = cpuNow();
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await step();
    t.push(performance.now() - t0);
  }
  sPar = median(t) / 1000;
  const cpuPar = (cpuNow() - c0) / STEPS;
  await pool.terminate();
  adam.dispose();
  vae.dispose();
  console.log(`\n| data-parallel step | s/step (wall) | CPU s/step (both threads) | cells/s |\n|---|---|---|---|`);
  console.log(`| 2 shards, main thread + 1 worker thread | ${sPar.toFixed(2)} | ${cpuPar.toFixed(2)} | ${(B / sPar).toFixed(0)} |`);
}

// 3. torch
function torchAvailable(): boolean {
  if (process.env.BENCH_NO_PYTHON === '1' || !existsSync(PY) || !existsSync(TORCH)) return false;
  return spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}
if (torchAvailable()) {
  const env = { ...process.env, LD_LIBRARY_PATH: existsSync(OPENBLAS) ? OPENBLAS : (process.env.LD_LIBRARY_PATH ?? '') };
  // CPU seconds of the whole torch run through /usr/bin/time; a 1-step run is subtracted to get CPU/step.
  const TIME = '/usr/bin/time';
  const runTorch = (steps: number) => {
    const args = [TORCH, '--batch-size', String(B), '--steps', String(steps), '--warmup', '1'];
    const r = existsSync(TIME)
      ? spawnSync(TIME, ['-f', 'CPUSECONDS %U %S', PY, ...args], { encoding: 'utf8', env })
      : spawnSync(PY, args, { encoding: 'utf8', env });
    const m = /CPUSECONDS ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
    return { r, cpu: m ? Number(m[1]) + Number(m[2]) : Number.NaN };
  };
  const nT = Math.max(STEPS, 3);
  const { r, cpu: cpuA } = runTorch(nT);
  const torchCpuStep = (cpuA - runTorch(1).cpu) / (nT - 1);
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (line) {
    const res = JSON.parse(line.slice(7)) as Record<string, unknown>;
    const ts = Number(res.sec_per_step_median ?? Number.NaN);
    console.log(`\ntorch (${String(res.blas ?? 'BLAS ?')}, ${String(res.threads ?? '?')} threads): ${ts.toFixed(2)} s/step`);
    console.log(
      `ratio ours / torch: ${(sFast / ts).toFixed(2)}x single thread${Number.isFinite(sPar) ? `, ${(sPar / ts).toFixed(2)}x with 2 threads` : ''} (target <= 2x)`,
    );
    console.log(`CPU s/step: torch ${torchCpuStep.toFixed(2)} (2 threads, incl. OpenMP waiting), ours ${cpuFast.toFixed(2)} (1 thread)`);
    console.log(`torch RESULT ${line.slice(7)}`);
  } else {
    console.log(`torch bench failed: ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
  }
} else {
  console.log('\ntorch reference skipped (needs /usr/bin/python3 with torch and ../shared/reference/torch_vae_bench.py)');
}
