/**
 * Signature matrices on disk: CSV/TSV with genes as rows and cell types as columns, the first column
 * holding the gene (PyDeconv `hub/signature_matrix/*.csv` layout, e.g. header `Genes,TNK,B,...`).
 * In memory a {@link Signature} is cell types x genes; these functions transpose.
 */
import { FormatError, InputError, isCelldeconvError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import { readDenseTable, writeDenseTable } from '../io/table.js';
import { Signature } from './signature.js';

/**
 * Reads a signature CSV/TSV (optionally gzipped): header = corner label (e.g. `Genes`) then the cell
 * types; one row per gene.
 *
 * @param path - file path (`.csv`, `.tsv`, optionally `.gz`).
 * @param opts - progress and cancellation.
 * @returns the Signature (cell types x genes); `meta.source` is the path, `meta.geneColumn` the corner label.
 * @throws {@link FormatError} / {@link InputError} from the table reader (missing file, ragged rows,
 *   non-numeric cells, duplicated names) and `E_SIGNATURE_VALUE` (negative or non-finite value),
 *   `E_EMPTY` (no gene or no cell type), all naming the file.
 * @example
 * const sig = await readSignatureCsv('sig_matrix_Cross_Tissue_Immune_granularity_1.csv'); // 5 types x 275 genes
 */
export async function readSignatureCsv(path: string, opts: LongRunOptions = {}): Promise<Signature> {
  const t = await readDenseTable(path, opts);
  if (t.rowNames.length === 0 || t.colNames.length === 0) {
    throw new FormatError('signature file has no gene or no cell type', {
      code: 'E_EMPTY',
      file: path,
      got: `${t.rowNames.length} genes x ${t.colNames.length} cell types`,
      hint: 'Expected a header (gene column, then one column per cell type) and one row per gene',
    });
  }
  try {
    return new Signature(t.colNames, t.rowNames, t.values.transpose(), { source: path, geneColumn: t.cornerLabel });
  } catch (e) {
    if (isCelldeconvError(e)) {
      throw new InputError(e.what, { code: e.code, file: path, field: e.field, got: e.got, expected: e.expected, hint: e.hint });
    }
    throw e;
  }
}

/** Options of {@link writeSignatureCsv}. */
export interface WriteSignatureOptions {
  /** Header of the gene column (default 'Genes', as in PyDeconv's files). */
  geneColumn?: string;
}

/**
 * Writes a signature as genes x cell types CSV/TSV (optionally gzipped), atomically (temp file +
 * rename). Values are written in shortest round-trip form, so reading back gives identical doubles.
 *
 * @param path - output path; `.tsv` gives tabs, otherwise commas.
 * @param sig - the signature.
 * @param opts - the gene column's header.
 * @throws {@link InputError} `E_NO_PARENT_DIR`, `E_WRITE`.
 * @example
 * await writeSignatureCsv('pbmc_signature.csv', sig);
 */
export async function writeSignatureCsv(path: string, sig: Signature, opts: WriteSignatureOptions = {}): Promise<void> {
  await writeDenseTable(path, sig.genes, sig.cellTypes, sig.genesByTypes(), { cornerLabel: opts.geneColumn ?? 'Genes' });
}
