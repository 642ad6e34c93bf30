/**
 * The bundled PBMC3k dataset (10x Genomics 3k PBMCs, raw UMI counts, 2,638 cells with Seurat
 * tutorial cell-type labels). Origin, licence and caveats: `data/pbmc3k/README.md`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../core/errors.js';
import type { LongRunOptions } from '../core/progress.js';
import type { Dataset } from '../data/dataset.js';
import { readTenx } from '../io/mtx.js';

/** obs column holding the nine cell-type labels. */
export const PBMC3K_LABEL_COLUMN = 'cell_type';

/**
 * Directory of the bundled PBMC3k files (`matrix.mtx.gz`, `genes.tsv`, `cells.tsv`, `README.md`).
 * Found by walking up from this module, so it works from `src/` (tsx) and from a compiled `dist/`.
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND` when the package was installed without `data/`.
 */
export function pbmc3kPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const cand = join(dir, 'data', 'pbmc3k');
    if (existsSync(join(cand, 'matrix.mtx.gz'))) return cand;
    dir = dirname(dir);
  }
  throw new InputError('bundled PBMC3k data not found', {
    code: 'E_FILE_NOT_FOUND',
    file: 'data/pbmc3k/matrix.mtx.gz',
    hint: 'Reinstall celldeconv with its data/ folder (it is listed in package.json "files")',
  });
}

let cache: Promise<Dataset> | undefined;

/**
 * PBMC3k as a cells x genes Dataset: 2,638 x 32,738, X = raw UMI counts (CSR, float32; no other
 * layers, to save memory), obs `cell_type` (categorical, 9 types), `seurat_cluster`,
 * `total_counts`, `n_genes_detected`, `percent_mt_seurat`; varNames = gene symbols made unique
 * (anndata's `var_names_make_unique`: repeats get `-1`, `-2`, ...), var `gene_ids` (Ensembl),
 * `gene_symbols` (as in the file).
 *
 * Parsed once per process and cached: every call returns the same object, so treat it as
 * read-only (`copy()` before changing it).
 *
 * @param opts - Progress (stage 'read', bytes) and cancellation for the first, uncached call.
 * @example
 * ```ts
 * const ref = await datasets.pbmc3k();
 * ref.shape; // [2638, 32738]
 * ref.labels('cell_type').categories; // ['B', 'CD14+ Mono', ...]
 * ```
 */
export function pbmc3k(opts: LongRunOptions = {}): Promise<Dataset> {
  if (!cache) {
    const p = readTenx(pbmc3kPath(), opts).then((ds) => {
      ds.uns = {
        dataset: 'pbmc3k',
        X: 'raw UMI counts',
        source: '10x Genomics 3k PBMCs (Zheng et al. 2017); labels from the Seurat pbmc3k tutorial; see data/pbmc3k/README.md',
      };
      return ds;
    });
    cache = p;
    // A failed or cancelled first read must not poison later calls.
    p.catch(() => {
      if (cache === p) cache = undefined;
    });
  }
  return cache;
}
