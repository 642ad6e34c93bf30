/**
 * `npm run bench -- scale`: atlas-scale references from disk. Generates synthetic CSR `.h5ad`
 * references (SCALE_CELLS, default 200000; SCALE_GENES 20000; SCALE_DENSITY 0.02) block by block
 * under os.tmpdir() with `writeH5adCsrStream` (never holding the matrix), then measures, each in
 * its own process with `/usr/bin/time -v` (wall, user+sys CPU, peak RSS):
 * - `info` (metadata, streaming structure check of indptr and indices);
 * - `epoch`: one epoch of shuffled mini-batches (128 rows) read from disk through
 *   `backedRowSource` + `miniBatches`, the streaming source for training and `embed`, with blocks
 *   sized by `blockRowsForBudget` for the budget SCALE_MEMORY (default 2GB);
 * - `simulate` and `signature` through the CLI, which still load the whole reference (for
 *   comparison; skipped with SCALE_SKIP_INMEMORY=1).
 * The files are deleted afterwards. Run it niced; it checks free disk space first.
 * Environment: SCALE_CELLS (comma list), SCALE_GENES, SCALE_DENSITY, SCALE_MEMORY, SCALE_SKIP_INMEMORY.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/rng.js';
import { categoricalFrom, Frame } from '../src/data/frame.js';
import { CsrMatrix } from '../src/data/sparse.js';
import { writeH5adCsrStream } from '../src/io/h5ad/write-stream.js';
import { parseMemorySize } from '../src/io/memory-budget.js';

const CELLS = (process.env.SCALE_CELLS ?? '200000').split(',').map(Number);
const GENES = Number(process.env.SCALE_GENES ?? 20000);
const DENSITY = Number(process.env.SCALE_DENSITY ?? 0.02);
const MEMORY = process.env.SCALE_MEMORY ?? '2GB';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TYPES = 8;

/**
 * Row blocks of synthetic counts: up to density * genes stored values per row at sorted distinct
 * columns (one in each stride of genes / nnz); in the cell type's marker eighth of the genes always
 * present with values 1..20, elsewhere present 3 times in 4 with values 1..4.
 */
export function* syntheticBlocks(nCells: number, seed: number, blockRows = 5000): Generator<CsrMatrix> {
  const rng = new Rng(seed);
  const perRow = Math.max(1, Math.min(GENES, Math.round(DENSITY * GENES)));
  const stride = GENES / perRow;
  for (let s = 0; s < nCells; s += blockRows) {
    const rows = Math.min(blockRows, nCells - s);
    const indptr = new Float64Array(rows + 1);
    const indices = new Int32Array(rows * perRow);
    const data = new Float32Array(rows * perRow);
    let p = 0;
    for (let i = 0; i < rows; i++) {
      const t = (s + i) % TYPES;
      for (let k = 0; k < perRow; k++) {
        const col = Math.min(GENES - 1, Math.floor(k * stride + rng.uniform() * stride));
        const marker = Math.floor((col * TYPES) / GENES) === t;
        // Markers: always detected and high; other genes: detected 3 times in 4, low.
        if (!marker && rng.uniform() < 0.25) continue;
        indices[p] = col;
        data[p++] = 1 + rng.int(marker ? 20 : 4);
      }
      indptr[i + 1] = p;
    }
    yield new CsrMatrix(rows, GENES, { indptr, indices: indices.subarray(0, p), data: data.subarray(0, p) });
  }
}

function measure(args: string[]): { wall: number; cpu: number; rssMb: number; ok: boolean; tail: string } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8' });
  const err = r.stderr ?? '';
  const num = (re: RegExp) => Number(re.exec(err)?.[1] ?? Number.NaN);
  const wallText = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)/.exec(err)?.[1] ?? 'NaN';
  const wall = wallText.split(':').reduce((a, x) => a * 60 + Number(x), 0);
  const cpu = num(/User time \(seconds\): ([0-9.]+)/) + num(/System time \(seconds\): ([0-9.]+)/);
  const rssMb = num(/Maximum resident set size \(kbytes\): ([0-9]+)/) / 1024;
  return {
    wall,
    cpu,
    rssMb,
    ok: r.status === 0,
    tail: `${r.stdout ?? ''}${err}`
      .split('\n')
      .filter((l) => !/^\s/.test(l))
      .slice(-3)
      .join(' | '),
  };
}

const budget = parseMemorySize(MEMORY);
if (process.argv[1]?.endsWith('scale.bench.ts')) await main();

async function main(): Promise<void> {
  console.log(`scale bench: cells ${CELLS.join(', ')} x ${GENES} genes, density ${DENSITY}, budget ${MEMORY}; ${cpus().length} CPUs`);
  for (const nCells of CELLS) {
    const need = nCells * DENSITY * GENES * 8 * 1.1;
    const fs = statfsSync(tmpdir());
    if (fs.bavail * fs.bsize < need * 2) {
      console.log(`${nCells}: skipped, ${(need / 1e9).toFixed(1)} GB needed under ${tmpdir()} and not free`);
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'celldeconv-scale-'));
    try {
      const file = join(dir, `ref_${nCells}.h5ad`);
      const t0 = Date.now();
      const obsNames = Array.from({ length: nCells }, (_, i) => `cell${i}`);
      const labels = Array.from({ length: nCells }, (_, i) => `T${i % TYPES}`);
      await writeH5adCsrStream(
        file,
        {
          obsNames,
          varNames: Array.from({ length: GENES }, (_, j) => `gene${j}`),
          obs: new Frame(nCells, [['cell_type', categoricalFrom(labels)]]),
          var: new Frame(GENES),
        },
        syntheticBlocks(nCells, 1),
      );
      console.log(
        `${nCells} cells: generated ${(statSync(file).size / 1e9).toFixed(2)} GB in ${((Date.now() - t0) / 1000).toFixed(0)} s (${file})`,
      );
      const rows: [string, string[]][] = [
        ['info', ['src/cli/main.ts', 'info', file]],
        ['epoch', ['bench/scale-epoch.ts', file, String(budget)]],
      ];
      if (!process.env.SCALE_SKIP_INMEMORY) {
        rows.push([
          'simulate',
          ['src/cli/main.ts', 'simulate', '-r', file, '--labels', 'cell_type', '--n', '100', '--out', join(dir, 'sim')],
        ]);
        rows.push(['signature', ['src/cli/main.ts', 'signature', '-r', file, '--labels', 'cell_type', '--out', join(dir, 'sig.csv')]]);
      }
      for (const [name, args] of rows) {
        const m = measure(args);
        console.log(
          `| ${nCells.toLocaleString('en-US')} | ${name} | ${m.wall.toFixed(1)} | ${m.cpu.toFixed(1)} | ${m.rssMb.toFixed(0)} | ${m.ok ? 'ok' : `FAILED: ${m.tail}`} |`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
