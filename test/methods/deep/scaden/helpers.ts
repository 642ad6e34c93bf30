/** Small references shared by the deep-baseline and simulator tests. */
import { Dataset } from '../../../../src/data/dataset.js';
import { DenseMatrix } from '../../../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../../../src/data/frame.js';

/**
 * A reference where every cell of type c is the one-hot vector e_c (genes = types), so a
 * simulated sample's expression IS its integer cell counts per type.
 */
export function oneHotReference(cellsPerType: number[], extraEmptyCategory = false): Dataset {
  const C = cellsPerType.length;
  const rows: number[][] = [];
  const labels: string[] = [];
  cellsPerType.forEach((n, c) => {
    for (let i = 0; i < n; i++) {
      const r = new Array(C).fill(0);
      r[c] = 1;
      rows.push(r);
      labels.push(`type${c}`);
    }
  });
  const cats = extraEmptyCategory ? [...cellsPerType.map((_, c) => `type${c}`), 'unused'] : undefined;
  return new Dataset({
    X: DenseMatrix.fromRows(rows),
    obs: new Frame(rows.length, { cell_type: categoricalFrom(labels, cats) }),
    varNames: cellsPerType.map((_, c) => `g${c}`),
  });
}
