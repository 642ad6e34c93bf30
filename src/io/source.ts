/**
 * Opening input files: existence checks with typed errors, transparent gzip (detected from the
 * magic bytes, so a misnamed file still works), streamed decompression with byte-level progress,
 * and the mapping of zlib failures (truncated or corrupt archives) to {@link FormatError}.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import { CelldeconvError, FormatError, InputError } from '../core/errors.js';
import { type LongRunOptions, throttledProgress, throwIfAborted } from '../core/progress.js';

/**
 * Checks that `path` exists and is a file (or a directory when `kind` says so).
 *
 * @throws {@link InputError} `E_FILE_NOT_FOUND` / `E_NOT_A_FILE` / `E_NOT_A_DIRECTORY`.
 */
export function checkExists(path: string, kind: 'file' | 'directory' | 'any' = 'file'): 'file' | 'directory' {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputError('file not found', {
      code: 'E_FILE_NOT_FOUND',
      file: path,
      hint: 'Check the path (relative paths are resolved from the current directory)',
      cause: e,
    });
  }
  const isDir = st.isDirectory();
  if (kind === 'file' && isDir) {
    throw new InputError('expected a file but found a directory', {
      code: 'E_NOT_A_FILE',
      file: path,
      hint: 'Pass the file inside the directory, or a reader that accepts directories',
    });
  }
  if (kind === 'directory' && !isDir) {
    throw new InputError('expected a directory but found a file', { code: 'E_NOT_A_DIRECTORY', file: path });
  }
  return isDir ? 'directory' : 'file';
}

/** True when the file starts with the gzip magic bytes 1f 8b. */
export function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const n = readSync(fd, b, 0, 2, 0);
    return n === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Maps a zlib / fs error to a typed error naming the file. */
export function mapReadError(e: unknown, path: string): CelldeconvError {
  if (e instanceof CelldeconvError) return e;
  const err = e as NodeJS.ErrnoException & { errno?: number };
  const code = err?.code ?? '';
  const msg = err?.message ?? String(e);
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return new FormatError('gzip stream is truncated (unexpected end of file)', {
      code: 'E_GZIP_TRUNCATED',
      file: path,
      hint: 'The file was cut short (interrupted download or copy?): fetch it again and check its size',
      cause: e,
    });
  }
  if (code.startsWith('Z_') || /incorrect header check|invalid (block|stored|distance|code)|unknown compression/i.test(msg)) {
    return new FormatError(`gzip data is corrupt (${msg})`, {
      code: 'E_GZIP_CORRUPT',
      file: path,
      hint: 'Fetch the file again, or decompress it by hand to see what is wrong',
      cause: e,
    });
  }
  return new InputError(`cannot read file (${code || 'error'}: ${msg})`, { code: 'E_READ', file: path, cause: e });
}

/**
 * Reads a whole (possibly gzipped) file into memory. For small side files (genes, barcodes, labels).
 *
 * @throws {@link InputError} when missing; {@link FormatError} `E_GZIP_TRUNCATED`/`E_GZIP_CORRUPT`.
 */
export function readFileBytes(path: string): Buffer {
  checkExists(path, 'file');
  try {
    const raw = readFileSync(path);
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) return gunzipSync(raw);
    return raw;
  } catch (e) {
    throw mapReadError(e, path);
  }
}

/** Reads a whole (possibly gzipped) text file as UTF-8, without a leading BOM. */
export function readTextFile(path: string): string {
  const s = readFileBytes(path).toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Streams the decompressed bytes of a (possibly gzipped) file in chunks of about 1 MiB.
 * Progress is reported in bytes of the file on disk (`stage` 'read'), so the total is known even
 * for gzip input.
 *
 * @throws {@link InputError} / {@link FormatError} as {@link mapReadError}; AbortError on `signal`.
 */
export async function* streamFileBytes(path: string, opts: LongRunOptions & { label?: string } = {}): AsyncGenerator<Buffer> {
  checkExists(path, 'file');
  const size = statSync(path).size;
  const gz = isGzipFile(path);
  const tick = throttledProgress(opts.onProgress, 'read', size, opts.label);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let readBytes = 0;
  raw.on('data', (c) => {
    readBytes += (c as Buffer).length;
  });
  const stream = gz ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  try {
    for await (const chunk of stream) {
      throwIfAborted(opts.signal);
      // The final (total) event is sent once, after the last chunk.
      if (readBytes < size) tick(readBytes);
      yield chunk as Buffer;
    }
    tick(size);
  } catch (e) {
    throw mapReadError(e, path);
  } finally {
    raw.destroy();
    if (gz) stream.destroy();
  }
}

/** Lower-cased file name without a trailing `.gz`. */
export function baseNameNoGz(path: string): string {
  const name = path.replace(/\\/g, '/').split('/').pop() ?? path;
  return name.toLowerCase().replace(/\.gz$/, '');
}
