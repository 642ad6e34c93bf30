/**
 * `npm run bench -- io`: reading the bundled PBMC3k (10x Matrix Market, 7.3 MB gzip, 2,638 cells x
 * 32,738 genes, 2,242,529 non-zeros) into a CSR Dataset, writing it as .h5ad and reading that back
 * (fully, and 10 backed row blocks), writing a 10x directory, writing and reading a 20,000 x 100
 * dense TSV.gz (a bulk-sized table), plus the gunzip share of the mtx read
 * and the peak RSS (after the mtx reads, before h5wasm is loaded, and for the whole run). Each figure is the median of BENCH_REPEATS (default 3) runs; wall and CPU time are both
 * given because the machine may be shared.
 *
 * Reference measured in the same run when /usr/bin/python3 has scipy + anndata:
 * `scipy.io.mmread` of the same file (+ `.T.tocsr()`), and `anndata.read_h5ad` of our h5ad file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../src/core/rng.js';
import { DenseMatrix } from '../src/data/dense.js';
import { pbmc3kPath } from '../src/datasets/index.js';
import { openH5adBacked, readH5ad } from '../src/io/h5ad/read.js';
import { writeH5ad } from '../src/io/h5ad/write.js';
import { readTenx, writeTenx } from '../src/io/mtx.js';
import { readDenseTable, writeDenseTable } from '../src/io/table.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const PY = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

const fmt = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`;

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-io-bench-'));
const src = pbmc3kPath();
try {
  const mtxGz = join(src, 'matrix.mtx.gz');
  const gunzip = await timeIt(() => gunzipSync(readFileSync(mtxGz)));
  let ds = await readTenx(src);
  const readMtx = await timeIt(async () => {
    ds = await readTenx(src);
  });
  const peakMtxMb = process.resourceUsage().maxRSS / 1024;
  const h5 = join(dir, 'pbmc3k.h5ad');
  const writeH5 = await timeIt(() => writeH5ad(h5, ds));
  const readH5 = await timeIt(() => readH5ad(h5));
  const backed = await timeIt(async () => {
    const b = await openH5adBacked(h5);
    try {
      for (let s = 0; s < b.shape[0]; s += 264) b.readRows(s, Math.min(b.shape[0], s + 264));
    } finally {
      b.close();
    }
  });
  const tenx = join(dir, 'tenx');
  const writeMtx = await timeIt(() => writeTenx(tenx, ds));
  // A bulk-sized dense table: 20,000 genes x 100 samples (2M cells), gzipped TSV, seeded values.
  const rng = new Rng(0);
  const bulk = new DenseMatrix(
    20000,
    100,
    Float64Array.from({ length: 2e6 }, () => Math.round(rng.gamma(0.5) * 1e4) / 100),
  );
  const tsv = join(dir, 'bulk.tsv.gz');
  const genes = Array.from({ length: 20000 }, (_, i) => `GENE${i}`);
  const samples = Array.from({ length: 100 }, (_, j) => `S${j}`);
  const writeTsv = await timeIt(() => writeDenseTable(tsv, genes, samples, bulk, { cornerLabel: 'gene' }));
  const readTsv = await timeIt(() => readDenseTable(tsv));
  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(`PBMC3k ${ds.nObs} x ${ds.nVars}, ${ds.X.kind === 'dense' ? '' : `${ds.X.nnz} non-zeros`}; median of ${REPEATS}`);
  console.log(`gunzip matrix.mtx.gz only (zlib):        ${fmt(gunzip)}`);
  console.log(`read 10x mtx.gz -> CSR Dataset:          ${fmt(readMtx)}`);
  console.log(`write .h5ad (${(statSync(h5).size / 1e6).toFixed(1)} MB, uncompressed): ${fmt(writeH5)}`);
  console.log(`read .h5ad -> Dataset:                   ${fmt(readH5)}`);
  console.log(`backed .h5ad, 10 row blocks of 264:      ${fmt(backed)}`);
  console.log(`write 10x directory (gzip):              ${fmt(writeMtx)}`);
  console.log(`write 20,000 x 100 TSV.gz:               ${fmt(writeTsv)}`);
  console.log(`read 20,000 x 100 TSV.gz (csv-parse):    ${fmt(readTsv)}`);
  console.log(`peak RSS after the mtx reads:            ${peakMtxMb.toFixed(0)} MB`);
  console.log(
    `peak RSS of the whole run:               ${peakMb.toFixed(0)} MB (includes ~0.6 GB that tsx spends loading h5wasm's 4 MB module)`,
  );
  const hasPy = existsSync(PY) && spawnSync(PY, ['-c', 'import scipy.io, anndata'], { encoding: 'utf8' }).status === 0;
  if (hasPy) {
    const code = `
import sys, time, warnings
warnings.simplefilter('ignore')
import scipy.io, anndata
def med(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]
n = int(sys.argv[3])
print('%.2f %.2f' % (med(lambda: scipy.io.mmread(sys.argv[1]).T.tocsr(), n), med(lambda: anndata.read_h5ad(sys.argv[2]), n)))
`;
    const r = spawnSync(PY, ['-c', code, mtxGz, h5, String(REPEATS)], { encoding: 'utf8' });
    const [mm, rh] = r.stdout.trim().split(' ');
    if (r.status === 0) {
      console.log(`reference: scipy.io.mmread + tocsr:      ${mm} s wall`);
      console.log(`reference: anndata.read_h5ad (our file): ${rh} s wall`);
    } else console.log(`reference skipped: ${r.stderr.trim().split('\n').pop()}`);
  } else console.log('reference skipped: /usr/bin/python3 with scipy and anndata not found');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
