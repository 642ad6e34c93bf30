/**
 * Thin layer over h5wasm (HDF5 compiled to WebAssembly, host filesystem in Node): loading the
 * module once, opening files with typed errors, and reading attributes and datasets as plain
 * JavaScript values.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type H5wasmModule from 'h5wasm/node';
import { CelldeconvError, FormatError, InputError } from '../../core/errors.js';
import { checkExists } from '../source.js';

type H5wasm = typeof H5wasmModule;
export type H5File = InstanceType<H5wasm['File']>;
export type H5Group = InstanceType<H5wasm['Group']>;
export type H5Dataset = InstanceType<H5wasm['Dataset']>;
export type H5Node = H5Group | H5Dataset;

let ready: Promise<H5wasm> | undefined;
let lib: H5wasm | undefined;
/** Module instances created so far; a fresh one gets a fresh ES module URL (see {@link h5Ready}). */
let generation = 0;

/**
 * Loads h5wasm and its HDF5 WebAssembly module, once per process (again after a fatal failure, see
 * {@link noteH5Failure}). Loaded lazily: reading an mtx or CSV file never pays for it (the module
 * is 4 MB of JavaScript; under tsx it also costs ~0.6 GB RSS).
 */
export async function h5Ready(): Promise<H5wasm> {
  ready ??= loadModule();
  return ready;
}

async function loadModule(): Promise<H5wasm> {
  // The first instance comes from the package entry; a replacement must be a new module instance
  // (its own wasm heap and HDF5 state), which an ES module gets from a distinct URL.
  const m: { default: H5wasm } =
    generation === 0 ? await import('h5wasm/node') : await import(`${import.meta.resolve('h5wasm/node')}?instance=${generation}`);
  generation++;
  const Module = await m.default.ready;
  // Turn HDF5's error-stack printing (to stderr) into JS exceptions that we map to typed errors.
  (Module as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
  lib = m.default;
  return m.default;
}

/**
 * True for failures of the WebAssembly machine itself (an `abort()` inside HDF5, an out-of-bounds
 * access), after which HDF5's global state can no longer be trusted.
 */
export function isFatalH5Error(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return /RuntimeError|Aborted\(|memory access out of bounds|unreachable|index out of bounds|table index/i.test(text);
}

/**
 * Records a failure seen while using h5wasm: after a fatal one (see {@link isFatalH5Error}) the
 * module is dropped and the next {@link h5Ready} loads a fresh instance, so that one damaged file
 * cannot break every later read in a long-running process (server, notebook, worker).
 */
export function noteH5Failure(e: unknown): void {
  if (isFatalH5Error(e)) {
    ready = undefined;
    lib = undefined;
  }
}

/** Closes a file, ignoring failures (the file may belong to a module instance already dropped). */
export function closeQuietly(f: { close(): unknown } | undefined): void {
  try {
    f?.close();
  } catch (e) {
    noteH5Failure(e);
  }
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the file has the HDF5 signature at offset 0, 512, 1024 or 2048 (user block). */
export function hasHdf5Signature(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    for (const off of [0, 512, 1024, 2048]) {
      if (readSync(fd, b, 0, 8, off) === 8 && b.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens an HDF5 file for reading. Checks existence and the HDF5 signature first, so that the
 * common mistakes give a one-line typed error instead of an HDF5 stack dump.
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND`; {@link FormatError} `E_NOT_HDF5`.
 */
export async function openH5Read(path: string): Promise<H5File> {
  checkExists(path, 'file');
  if (!hasHdf5Signature(path)) {
    throw new FormatError('not an HDF5 file (no HDF5 signature)', {
      code: 'E_NOT_HDF5',
      file: path,
      hint: 'An .h5ad file is written by anndata (adata.write_h5ad); is the file truncated or in another format?',
    });
  }
  const h5 = await h5Ready();
  try {
    return new h5.File(path, 'r');
  } catch (e) {
    noteH5Failure(e);
    throw new FormatError(`cannot open HDF5 file (${h5Message(e)})`, {
      code: 'E_H5_READ',
      file: path,
      hint: 'The file is damaged or truncated (an interrupted copy or write?); fetch or write it again',
      cause: e,
    });
  }
}

/** The innermost reason of an HDF5 error stack ("truncated file: eof = ..."), for one-line messages. */
export function h5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const reasons = [...text.matchAll(/in [A-Za-z0-9_]+\(\): ([^\n]+)/g)].map((m) => (m[1] as string).trim());
  return reasons.length > 0 ? (reasons[reasons.length - 1] as string) : (text.split('\n')[0] ?? text).slice(0, 200);
}

/** Wraps an unexpected h5wasm/HDF5 failure while reading an element as a {@link FormatError}. */
export function wrapH5Error(e: unknown, file: string, what = 'cannot read HDF5 data'): unknown {
  if (e instanceof CelldeconvError) return e;
  noteH5Failure(e);
  return new FormatError(`${what} (${h5Message(e)})`, {
    code: 'E_H5_READ',
    file,
    hint: 'The file is damaged or truncated, or uses an HDF5 feature h5wasm cannot read (e.g. a compression filter other than gzip)',
    cause: e,
  });
}

/** Opens (creates or truncates) an HDF5 file for writing. */
export async function openH5Write(path: string): Promise<H5File> {
  const h5 = await h5Ready();
  try {
    return new h5.File(path, 'w');
  } catch (e) {
    noteH5Failure(e);
    throw new InputError(`cannot create HDF5 file (${h5Message(e)})`, {
      code: 'E_WRITE',
      file: path,
      hint: 'Check that the directory is writable and the disk is not full',
      cause: e,
    });
  }
}

/** True for an h5wasm Group (only meaningful once {@link h5Ready} has resolved). */
export function isGroup(n: unknown): n is H5Group {
  return lib !== undefined && n instanceof lib.Group;
}

/** True for an h5wasm Dataset (only meaningful once {@link h5Ready} has resolved). */
export function isDataset(n: unknown): n is H5Dataset {
  return lib !== undefined && n instanceof lib.Dataset;
}

/** Child `name` of a group, or undefined (checked with keys() so that HDF5 prints no error). */
export function child(g: H5Group, name: string): H5Node | undefined {
  if (!g.keys().includes(name)) return undefined;
  const n = g.get(name);
  return isGroup(n) || isDataset(n) ? n : undefined;
}

/** Attribute value as a JS value (bigints become numbers), or undefined when absent. */
export function attr(n: H5Node, name: string): unknown {
  const a = n.attrs[name];
  if (!a) return undefined;
  return plain(a.value);
}

/** A string attribute, or undefined. */
export function attrString(n: H5Node, name: string): string | undefined {
  const v = attr(n, name);
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Converts h5wasm output: bigint -> number, BigInt64Array -> Float64Array. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, (x) => Number(x));
  return v;
}

/** The element's dataset dtype summary: kind and byte size. */
export function dsKind(d: H5Dataset): { kind: 'int' | 'uint' | 'float' | 'string' | 'bool' | 'other'; size: number } {
  const m = d.metadata;
  if (m.enum_type && Object.keys(m.enum_type.members).length === 2 && m.enum_type.members.FALSE === 0 && m.enum_type.members.TRUE === 1) {
    return { kind: 'bool', size: m.size };
  }
  if (m.type === 3) return { kind: 'string', size: m.size };
  if (m.type === 0) return { kind: m.signed ? 'int' : 'uint', size: m.size };
  if (m.type === 1) return { kind: 'float', size: m.size };
  return { kind: 'other', size: m.size };
}

/**
 * HDF5 filters h5wasm's build decodes: deflate (gzip), shuffle, fletcher32, n-bit, scale-offset.
 * Anything else (h5py's lzf, blosc, zstd, bitshuffle...) would make HDF5 call abort() inside the
 * WebAssembly module, so datasets are checked before any read.
 */
const READABLE_FILTERS = new Set([1, 2, 3, 5, 6]);

/** Names of well-known filters that h5wasm lacks (HDF Group's registered filter IDs). */
const FILTER_NAMES: Record<number, string> = {
  4: 'szip',
  307: 'bzip2',
  32000: 'lzf',
  32001: 'blosc',
  32004: 'lz4',
  32008: 'bitshuffle',
  32015: 'zstd',
  32026: 'blosc2',
};

/**
 * Throws unless every filter of the dataset can be decoded here.
 *
 * @throws {@link FormatError} `E_H5_FILTER` naming the filter and a conversion command.
 */
export function checkFilters(d: H5Dataset, file: string, path: string): void {
  let filters: { id: number; name?: string }[];
  try {
    filters = (d.filters ?? []) as { id: number; name?: string }[];
  } catch {
    return; // an unreadable filter pipeline is reported by the read itself
  }
  for (const f of filters) {
    if (READABLE_FILTERS.has(f.id)) continue;
    const name = f.name || FILTER_NAMES[f.id] || 'unknown';
    throw new FormatError(
      `dataset '${path}' is compressed with the '${name}' filter (HDF5 filter ${f.id}), which celldeconv cannot decode`,
      {
        code: 'E_H5_FILTER',
        file,
        field: path,
        got: name,
        expected: 'no compression or gzip',
        hint:
          `Re-write the file with gzip: h5repack -f GZIP=4 ${file} converted.h5ad (Debian package hdf5-tools), ` +
          `or in Python: anndata.read_h5ad('${file}').write_h5ad('converted.h5ad', compression='gzip')`,
      },
    );
  }
}
