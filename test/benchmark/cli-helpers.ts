/** Shared by the simulate/benchmark CLI tests: a small labelled 10x directory (output capture: test/helpers/cli.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { columnAsStrings } from '../../src/data/frame.js';
import { writeTenx } from '../../src/io/mtx.js';
import { syntheticCells } from './synthetic.js';

/** Writes synthetic labelled cells as a 10x directory whose barcodes file carries a cell_type column. */
export async function writeLabelledTenx(dir: string, sizes: number[], names?: string[]): Promise<void> {
  const { ds } = syntheticCells(sizes, 40, 5, names);
  await writeTenx(dir, ds);
  const labels = columnAsStrings(ds.obs.get('cell_type'));
  const rows = ['barcode\tcell_type', ...ds.obsNames.map((b, i) => `${b}\t${labels[i]}`)];
  writeFileSync(join(dir, 'barcodes.tsv.gz'), gzipSync(`${rows.join('\n')}\n`));
}
