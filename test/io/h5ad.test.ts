import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import h5wasm from 'h5wasm/node';
import { type CelldeconvError, FormatError, InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { type Column, categoricalFrom, Frame } from '../../src/data/frame.js';
import type { Matrix } from '../../src/data/matrix.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { h5Ready } from '../../src/io/h5ad/h5.js';
import { openH5adBacked, readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';

const FIX = new URL('../fixtures/io/h5ad/', import.meta.url).pathname;
const NAMES = ['dense', 'csr', 'csc', 'categorical', 'layers', 'raw', 'uns', 'int_counts'] as const;
const dir = mkdtempSync(join(tmpdir(), 'celldeconv-h5ad-'));

interface JsonMatrix {
  shape: [number, number];
  dtype: string;
  values: number[];
  kind?: string;
}
interface JsonFrame {
  index: string[];
  columns: string[];
  data: Record<
    string,
    { kind: string; values?: (number | string | boolean)[]; codes?: number[]; categories?: string[]; ordered?: boolean }
  >;
}
interface Expected {
  shape: [number, number];
  X_kind: string;
  X: JsonMatrix;
  obs: JsonFrame;
  var: JsonFrame;
  layers: Record<string, JsonMatrix>;
  raw?: { X: JsonMatrix; var: JsonFrame };
  uns?: Record<string, unknown>;
}

function dense(m: Matrix): number[] {
  return Array.from((m.kind === 'dense' ? m : m.kind === 'csr' ? m.toDense() : m.toDense()).data);
}

function checkMatrix(m: Matrix, e: JsonMatrix, what: string): void {
  assert.deepEqual([m.rows, m.cols], e.shape, `${what} shape`);
  // Integer matrices are read as float64 (a Dataset holds float32/float64 matrices only).
  assert.equal(m.dtype, /^u?int/.test(e.dtype) ? 'float64' : e.dtype, `${what} dtype`);
  assert.deepEqual(dense(m), e.values, `${what} values`);
}

function checkFrame(f: Frame, names: string[], e: JsonFrame, what: string): void {
  assert.deepEqual(names, e.index, `${what} index`);
  assert.deepEqual(f.columnNames, e.columns, `${what} columns`);
  for (const k of e.columns) {
    const c = f.get(k);
    const x = e.data[k]!;
    assert.equal(c.kind, x.kind, `${what}.${k} kind`);
    if (c.kind === 'categorical') {
      assert.deepEqual(Array.from(c.codes), x.codes, `${what}.${k} codes`);
      assert.deepEqual(c.categories, x.categories);
      assert.equal(c.ordered, x.ordered);
    } else if (c.kind === 'boolean') assert.deepEqual(Array.from(c.values, Boolean), x.values);
    else assert.deepEqual(Array.from(c.values as ArrayLike<unknown>), x.values, `${what}.${k} values`);
  }
}

function jsonish(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x)));
}

for (const name of NAMES) {
  test(`reads the anndata fixture '${name}' exactly as Python wrote it`, async () => {
    const exp = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Expected;
    const ds = await readH5ad(join(FIX, `${name}.h5ad`));
    assert.deepEqual(ds.shape, exp.shape);
    assert.equal(ds.X.kind, exp.X_kind);
    checkMatrix(ds.X, exp.X, 'X');
    checkFrame(ds.obs, ds.obsNames, exp.obs, 'obs');
    checkFrame(ds.var, ds.varNames, exp.var, 'var');
    assert.deepEqual([...ds.layers.keys()].sort(), Object.keys(exp.layers).sort());
    for (const [k, m] of ds.layers) {
      assert.equal(m.kind, exp.layers[k]!.kind);
      checkMatrix(m, exp.layers[k]!, `layers/${k}`);
    }
    if (exp.raw) {
      assert.ok(ds.raw);
      checkMatrix(ds.raw.X, exp.raw.X, 'raw/X');
      checkFrame(ds.raw.var, ds.raw.varNames, exp.raw.var, 'raw/var');
    } else assert.equal(ds.raw, undefined);
    if (exp.uns) assert.deepEqual(jsonish(ds.uns), exp.uns);
  });
}

function sameMatrix(a: Matrix, b: Matrix, what: string): void {
  assert.equal(b.kind, a.kind, `${what} kind`);
  assert.equal(b.dtype, a.dtype, `${what} dtype`);
  assert.deepEqual([b.rows, b.cols], [a.rows, a.cols]);
  if (a.kind === 'dense' || b.kind === 'dense') assert.deepEqual(b.data, a.data);
  else {
    const s = a.indptr[0]!;
    assert.deepEqual(
      Array.from(b.indptr),
      Array.from(a.indptr, (x) => x - s),
    );
    const e = a.indptr[a.kind === 'csr' ? a.rows : a.cols]!;
    assert.deepEqual(Array.from(b.indices), Array.from(a.indices.subarray(s, e)));
    assert.deepEqual(Array.from(b.data), Array.from(a.data.subarray(s, e)));
  }
}

function sameFrame(a: Frame, b: Frame, what: string): void {
  assert.deepEqual(b.columnNames, a.columnNames, `${what} columns`);
  for (const k of a.columnNames) assert.deepEqual(b.get(k), a.get(k), `${what}.${k}`);
}

function sameDataset(a: Dataset, b: Dataset): void {
  sameMatrix(a.X, b.X, 'X');
  assert.deepEqual(b.obsNames, a.obsNames);
  assert.deepEqual(b.varNames, a.varNames);
  sameFrame(a.obs, b.obs, 'obs');
  sameFrame(a.var, b.var, 'var');
  // HDF5 lists group members alphabetically, so layer order is not preserved.
  assert.deepEqual([...b.layers.keys()].sort(), [...a.layers.keys()].sort());
  for (const [k, m] of a.layers) sameMatrix(m, b.layers.get(k)!, `layers/${k}`);
  if (a.raw) {
    sameMatrix(a.raw.X, b.raw!.X, 'raw/X');
    assert.deepEqual(b.raw!.varNames, a.raw.varNames);
    sameFrame(a.raw.var, b.raw!.var, 'raw/var');
  }
  assert.deepEqual(jsonish(b.uns), jsonish(a.uns));
}

for (const name of NAMES) {
  for (const categoricals of ['legacy', 'modern'] as const) {
    test(`round trip: fixture '${name}' read -> write (${categoricals} categoricals) -> read is identical`, async () => {
      const a = await readH5ad(join(FIX, `${name}.h5ad`));
      const out = join(dir, `rt-${name}-${categoricals}.h5ad`);
      await writeH5ad(out, a, { categoricals });
      sameDataset(a, await readH5ad(out));
    });
  }
}

function synthetic(seed: number): Dataset {
  const rng = new Rng(seed);
  const n = 40;
  const g = 25;
  const dense32 = new Float32Array(n * g);
  for (let k = 0; k < dense32.length; k++) if (rng.uniform() < 0.2) dense32[k] = 1 + rng.int(30);
  const X = CsrMatrix.fromDense(new DenseMatrix(n, g, dense32));
  const lab = Array.from({ length: n }, (_, i) => ['T cell', 'B', 'NK', 'Mono'][i % 4] as string);
  const cat = categoricalFrom(lab);
  cat.codes[3] = -1;
  const obs = new Frame(n, {
    cell_type: cat,
    stage: {
      ...categoricalFrom(
        lab.map((_, i) => ['lo', 'mid', 'hi'][i % 3] as string),
        ['lo', 'mid', 'hi'],
      ),
      ordered: true,
    },
    donor: { kind: 'string', values: lab.map((_, i) => `donor ${i % 7} é`) },
    n_counts: { kind: 'numeric', values: X.rowSums() },
    n_genes: { kind: 'numeric', values: Int32Array.from({ length: n }, (_, i) => i * 3) },
    score: { kind: 'numeric', values: Float32Array.from({ length: n }, () => rng.normal()) },
    doublet: { kind: 'boolean', values: Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0)) },
  } as Record<string, Column>);
  const varF = new Frame(g, { gene_ids: { kind: 'string', values: Array.from({ length: g }, (_, j) => `ENSG${j}`) } });
  const rawDense = new Float64Array(n * (g + 3));
  for (let k = 0; k < rawDense.length; k++) rawDense[k] = rng.uniform() < 0.3 ? rng.normal() : 0;
  return new Dataset({
    X,
    obsNames: Array.from({ length: n }, (_, i) => `AAAC-${i}`),
    varNames: Array.from({ length: g }, (_, j) => `G${j}`),
    obs,
    var: varF,
    layers: {
      raw_counts: X.toCsc(),
      dense64: new DenseMatrix(
        n,
        g,
        Float64Array.from(dense32, (v) => v / 3),
      ),
      dense32: new DenseMatrix(n, g, dense32),
    },
    raw: {
      X: CsrMatrix.fromDense(new DenseMatrix(n, g + 3, rawDense)),
      var: new Frame(g + 3),
      varNames: Array.from({ length: g + 3 }, (_, j) => `R${j}`),
    },
    uns: {
      title: 'synthetic',
      n: 3,
      x: 0.1,
      ok: true,
      list: [1.5, 2.5],
      ints: [1, 2, 3],
      names: ['a', 'b'],
      flags: [true, false],
      empty: {},
      nested: { a: { b: 'c' }, f: new Float32Array([1, 2]) },
    },
  });
}

test('round trip: every column kind, sparse/dense layers, raw, nested uns, compression', async () => {
  const a = synthetic(1);
  for (const compression of [undefined, 4]) {
    const out = join(dir, `syn-${compression}.h5ad`);
    await writeH5ad(out, a, { compression });
    const b = await readH5ad(out);
    sameDataset(a, b);
    assert.equal((b.uns as { ok: unknown }).ok, true);
  }
  // A zero-copy row-range view (indptr[0] != 0) is written as its own compact matrix.
  const view = a.selectObs(Int32Array.from({ length: 10 }, (_, i) => 15 + i));
  assert.notEqual((view.X as CsrMatrix).indptr[0], 0);
  const out = join(dir, 'view.h5ad');
  await writeH5ad(out, view);
  sameDataset(view, await readH5ad(out));
});

test('backed access reads row blocks equal to the full matrix (csr, dense, csc, layers)', async () => {
  const a = synthetic(2);
  const out = join(dir, 'backed.h5ad');
  await writeH5ad(out, a);
  for (const layer of [undefined, 'raw_counts', 'dense64', 'dense32']) {
    const b = await openH5adBacked(out, { layer });
    try {
      const full = layer ? a.layers.get(layer)! : a.X;
      assert.deepEqual(b.shape, [40, 25]);
      assert.deepEqual(b.obsNames, a.obsNames);
      for (const [s, e] of [
        [0, 7],
        [7, 40],
        [13, 13],
        [39, 40],
      ] as const) {
        const blk = b.readRows(s, e);
        const want = dense(full).slice(s * 25, e * 25);
        assert.deepEqual(dense(blk), want, `${layer ?? 'X'} rows ${s}..${e}`);
        assert.equal(blk.dtype, full.dtype);
      }
      assert.throws(
        () => b.readRows(5, 41),
        (e: unknown) => e instanceof InputError && e.code === 'E_RANGE',
      );
    } finally {
      b.close();
    }
  }
  await assert.rejects(openH5adBacked(out, { layer: 'nope' }), (e: unknown) => e instanceof FormatError && /layers\/nope/.test(e.message));
});

async function craft(name: string, build: (f: InstanceType<typeof h5wasm.File>) => void): Promise<string> {
  await h5Ready();
  const p = join(dir, name);
  const f = new h5wasm.File(p, 'w');
  try {
    build(f);
  } finally {
    f.close();
  }
  return p;
}

function isErr(cls: typeof FormatError | typeof InputError, code: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as CelldeconvError).code, code, (e as Error).message);
    if (re) assert.match((e as Error).message, re);
    return true;
  };
}

test('bad input: missing, not HDF5, truncated, unsupported encodings (named with their path)', async () => {
  await assert.rejects(readH5ad(join(dir, 'missing.h5ad')), isErr(InputError, 'E_FILE_NOT_FOUND'));
  const txt = join(dir, 'text.h5ad');
  writeFileSync(txt, 'not hdf5 at all');
  await assert.rejects(readH5ad(txt), isErr(FormatError, 'E_NOT_HDF5', /no HDF5 signature/));
  const full = readFileSync(join(FIX, 'csr.h5ad'));
  const cut = join(dir, 'cut.h5ad');
  writeFileSync(cut, full.subarray(0, 6000));
  await assert.rejects(readH5ad(cut), isErr(FormatError, 'E_H5_READ', /truncated|damaged/));

  const tagged = (n: { create_attribute: (k: string, v: string) => void }, t: string, v: string) => {
    n.create_attribute('encoding-type', t);
    n.create_attribute('encoding-version', v);
  };
  const p1 = await craft('awkward.h5ad', (f) => {
    tagged(f, 'anndata', '0.1.0');
    const obs = f.create_group('obs');
    tagged(obs, 'dataframe', '0.2.0');
    obs.create_attribute('_index', '_index');
    obs.create_attribute('column-order', ['n']);
    tagged(obs.create_dataset({ name: '_index', data: ['a', 'b'], shape: [2], dtype: 'S' }), 'string-array', '0.2.0');
    const n = obs.create_group('n');
    tagged(n, 'awkward-array', '0.1.0');
    tagged(f.create_dataset({ name: 'X', data: new Float32Array(2), shape: [2, 1] }), 'array', '0.2.0');
  });
  await assert.rejects(
    readH5ad(p1),
    isErr(FormatError, 'E_H5AD_ENCODING', /unsupported encoding 'awkward-array' \(version 0\.1\.0\) at element 'obs\/n'/),
  );
  const tenxH5 = await craft('cellranger.h5', (f) => {
    f.create_group('matrix').create_dataset({ name: 'data', data: new Int32Array([1, 2]) });
  });
  await assert.rejects(readH5ad(tenxH5), isErr(FormatError, 'E_H5AD_STRUCTURE', /not an AnnData file.*10x Cell Ranger/));
  const p2 = await craft('xversion.h5ad', (f) => {
    tagged(f, 'anndata', '0.1.0');
    const x = f.create_group('X');
    tagged(x, 'csr_matrix', '9.9.9');
  });
  await assert.rejects(
    readH5ad(p2),
    isErr(FormatError, 'E_H5AD_ENCODING', /unsupported encoding-version '9\.9\.9' of 'csr_matrix' at element 'X'/),
  );
  // Inside uns an unsupported element is skipped and reported, not fatal.
  const p3 = await craft('unsrec.h5ad', (f) => {
    tagged(f, 'anndata', '0.1.0');
    tagged(f.create_dataset({ name: 'X', data: new Float32Array(2), shape: [1, 2] }), 'array', '0.2.0');
    const u = f.create_group('uns');
    tagged(u, 'dict', '0.1.0');
    tagged(u.create_dataset({ name: 'weird', data: new Float32Array(1) }), 'awkward-array', '0.1.0');
    tagged(u.create_dataset({ name: 'ok', data: 'fine', shape: [], dtype: 'S' }), 'string', '0.2.0');
  });
  const skipped: string[] = [];
  const d3 = await readH5ad(p3, { onSkip: (path, enc) => skipped.push(`${path}:${enc}`) });
  assert.deepEqual(d3.uns, { ok: 'fine' });
  assert.deepEqual(skipped, ['uns/weird:awkward-array 0.1.0']);
  await assert.rejects(writeH5ad(join(dir, 'no', 'dir', 'x.h5ad'), synthetic(3)), isErr(InputError, 'E_NO_PARENT_DIR'));
  // A failed write leaves an existing output untouched.
  const keep = join(dir, 'keep.h5ad');
  writeFileSync(keep, 'previous');
  const bad = synthetic(3);
  bad.uns = { mixed: [1, 'a'] };
  await assert.rejects(writeH5ad(keep, bad), isErr(InputError, 'E_H5AD_UNS', /uns\/mixed/));
  assert.equal(readFileSync(keep, 'utf8'), 'previous');
  const slash = synthetic(3);
  slash.obs.set('a/b', { kind: 'string', values: slash.obsNames });
  await assert.rejects(writeH5ad(keep, slash), isErr(InputError, 'E_H5AD_NAME', /obs column key "a\/b"/));
  assert.equal(readFileSync(keep, 'utf8'), 'previous');
});

test('nullable columns (anndata >= 0.10): integers, booleans and strings with a mask', async () => {
  const tagged = (n: { create_attribute: (k: string, v: string) => void }, t: string, v: string) => {
    n.create_attribute('encoding-type', t);
    n.create_attribute('encoding-version', v);
  };
  const p = await craft('nullable-ok.h5ad', (f) => {
    tagged(f, 'anndata', '0.1.0');
    const obs = f.create_group('obs');
    tagged(obs, 'dataframe', '0.2.0');
    obs.create_attribute('_index', '_index');
    obs.create_attribute('column-order', ['i', 'j', 'b', 'c', 's']);
    tagged(obs.create_dataset({ name: '_index', data: ['a', 'b', 'c'], shape: [3], dtype: 'S' }), 'string-array', '0.2.0');
    const add = (name: string, enc: string, values: Int32Array | Uint8Array | string[], mask: number[]) => {
      const g = obs.create_group(name);
      tagged(g, enc, '0.1.0');
      if (Array.isArray(values)) g.create_dataset({ name: 'values', data: values, shape: [values.length], dtype: 'S' });
      else g.create_dataset({ name: 'values', data: values });
      g.create_dataset({ name: 'mask', data: new Uint8Array(mask) });
    };
    add('i', 'nullable-integer', new Int32Array([1, 2, 3]), [0, 1, 0]);
    add('j', 'nullable-integer', new Int32Array([4, 5, 6]), [0, 0, 0]);
    add('b', 'nullable-boolean', new Uint8Array([1, 0, 1]), [0, 0, 1]);
    add('c', 'nullable-boolean', new Uint8Array([1, 0, 1]), [0, 0, 0]);
    add('s', 'nullable-string-array', ['x', 'y', 'z'], [1, 0, 0]);
    tagged(f.create_dataset({ name: 'X', data: new Float32Array(3), shape: [3, 1] }), 'array', '0.2.0');
  });
  const ds = await readH5ad(p);
  const col = (k: string) => ds.obs.get(k);
  assert.deepEqual(Array.from((col('i') as { values: Float64Array }).values), [1, Number.NaN, 3]);
  assert.deepEqual(col('j'), { kind: 'numeric', values: new Int32Array([4, 5, 6]) });
  assert.deepEqual(col('b'), { kind: 'categorical', codes: new Int32Array([1, 0, -1]), categories: ['False', 'True'], ordered: false });
  assert.deepEqual(col('c'), { kind: 'boolean', values: new Uint8Array([1, 0, 1]) });
  assert.deepEqual(col('s'), { kind: 'string', values: ['', 'y', 'z'] });
});

const PY = '/usr/bin/python3';
function pythonAnndata(): string | undefined {
  if (!existsSync(PY)) return `${PY} not found`;
  const r = spawnSync(PY, ['-c', 'import anndata'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3 has no anndata module';
}
const noPy = pythonAnndata();

test('files we write open in Python anndata with identical X, layers, obs and names', {
  skip: noPy ? `skipped: ${noPy}` : false,
}, async () => {
  const a = synthetic(4);
  const out = join(dir, 'for-python.h5ad');
  await writeH5ad(out, a);
  const expected = {
    X: dense(a.X),
    layer: dense(a.layers.get('raw_counts')!),
    obs: a.obsNames,
    cell_type: Array.from((a.obs.get('cell_type') as { codes: Int32Array }).codes),
    ordered: true,
  };
  const exp = join(dir, 'expected.json');
  writeFileSync(exp, JSON.stringify(expected));
  const script = `
import json, sys, warnings
warnings.simplefilter('ignore')
import anndata as ad, numpy as np, scipy.sparse as sp
a = ad.read_h5ad(sys.argv[1]); e = json.load(open(sys.argv[2]))
assert sp.isspmatrix_csr(a.X) and a.X.dtype == np.float32, (type(a.X), a.X.dtype)
assert np.array_equal(a.X.toarray().ravel(), np.array(e['X'], dtype=np.float32))
assert sp.isspmatrix_csc(a.layers['raw_counts'])
assert np.array_equal(a.layers['raw_counts'].toarray().ravel(), np.array(e['layer'], dtype=np.float32))
assert list(a.obs_names) == e['obs']
assert a.obs['cell_type'].cat.codes.tolist() == e['cell_type']
assert a.obs['stage'].cat.ordered == e['ordered']
assert a.raw is not None and a.raw.shape == (40, 28)
assert a.uns['nested']['a']['b'] == 'c'
print('python ok')
`;
  const r = spawnSync(PY, ['-c', script, out, exp], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /python ok/);
});
