/**
 * Test helper: loads ../shared/data/pbmc3k_labeled (raw UMI, 2,638 cells x 32,738 genes) as a CSR
 * Dataset with gene_id var names and a `cell_type` obs column, or returns a skip reason when the
 * shared data is absent (fresh clone). A private reader so that these tests do not depend on the
 * I/O area's readers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Dataset } from '../../src/data/dataset.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';

export const PBMC_DIR = new URL('../../../shared/data/pbmc3k_labeled/', import.meta.url);

export function pbmcSkipReason(): string | undefined {
  return existsSync(new URL('matrix.mtx.gz', PBMC_DIR)) ? undefined : 'shared PBMC3k data (../shared/data/pbmc3k_labeled) not present';
}

export function loadPbmc3k(): Dataset {
  const text = gunzipSync(readFileSync(new URL('matrix.mtx.gz', PBMC_DIR))).toString('utf8');
  const lines = text.split('\n');
  let k = 0;
  while ((lines[k] as string).startsWith('%')) k++;
  const [nGenes, nCells, nnz] = (lines[k++] as string).trim().split(/\s+/).map(Number) as [number, number, number];
  // file is genes x cells sorted by column (cell): that is CSR of cells x genes
  const indptr = new Float64Array(nCells + 1);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  let p = 0;
  for (; k < lines.length; k++) {
    const l = lines[k] as string;
    if (l === '') continue;
    const s1 = l.indexOf(' ');
    const s2 = l.indexOf(' ', s1 + 1);
    const g = Number(l.slice(0, s1)) - 1;
    const c = Number(l.slice(s1 + 1, s2)) - 1;
    indices[p] = g;
    data[p] = Number(l.slice(s2 + 1));
    indptr[c + 1] = (indptr[c + 1] as number) + 1;
    p++;
  }
  for (let c = 0; c < nCells; c++) indptr[c + 1] = (indptr[c + 1] as number) + (indptr[c] as number);
  const genes = readFileSync(new URL('genes.tsv', PBMC_DIR), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0] as string);
  const cells = readFileSync(new URL('cells.tsv', PBMC_DIR), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  const X = new CsrMatrix(nCells, nGenes, { indptr, indices, data });
  return new Dataset({
    X,
    obsNames: cells.map((c) => c[0] as string),
    varNames: genes,
    obs: new Frame(nCells, { cell_type: categoricalFrom(cells.map((c) => c[1] as string)) }),
  });
}
