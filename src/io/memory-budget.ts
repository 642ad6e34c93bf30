/**
 * The memory budget that bounds what commands hold at once (`--memory`, default 2 GB): sizes such
 * as `2GB`, `500M`, `1.5GiB` or a plain number of bytes.
 */
import { InputError } from '../core/errors.js';

/** Default budget: 2 GB (decimal), the CLI's `--memory` default. */
export const DEFAULT_MEMORY_BYTES = 2e9;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/**
 * Parses a memory size.
 *
 * @param text - e.g. '2GB', '512MiB', '1e9'.
 * @returns Bytes (an integer >= 1 MB).
 * @throws {@link InputError} `E_OPTION` for anything else, naming the accepted forms.
 * @example
 * parseMemorySize('1.5GB'); // 1_500_000_000
 */
export function parseMemorySize(text: string, field = 'memory'): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[(m[2] as string).toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!(bytes >= 1e6) || !Number.isSafeInteger(bytes)) {
    throw new InputError('invalid memory size', {
      code: 'E_OPTION',
      field,
      got: text,
      expected: "a size of at least 1 MB such as '2GB', '512MB', '1.5GiB' or a number of bytes",
    });
  }
  return bytes;
}
