/**
 * Writing a CSR `.h5ad` from row blocks, for matrices that do not fit in memory (atlas-scale
 * references, the scale benchmark's synthetic files). `X/data` and `X/indices` are chunked,
 * resizable datasets that grow block by block; only `indptr` (8 bytes per row) is kept until the
 * end. Atomic and byte-reproducible like {@link writeH5ad}.
 */
import { InputError } from '../../core/errors.js';
import type { Frame } from '../../data/frame.js';
import type { CsrMatrix } from '../../data/sparse.js';
import { withAtomicOutput } from '../atomic.js';
import { openH5Write } from './h5.js';
import { clearObjectTimes } from './object-times.js';
import { emptyDict, tag, writeFrame } from './write.js';

/** What the streamed file holds besides X. */
export interface CsrStreamHeader {
  obsNames: readonly string[];
  varNames: readonly string[];
  obs: Frame;
  var: Frame;
}

/** Elements per HDF5 chunk of data/indices (1 Mi values: 4 MB chunks). */
const CHUNK = 1 << 20;

/**
 * Writes an `.h5ad` whose X is the row-wise concatenation of `blocks` (CSR, float32 values).
 *
 * @param path - Output file (atomic: temp file + rename).
 * @param header - Names and annotations; `obsNames.length` rows must arrive in total.
 * @param blocks - Row blocks, in order, each `rows x varNames.length`.
 * @throws {@link InputError} `E_SHAPE` when the blocks do not add up to the header.
 */
export async function writeH5adCsrStream(
  path: string,
  header: CsrStreamHeader,
  blocks: Iterable<CsrMatrix> | AsyncIterable<CsrMatrix>,
): Promise<void> {
  const nRows = header.obsNames.length;
  const nCols = header.varNames.length;
  await withAtomicOutput(path, async (tmp) => {
    const f = await openH5Write(tmp);
    try {
      tag(f, 'anndata');
      writeFrame(f, 'obs', header.obs, header.obsNames, {});
      writeFrame(f, 'var', header.var, header.varNames, {});
      const g = f.create_group('X');
      tag(g, 'csr_matrix');
      g.create_attribute('shape', [nRows, nCols], [2], '<q');
      const data = g.create_dataset({
        name: 'data',
        data: new Float32Array(0),
        shape: [0],
        maxshape: [null],
        chunks: [CHUNK],
        dtype: '<f',
      });
      const indices = g.create_dataset({
        name: 'indices',
        data: new Int32Array(0),
        shape: [0],
        maxshape: [null],
        chunks: [CHUNK],
        dtype: '<i',
      });
      const indptr = new Float64Array(nRows + 1);
      let row = 0;
      let nnz = 0;
      for await (const m of blocks) {
        if (m.cols !== nCols || row + m.rows > nRows) {
          throw new InputError('streamed blocks do not match the header', {
            code: 'E_SHAPE',
            file: path,
            got: `block of ${m.rows} x ${m.cols} after ${row} rows`,
            expected: `${nRows} x ${nCols} in total`,
          });
        }
        const a = m.indptr[0] as number;
        const b = m.indptr[m.rows] as number;
        if (b > a) {
          data.resize([nnz + b - a]);
          indices.resize([nnz + b - a]);
          const vals = m.data.subarray(a, b);
          data.write_slice([[nnz, nnz + b - a]], vals instanceof Float32Array ? vals : Float32Array.from(vals));
          indices.write_slice([[nnz, nnz + b - a]], m.indices.subarray(a, b));
        }
        for (let i = 1; i <= m.rows; i++) indptr[row + i] = nnz + (m.indptr[i] as number) - a;
        row += m.rows;
        nnz += b - a;
      }
      if (row !== nRows) {
        throw new InputError('streamed blocks do not match the header', {
          code: 'E_SHAPE',
          file: path,
          got: `${row} rows`,
          expected: `${nRows} rows`,
        });
      }
      if (nnz > 2147483647)
        g.create_dataset({ name: 'indptr', data: BigInt64Array.from(indptr, (v) => BigInt(v)), shape: [nRows + 1], dtype: '<q' });
      else g.create_dataset({ name: 'indptr', data: Int32Array.from(indptr), shape: [nRows + 1], dtype: '<i' });
      emptyDict(f, 'layers');
      emptyDict(f, 'uns');
      for (const k of ['obsm', 'varm', 'obsp', 'varp']) emptyDict(f, k);
    } finally {
      f.close();
    }
    clearObjectTimes(tmp);
  });
}
