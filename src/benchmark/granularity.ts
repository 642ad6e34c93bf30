/**
 * Granularity maps: fine cell-type labels -> coarser groups, so that one reference can be
 * benchmarked at several granularities (the paper's 5 and 9 types).
 *
 * File formats:
 * - JSON: `{"name": "coarse", "map": {"Naive CD4 T": "T/NK", "B": "B", ...}}`.
 * - CSV/TSV: two columns, fine label then group; an optional header row `label,group`
 *   (recognised when its first cell is `label`, `fine` or `cell_type`); the name is the file name.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { FormatError, InputError } from '../core/errors.js';
import { Dataset } from '../data/dataset.js';
import { categoricalFrom, columnAsStrings, Frame } from '../data/frame.js';

/** A named map from fine labels to groups. */
export interface GranularityMap {
  name: string;
  /** fine label -> group. */
  map: Record<string, string>;
}

/** The identity map over `labels` (benchmark at the labels as they are). */
export function identityGranularity(labels: readonly string[], name = 'fine'): GranularityMap {
  return { name, map: Object.fromEntries(labels.map((l) => [l, l])) };
}

/** The groups of a map, in first-appearance order. */
export function granularityGroups(g: GranularityMap): string[] {
  return [...new Set(Object.values(g.map))];
}

/**
 * Parses a granularity map from text.
 * @param text - JSON or CSV/TSV content (see module doc).
 * @param file - file name, for messages and the default name of CSV maps.
 * @throws {@link FormatError} `E_GRANULARITY_FORMAT` for malformed content.
 */
export function parseGranularityMap(text: string, file = 'granularity map'): GranularityMap {
  const trimmed = text.trim();
  const defaultName = basename(file, extname(file));
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (e) {
      throw new FormatError(`not valid JSON (${(e as Error).message})`, { code: 'E_GRANULARITY_FORMAT', file, cause: e });
    }
    const o = obj as { name?: unknown; map?: unknown };
    if (typeof o.map !== 'object' || o.map === null || Array.isArray(o.map)) {
      throw new FormatError('a granularity map needs a "map" object of label -> group', {
        code: 'E_GRANULARITY_FORMAT',
        file,
        field: 'map',
        expected: '{"name": "coarse", "map": {"fine label": "group", ...}}',
      });
    }
    const map: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.map as Record<string, unknown>)) {
      if (typeof v !== 'string' || v === '') {
        throw new FormatError('every group must be a non-empty string', { code: 'E_GRANULARITY_FORMAT', file, field: `map/${k}`, got: v });
      }
      map[k] = v;
    }
    return checkNonEmpty({ name: typeof o.name === 'string' && o.name !== '' ? o.name : defaultName, map }, file);
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
  const sep = (lines[0] ?? '').includes('\t') ? '\t' : ',';
  const map: Record<string, string> = {};
  lines.forEach((line, i) => {
    const cells = splitCsvLine(line, sep);
    if (cells.length !== 2) {
      throw new FormatError('each row of a granularity CSV needs exactly two columns: label, group', {
        code: 'E_GRANULARITY_FORMAT',
        file,
        field: `line ${i + 1}`,
        got: line,
      });
    }
    const [label, group] = cells as [string, string];
    if (i === 0 && ['label', 'fine', 'cell_type'].includes(label.toLowerCase())) return;
    if (label in map && map[label] !== group) {
      throw new FormatError(`label '${label}' is mapped twice`, { code: 'E_GRANULARITY_FORMAT', file, field: `line ${i + 1}` });
    }
    map[label] = group;
  });
  return checkNonEmpty({ name: defaultName, map }, file);
}

function checkNonEmpty(g: GranularityMap, file: string): GranularityMap {
  if (Object.keys(g.map).length === 0) {
    throw new FormatError('the granularity map is empty', {
      code: 'E_GRANULARITY_FORMAT',
      file,
      hint: 'List one label -> group pair per line',
    });
  }
  return g;
}

/** Splits one CSV line, honouring double quotes (labels such as "CD14+ Mono, classical"). */
function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Reads a granularity map file (JSON, CSV or TSV). @throws {@link InputError} `E_NO_FILE` when unreadable. */
export function readGranularityMap(path: string): GranularityMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError('cannot read the granularity map', {
      code: 'E_NO_FILE',
      file: path,
      hint: 'Pass a JSON {"name", "map"} or a two-column CSV file',
      cause: e,
    });
  }
  return parseGranularityMap(text, path);
}

/** The bundled maps under data/granularity/ by short name (e.g. 'pbmc3k-coarse'), or undefined. */
export function bundledGranularityPath(name: string): string | undefined {
  if (!/^[a-z0-9-]+$/.test(name)) return undefined;
  const url = new URL(`../../data/granularity/${name}.json`, import.meta.url);
  try {
    readFileSync(url);
    return url.pathname;
  } catch {
    return undefined;
  }
}

/**
 * Checks that `g` maps every label in `labels`.
 * @throws {@link InputError} `E_GRANULARITY_UNCOVERED` listing the labels without a group.
 */
export function validateGranularity(g: GranularityMap, labels: readonly string[], file?: string): void {
  const missing = [...new Set(labels)].filter((l) => !Object.hasOwn(g.map, l));
  if (missing.length > 0) {
    throw new InputError(`granularity map '${g.name}' does not cover ${missing.length} label(s)`, {
      code: 'E_GRANULARITY_UNCOVERED',
      file,
      got: missing,
      expected: 'every label of the reference mapped to a group',
      hint: `Add a line for each missing label (e.g. "${missing[0]}": "<group>") to the map`,
    });
  }
}

/**
 * A Dataset with an extra categorical obs column `outKey` holding the group of each cell.
 * Matrices are shared with `ds` (nothing is copied but the obs frame's column list).
 * @throws {@link InputError} `E_GRANULARITY_UNCOVERED` when a label has no group.
 */
export function applyGranularity(ds: Dataset, labelsKey: string, g: GranularityMap, outKey: string): Dataset {
  const labels = columnAsStrings(ds.obs.get(labelsKey));
  validateGranularity(g, labels);
  const groups = labels.map((l) => g.map[l] as string);
  const obs = new Frame(ds.nObs, ds.obs.entries());
  obs.set(outKey, categoricalFrom(groups));
  return new Dataset({
    X: ds.X,
    obsNames: ds.obsNames,
    varNames: ds.varNames,
    obs,
    var: ds.var,
    layers: ds.layers,
    uns: ds.uns,
    raw: ds.raw,
  });
}
