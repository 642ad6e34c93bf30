/**
 * Interruption and reproducibility of outputs (issue 16): a SIGKILL during a write never leaves a
 * half-written output visible, a re-run cleans up and a benchmark resumes from its state file; the
 * same seed writes byte-identical .h5ad files.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runBenchmark, STATE_FILE } from '../../src/benchmark/runner.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { cli } from '../helpers/cli.js';
import { benchmarkOptions } from '../helpers/interrupted-benchmark.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-kill-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const CHILD = new URL('../helpers/interrupted-writer.ts', import.meta.url).pathname;

function startChild(mode: string, out: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, mode, out], { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function killWhen(child: ChildProcess, ready: () => boolean, limitMs = 120_000): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  while (!ready()) {
    if (exited) throw new Error('the child exited before the kill');
    if (Date.now() - t0 > limitMs) {
      child.kill('SIGKILL');
      throw new Error('the child never reached the kill point');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await new Promise((r) => (exited ? r(undefined) : child.on('exit', r)));
}

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.'));

test('SIGKILL while an .h5ad is being written: the old output stays whole; a re-run removes the temp file', async () => {
  const dir = join(tmp, 'h5');
  mkdirSync(dir);
  const target = join(dir, 'out.h5ad');
  const old = new Dataset({ X: new DenseMatrix(2, 2, Float64Array.of(1, 2, 3, 4)), obsNames: ['a', 'b'], varNames: ['x', 'y'] });
  await writeH5ad(target, old);
  const oldBytes = readFileSync(target);
  const child = startChild('h5ad', target);
  // Kill once the temp file is well under way (a few MB of a ~40 MB file).
  await killWhen(child, () =>
    readdirSync(dir).some(
      (n) =>
        n.endsWith('.tmp') &&
        (() => {
          try {
            return statSync(join(dir, n)).size > 4e6;
          } catch {
            return false;
          }
        })(),
    ),
  );
  assert.deepEqual(visible(dir), ['out.h5ad']);
  const now = readFileSync(target);
  // Either untouched, or a complete earlier write of the child: never a partial file.
  if (!now.equals(oldBytes)) assert.equal((await readH5ad(target)).X.rows, 2500);
  else assert.deepEqual((await readH5ad(target)).obsNames, ['a', 'b']);
  assert.ok(
    readdirSync(dir).some((n) => n.endsWith('.tmp')),
    'the killed writer left its hidden temp file',
  );
  await writeH5ad(target, old);
  assert.deepEqual(readdirSync(dir), ['out.h5ad'], 're-run removes the dead process temp file');
  assert.ok(readFileSync(target).equals(oldBytes));
});

test('SIGKILL during a benchmark: every visible file is whole and the re-run resumes from the state file', async () => {
  const dir = join(tmp, 'bench');
  mkdirSync(dir);
  const state = join(dir, STATE_FILE);
  const child = startChild('benchmark', dir);
  const doneCells = () => {
    try {
      return Object.keys((JSON.parse(readFileSync(state, 'utf8')) as { cells: object }).cells).length;
    } catch {
      return 0;
    }
  };
  await killWhen(child, () => doneCells() >= 4);
  // The state file is replaced atomically: it always parses.
  const before = doneCells();
  assert.ok(before >= 4);
  for (const n of visible(dir)) if (n.endsWith('.json')) JSON.parse(readFileSync(join(dir, n), 'utf8'));
  const opts = benchmarkOptions();
  const resumed = await runBenchmark({ ...opts, outDir: dir });
  assert.ok(resumed.resumed >= before, `resumed ${resumed.resumed} of ${before} saved cells`);
  assert.deepEqual(resumed.failures, []);
  const fresh = await runBenchmark({ ...opts, outDir: join(tmp, 'bench-fresh') });
  assert.equal(resumed.computed + resumed.resumed, fresh.computed, 'the re-run computed only what was missing');
  assert.ok(readFileSync(join(dir, 'results.csv')).equals(readFileSync(join(tmp, 'bench-fresh', 'results.csv'))), 'resumed = fresh');
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp files left after the re-run');
});

test('same seed, same bytes: two simulate runs write identical .h5ad files', async () => {
  const ref = new Dataset({
    X: new DenseMatrix(
      8,
      3,
      Float64Array.from({ length: 24 }, (_, i) => (i * 7) % 5),
    ),
    obsNames: Array.from({ length: 8 }, (_, i) => `c${i}`),
    varNames: ['g0', 'g1', 'g2'],
    obs: new Frame(8, [['cell_type', categoricalFrom(['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'])]]),
  });
  const refPath = join(tmp, 'ref.h5ad');
  await writeH5ad(refPath, ref);
  const outs = [join(tmp, 'sim1'), join(tmp, 'sim2')];
  for (const [i, o] of outs.entries()) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1100)); // HDF5 times have 1 s resolution
    const r = await cli(['simulate', '-r', refPath, '--labels', 'cell_type', '--n', '5', '--cells', '4', '--seed', '3', '--out', o]);
    assert.equal(r.code, 0, r.err);
  }
  const [a, b] = outs.map((o) => readFileSync(join(o, 'pseudobulks.h5ad')));
  assert.ok(a && b && a.length > 0 && a.equals(b), 'pseudobulks.h5ad differs between two runs with one seed');
  assert.ok(existsSync(join(outs[0] as string, 'truth.csv')));
});
