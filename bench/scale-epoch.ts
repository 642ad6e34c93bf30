/**
 * Child of bench/scale.bench.ts: one epoch of shuffled mini-batches (128 rows) from an `.h5ad` on
 * disk, blocks sized for a memory budget (bytes, argv[3]); prints rows, batches and a checksum.
 */
import { Rng } from '../src/core/rng.js';
import { openH5adBacked } from '../src/io/h5ad/read.js';
import { backedRowSource, blockRowsForBudget, miniBatches } from '../src/io/row-blocks.js';

const [file, budgetText] = process.argv.slice(2) as [string, string];
const b = await openH5adBacked(file);
try {
  const source = backedRowSource(b);
  const blockRows = blockRowsForBudget(source, Number(budgetText));
  let rows = 0;
  let batches = 0;
  let sum = 0;
  for (const batch of miniBatches(source, { batchSize: 128, blockRows, bufferBlocks: 2, rng: new Rng(0) })) {
    rows += batch.rows.length;
    batches++;
    const d = batch.X.data;
    for (let k = 0; k < d.length; k += 97) sum += d[k] as number;
  }
  console.log(`epoch: ${rows} rows in ${batches} batches (blocks of ${blockRows} rows), checksum ${sum}`);
} finally {
  b.close();
}
