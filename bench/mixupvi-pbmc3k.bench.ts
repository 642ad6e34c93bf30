/**
 * `npm run bench -- mixupvi-pbmc3k`: MixupVI vs scVI on the bundled PBMC3k, and the demo's quick settings.
 *
 * Parts (MIXUPVI_BENCH_PARTS, comma-separated; default `quick`):
 * - `published`: MixupVI and scVI trained one after the other on all 2,638 PBMC3k cells with the
 *   published settings (MIXUPVI_DEFAULTS / SCVI_DEFAULTS: 2,500 HVGs, latent 30, hidden 512, batch 2,048,
 *   100 epochs, 100 pseudobulks of 100 cells); prints the last epoch's validation rho, d and ELBO, the wall
 *   and CPU time (the whole process: main thread + shard worker). Several minutes per model on 2 cores.
 *   MIXUPVI_BENCH_EPOCHS overrides the 100 epochs for a smoke run; MIXUPVI_BENCH_OPTIONS (a JSON object, e.g.
 *   '{"batchSize":128}') overrides other options, MIXUPVI_BENCH_SAVE=DIR saves both models under DIR/<name>.
 * - `quick`: candidate quick settings (CANDIDATES below) through `runBenchmark` exactly as the demo uses
 *   them (train half of PBMC3k, 100 Dirichlet pseudobulks of 100 test cells, seed 0), nnls as the
 *   reference line; prints median / IQR Pearson, median MSE and fit time per candidate and granularity.
 *   MIXUPVI_BENCH_CANDIDATES (comma-separated names) restricts the candidates; MIXUPVI_BENCH_GRAN
 *   (default `fine`) the granularities (`fine,coarse` for both); MIXUPVI_BENCH_METHODS (default
 *   `mixupvi`) the deep methods trained per candidate (add `scvi` for the fair comparison: scVI gets the
 *   same candidate options, only the penalty differs).
 * - `rho`: what the mixup correlation measures, for saved models (MIXUPVI_BENCH_MODELS=dir,dir): see `rhoProbe`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { runBenchmark } from '../src/benchmark/runner.js';
import { pbmc3kGranularities } from '../src/cli/commands/benchmark.js';
import { pbmc3k } from '../src/datasets/index.js';
import '../src/methods/all-methods.js';
import { MIXUPVI_QUICK } from '../src/methods/deep/mixupvi/config.js';
import { getMethod } from '../src/methods/registry.js';
import { initBackend } from '../src/nn/backend.js';
import type { TrainHistory } from '../src/nn/trainer.js';

const parts = (process.env.MIXUPVI_BENCH_PARTS ?? 'quick').split(',');

/**
 * Quick-setting candidates (options merged over MIXUPVI_QUICK; `current` is MIXUPVI_QUICK itself). Each names
 * every option it changes from the previous quick settings, so the table stays valid as MIXUPVI_QUICK moves.
 */
const CANDIDATES: Record<string, Record<string, unknown>> = {
  current: {},
  // The quick settings before the second pass (1,000 HVGs, batch 512: 50 steps on the demo's 923 cells).
  previous: { nHvg: 1000, batchSize: 512, epochs: 25, nCellsPerPseudobulk: 50, signatureType: 'pre_encoded' },
  b128: { nHvg: 1000, batchSize: 128, epochs: 25, nCellsPerPseudobulk: 50, signatureType: 'pre_encoded' },
  b128hvg500: { batchSize: 128, epochs: 25, nCellsPerPseudobulk: 50, nHvg: 500, signatureType: 'pre_encoded' },
  h250: { batchSize: 128, epochs: 25, nCellsPerPseudobulk: 50, nHvg: 250, signatureType: 'pre_encoded' },
  h500post: { batchSize: 128, epochs: 25, nCellsPerPseudobulk: 50, nHvg: 500, signatureType: 'post_inference' },
  h500dir: {
    batchSize: 128,
    epochs: 25,
    nCellsPerPseudobulk: 50,
    nHvg: 500,
    pseudobulkSampling: 'dirichlet-per-pseudobulk',
    signatureType: 'pre_encoded',
  },
};

function f(x: number | undefined, d = 3): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d);
}

async function published(): Promise<void> {
  const ref = await pbmc3k();
  console.log('\n### Published settings, all PBMC3k cells (trainSize 0.7), seed 0\n');
  console.log('| model | validation rho | validation d | validation ELBO | epochs | steps | wall (s) | CPU (s) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of ['mixupvi', 'scvi']) {
    const t0 = performance.now();
    const c0 = cpuUsage();
    // MIXUPVI_BENCH_EPOCHS: a short smoke run of this part (the figures in the docs use the default 100).
    const options = {
      ...(process.env.MIXUPVI_BENCH_EPOCHS ? { epochs: Number(process.env.MIXUPVI_BENCH_EPOCHS) } : {}),
      ...(process.env.MIXUPVI_BENCH_OPTIONS ? (JSON.parse(process.env.MIXUPVI_BENCH_OPTIONS) as Record<string, unknown>) : {}),
    };
    const fitted = await getMethod(name).fit(ref, { labelsKey: 'cell_type', seed: 0, options });
    if (process.env.MIXUPVI_BENCH_SAVE) await fitted.save?.(join(process.env.MIXUPVI_BENCH_SAVE, name));
    const wall = (performance.now() - t0) / 1000;
    const c = cpuUsage(c0);
    const h = (fitted as unknown as { history: TrainHistory }).history;
    const last = h.epochs.at(-1);
    const v = (last?.val ?? {}) as Record<string, number>;
    console.log(
      `| ${name} | ${f(v.rho)} | ${f(v.d)} | ${f(v.elbo, 1)} | ${h.epochs.length} | ${h.steps} | ${wall.toFixed(0)} | ${((c.user + c.system) / 1e6).toFixed(0)} |`,
    );
    // The rho trajectory: scVI's rho is not monotone (see docs/BENCHMARKS.md).
    const every = h.epochs.filter((e) => e.epoch === 0 || e.epoch % 10 === 9);
    console.log(`<!-- ${name} val rho by epoch: ${every.map((e) => `${e.epoch + 1}:${f(e.val?.rho, 2)}`).join(' ')} -->`);
    console.log(`<!-- ${name} val d by epoch: ${every.map((e) => `${e.epoch + 1}:${f(e.val?.d, 2)}`).join(' ')} -->`);
  }
}

async function quick(): Promise<void> {
  const ref = await pbmc3k();
  const wantGran = (process.env.MIXUPVI_BENCH_GRAN ?? 'fine').split(',');
  const grans = pbmc3kGranularities().filter((g) => wantGran.some((w) => g.name.includes(w)));
  const deep = (process.env.MIXUPVI_BENCH_METHODS ?? 'mixupvi').split(',');
  const names = process.env.MIXUPVI_BENCH_CANDIDATES?.split(',') ?? Object.keys(CANDIDATES);
  console.log('\n### Quick-setting candidates (demo protocol: train half, 100 pseudobulks of 100 test cells, seed 0)\n');
  console.log('| candidate | options | method | granularity | median r | IQR r | median MSE | fit (s) |');
  console.log('|---|---|---|---|---|---|---|---|');
  let nnlsDone = false;
  for (const name of names) {
    const cand = CANDIDATES[name];
    if (!cand) throw new Error(`unknown candidate ${name}`);
    const outDir = mkdtempSync(join(tmpdir(), 'mixupvi-bench-'));
    const methods = nnlsDone ? deep : ['nnls', ...deep];
    const res = await runBenchmark({
      reference: ref,
      labelsKey: 'cell_type',
      granularities: grans,
      methods,
      nSamples: 100,
      nCells: 100,
      seed: 0,
      outDir,
      quick: true,
      methodOptions: Object.fromEntries(deep.map((m) => [m, cand])),
      resume: false,
    });
    nnlsDone = true;
    for (const m of methods) {
      for (const g of res.granularities) {
        const p = res.summary.find((r) => r.method === m && r.granularity === g && r.metric === 'pearson');
        const e = res.summary.find((r) => r.method === m && r.granularity === g && r.metric === 'mse');
        const t = res.timings.find((r) => r.method === m && r.granularity === g);
        const opts =
          m === 'nnls'
            ? ''
            : JSON.stringify({ ...MIXUPVI_QUICK, ...cand })
                .replace(/"/g, '')
                .replace(/,/g, ', ');
        console.log(
          `| ${m === 'nnls' ? '-' : name} | ${opts} | ${m} | ${g} | ${f(p?.median)} | ${f(p?.iqr)} | ${e?.median.toExponential(2) ?? 'n/a'} | ${f(t?.fitSeconds, 1)} |`,
        );
      }
    }
    for (const fl of res.failures) console.log(`<!-- ${name}: ${fl.method} failed: ${fl.message} -->`);
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Pearson of rows i of a and j of b (`[n, d]` row-major). */
function rowPearson(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let ma = 0;
  let mb = 0;
  for (let k = 0; k < d; k++) {
    ma += a[i * d + k] as number;
    mb += b[j * d + k] as number;
  }
  ma /= d;
  mb /= d;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < d; k++) {
    const x = (a[i * d + k] as number) - ma;
    const y = (b[j * d + k] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Pearson over the n rows of column k of a and b (`[n, d]`). */
function colPearson(a: Float32Array, b: Float32Array, n: number, d: number, k: number): number {
  const x = Float64Array.from({ length: n }, (_, i) => a[i * d + k] as number);
  const y = Float64Array.from({ length: n }, (_, i) => b[i * d + k] as number);
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += ((x[i] as number) - mx) * ((y[i] as number) - my);
    saa += ((x[i] as number) - mx) ** 2;
    sbb += ((y[i] as number) - my) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * What the mixup correlation rho measures. For saved models (MIXUPVI_BENCH_MODELS=dir,dir), on M = 100
 * pseudobulks of 100 PBMC3k cells with Dirichlet(1) type compositions (with replacement, seed 0), with posterior means:
 * - rho (the spec's definition, [P App. D]): mean over pseudobulks of Pearson over the d latent dims between
 *   the mean of the cells' codes and the pseudobulk's code;
 * - rho null: the same with the pseudobulk's code paired with ANOTHER pseudobulk's mean code (a shuffled
 *   pairing); a rho close to it says the codes share a common profile over the dims, not that the
 *   encoder is linear;
 * - rho across pseudobulks: per latent dim, Pearson over the M pseudobulks, then the mean over dims
 *   (insensitive to the shared profile).
 */
async function rhoProbe(): Promise<void> {
  const dirs = (process.env.MIXUPVI_BENCH_MODELS ?? '').split(',').filter((x) => x);
  if (dirs.length === 0) {
    console.log('rho: set MIXUPVI_BENCH_MODELS=dir[,dir] (model directories from `celldeconv train`); skipped');
    return;
  }
  const tf = await import('@tensorflow/tfjs-core');
  const { loadMixupVI } = await import('../src/methods/deep/mixupvi/model.js');
  const { toDense } = await import('../src/data/matrix.js');
  const { Rng } = await import('../src/core/rng.js');
  const ref = await pbmc3k();
  console.log('\n| model | rho (matched) | rho null (shuffled pairs) | rho across pseudobulks (mean over dims) |');
  console.log('|---|---|---|---|');
  for (const dir of dirs) {
    const m = await loadMixupVI(dir);
    const sub = ref.selectVarsByName(m.genes);
    const X = toDense(sub.layer(sub.layers.has('raw_counts') ? 'raw_counts' : undefined), undefined, 'float32').data as Float32Array;
    const N = sub.nObs;
    const G = m.genes.length;
    const d = m.options.latent;
    const M = 100;
    const n = 100;
    const rng = new Rng(0);
    const xI = new Float32Array(M * G);
    const members: number[][] = [];
    const { codes, categories } = sub.labels('cell_type');
    const byType: number[][] = categories.map(() => []);
    for (let i = 0; i < N; i++) byType[codes[i] as number]?.push(i);
    const alpha = new Float64Array(categories.length).fill(1);
    for (let p = 0; p < M; p++) {
      // Dirichlet(1) compositions: diverse pseudobulks (uniform draws would all look like the average cell).
      const prop = rng.dirichlet(alpha);
      const mem: number[] = [];
      for (let c = 0; c < categories.length && mem.length < n; c++) {
        const pop = byType[c] as number[];
        const k = c === categories.length - 1 ? n - mem.length : Math.min(n - mem.length, Math.round((prop[c] as number) * n));
        for (let t = 0; t < k; t++) mem.push(pop[rng.int(pop.length)] as number);
      }
      members.push(mem);
      for (const i of mem) for (let g = 0; g < G; g++) xI[p * G + g] = (xI[p * G + g] as number) + (X[i * G + g] as number) / n;
    }
    const enc = async (x: Float32Array, rows: number): Promise<Float32Array> => {
      const t = tf.tensor2d(x, [rows, G]);
      const z = m.vae.encodeMean(t);
      const out = (await z.data()) as Float32Array;
      tf.dispose([t, z]);
      return out;
    };
    const zI = await enc(xI, M);
    const zCells = new Float32Array(N * d);
    for (let s = 0; s < N; s += 512) {
      const e = Math.min(N, s + 512);
      zCells.set(await enc(X.subarray(s * G, e * G), e - s), s * d);
    }
    const zBar = new Float32Array(M * d);
    for (let p = 0; p < M; p++)
      for (const i of members[p] as number[])
        for (let k = 0; k < d; k++) zBar[p * d + k] = (zBar[p * d + k] as number) + (zCells[i * d + k] as number) / n;
    let matched = 0;
    let shuffled = 0;
    for (let p = 0; p < M; p++) {
      matched += rowPearson(zBar, p, zI, p, d) / M;
      shuffled += rowPearson(zBar, (p + 1) % M, zI, p, d) / M;
    }
    let across = 0;
    for (let k = 0; k < d; k++) across += colPearson(zBar, zI, M, d, k) / d;
    console.log(`| ${m.method} (${dir.split(/[\\/]/).at(-1)}) | ${f(matched)} | ${f(shuffled)} | ${f(across)} |`);
  }
}

await initBackend();
if (parts.includes('rho')) await rhoProbe();
if (parts.includes('published')) await published();
if (parts.includes('quick')) await quick();
