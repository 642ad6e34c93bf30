/**
 * `npm run bench -- linear`: the signature-based linear methods against the Python reference
 * (`../shared/reference/linear_ref.py`: scipy / statsmodels, PyDeconv's definitions), on the
 * reference generator's synthetic data, both timed in the same run.
 *
 * Cases: 400 samples x 500 genes x 9 types and 400 samples x 1,400 genes x 17 types (generated
 * with `make_synthetic.py` into a temporary directory). Both sides are timed alike: in one process,
 * CSV reading excluded, one untimed warm-up call and then BENCH_REPEATS (5) timed calls, the median
 * wall time and the median CPU time (the whole process, all threads) reported. Ours = fit +
 * deconvolve, with one thread (the fair comparison) and with the automatic choice (two worker
 * threads when the work pays off; wall only). Python = the reference's solver function (the call
 * linear_ref.py's main makes; bench/py_linear_timed.py) with single-threaded BLAS
 * (OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1). Slow Python methods (RLR, DWLS, nu-SVR)
 * are timed on the first 40 (500 x 9) or 10 (1,400 x 17) samples (BENCH_PY_SAMPLES_SLOW overrides)
 * and scaled to all samples linearly (samples are independent); the table says so.
 *
 * Environment: BENCH_METHODS (default ols,nnls,rlr,wnnls,dwls,nusvr), BENCH_REPEATS, BENCH_PY_SAMPLES_SLOW, BENCH_CASES
 * (e.g. "500x9"), BENCH_NO_PYTHON=1.
 * The data come from the Python generator, so without `/usr/bin/python3` + numpy/scipy/pandas/
 * statsmodels/sklearn (or without ../shared/reference) the bench prints why and does nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dataset } from '../src/data/dataset.js';
import { DenseMatrix } from '../src/data/dense.js';
import { readBulk } from '../src/io/table.js';
import '../src/methods/all-methods.js';
import { getMethod, listMethods } from '../src/methods/registry.js';
import { Signature } from '../src/signature/signature.js';
import { readSignatureCsv } from '../src/signature/signature-csv.js';

const PY = '/usr/bin/python3';
const REF = fileURLToPath(new URL('../../shared/reference/', import.meta.url));
/** BENCH_METHODS=ols,nnls,... picks methods (default: all six). */
const LINEAR = (process.env.BENCH_METHODS?.split(',') ?? ['ols', 'nnls', 'rlr', 'wnnls', 'dwls', 'nusvr']).filter((m) =>
  listMethods().includes(m),
);
/** Timed calls per side after one warm-up call (BENCH_REPEATS, default 5). */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Methods whose Python reference is timed on a subset of samples (scaled linearly; samples are independent). */
const SLOW = new Set(['rlr', 'dwls', 'nusvr']);

function havePython(): boolean {
  if (process.env.BENCH_NO_PYTHON === '1' || !existsSync(PY) || !existsSync(join(REF, 'linear_ref.py'))) return false;
  const r = spawnSync(PY, ['-c', 'import numpy, scipy, pandas, statsmodels, sklearn'], { encoding: 'utf8' });
  return r.status === 0;
}

function py(args: string[]): string {
  const r = spawnSync(PY, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python failed: ${args.join(' ')}\n${r.stderr}`);
  return r.stderr;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = (s.length - 1) / 2;
  return ((s[Math.floor(h)] as number) + (s[Math.ceil(h)] as number)) / 2;
}

/**
 * Runs the Python reference through bench/py_linear_timed.py: single-threaded BLAS, one warm-up,
 * REPEATS timed calls; returns their wall and CPU seconds.
 */
function pyTimed(method: string, sig: string, bulk: string, out: string): { wall: number[]; cpu: number[] } {
  const script = fileURLToPath(new URL('./py_linear_timed.py', import.meta.url));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const args = [
    script,
    '--ref-dir',
    REF,
    '--method',
    method,
    '--signature',
    sig,
    '--bulk',
    bulk,
    '--out',
    out,
    '--repeats',
    String(REPEATS),
  ];
  const r = spawnSync(PY, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python failed: ${args.join(' ')}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { wall: number[]; cpu: number[] };
}

/** First n data rows of a CSV (header kept). */
function headCsv(src: string, dst: string, n: number): void {
  const lines = readFileSync(src, 'utf8').split('\n');
  writeFileSync(dst, `${lines.slice(0, n + 1).join('\n')}\n`);
}

/** Runs a tiny NNLS on two worker threads; returns the seconds it took (pool start-up). */
async function startPool(): Promise<number> {
  const t0 = performance.now();
  const sig = new Signature(
    ['a', 'b'],
    ['g1', 'g2', 'g3'],
    DenseMatrix.fromRows([
      [1, 0, 2],
      [0, 3, 1],
    ]),
  );
  const bulk = new Dataset({
    X: DenseMatrix.fromRows([
      [1, 2, 3],
      [3, 2, 1],
    ]),
    obsNames: ['s1', 's2'],
    varNames: ['g1', 'g2', 'g3'],
  });
  await (await getMethod('nnls').fit(null, { signature: sig, options: { threads: 2 } })).deconvolve(bulk);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  if (!havePython()) {
    console.log(
      'linear bench: /usr/bin/python3 with numpy/scipy/pandas/statsmodels/sklearn and ../shared/reference are needed to generate the data; skipped',
    );
    return;
  }
  const envSlow = process.env.BENCH_PY_SAMPLES_SLOW ? Number(process.env.BENCH_PY_SAMPLES_SLOW) : undefined;
  const cases = [
    { genes: 500, types: 9, samples: 400, pySlow: envSlow ?? 40 },
    { genes: 1400, types: 17, samples: 400, pySlow: envSlow ?? 10 },
  ].filter((c) => !process.env.BENCH_CASES || process.env.BENCH_CASES.split(',').includes(`${c.genes}x${c.types}`));
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-linear-bench-'));
  try {
    // Start the two pooled solver workers once, as a long-running process would (under tsx each
    // worker compiles the sources again, ~1 s); timed runs below then pay only the messages.
    console.log(`worker pool: ${(await startPool()).toFixed(2)} s to start 2 workers`);
    for (const c of cases) {
      const d = join(dir, `${c.genes}x${c.types}`);
      py([
        join(REF, 'make_synthetic.py'),
        '--out-dir',
        d,
        '--genes',
        String(c.genes),
        '--types',
        String(c.types),
        '--samples',
        String(c.samples),
        '--seed',
        '0',
      ]);
      headCsv(join(d, 'BULK.csv'), join(d, 'BULK_head.csv'), c.pySlow);
      const sig = await readSignatureCsv(join(d, 'SIG.csv'));
      const bulk = await readBulk(join(d, 'BULK.csv'), { genesIn: 'columns' });
      console.log(
        `\n${c.samples} samples x ${c.genes} genes x ${c.types} types (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
      );
      console.log(
        `both sides: one warm-up call, then the median of ${REPEATS} timed calls; wall = elapsed, cpu = the process's CPU time (all threads); Python with OPENBLAS_NUM_THREADS=1`,
      );
      console.log(
        'method  | ours 1 thread: wall / cpu (s) | ours auto: wall (s) [threads] | python 1 BLAS thread: wall / cpu (s) | py/ours wall | py/ours cpu | max |Δ proportions|',
      );
      for (const m of LINEAR) {
        const spec = getMethod(m);
        const time = async (threads: number) => {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const f = await spec.fit(null, { signature: sig, options: { threads } });
          const res = await f.deconvolve(bulk);
          const cu = process.cpuUsage(c0);
          // process.cpuUsage is getrusage(RUSAGE_SELF): every thread of the process (workers, GC,
          // compiler), as Python's time.process_time counts every thread of the interpreter.
          return { s: (performance.now() - t0) / 1000, cpu: (cu.user + cu.system) / 1e6, res };
        };
        // The same protocol as bench/py_linear_timed.py: one warm-up call (JIT, worker start-up,
        // lazy imports), then REPEATS timed calls, medians reported.
        const timed = async (threads: number) => {
          let last = await time(threads);
          const wall: number[] = [];
          const cpu: number[] = [];
          for (let k = 0; k < REPEATS; k++) {
            last = await time(threads);
            wall.push(last.s);
            cpu.push(last.cpu);
          }
          return { wall: median(wall), cpu: median(cpu), res: last.res };
        };
        const one = await timed(1);
        const auto = await timed(0);
        const slow = SLOW.has(m) && c.pySlow < c.samples;
        const out = join(d, `py_${m}.csv`);
        const py = pyTimed(m, join(d, 'SIG.csv'), join(d, slow ? 'BULK_head.csv' : 'BULK.csv'), out);
        const scale = slow ? c.samples / c.pySlow : 1;
        const pyWall = median(py.wall) * scale;
        const pyCpu = median(py.cpu) * scale;
        const note = slow ? ` (${c.pySlow} samples x ${scale})` : '';
        // Agreement with the reference on the samples Python ran.
        const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1);
        let diff = 0;
        lines.forEach((line, i) => {
          const v = line.split(',').slice(1).map(Number);
          for (let k = 0; k < v.length; k++) diff = Math.max(diff, Math.abs(v[k]! - auto.res.proportions.get(i, k)));
        });
        const threads = auto.res.diagnostics.extra?.threads ?? 1;
        console.log(
          `${m.padEnd(7)} | ${`${one.wall.toFixed(3)} / ${one.cpu.toFixed(3)}`.padStart(29)} | ${`${auto.wall.toFixed(3)} [${threads}]`.padStart(29)} | ${`${pyWall.toFixed(3)} / ${pyCpu.toFixed(3)}${note}`.padStart(36)} | ${`${(pyWall / one.wall).toFixed(1)}x`.padStart(12)} | ${`${(pyCpu / one.cpu).toFixed(1)}x`.padStart(11)} | ${diff.toExponential(1)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
