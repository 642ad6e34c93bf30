/**
 * MrVI on the seed's semi-synthetic benchmark built from PBMC3k (Suppl. B.2): 32 samples, the two
 * largest cell types perturbed along random sample trees (data seed 0). For each MrVI training seed:
 * Robinson–Foulds distance between the true tree and the average-linkage tree of the aggregated
 * distances of each perturbed type (k-rule applied, true tree restricted to the kept samples), the
 * same for CompositionPCA and for random trees, an untouched type against the first perturbed
 * type's true tree, and the guided test (covariate = root side of each perturbed type's tree;
 * affected cells = that type's cells) FDR and TPR at 0.05.
 *
 * Usage: nice -n 10 node --import tsx bench/mrvi.bench.ts [--seeds 0,1,2] [--epochs 30] [--speed]
 *   --speed adds sample-distances time and peak RSS for S = 32 and 200 on 50,000 cells (child
 *   processes of the CLI under /usr/bin/time).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.js';
import { Dataset } from '../src/data/dataset.js';
import { categoricalFrom, columnAsStrings, Frame } from '../src/data/frame.js';
import { pbmc3k } from '../src/datasets/pbmc3k.js';
import { writeH5ad } from '../src/io/h5ad/write.js';
import { compositionPcaDistances } from '../src/models/mrvi/composition-pca.js';
import type { GroupDistances } from '../src/models/mrvi/distances.js';
import { flagRates } from '../src/models/mrvi/guided.js';
import { MrviModel } from '../src/models/mrvi/model.js';
import { averageLinkage, randomBinaryTree, restrictTree, robinsonFoulds, type SampleTree } from '../src/models/mrvi/sample-tree.js';
import { initBackend } from '../src/nn/backend.js';
import { selectHighlyVariableGenes } from '../src/preprocess/hvg.js';
import { simulateSampleStructure } from '../src/simulate/sample-structure.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? (argv[i + 1] as string) : def;
};
const seeds = arg('seeds', '0,1,2,3,4').split(',').map(Number);
const epochs = Number(arg('epochs', '30'));
const lr = Number(arg('lr', '0.001'));
const speed = argv.includes('--speed');
const onlySpeed = argv.includes('--speed-only');

function rfOf(g: GroupDistances, truth: SampleTree): number {
  if (g.samples.length < 4) return Number.NaN;
  return robinsonFoulds(restrictTree(truth, g.samples), averageLinkage(g.D, g.samples.length)).rf;
}

/** Pearson correlation of the upper triangles of D (on the kept samples) and the true distances. */
function corrWithTruth(g: GroupDistances, trueD: Float64Array, S: number): number {
  const m = g.samples.length;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = i + 1; j < m; j++) {
      a.push(g.D[i * m + j] as number);
      b.push(trueD[(g.samples[i] as number) * S + (g.samples[j] as number)] as number);
    }
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < a.length; k++) {
    sab += ((a[k] as number) - ma) * ((b[k] as number) - mb);
    saa += ((a[k] as number) - ma) ** 2;
    sbb += ((b[k] as number) - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function randomRf(truth: SampleTree, keep: number[], n: number): number {
  const rng = new Rng(123);
  const t = restrictTree(truth, keep);
  let s = 0;
  for (let k = 0; k < n; k++) s += robinsonFoulds(t, randomBinaryTree(keep.length, rng)).rf;
  return s / n;
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / Math.max(1, x.length - 1));

const info = await initBackend('wasm');
const load = () => {
  const r = spawnSync('uptime', { encoding: 'utf8' });
  return r.stdout.trim().replace(/.*load average: /, '');
};
console.log(
  `backend ${info.name}${info.simd ? ' (SIMD)' : ''}, node ${process.version}, seeds ${seeds.join(',')}, epochs ${epochs}, lr ${lr}, load ${load()}`,
);
const ref0 = await pbmc3k();
const ref = selectHighlyVariableGenes(ref0, { flavor: 'seurat_v3', nTopGenes: 2000 }).dataset;

if (!onlySpeed) {
  const sim = simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 32, seed: 0 });
  const ds = sim.dataset;
  const labels = ds.obs.get('cell_type');
  const labelCats = columnAsStrings(labels);
  const groupNames = [...new Set(labelCats)].sort();
  const groupCodes = Int32Array.from(labelCats, (l) => groupNames.indexOf(l));
  const sampleCodes = (ds.obs.get('sample') as { codes: Int32Array }).codes;
  const perturbed = sim.truth.map((t) => t.cellType);
  const untouched = 'CD14+ Mono';
  console.log(
    `data: ${ds.nObs} cells x ${ds.nVars} genes, 32 samples, perturbed ${perturbed.join(', ')}; untouched type reported: ${untouched}`,
  );

  // baselines (deterministic given the data; CompositionPCA seeded by the run seed)
  const rows: Record<string, number[]> = {};
  const push = (k: string, v: number) => {
    rows[k] ??= [];
    (rows[k] as number[]).push(v);
  };
  for (const seed of seeds) {
    const comp = compositionPcaDistances(ds.X, groupCodes, groupNames, sampleCodes, 32, { seed });
    for (const t of sim.truth) {
      const g = comp.find((x) => x.group === t.cellType) as GroupDistances;
      push(`CompositionPCA RF ${t.cellType}`, rfOf(g, t.tree));
      push(`CompositionPCA corr(D, true D) ${t.cellType}`, corrWithTruth(g, t.distances, 32));
    }
    push(
      `CompositionPCA RF ${untouched} (vs ${perturbed[0]} tree)`,
      rfOf(comp.find((x) => x.group === untouched) as GroupDistances, sim.truth[0]?.tree as SampleTree),
    );
    const t0 = performance.now();
    const model = await MrviModel.train(ds, { sampleKey: 'sample', labelsKey: 'cell_type' }, { epochs, nHvg: 0, lr }, { seed });
    const trainS = (performance.now() - t0) / 1000;
    push('MrVI training cells/s', model.history?.samplesPerSecond ?? Number.NaN);
    push('MrVI epochs run', model.history?.epochs.length ?? 0);
    for (const [ti, t] of sim.truth.entries()) {
      const covName = `root_side_${t.cellType.replace(/[^A-Za-z0-9]+/g, '_')}`;
      const res = await model.sampleDistances(ds, { groupby: 'cell_type', covariate: covName });
      if (ti === 0) {
        for (const tt of sim.truth) {
          const g = res.groups.find((x) => x.group === tt.cellType) as GroupDistances;
          push(`MrVI RF ${tt.cellType}`, rfOf(g, tt.tree));
          push(`MrVI corr(D, true D) ${tt.cellType}`, corrWithTruth(g, tt.distances, 32));
        }
        const gu = res.groups.find((x) => x.group === untouched) as GroupDistances;
        push(`MrVI RF ${untouched} (vs ${perturbed[0]} tree)`, rfOf(gu, t.tree));
        push(`MrVI corr(D, true D) ${untouched} (vs ${perturbed[0]})`, corrWithTruth(gu, t.distances, 32));
        const eff = model.sampleEffects();
        push('MrVI mean |a_s|', mean(Array.from(eff.a, Math.abs)));
        push('MrVI mean |A_s|', mean(Array.from(eff.A, Math.abs)));
        if (seed === seeds[0]) {
          for (const tt of sim.truth) {
            const g = res.groups.find((x) => x.group === tt.cellType) as GroupDistances;
            push(`random tree RF ${tt.cellType}`, randomRf(tt.tree, g.samples, 200));
            push(`samples kept (k-rule) ${tt.cellType}`, g.samples.length);
          }
          push(`random tree RF ${untouched}`, randomRf(t.tree, gu.samples, 200));
        }
      }
      const affected = Uint8Array.from(labelCats, (l) => (l === t.cellType ? 1 : 0));
      const r = flagRates(res.guided?.flagged ?? new Uint8Array(ds.nObs), affected);
      push(`guided FDR (covariate: ${t.cellType} root split)`, r.fdr);
      push(`guided TPR (covariate: ${t.cellType} root split)`, r.tpr);
    }
    const last = (k: string) => (rows[k] as number[]).at(-1)?.toFixed(3);
    console.log(
      `seed ${seed}: trained ${model.history?.epochs.length} epochs in ${trainS.toFixed(0)} s (val ELBO ${model.history?.epochs.at(-1)?.val?.elbo?.toFixed(1)}); ` +
        `MrVI RF ${perturbed.map((t) => last(`MrVI RF ${t}`)).join(' / ')}; CompositionPCA RF ${perturbed.map((t) => last(`CompositionPCA RF ${t}`)).join(' / ')}; load ${load()}`,
    );
    model.dispose();
  }
  console.log(`\n| metric (mean ± sd over ${seeds.length} seeds${seeds.length === 1 ? '' : ''}) | value |\n| --- | --- |`);
  for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${mean(v).toFixed(3)}${v.length > 1 ? ` ± ${sd(v).toFixed(3)}` : ''} |`);
  console.log(`\n(RF range 0..${2 * (32 - 3)} with all 32 samples kept; lower is better)`);
}

if (speed || onlySpeed) {
  // 50,000 cells resampled from PBMC3k (2,000 genes), S samples assigned at random; the model is
  // trained 1 epoch on 3,000 of them (distance time does not depend on the weights' quality).
  const dir = mkdtempSync(join(tmpdir(), 'mrvi-bench-'));
  try {
    const N = 50000;
    for (const S of [32, 200]) {
      const rng = new Rng(S);
      const idx = Int32Array.from({ length: N }, () => rng.int(ref.nObs));
      const big = ref.selectObs(idx);
      const names = Array.from({ length: N }, (_, i) => `c${i}`);
      const samples = Array.from({ length: N }, (_, i) => `s${String(i % S).padStart(3, '0')}`);
      const obs = new Frame(N, { cell_type: big.obs.get('cell_type'), sample: categoricalFrom(samples) });
      const data = new Dataset({ X: big.X, obsNames: names, varNames: ref.varNames, obs });
      const file = join(dir, `big${S}.h5ad`);
      await writeH5ad(file, data);
      const small = join(dir, `small${S}.h5ad`);
      await writeH5ad(small, data.selectObs(Int32Array.from({ length: 3000 }, (_, i) => i)));
      const modelDir = join(dir, `m${S}`);
      const tr = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'train',
          'mrvi',
          '--reference',
          small,
          '--sample-key',
          'sample',
          '--epochs',
          '1',
          '--hvg',
          '0',
          '--out',
          modelDir,
          '-q',
          '--json',
        ],
        { encoding: 'utf8' },
      );
      if (tr.status !== 0) throw new Error(tr.stderr);
      const cps = (JSON.parse(tr.stdout) as { cellsPerSecond?: number }).cellsPerSecond;
      mkdirSync(join(dir, `out${S}`), { recursive: true });
      const t0 = performance.now();
      const r = spawnSync(
        '/usr/bin/time',
        [
          '-f',
          '%M',
          process.execPath,
          '--import',
          'tsx',
          'src/cli/main.ts',
          'sample-distances',
          '--model',
          modelDir,
          '--data',
          file,
          '--groupby',
          'cell_type',
          '--out',
          join(dir, `out${S}`),
          '-q',
          '--json',
        ],
        { encoding: 'utf8' },
      );
      const wall = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(r.stderr);
      const inner = (JSON.parse(r.stdout) as { seconds: number }).seconds;
      const rssKb = Number(r.stderr.trim().split('\n').at(-1));
      console.log(
        `| S = ${S}, ${N} cells, 2,000 genes | train (1 epoch, 3,000 cells) ${cps?.toFixed(0)} cells/s | sample-distances ${inner.toFixed(1)} s (process ${wall.toFixed(1)} s) | peak RSS ${(rssKb / 1024).toFixed(0)} MiB | load ${load()} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
