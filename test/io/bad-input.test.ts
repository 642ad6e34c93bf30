/**
 * Bad input that used to be accepted (issue 16): each case must end in a typed error, and the h5ad
 * reader must keep working after every kind of failure.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { h5Ready } from '../../src/io/h5ad/h5.js';
import { inspectH5ad, openH5adBacked, readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { readLabels } from '../../src/io/labels.js';
import { parseMemorySize } from '../../src/io/memory-budget.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir.js';
import { simulatePseudobulks } from '../../src/simulate/dirichlet-pseudobulk.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'celldeconv-bad-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const LZF = new URL('../fixtures/io/h5ad/lzf.h5ad', import.meta.url).pathname;

function code(c: string, msg?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof CelldeconvError, `not a CelldeconvError: ${(e as Error)?.stack ?? String(e)}`);
    assert.equal(e.code, c, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  };
}

/** 6 cells x 4 genes, CSR integer counts, two labelled types. */
function small(): Dataset {
  const X = new CsrMatrix(6, 4, {
    indptr: Float64Array.from([0, 2, 3, 5, 6, 8, 9]),
    indices: Int32Array.from([0, 1, 2, 0, 3, 1, 2, 3, 0]),
    data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
  });
  const obs = new Frame(6, [['cell_type', categoricalFrom(['A', 'B', 'A', 'B', 'A', 'B'])]]);
  return new Dataset({ X, obsNames: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], varNames: ['g0', 'g1', 'g2', 'g3'], obs });
}

const GOOD = join(tmp, 'good.h5ad');

async function goodReadStillWorks(after: string): Promise<void> {
  const ds = await readH5ad(GOOD);
  assert.equal(ds.X.rows, 6, `good read after ${after}`);
  const b = await openH5adBacked(GOOD);
  try {
    assert.equal(b.readRows(1, 3).rows, 2);
  } finally {
    b.close();
  }
}

/** Copies GOOD to `name` and edits it in place with h5wasm. */
async function damaged(name: string, edit: (f: InstanceType<Awaited<ReturnType<typeof h5Ready>>['File']>) => void): Promise<string> {
  const p = join(tmp, name);
  writeFileSync(p, readFileSync(GOOD));
  const h5 = await h5Ready();
  const f = new h5.File(p, 'a');
  try {
    edit(f);
  } finally {
    f.close();
  }
  return p;
}

test('setup: a good file', async () => {
  await writeH5ad(GOOD, small());
  await goodReadStillWorks('setup');
});

test('h5ad without X: E_H5AD_NO_X from readH5ad, inspectH5ad and the CLI (no output written)', async () => {
  const p = join(tmp, 'nox.h5ad');
  const h5 = await h5Ready();
  const f = new h5.File(p, 'w');
  f.create_attribute('encoding-type', 'anndata');
  f.create_attribute('encoding-version', '0.1.0');
  for (const [name, idx] of [
    ['obs', ['c0', 'c1']],
    ['var', ['g0']],
  ] as const) {
    const g = f.create_group(name);
    g.create_attribute('encoding-type', 'dataframe');
    g.create_attribute('encoding-version', '0.2.0');
    g.create_attribute('_index', '_index');
    g.create_attribute('column-order', new Float64Array(0), [0], '<d');
    g.create_dataset({ name: '_index', data: [...idx], shape: [idx.length], dtype: 'S' });
  }
  const lg = f.create_group('layers');
  lg.create_attribute('encoding-type', 'dict');
  lg.create_attribute('encoding-version', '0.1.0');
  lg.create_dataset({ name: 'counts', data: Float32Array.from([1, 2]), shape: [2, 1], dtype: '<f' });
  f.close();
  await assert.rejects(readH5ad(p), code('E_H5AD_NO_X', /no X matrix.*--layer counts/));
  await assert.rejects(inspectH5ad(p), code('E_H5AD_NO_X'));
  assert.equal((await readH5ad(p, { allowMissingX: true })).X.rows, 2);
  const outDir = join(tmp, 'sim-nox');
  mkdirSync(outDir);
  writeFileSync(join(outDir, 'truth.csv'), 'kept');
  const r = await cli(['simulate', '-r', p, '--labels', 'cell_type', '--out', outDir, '--n', '3']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /E_H5AD_NO_X/);
  assert.equal(readFileSync(join(outDir, 'truth.csv'), 'utf8'), 'kept');
  const info = await cli(['info', p]);
  assert.notEqual(info.code, 0);
  assert.match(info.err, /E_H5AD_NO_X/);
  await goodReadStillWorks('no X');
});

test('damaged CSR groups are E_H5AD_STRUCTURE on every path (read, backed, info)', async () => {
  const cases: [string, RegExp, (f: InstanceType<Awaited<ReturnType<typeof h5Ready>>['File']>) => void][] = [
    [
      'index-beyond-genes.h5ad',
      /column index 7 at stored position 4 is outside 0\.\.3/,
      (f) => (f.get('X/indices') as import('../../src/io/h5ad/h5.js').H5Dataset).write_slice([[4, 5]], Int32Array.of(7)),
    ],
    [
      'indptr-not-monotone.h5ad',
      /indptr is not non-decreasing at position 3 \(3 then 1\)/,
      (f) => (f.get('X/indptr') as import('../../src/io/h5ad/h5.js').H5Dataset).write_slice([[3, 4]], Int32Array.of(1)),
    ],
    [
      'indptr-out-of-range.h5ad',
      /indptr\[6\] = 99 points past the 9 stored values/,
      (f) => (f.get('X/indptr') as import('../../src/io/h5ad/h5.js').H5Dataset).write_slice([[6, 7]], Int32Array.of(99)),
    ],
    [
      'shape-disagrees.h5ad',
      /the 'shape' attribute \(5 x 4\) disagrees with indptr \(7 entries\)/,
      (f) => {
        const g = f.get('X') as import('../../src/io/h5ad/h5.js').H5Group;
        g.delete_attribute('shape');
        g.create_attribute('shape', [5, 4], [2], '<q');
      },
    ],
  ];
  for (const [name, msg, edit] of cases) {
    const p = await damaged(name, edit);
    await assert.rejects(readH5ad(p), code('E_H5AD_STRUCTURE', msg), name);
    await assert.rejects(inspectH5ad(p), code('E_H5AD_STRUCTURE'), `${name} (info)`);
    if (name.startsWith('index')) {
      // Backed reading checks the indices of each block it reads.
      const b = await openH5adBacked(p);
      try {
        assert.throws(() => b.readRows(0, 6), code('E_H5AD_STRUCTURE', msg));
        assert.equal(b.readRows(0, 2).rows, 2, 'blocks before the damage read fine');
      } finally {
        b.close();
      }
    } else await assert.rejects(openH5adBacked(p), code('E_H5AD_STRUCTURE'), `${name} (backed)`);
    await goodReadStillWorks(name);
  }
  // The signature command refuses the file instead of writing a signature from it.
  const sig = join(tmp, 'sig.csv');
  const r = await cli(['signature', '-r', join(tmp, 'index-beyond-genes.h5ad'), '--labels', 'cell_type', '--out', sig]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /E_H5AD_STRUCTURE/);
  assert.ok(!existsSync(sig));
});

test('lzf-compressed h5ad: E_H5_FILTER naming the filter and the conversion, and the reader keeps working', async () => {
  for (let i = 0; i < 2; i++) {
    await assert.rejects(readH5ad(LZF), code('E_H5_FILTER', /'lzf' filter \(HDF5 filter 32000\).*h5repack -f GZIP=4/));
    await assert.rejects(inspectH5ad(LZF), code('E_H5_FILTER'));
    await goodReadStillWorks('lzf');
  }
});

test('the reader survives every kind of failure, including aborts inside the WebAssembly module', async () => {
  await assert.rejects(readH5ad(join(tmp, 'missing.h5ad')), code('E_FILE_NOT_FOUND'));
  await goodReadStillWorks('missing file');
  writeFileSync(join(tmp, 'text.h5ad'), 'not hdf5\n');
  await assert.rejects(readH5ad(join(tmp, 'text.h5ad')), code('E_NOT_HDF5'));
  await goodReadStillWorks('not HDF5');
  const bytes = readFileSync(GOOD);
  writeFileSync(join(tmp, 'cut.h5ad'), bytes.subarray(0, bytes.length >> 1));
  await assert.rejects(readH5ad(join(tmp, 'cut.h5ad')), code('E_H5_READ'));
  await goodReadStillWorks('truncated');
  // Seeded byte flips in the metadata: many make HDF5 abort() inside the wasm module.
  const rng = new Rng(99);
  const kinds = new Map<string, number>();
  for (let n = 0; n < 40; n++) {
    const b = Buffer.from(bytes);
    for (let j = 0, k = 1 + rng.int(4); j < k; j++) b[rng.int(Math.min(b.length, 4096))] = rng.int(256);
    const p = join(tmp, `flip${n % 3}.h5ad`);
    writeFileSync(p, b);
    try {
      await readH5ad(p);
      kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
    } catch (e) {
      assert.ok(e instanceof CelldeconvError, `untyped: ${(e as Error)?.stack ?? String(e)}`);
      kinds.set(e.code, (kinds.get(e.code) ?? 0) + 1);
    }
    await goodReadStillWorks(`flip ${n}`);
  }
  assert.ok((kinds.get('E_H5_READ') ?? 0) > 0, JSON.stringify([...kinds]));
});

test('--labels-file matching no cell: E_LABELS_MISMATCH saying 0 matched; partial matches say how many', async () => {
  const cells = ['c0', 'c1', 'c2'];
  const none = join(tmp, 'none.tsv');
  writeFileSync(none, 'barcode\tcell_type\nx0-1\tA\nx1-1\tB\nx2-1\tA\n');
  assert.throws(() => readLabels(none, cells), code('E_LABELS_MISMATCH', /labels match 0 of 3 cells/));
  // Explicit order join still works.
  assert.equal(readLabels(none, cells, { byOrder: true }).get('cell_type').kind, 'categorical');
  const sig = join(tmp, 'sig-none.csv');
  const labels6 = join(tmp, 'none6.tsv');
  writeFileSync(labels6, `barcode\tct\n${Array.from({ length: 6 }, (_, i) => `zz${i}\t${i % 2 ? 'A' : 'B'}`).join('\n')}\n`);
  const r = await cli(['signature', '-r', GOOD, '--labels-file', labels6, '--labels', 'ct', '--out', sig]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /E_LABELS_MISMATCH: .*labels match 0 of 6 cells/);
  assert.ok(!existsSync(sig));
  const part = join(tmp, 'part.tsv');
  writeFileSync(part, 'barcode\tct\nc0\tA\nc1\tB\nc2\tA\n');
  const t = await cli(['train', 'decovart', '-r', GOOD, '--labels-file', part, '--labels', 'ct', '--out', join(tmp, 'model')]);
  assert.notEqual(t.code, 0);
  assert.match(t.err, /E_LABELS_MISMATCH: .*labels match only 3 of 6 cells/);
});

test('NaN and negative counts are refused by simulate', () => {
  for (const [v, c] of [
    [Number.NaN, 'E_NONFINITE'],
    [-2, 'E_NEGATIVE_COUNTS'],
  ] as const) {
    const ds = small();
    (ds.X as CsrMatrix).data[3] = v;
    assert.throws(() => simulatePseudobulks(ds, { labelsKey: 'cell_type', nSamples: 2, nCells: 3, seed: 0 }), code(c, /row 2, column 0/));
  }
});

test('simulate --n 1e12: E_SIM_TOO_LARGE naming the limit; --memory parses sizes', async () => {
  assert.throws(
    () => simulatePseudobulks(small(), { labelsKey: 'cell_type', nSamples: 1e12, nCells: 3, seed: 0 }),
    code('E_SIM_TOO_LARGE', /1,000,000,000,000 pseudobulks x 4 genes need 96,000 GB, above the limit of 20,833,333 samples/),
  );
  assert.throws(
    () => simulatePseudobulks(small(), { labelsKey: 'cell_type', nSamples: 5000, nCells: 3, seed: 0, memoryBytes: 1e5 }),
    code('E_SIM_TOO_LARGE', /limit of 1,041 samples/),
  );
  const r = await cli(['simulate', '-r', GOOD, '--labels', 'cell_type', '--n', '1e12', '--out', join(tmp, 'sim-big')]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /E_SIM_TOO_LARGE/);
  assert.equal(parseMemorySize('2GB'), 2e9);
  assert.equal(parseMemorySize('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseMemorySize('512M'), 512e6);
  assert.throws(() => parseMemorySize('lots'), code('E_OPTION'));
});

test('model directories: a weights.bin above 2 GiB and a manifest without genes are typed errors', async () => {
  const dir = join(tmp, 'model-big');
  await saveModelDir(dir, { method: 'x', genes: ['g'], cellTypes: ['A'] }, { w: { shape: [2], data: Float32Array.of(1, 2) } });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  // A sparse 3 GiB file: no disk used, and nothing is read before the size check.
  const fd = openSync(join(dir, 'weights.bin'), 'r+');
  ftruncateSync(fd, 3 * 2 ** 30);
  closeSync(fd);
  manifest.weights.bytes = 3 * 2 ** 30;
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(loadModelDir(dir), code('E_MODEL_TOO_LARGE', /3\.0 GiB, above the 2 GiB limit/));
  manifest.weights.bytes = 8;
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(loadModelDir(dir), code('E_MODEL_WEIGHTS', /wrong size/));
  manifest.genes = undefined;
  writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(loadModelDir(dir), code('E_MODEL_MANIFEST', /lacks genes/));
});

test('info reports a float64 X as float64 (dense and CSR)', async () => {
  const dense = new Dataset({ X: new DenseMatrix(2, 2, Float64Array.of(1, 2, 3, 4)), obsNames: ['a', 'b'], varNames: ['x', 'y'] });
  await writeH5ad(join(tmp, 'd64.h5ad'), dense);
  assert.equal((await inspectH5ad(join(tmp, 'd64.h5ad'))).X?.dtype, 'float64');
  const csr = new CsrMatrix(2, 2, { indptr: Float64Array.of(0, 1, 2), indices: Int32Array.of(0, 1), data: Float64Array.of(1.5, 2.5) });
  await writeH5ad(join(tmp, 'c64.h5ad'), new Dataset({ X: csr, obsNames: ['a', 'b'], varNames: ['x', 'y'] }));
  const r = await cli(['info', join(tmp, 'c64.h5ad')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /X: csr float64/);
});

test('writing under a path that accepts no files: E_NOT_WRITABLE, not ENOENT', {
  skip: !existsSync('/proc/self') && 'no /proc',
}, async () => {
  await assert.rejects(writeH5ad('/proc/celldeconv-test.h5ad', small()), code('E_NOT_WRITABLE', /not writable/));
  assert.throws(() => writeFileAtomic('/proc/celldeconv-test.csv', 'a'), code('E_NOT_WRITABLE'));
});
