/**
 * A signature matrix: mean expression of marker genes per cell type.
 *
 * Stored as cell types x genes (observations x genes, like every matrix here), Float64. On disk it
 * is genes x cell types (PyDeconv layout), see io's signature CSV reader/writer.
 */
import { InputError, ShapeError } from '../core/errors.js';
import type { DenseMatrix } from '../data/dense.js';

export class Signature {
  readonly cellTypes: readonly string[];
  readonly genes: readonly string[];
  /** cellTypes.length x genes.length, linear scale. */
  readonly values: DenseMatrix<Float64Array>;
  /** Free-form provenance (builder options, chosen number of markers, ...). */
  readonly meta: Record<string, unknown>;

  constructor(
    cellTypes: readonly string[],
    genes: readonly string[],
    values: DenseMatrix<Float64Array>,
    meta: Record<string, unknown> = {},
  ) {
    if (values.rows !== cellTypes.length || values.cols !== genes.length) {
      throw new ShapeError('signature values do not match its cell types and genes', {
        code: 'E_SHAPE',
        got: `${values.rows} x ${values.cols}`,
        expected: `${cellTypes.length} cell types x ${genes.length} genes`,
      });
    }
    const dupT = firstDuplicate(cellTypes);
    if (dupT !== undefined) {
      throw new InputError(`signature has a duplicated cell type '${dupT}'`, {
        code: 'E_DUPLICATE_CELL_TYPE',
        field: dupT,
        hint: 'Each cell type must appear once',
      });
    }
    const dupG = firstDuplicate(genes);
    if (dupG !== undefined) {
      throw new InputError(`signature has a duplicated gene '${dupG}'`, {
        code: 'E_DUPLICATE_GENE',
        field: dupG,
        hint: 'Make gene names unique (e.g. use Ensembl IDs)',
      });
    }
    for (let k = 0; k < values.data.length; k++) {
      const v = values.data[k] as number;
      if (!Number.isFinite(v) || v < 0) {
        const i = Math.floor(k / values.cols);
        const j = k % values.cols;
        throw new InputError('signature values must be finite and non-negative', {
          code: 'E_SIGNATURE_VALUE',
          field: `${genes[j]} / ${cellTypes[i]}`,
          got: v,
          hint: 'A signature holds mean expression on a linear scale; un-log it or fix the missing values',
        });
      }
    }
    this.cellTypes = cellTypes;
    this.genes = genes;
    this.values = values;
    this.meta = meta;
  }

  get nTypes(): number {
    return this.cellTypes.length;
  }

  get nGenes(): number {
    return this.genes.length;
  }

  /** Genes x cell types copy (the design matrix S of the linear solvers). */
  genesByTypes(): DenseMatrix<Float64Array> {
    return this.values.transpose();
  }

  /** Signature restricted to the listed gene indices (new object; the original is never shrunk). */
  selectGenes(idx: ArrayLike<number>): Signature {
    return new Signature(
      this.cellTypes,
      Array.from(idx, (j) => this.genes[j] as string),
      this.values.selectCols(idx),
      this.meta,
    );
  }
}

function firstDuplicate(xs: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}
