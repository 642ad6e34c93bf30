/**
 * `npm run bench -- simulate`: time to simulate 400 Dirichlet pseudobulks of 100 cells from the
 * bundled PBMC3k (2,638 cells x 32,738 genes, CSR), with all three layers (raw_counts mean,
 * relative_counts mean, counts_sum), and from the benchmark's input (genes with >= 3 counts, test
 * half of the split).
 *
 * Reference measured in the same run: the same algorithm written the PyDeconv way in Python
 * (`create_dirichlet_pseudobulk_dataset`'s loop: numpy Dirichlet, `random.sample` per type, row
 * means of a scipy.sparse CSR matrix per sample; without AnnData's view overhead, so it is a lower
 * bound on PyDeconv's time). Needs /usr/bin/python3 with numpy + scipy; skipped otherwise.
 * Each figure is the median of BENCH_REPEATS (default 3) runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LAYERS } from '../src/core/keys.js';
import { pbmc3k, pbmc3kPath } from '../src/datasets/index.js';
import { preprocessScrna } from '../src/preprocess/normalize.js';
import { simulatePseudobulks } from '../src/simulate/dirichlet-pseudobulk.js';
import { splitTrainTest } from '../src/simulate/split.js';

const PY = '/usr/bin/python3';
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const PY_CODE = String.raw`
import sys, time, random
import numpy as np, scipy.io, scipy.sparse as sp, pandas as pd
d, repeats = sys.argv[1], int(sys.argv[2])
X = sp.csr_matrix(scipy.io.mmread(d + '/matrix.mtx.gz').T.astype(np.float32))
labels = pd.read_csv(d + '/cells.tsv', sep='\t')['cell_type']
tot = np.asarray(X.sum(axis=1)).ravel()
R = sp.csr_matrix(sp.diags(1e4 / tot) @ X)
counts = labels.value_counts()
members = {c: list(np.where(labels.values == c)[0]) for c in counts.index}
times, cpus = [], []
for rep in range(repeats):
    t = time.perf_counter()
    c0 = time.process_time()
    rs = np.random.RandomState(rep)
    P = rs.dirichlet(np.ones(len(counts)), 400)
    K = np.round(P * 100).astype(np.int64)
    random.seed(rep)
    raw, rel, sm = [], [], []
    for i in range(400):
        idx = []
        for j, c in enumerate(counts.index):
            pop = members[c]
            idx.extend(random.choices(pop, k=K[i, j]) if K[i, j] > len(pop) else random.sample(pop, K[i, j]))
        s = np.asarray(X[idx].sum(axis=0)).ravel()
        raw.append(s / len(idx)); sm.append(s)
        rel.append(np.asarray(R[idx].mean(axis=0)).ravel())
    np.array(raw); np.array(rel); np.array(sm)
    times.append(time.perf_counter() - t)
    cpus.append(time.process_time() - c0)
print(sorted(times)[len(times) // 2], sorted(cpus)[len(cpus) // 2])
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median wall and CPU (user + system) seconds; CPU time is the steadier figure on a shared machine. */
function timeIt(fn: () => void): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    wall.push((performance.now() - t) / 1000);
    cpu.push((d.user + d.system) / 1e6);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  const ref = await pbmc3k();
  const full = timeIt(() => {
    const s = simulatePseudobulks(ref, { labelsKey: 'cell_type', nSamples: 400, nCells: 100, seed: 0 });
    if (!s.bulk.layers.has(LAYERS.countsSum)) throw new Error('missing layer');
  });
  const { dataset } = preprocessScrna(ref, { minCounts: 3 });
  const { test } = splitTrainTest(dataset, { labelsKey: 'cell_type', seed: 0 });
  const half = timeIt(() => {
    simulatePseudobulks(test, { labelsKey: 'cell_type', nSamples: 400, nCells: 100, seed: 0 });
  });
  let pyFull: { wall: number; cpu: number } | undefined;
  const check = existsSync(PY) ? spawnSync(PY, ['-c', 'import numpy, scipy, pandas'], { encoding: 'utf8' }) : undefined;
  if (check?.status === 0) {
    const r = spawnSync(PY, ['-c', PY_CODE, pbmc3kPath(), String(REPEATS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status === 0) {
      const [w, c] = r.stdout.trim().split(/\s+/).map(Number) as [number, number];
      pyFull = { wall: w, cpu: c };
    } else console.log(`python reference failed: ${r.stderr.slice(-500)}`);
  } else console.log('python reference skipped: /usr/bin/python3 with numpy, scipy, pandas not found');
  const fmt = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s (CPU ${t.cpu.toFixed(2)} s)`;
  console.log(`\nSimulation: 400 pseudobulks x 100 cells, 3 layers, median of ${REPEATS} (node ${process.version})\n`);
  console.log('| input | celldeconv, wall (CPU) | PyDeconv-style numpy/scipy loop, wall (CPU) | CPU time, reference / celldeconv |');
  console.log('| --- | --- | --- | --- |');
  console.log(
    `| PBMC3k, all 2,638 cells x ${ref.nVars.toLocaleString('en-US')} genes | ${fmt(full)} | ${pyFull ? fmt(pyFull) : 'n/a'} | ${pyFull ? (pyFull.cpu / full.cpu).toFixed(2) : 'n/a'} |`,
  );
  console.log(
    `| benchmark input: test half (${test.nObs} cells) x ${test.nVars.toLocaleString('en-US')} genes (>= 3 counts) | ${fmt(half)} | | |`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
