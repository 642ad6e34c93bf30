import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import {
  loadPairedData,
  pairedBulkDataset,
  pairedFromPseudoDonors,
  pairedFromTables,
} from '../../../../src/methods/deep/paired/paired-data.js';
import { syntheticCells } from '../../../benchmark/synthetic.js';

test('pseudo-donors: every labelled cell in one donor, bulk = sum of its cells, heterogeneous compositions', () => {
  const { ds } = syntheticCells([60, 40, 30, 20], 16, 3);
  const { paired, donorOfCell } = pairedFromPseudoDonors(ds, { labelsKey: 'cell_type', nDonors: 8, seed: 1 });
  assert.equal(paired.sampleNames.length, 8);
  const X = ds.X.kind === 'csr' ? ds.X.toDense() : ds.X;
  for (let d = 0; d < 8; d++) {
    const expected = new Float64Array(16);
    let n = 0;
    for (let i = 0; i < ds.nObs; i++) {
      if (donorOfCell[i] !== d) continue;
      n++;
      for (let g = 0; g < 16; g++) expected[g] = (expected[g] as number) + X.get(i, g);
    }
    assert.ok(n > 0);
    assert.deepEqual(Array.from(paired.bulk.row(d)), Array.from(expected));
    assert.equal(paired.cellLabels?.[d]?.length, n);
    const s = paired.proportions.row(d).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  // Compositions differ between donors (Gamma(1) weights per type).
  const first = paired.proportions.col(0);
  assert.ok(Math.max(...first) - Math.min(...first) > 0.2);
  const again = pairedFromPseudoDonors(ds, { labelsKey: 'cell_type', nDonors: 8, seed: 1 });
  assert.deepEqual(again.donorOfCell, donorOfCell);
  assert.throws(() => pairedFromPseudoDonors(ds, { labelsKey: 'cell_type', nDonors: 1 }), { code: 'E_OPTION' });
  const bulkDs = pairedBulkDataset(paired, [2, 5]);
  assert.deepEqual(bulkDs.obsNames, ['donor2', 'donor5']);
  assert.ok(bulkDs.layers.has('counts_sum'));
});

test('paired tables: labels or proportions, matched by sample name, typed errors', () => {
  const bulk = new Dataset({
    X: DenseMatrix.fromRows([
      [1, 2],
      [3, 4],
    ]),
    obsNames: ['s1', 's2'],
    varNames: ['a', 'b'],
  });
  const p = pairedFromTables(bulk, { sample: ['s2', 's1', 's2', 's2'], label: ['T', 'B', 'B', 'T'] });
  assert.deepEqual(p.cellTypes, ['B', 'T']);
  assert.deepEqual(Array.from(p.proportions.data), [1, 0, 1 / 3, 2 / 3]);
  assert.throws(() => pairedFromTables(bulk, { sample: ['s1', 's3'], label: ['T', 'B'] }), { code: 'E_PAIRED_SAMPLES' });
  assert.throws(() => pairedFromTables(bulk, { sample: ['s1'], label: ['T'] }), { code: 'E_PAIRED_SAMPLES' });
  assert.throws(() => pairedFromTables(bulk), { code: 'E_PAIRED_TARGETS' });
  const q = pairedFromTables(bulk, undefined, {
    sampleNames: ['s2', 's1'],
    cellTypes: ['X', 'Y'],
    values: DenseMatrix.fromRows([
      [1, 3],
      [2, 2],
    ]),
  });
  assert.deepEqual(Array.from(q.proportions.data), [0.5, 0.5, 0.25, 0.75]);
  assert.equal(q.cellLabels, undefined);
});

test('loadPairedData reads a bulk table and a cells table', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paired-'));
  try {
    writeFileSync(join(dir, 'bulk.csv'), 'gene,s1,s2\na,1,3\nb,2,4\nc,5,6\n');
    writeFileSync(join(dir, 'cells.tsv'), 'barcode\tsample\tcell_type\nc1\ts1\tB\nc2\ts2\tT\nc3\ts2\tB\n');
    const p = await loadPairedData({ bulk: join(dir, 'bulk.csv'), cells: join(dir, 'cells.tsv') });
    assert.deepEqual(p.sampleNames, ['s1', 's2']);
    assert.deepEqual(p.genes, ['a', 'b', 'c']);
    assert.deepEqual(Array.from(p.bulk.row(1)), [3, 4, 6]);
    assert.deepEqual(Array.from(p.proportions.data), [1, 0, 0.5, 0.5]);
    writeFileSync(join(dir, 'bad.tsv'), 'barcode\tdonor\tlabel\nc1\ts1\tB\n');
    await assert.rejects(loadPairedData({ bulk: join(dir, 'bulk.csv'), cells: join(dir, 'bad.tsv') }), { code: 'E_PAIRED_COLUMNS' });
    const p2 = await loadPairedData({
      bulk: join(dir, 'bulk.csv'),
      cells: join(dir, 'bad.tsv'),
      sampleColumn: 'donor',
      labelColumn: 'label',
    }).catch((e) => e);
    assert.equal(p2.code, 'E_PAIRED_SAMPLES'); // s2 has no cells
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
