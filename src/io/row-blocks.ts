/**
 * Streaming row blocks: the one way training code, `embed` and other per-cell passes read a
 * reference that need not fit in memory. A {@link RowBlockSource} hands out contiguous row ranges
 * (from an `.h5ad` opened with `openH5adBacked`, or from an in-memory Dataset); {@link rowBlocks}
 * walks them in order or in a seeded block-shuffled order; {@link miniBatches} turns them into
 * shuffled mini-batches with bounded memory.
 *
 * ## Mini-batches from row blocks (the shuffle)
 *
 * A full random permutation of the cells would read one row per disk access. Instead each epoch:
 * 1. splits the rows into blocks of `blockRows` contiguous rows and permutes the block order (Rng);
 * 2. fills a shuffle buffer with `bufferBlocks` consecutive blocks of that order (memory: at most
 *    `bufferBlocks` blocks plus one batch), shuffles the buffered rows, and emits batches of
 *    `batchSize`; rows left over (fewer than a batch) are carried into the next buffer fill;
 * 3. emits a last, smaller batch at the end unless `dropLast`.
 * Every row appears exactly once per epoch; with `bufferBlocks` >= the number of blocks this is a
 * uniform permutation. Two rows can only share a batch if their blocks were buffered together, so
 * keep `bufferBlocks` * `blockRows` large against the batch size (tf.data's shuffle buffer and
 * WebDataset's shard shuffling make the same trade). Same seed, same batches.
 *
 * @example
 * ```ts
 * const b = await openH5adBacked('atlas.h5ad');
 * const source = backedRowSource(b);
 * const blockRows = blockRowsForBudget(source, 256e6);
 * for (const batch of miniBatches(source, { batchSize: 128, blockRows, bufferBlocks: 8, rng: new Rng(0) })) {
 *   trainStep(batch.X, batch.rows);
 * }
 * b.close();
 * ```
 */
import { InputError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Dataset } from '../data/dataset.js';
import { DenseMatrix } from '../data/dense.js';
import { rowRange, toRowMajor } from '../data/matrix.js';
import { CsrMatrix } from '../data/sparse.js';
import type { H5adBacked } from './h5ad/read.js';

/** Anything that can read rows [start, end) as a compact matrix. */
export interface RowBlockSource {
  readonly nRows: number;
  readonly nCols: number;
  /** Average stored values per row (nnz / rows for sparse, cols for dense): sizes blocks. */
  readonly storedPerRow: number;
  readRows(start: number, end: number): CsrMatrix | DenseMatrix;
}

/** A source over an `.h5ad` opened with `openH5adBacked` (rows come from disk block by block). */
export function backedRowSource(b: H5adBacked): RowBlockSource {
  const [nRows, nCols] = b.shape;
  return {
    nRows,
    nCols,
    storedPerRow: b.kind === 'dense' ? nCols : nRows === 0 ? 0 : b.stored / nRows,
    readRows: (s, e) => b.readRows(s, e),
  };
}

/** A source over an in-memory Dataset's X or a layer (CSC is converted to CSR once). */
export function datasetRowSource(ds: Dataset, layer?: string): RowBlockSource {
  const m = toRowMajor(ds.layer(layer));
  return {
    nRows: m.rows,
    nCols: m.cols,
    storedPerRow: m.kind === 'dense' ? m.cols : m.rows === 0 ? 0 : m.nnz / m.rows,
    readRows: (s, e) => rowRange(m, s, e),
  };
}

/**
 * Rows per block so that one block (values, indices, and the copy a consumer may make) stays
 * within `memoryBytes` / 4. At least 1 row.
 */
export function blockRowsForBudget(source: RowBlockSource, memoryBytes: number): number {
  const bytesPerRow = 16 * Math.max(1, source.storedPerRow) + 16;
  return Math.max(1, Math.min(source.nRows || 1, Math.floor(memoryBytes / 4 / bytesPerRow)));
}

/** Options for {@link rowBlocks}. */
export interface RowBlockOptions {
  blockRows: number;
  /** 'sequential' (default) or 'shuffled' (block order permuted with `rng`). */
  order?: 'sequential' | 'shuffled';
  rng?: Rng;
}

function checkPositive(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 1)) {
    throw new InputError(`${name} must be a positive integer`, { code: 'E_OPTION', field: name, got: v, expected: 'an integer >= 1' });
  }
}

/** Yields `{start, end, X}` for consecutive row blocks, in file order or a seeded block order. */
export function* rowBlocks(
  source: RowBlockSource,
  opts: RowBlockOptions,
): Generator<{ start: number; end: number; X: CsrMatrix | DenseMatrix }> {
  checkPositive('blockRows', opts.blockRows);
  const nBlocks = Math.ceil(source.nRows / opts.blockRows);
  let order: Int32Array = Int32Array.from({ length: nBlocks }, (_, i) => i);
  if (opts.order === 'shuffled') {
    if (!opts.rng) throw new InputError('a shuffled block order needs an rng', { code: 'E_OPTION', field: 'rng' });
    order = opts.rng.permutation(nBlocks);
  }
  for (const b of order) {
    const start = b * opts.blockRows;
    const end = Math.min(source.nRows, start + opts.blockRows);
    yield { start, end, X: source.readRows(start, end) };
  }
}

/** Stacks row blocks (all CSR or all dense) into one matrix. */
export function stackRows(blocks: readonly (CsrMatrix | DenseMatrix)[], nCols: number): CsrMatrix | DenseMatrix {
  const rows = blocks.reduce((a, m) => a + m.rows, 0);
  if (blocks.every((m) => m.kind === 'dense')) {
    const f32 = blocks.every((m) => (m as DenseMatrix).data instanceof Float32Array);
    const data = f32 ? new Float32Array(rows * nCols) : new Float64Array(rows * nCols);
    let off = 0;
    for (const m of blocks as DenseMatrix[]) {
      data.set(m.data.subarray(0, m.rows * nCols), off);
      off += m.rows * nCols;
    }
    return new DenseMatrix(rows, nCols, data);
  }
  const csr = blocks.map((m) => (m.kind === 'csr' ? m : toCsrRows(m)));
  const nnz = csr.reduce((a, m) => a + ((m.indptr[m.rows] as number) - (m.indptr[0] as number)), 0);
  const indptr = new Float64Array(rows + 1);
  const indices = new Int32Array(nnz);
  const f32 = csr.every((m) => m.data instanceof Float32Array);
  const data = f32 ? new Float32Array(nnz) : new Float64Array(nnz);
  let r = 0;
  let p = 0;
  for (const m of csr) {
    const a = m.indptr[0] as number;
    const b = m.indptr[m.rows] as number;
    indices.set(m.indices.subarray(a, b), p);
    data.set(m.data.subarray(a, b), p);
    for (let i = 1; i <= m.rows; i++) indptr[r + i] = p + (m.indptr[i] as number) - a;
    r += m.rows;
    p += b - a;
  }
  return new CsrMatrix(rows, nCols, { indptr, indices, data });
}

function toCsrRows(m: DenseMatrix): CsrMatrix {
  const indptr = new Float64Array(m.rows + 1);
  const idx: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j] as number;
      if (v !== 0) {
        idx.push(j);
        vals.push(v);
      }
    }
    indptr[i + 1] = idx.length;
  }
  return new CsrMatrix(m.rows, m.cols, { indptr, indices: Int32Array.from(idx), data: Float64Array.from(vals) });
}

/** Options for {@link miniBatches}. */
export interface MiniBatchOptions {
  batchSize: number;
  /** Rows per block read from the source (see {@link blockRowsForBudget}). */
  blockRows: number;
  /** Blocks held in the shuffle buffer (default 4). */
  bufferBlocks?: number;
  /** Seeded stream for the block order and the buffer shuffles. */
  rng: Rng;
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * One epoch of shuffled mini-batches read block by block (see the module comment for the shuffle).
 *
 * @returns Batches: `rows` (global row indices, in batch order) and `X` (batch x genes, CSR for
 *   sparse sources, dense otherwise).
 * @throws {@link InputError} `E_OPTION` for non-positive sizes.
 */
export function* miniBatches(source: RowBlockSource, opts: MiniBatchOptions): Generator<{ rows: Int32Array; X: CsrMatrix | DenseMatrix }> {
  checkPositive('batchSize', opts.batchSize);
  const bufferBlocks = opts.bufferBlocks ?? 4;
  checkPositive('bufferBlocks', bufferBlocks);
  const rng = opts.rng;
  let pending: { rows: Int32Array; X: CsrMatrix | DenseMatrix } | undefined;
  const blocks = rowBlocks(source, { blockRows: opts.blockRows, order: 'shuffled', rng });
  let done = false;
  while (!done) {
    const parts: (CsrMatrix | DenseMatrix)[] = [];
    const rowIds: Int32Array[] = [];
    if (pending) {
      parts.push(pending.X);
      rowIds.push(pending.rows);
      pending = undefined;
    }
    for (let k = 0; k < bufferBlocks; k++) {
      const next = blocks.next();
      if (next.done) {
        done = true;
        break;
      }
      parts.push(next.value.X);
      rowIds.push(Int32Array.from({ length: next.value.end - next.value.start }, (_, i) => next.value.start + i));
    }
    if (parts.length === 0) break;
    const pool = stackRows(parts, source.nCols);
    const ids = new Int32Array(pool.rows);
    let o = 0;
    for (const r of rowIds) {
      ids.set(r, o);
      o += r.length;
    }
    const perm = rng.permutation(pool.rows);
    let s = 0;
    for (; s + opts.batchSize <= pool.rows; s += opts.batchSize) {
      const local = perm.subarray(s, s + opts.batchSize);
      yield { rows: Int32Array.from(local, (i) => ids[i] as number), X: pool.selectRows(local) as CsrMatrix | DenseMatrix };
    }
    if (s < pool.rows) {
      const local = perm.subarray(s);
      const left = { rows: Int32Array.from(local, (i) => ids[i] as number), X: pool.selectRows(local) as CsrMatrix | DenseMatrix };
      if (!done) pending = left;
      else if (!opts.dropLast) yield left;
    }
  }
  if (pending && !opts.dropLast) yield pending;
}
