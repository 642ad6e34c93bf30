import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CelldeconvError } from '../../src/core/errors.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { Signature } from '../../src/signature/signature.js';
import { readSignatureCsv, writeSignatureCsv } from '../../src/signature/signature-csv.js';

const dir = mkdtempSync(join(tmpdir(), 'celldeconv-sigcsv-'));

test('write -> read round trip is exact (CSV, TSV, gzip) and the file is genes x cell types', async () => {
  const sig = new Signature(
    ['T', 'B', 'Mono'],
    ['g1', 'g,2', 'g3', 'g4'],
    DenseMatrix.fromRows([
      [0.1, 1 / 3, 0, 5e-17],
      [2, 3, 4, 5],
      [1e6, 0, Math.PI, 7],
    ]),
  );
  for (const name of ['s.csv', 's.tsv', 's.csv.gz']) {
    const p = join(dir, name);
    await writeSignatureCsv(p, sig);
    const back = await readSignatureCsv(p);
    assert.deepEqual(back.cellTypes, sig.cellTypes);
    assert.deepEqual(back.genes, sig.genes);
    assert.deepEqual(Array.from(back.values.data), Array.from(sig.values.data));
  }
  const text = readFileSync(join(dir, 's.csv'), 'utf8').split('\n');
  assert.equal(text[0], 'Genes,T,B,Mono');
  assert.equal(text[1], 'g1,0.1,2,1000000');
  assert.equal(text[2], '"g,2",0.3333333333333333,3,0');
  // atomic: no temp file left behind
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp')),
    [],
  );
});

test('bad signature files: negative values and missing values name the file and the cell', async () => {
  const neg = join(dir, 'neg.csv');
  writeFileSync(neg, 'Gene,A,B\ng1,1,2\ng2,-1,3\n');
  await assert.rejects(readSignatureCsv(neg), (e: unknown) => {
    assert.equal((e as CelldeconvError).code, 'E_SIGNATURE_VALUE');
    assert.match((e as Error).message, /neg\.csv.*g2 \/ A/);
    return true;
  });
  const nan = join(dir, 'nan.csv');
  writeFileSync(nan, 'Gene,A,B\ng1,1,NA\n');
  await assert.rejects(readSignatureCsv(nan), (e: unknown) => (e as CelldeconvError).code === 'E_NONFINITE');
  const dup = join(dir, 'dup.csv');
  writeFileSync(dup, 'Gene,A,A\ng1,1,2\n');
  await assert.rejects(readSignatureCsv(dup), (e: unknown) => /duplicate/i.test((e as Error).message));
  await assert.rejects(readSignatureCsv(join(dir, 'missing.csv')), (e: unknown) => (e as CelldeconvError).code === 'E_FILE_NOT_FOUND');
});

const PYD = new URL('../../../shared/data/pydeconv_signature_matrices/', import.meta.url);
const pydSkip = existsSync(PYD) ? undefined : 'PyDeconv signature matrices (../shared/data/pydeconv_signature_matrices) not present';
test('loads the three PyDeconv hub signatures', { skip: pydSkip }, async () => {
  const expected: Record<string, [number, number, string]> = {
    'sig_matrix_Cross_Tissue_Immune_granularity_1.csv': [275, 5, 'TNK'],
    'sig_matrix_Cross_Tissue_Immune_granularity_2.csv': [1375, 9, 'CD4T'],
    'sig_matrix_laughney_lung_cancer.csv': [434, 9, 'TNK'],
  };
  for (const [file, [nGenes, nTypes, first]] of Object.entries(expected)) {
    const sig = await readSignatureCsv(new URL(file, PYD).pathname);
    assert.equal(sig.nGenes, nGenes, file);
    assert.equal(sig.nTypes, nTypes, file);
    assert.equal(sig.cellTypes[0], first);
    assert.ok(sig.values.data.every((v) => v >= 0 && Number.isFinite(v)));
  }
  const lung = await readSignatureCsv(new URL('sig_matrix_laughney_lung_cancer.csv', PYD).pathname);
  assert.equal(lung.genes[0], 'CXCR4');
  assert.equal(lung.values.get(0, 0), 70.7930411424036);
  // write it back and compare bytes of the numbers
  const out = join(dir, 'lung.csv');
  await writeSignatureCsv(out, lung, { geneColumn: 'Gene' });
  const again = await readSignatureCsv(out);
  assert.deepEqual(Array.from(again.values.data), Array.from(lung.values.data));
});
