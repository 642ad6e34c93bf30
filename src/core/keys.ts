/**
 * Names used as keys across modules, in one place so that layer names, CLI names and report
 * labels cannot drift apart (cf. scvi-tools' REGISTRY_KEYS).
 */
export const LAYERS = {
  /** Raw integer counts (pseudobulk: mean of the cells' raw counts, as PyDeconv stores it in X). */
  rawCounts: 'raw_counts',
  /** Per-cell counts / total * 1e4 (pseudobulk: mean over cells). Linear methods read this layer. */
  relativeCounts: 'relative_counts',
  /** Pseudobulk: sum of the cells' raw counts. Scaden and TAPE read this layer. */
  countsSum: 'counts_sum',
} as const;

export type LayerName = (typeof LAYERS)[keyof typeof LAYERS];

/** Target sum of `normalizeTotal` for relative counts ("counts per 10k"). */
export const RELATIVE_COUNTS_TARGET = 1e4;

/** Default fraction of signature genes that must be present in a bulk (PyDeconv valid_anndata tol = 0.3). */
export const DEFAULT_MIN_GENE_OVERLAP = 0.7;
