/** File formats: readers and writers for h5ad, 10x Matrix Market, CSV/TSV tables, label tables. */
export { withAtomicOutput, writeFileAtomic } from './atomic.js';
export { inferColumn, makeUnique } from './columns.js';
export { type H5adBacked, openH5adBacked, type ReadH5adOptions, readH5ad } from './h5ad/read.js';
export { supportedEncodings } from './h5ad/registry.js';
export { type WriteH5adOptions, writeH5ad } from './h5ad/write.js';
export { type ReadLabelsOptions, readLabels, withObsColumns } from './labels.js';
export { type ReadTenxOptions, readMtxCoordinates, readTenx, writeTenx } from './mtx.js';
export { type DatasetFormat, detectFormat, type ReadDatasetOptions, readDataset, type WriteDatasetOptions, writeDataset } from './read.js';
export {
  type DenseTable,
  detectGeneAxis,
  type ReadBulkOptions,
  readBulk,
  readDenseTable,
  type WriteTableOptions,
  writeDenseTable,
} from './table.js';
export { type AssertCountsOptions, assertCounts } from './validate.js';
