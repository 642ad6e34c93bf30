/**
 * Atomic file output: every writer in celldeconv writes to a temp file in the target's directory,
 * flushes it to disk and renames it over the target. A failed or cancelled run therefore never
 * leaves a half-written file, and never clobbers an existing output.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CelldeconvError, InputError } from '../core/errors.js';

/** Checks that the directory that will hold `path` exists and is a directory. */
function checkParent(path: string): string {
  const dir = dirname(resolve(path));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new InputError('cannot write output: parent directory does not exist', {
      code: 'E_NO_PARENT_DIR',
      file: path,
      got: dir,
      hint: `Create the directory first (mkdir -p ${dir}) or choose another output path`,
    });
  }
  return dir;
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT']);

/** The typed error for a directory that does not accept new files (permissions, read-only mount, /proc). */
function notWritable(e: unknown, path: string): InputError {
  const code = (e as NodeJS.ErrnoException)?.code ?? 'error';
  const dir = dirname(resolve(path));
  const why =
    code === 'EROFS' ? 'read-only file system' : code === 'ENOENT' ? 'the directory does not accept new files' : 'permission denied';
  return new InputError(`cannot write output: directory ${dir} is not writable (${code}: ${why})`, {
    code: 'E_NOT_WRITABLE',
    file: path,
    got: code,
    hint: 'Choose an output path in a writable directory (e.g. under your home or the current directory)',
    cause: e,
  });
}

/** Creates and removes the temp file once, so that an unwritable directory fails before any work. */
function probeWritable(tmp: string, path: string): void {
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    if (NOT_WRITABLE.has((e as NodeJS.ErrnoException)?.code ?? '')) throw notWritable(e, path);
    throw wrapWriteError(e, path);
  }
  closeSync(fd);
  rmSync(tmp, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files of `path` left by processes that no longer run (a SIGKILL during a write):
 * they are hidden dot files and never the output itself, but they should not pile up.
 */
export function removeStaleTemps(path: string): number {
  const dir = dirname(resolve(path));
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[1]))) continue;
    removeQuietly(join(dir, name));
    removed++;
  }
  return removed;
}

/** A unique temp path next to `path` (same directory, so that rename is atomic on one filesystem). */
function tempPathFor(path: string): string {
  const dir = dirname(resolve(path));
  return join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Flushes a file's data to disk; some filesystems refuse fsync, which is not fatal. */
function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r+');
    fsyncSync(fd);
  } catch {
    // fsync is best effort (e.g. unsupported on some network filesystems).
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true, recursive: true });
  } catch {
    // nothing left to clean, or not ours to clean.
  }
}

function wrapWriteError(e: unknown, path: string): unknown {
  if (e instanceof CelldeconvError) return e;
  const err = e as NodeJS.ErrnoException;
  return new InputError(`cannot write output (${err?.code ?? 'error'}: ${err?.message ?? String(e)})`, {
    code: 'E_WRITE',
    file: path,
    hint: 'Check that the directory is writable and the disk is not full',
    cause: e,
  });
}

/**
 * Writes `data` to `path` atomically (temp file in the same directory, fsync, rename).
 *
 * @param path - Output file path; its parent directory must exist.
 * @param data - Text (written as UTF-8) or bytes.
 * @throws {@link InputError} `E_NO_PARENT_DIR` when the parent directory is missing,
 *   `E_NOT_WRITABLE` when it does not accept files (permissions, read-only mount), `E_WRITE` when
 *   the write fails (the target is left untouched and the temp file removed).
 * @example
 * ```ts
 * writeFileAtomic('out/result.csv', 'a,b\n1,2\n');
 * ```
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  checkParent(path);
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    try {
      fd = openSync(tmp, 'wx', 0o644);
    } catch (e) {
      if (NOT_WRITABLE.has((e as NodeJS.ErrnoException)?.code ?? '')) throw notWritable(e, path);
      throw e;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    removeStaleTemps(path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    removeQuietly(tmp);
    throw wrapWriteError(e, path);
  }
}

/**
 * Runs `write(tmpPath)` and, when it resolves, renames the temp path over `path`. Use it for writers
 * that need a path rather than a buffer (HDF5 via h5wasm, streamed CSV, directories). If `write`
 * throws, the temp file (or directory) is removed and an existing `path` is untouched.
 *
 * @param path - Final output path (file or directory); its parent directory must exist.
 * @param write - Writes the complete output at `tmpPath` (a path that does not exist yet).
 * @returns What `write` returned.
 * @throws {@link InputError} `E_NO_PARENT_DIR` when the parent directory is missing,
 *   `E_NOT_WRITABLE` (checked before `write` runs); whatever `write` throws (untyped errors are
 *   wrapped as `E_WRITE`).
 * @example
 * ```ts
 * await withAtomicOutput('out.h5ad', async (tmp) => { writeMyHdf5(tmp); });
 * ```
 */
export async function withAtomicOutput<T>(path: string, write: (tmpPath: string) => Promise<T> | T): Promise<T> {
  checkParent(path);
  const tmp = tempPathFor(path);
  probeWritable(tmp, path);
  try {
    const result = await write(tmp);
    if (!existsSync(tmp)) {
      throw new InputError('writer produced no output', { code: 'E_WRITE', file: path, hint: 'This is a bug in the writer' });
    }
    if (statSync(tmp).isFile()) fsyncPath(tmp);
    else if (existsSync(path) && statSync(path).isDirectory()) {
      // rename() cannot replace a non-empty directory: move the old one aside, then drop it.
      const old = tempPathFor(path);
      renameSync(path, old);
      try {
        renameSync(tmp, path);
      } catch (e) {
        renameSync(old, path);
        throw e;
      }
      removeQuietly(old);
      removeStaleTemps(path);
      return result;
    }
    renameSync(tmp, path);
    removeStaleTemps(path);
    return result;
  } catch (e) {
    removeQuietly(tmp);
    throw wrapWriteError(e, path);
  }
}
