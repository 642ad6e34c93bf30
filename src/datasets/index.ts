/** Bundled datasets, loaded by name. */
import { PBMC3K_LABEL_COLUMN, pbmc3k, pbmc3kPath } from './pbmc3k.js';

export { PBMC3K_LABEL_COLUMN, pbmc3k, pbmc3kPath };

/**
 * The bundled datasets by name (each a cached loader returning a Dataset).
 *
 * @example
 * ```ts
 * import { datasets } from 'celldeconv';
 * const ref = await datasets.pbmc3k();
 * ```
 */
export const datasets = { pbmc3k } as const;

/** Names accepted where a file path is expected (CLI `info pbmc3k`, `convert pbmc3k OUT`). */
export type DatasetName = keyof typeof datasets;

/** True when `name` is the name of a bundled dataset. */
export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(datasets, name);
}
