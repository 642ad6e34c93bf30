/**
 * Per-sample predictions of the benchmark, as tables a user can open next to the truth: for each
 * granularity, `predictions/<granularity>/truth.csv` and one `<method>.csv` per method (plus
 * `<method>.lower.csv` / `.upper.csv` when it gave intervals), samples x cell types at the main
 * number of cells per pseudobulk, every file with the truth's column order.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DenseMatrix } from '../data/dense.js';
import { writeFileAtomic } from '../io/atomic.js';

/** One method's predictions at one granularity (aligned to the truth's cell types). */
export interface MethodPredictions {
  method: string;
  granularity: string;
  cellTypes: readonly string[];
  sampleNames: readonly string[];
  truth: DenseMatrix;
  pred: DenseMatrix;
  lower?: DenseMatrix;
  upper?: DenseMatrix;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A granularity name as a directory name (letters, digits, '.', '_', '-'). */
export function safeName(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, '_');
  return t === '' || t === '.' || t === '..' ? '_' : t;
}

/** samples x cell types as CSV: header `sample,<types...>`, numbers through `num`. */
export function matrixCsv(
  sampleNames: readonly string[],
  cellTypes: readonly string[],
  m: DenseMatrix,
  num: (v: number) => string,
): string {
  const lines = [['sample', ...cellTypes].map(csvCell).join(',')];
  for (let i = 0; i < m.rows; i++) {
    const row = [csvCell(sampleNames[i] as string)];
    for (let k = 0; k < m.cols; k++) row.push(num(m.get(i, k)));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the tables (atomically) and returns, per granularity, the directory they are in.
 *
 * @param num - number formatting (the benchmark's `--precision`).
 */
export function writePredictions(
  outDir: string,
  granularities: readonly string[],
  preds: readonly MethodPredictions[],
  num: (v: number) => string,
): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const g of granularities) {
    const mine = preds.filter((p) => p.granularity === g);
    const first = mine[0];
    if (!first) continue;
    const dir = join(outDir, 'predictions', safeName(g));
    mkdirSync(dir, { recursive: true });
    dirs[g] = dir;
    writeFileAtomic(join(dir, 'truth.csv'), matrixCsv(first.sampleNames, first.cellTypes, first.truth, num));
    for (const p of mine) {
      writeFileAtomic(join(dir, `${safeName(p.method)}.csv`), matrixCsv(p.sampleNames, p.cellTypes, p.pred, num));
      if (p.lower) writeFileAtomic(join(dir, `${safeName(p.method)}.lower.csv`), matrixCsv(p.sampleNames, p.cellTypes, p.lower, num));
      if (p.upper) writeFileAtomic(join(dir, `${safeName(p.method)}.upper.csv`), matrixCsv(p.sampleNames, p.cellTypes, p.upper, num));
    }
  }
  return dirs;
}
