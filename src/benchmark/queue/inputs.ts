/**
 * How a reference reaches queue workers on other machines: by path, checked by content hash.
 *
 * The coordinator hashes the reference (sha256 of the file, or of a 10x directory's file names and
 * bytes) and stages it in the shared output directory under its hash (`<out>/inputs/<sha256><ext>`,
 * a copy-on-write clone where the file system allows, else a copy). A worker loads the original
 * path when it exists on its machine with the same hash, else the staged copy, and refuses any other
 * content, so every worker computes on the same bytes. The bundled `pbmc3k` ships with the package.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { InputError } from '../../core/errors.js';

/** Where a worker finds the reference of a job. */
export interface ReferenceLocator {
  /** As given on the command line: a path, or the name of a bundled dataset ('pbmc3k'). */
  name: string;
  /** True for a bundled dataset (no file to hash or stage). */
  bundled: boolean;
  /** Absolute path on the coordinator's machine. */
  path?: string;
  /** Content hash (hex sha256) of the file or directory. */
  sha256?: string;
  /** Name of the staged copy inside `<out>/inputs/`. */
  stagedName?: string;
}

/** Sub-directory of the output directory holding staged inputs. */
export const INPUTS_DIR = 'inputs';

const hashCache = new Map<string, string>();

function hashFileInto(h: ReturnType<typeof createHash>, path: string): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : e.isFile() ? [`${prefix}${e.name}`] : []))
    .sort();
}

/**
 * sha256 (hex) of a file, or of a directory (its sorted relative file names and their bytes).
 * Cached per process by path, size and modification time.
 */
export function contentHash(path: string): string {
  const st = statSync(path);
  // A directory's own mtime does not change when a file inside is rewritten: key on every file's.
  const files = st.isDirectory() ? listFiles(path) : [];
  const stamp = st.isDirectory()
    ? files.map((f) => {
        const s = statSync(join(path, f));
        return `${f}:${s.size}:${s.mtimeMs}`;
      })
    : [`${st.size}:${st.mtimeMs}`];
  const cacheKey = `${resolve(path)}|${st.isDirectory()}|${stamp.join('|')}`;
  const hit = hashCache.get(cacheKey);
  if (hit) return hit;
  const h = createHash('sha256');
  if (st.isDirectory()) {
    for (const f of files) {
      h.update(`${f}\0`);
      hashFileInto(h, join(path, f));
      h.update('\0');
    }
  } else hashFileInto(h, path);
  const out = h.digest('hex');
  hashCache.set(cacheKey, out);
  return out;
}

/** Describes a reference for workers (hashes the file; nothing is copied yet). */
export function locateReference(name: string, bundled: boolean): ReferenceLocator {
  if (bundled) return { name, bundled: true };
  const path = resolve(name);
  if (!existsSync(path)) {
    throw new InputError('reference not found', {
      code: 'E_FILE_NOT_FOUND',
      file: name,
      hint: "Pass an .h5ad file, a 10x matrix directory, or 'pbmc3k' for the bundled dataset",
    });
  }
  const sha256 = contentHash(path);
  const isDir = statSync(path).isDirectory();
  const ext = isDir ? '' : basename(path).endsWith('.mtx.gz') ? '.mtx.gz' : extname(path);
  return { name, bundled: false, path, sha256, stagedName: `${sha256}${ext}` };
}

/**
 * Puts the reference into `<outDir>/inputs/` under its content hash (clone or copy; written
 * under a temporary name and renamed, so a worker never sees half a file). Does nothing when it is
 * already there or the reference is bundled.
 */
export function stageReference(loc: ReferenceLocator, outDir: string): void {
  if (loc.bundled || !loc.path || !loc.stagedName) return;
  const dir = join(outDir, INPUTS_DIR);
  const dest = join(dir, loc.stagedName);
  if (existsSync(dest)) return;
  mkdirSync(dir, { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // A copy, not a hard link: a file edited in place must not change the content-addressed copy.
  // FICLONE makes it a copy-on-write clone where the file system can (btrfs, xfs), a plain copy elsewhere.
  if (statSync(loc.path).isDirectory()) cpSync(loc.path, tmp, { recursive: true });
  else copyFileSync(loc.path, tmp, constants.COPYFILE_FICLONE);
  renameSync(tmp, dest);
}

/**
 * The path a worker should load: the original path when it exists here with the expected hash, else
 * the staged copy in `<outDir>/inputs/`.
 *
 * @throws {@link InputError} `E_QUEUE_INPUT` when neither exists with the expected content.
 */
export function resolveReference(loc: ReferenceLocator, outDir: string): string {
  if (loc.bundled) return loc.name;
  const candidates = [loc.path, loc.stagedName ? join(outDir, INPUTS_DIR, loc.stagedName) : undefined].filter(
    (p): p is string => p !== undefined,
  );
  const seen: string[] = [];
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    const got = contentHash(p);
    if (got === loc.sha256) return p;
    seen.push(`${p} (sha256 ${got.slice(0, 12)}...)`);
  }
  throw new InputError('the reference of this job is not reachable from this worker', {
    code: 'E_QUEUE_INPUT',
    file: loc.path ?? loc.name,
    got: seen.length > 0 ? seen : 'no such file here',
    expected: `sha256 ${loc.sha256?.slice(0, 12)}... at ${candidates.join(' or ')}`,
    hint: 'Mount the benchmark --out directory (it holds inputs/<sha256>) at the same path on every worker machine, or copy the reference to the same path',
  });
}
