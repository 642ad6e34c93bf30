import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CsrMatrix } from '../../src/data/sparse.js';
import { datasets, isDatasetName, PBMC3K_LABEL_COLUMN, pbmc3kPath } from '../../src/datasets/index.js';

test('pbmc3k: 2,638 cells x 32,738 genes of raw counts, nine labels, cached', async () => {
  const ds = await datasets.pbmc3k();
  assert.deepEqual(ds.shape, [2638, 32738]);
  assert.equal(ds.X.kind, 'csr');
  assert.equal(ds.X.dtype, 'float32');
  const X = ds.X as CsrMatrix;
  assert.equal(X.nnz, 2242529);
  assert.equal(ds.layers.size, 0);
  // Raw UMI counts: non-negative integers, and the row sums equal the file's total_counts column.
  for (let k = 0; k < X.nnz; k++) {
    const v = X.data[k]!;
    if (!(v > 0 && Number.isInteger(v))) assert.fail(`value ${v} at ${k} is not a positive integer count`);
  }
  const tc = ds.obs.get('total_counts');
  assert.equal(tc.kind, 'numeric');
  const sums = X.rowSums();
  for (let i = 0; i < ds.nObs; i++) assert.equal(sums[i], tc.values[i], `cell ${i}`);
  const { codes, categories } = ds.labels(PBMC3K_LABEL_COLUMN);
  const counts = Object.fromEntries(categories.map((c) => [c, 0]));
  for (const k of codes) counts[categories[k]!]!++;
  assert.deepEqual(counts, {
    'Naive CD4 T': 697,
    'Memory CD4 T': 483,
    'CD14+ Mono': 480,
    B: 344,
    'CD8 T': 271,
    'FCGR3A+ Mono': 162,
    NK: 155,
    DC: 32,
    Platelet: 14,
  });
  assert.equal(ds.obs.get(PBMC3K_LABEL_COLUMN).kind, 'categorical');
  assert.equal(ds.obsNames[0], 'AAACATACAACCAC-1');
  // var: unique symbols (anndata's make_unique), ids and raw symbols kept.
  assert.equal(new Set(ds.varNames).size, ds.nVars);
  assert.equal(ds.varNames[0], 'MIR1302-10');
  const ids = ds.var.get('gene_ids');
  const syms = ds.var.get('gene_symbols');
  assert.ok(ids.kind === 'string' && ids.values[0] === 'ENSG00000243485');
  assert.ok(syms.kind === 'string');
  const renamed = ds.varNames.filter((g, j) => g !== syms.values[j]);
  assert.ok(renamed.length > 0 && renamed.every((g) => /-\d+$/.test(g)), 'duplicated symbols get -1, -2 ... suffixes');
  // Same renaming as Python anndata's var_names_make_unique (fixture made by anndata).
  const fx = JSON.parse(readFileSync(new URL('../fixtures/io/pbmc3k_unique_names.json', import.meta.url), 'utf8')) as {
    n_genes: number;
    changed: [number, string][];
  };
  assert.equal(fx.n_genes, ds.nVars);
  assert.deepEqual(renamed.length, fx.changed.length);
  for (const [j, name] of fx.changed) assert.equal(ds.varNames[j], name);
  assert.equal(await datasets.pbmc3k(), ds, 'second call returns the cached object');
  assert.match(pbmc3kPath(), /data[/\\]pbmc3k$/);
  assert.ok(isDatasetName('pbmc3k') && !isDatasetName('toString'));
});
