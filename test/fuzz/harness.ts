/**
 * Seeded fuzzing of every file reader: Matrix Market (plain and gzipped), CSV tables, .h5ad files
 * and model directories. Each case starts from a valid file, applies seeded mutations (byte flips,
 * inserts, deletions, truncation, duplicated lines, big numbers; for model directories also edits
 * of the manifest's JSON values) and reads the result. A reader must either succeed or throw a
 * CelldeconvError with an `E_` code and a message without "undefined"; anything else (TypeError,
 * RangeError, a wasm abort escaping, a hang) is a failure, saved with its seed for replay. After
 * every damaged .h5ad a good file must still read (a damaged file must not break the reader).
 *
 * Run: `npm run fuzz -- --n 10000 [--kinds mtx,h5ad] [--seed 1] [--keep DIR]`; `npm test` runs a
 * small seeded sample (test/io/fuzz-harness.test.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { categoricalFrom, Frame } from '../../src/data/frame.js';
import { CsrMatrix } from '../../src/data/sparse.js';
import { readH5ad } from '../../src/io/h5ad/read.js';
import { writeH5ad } from '../../src/io/h5ad/write.js';
import { loadModelDir, saveModelDir } from '../../src/io/model-dir.js';
import { readMtxCoordinates } from '../../src/io/mtx.js';
import { readDenseTable } from '../../src/io/table.js';

/** The file kinds the harness fuzzes. */
export const FUZZ_KINDS = ['mtx', 'mtx.gz', 'csv', 'h5ad', 'model'] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Cases per kind. */
  n: number;
  seed?: number;
  kinds?: readonly FuzzKind[];
  /** Keep failing inputs here (default: a temp directory that is removed). */
  keepDir?: string;
}

/** One input that broke the contract. */
export interface FuzzFailure {
  kind: FuzzKind;
  index: number;
  seed: number;
  error: string;
  /** The saved input (when keepDir is set). */
  file?: string;
}

/** Per kind: how many inputs parsed, and the error codes seen. */
export interface FuzzReport {
  cases: number;
  byKind: Record<string, { ok: number; codes: Record<string, number> }>;
  failures: FuzzFailure[];
}

const ALPHABET = Buffer.from('0123456789 \t\n\r,.-+eE"%abcxyzNaI;\0\xff{}[]:', 'latin1');

/** Seeded mutation of a byte buffer (1-4 operations). */
export function mutateBytes(src: Buffer, rng: Rng, window = src.length): Buffer {
  let b = Buffer.from(src);
  const nOps = 1 + rng.int(4);
  for (let op = 0; op < nOps; op++) {
    const span = Math.max(1, Math.min(b.length, window));
    const pos = b.length === 0 ? 0 : rng.int(span);
    switch (rng.int(7)) {
      case 0:
        if (b.length > 0) b[pos] = ALPHABET[rng.int(ALPHABET.length)] as number;
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, pos), ALPHABET.subarray(rng.int(ALPHABET.length)).subarray(0, 1), b.subarray(pos)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rng.int(12)))]);
        break;
      case 3:
        if (rng.uniform() < 0.3) b = b.subarray(0, pos);
        break;
      case 4: {
        const s = b.lastIndexOf(10, pos) + 1;
        const e = b.indexOf(10, pos);
        const line = b.subarray(s, e < 0 ? b.length : e + 1);
        b = Buffer.concat([b.subarray(0, s), line, line, b.subarray(s)]);
        break;
      }
      case 5:
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(String(rng.int(1e9) * (rng.uniform() < 0.5 ? 1 : 1e6))), b.subarray(pos)]);
        break;
      default:
        if (b.length > 0) b[pos] = rng.int(256);
    }
  }
  return b;
}

function validMtx(rng: Rng): Buffer {
  const rows = 1 + rng.int(6);
  const cols = 1 + rng.int(6);
  const entries: string[] = [];
  for (let j = 1; j <= cols; j++) for (let i = 1; i <= rows; i++) if (rng.uniform() < 0.4) entries.push(`${i} ${j} ${1 + rng.int(99)}`);
  return Buffer.from(`%%MatrixMarket matrix coordinate integer general\n${rows} ${cols} ${entries.length}\n${entries.join('\n')}\n`);
}

function validCsv(rng: Rng): Buffer {
  const r = 1 + rng.int(5);
  const c = 1 + rng.int(5);
  const lines = [['gene', ...Array.from({ length: c }, (_, j) => `s${j}`)].join(',')];
  for (let i = 0; i < r; i++) lines.push([`g${i}`, ...Array.from({ length: c }, () => (rng.normal() * 100).toPrecision(4))].join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

function smallDataset(): Dataset {
  const X = new CsrMatrix(4, 3, {
    indptr: Float64Array.of(0, 2, 3, 5, 6),
    indices: Int32Array.of(0, 2, 1, 0, 2, 1),
    data: Float32Array.of(1, 2, 3, 4, 5, 6),
  });
  const obs = new Frame(4, [['cell_type', categoricalFrom(['A', 'B', 'A', 'B'])]]);
  return new Dataset({ X, obsNames: ['c0', 'c1', 'c2', 'c3'], varNames: ['g0', 'g1', 'g2'], obs, uns: { note: 'fuzz' } });
}

function mutateManifest(text: string, rng: Rng): string {
  const m = JSON.parse(text) as Record<string, unknown> & { weights: Record<string, unknown> & { index: Record<string, unknown>[] } };
  const targets: [Record<string, unknown>, string][] = [
    [m, 'genes'],
    [m, 'cellTypes'],
    [m, 'format'],
    [m, 'version'],
    [m.weights, 'bytes'],
    [m.weights, 'dtype'],
    [m.weights, 'sha256'],
    [m.weights, 'index'],
    [m.weights.index[0] ?? m.weights, 'shape'],
    [m.weights.index[0] ?? m.weights, 'offset'],
    [m.weights.index[0] ?? m.weights, 'length'],
  ];
  const [obj, key] = targets[rng.int(targets.length)] as [Record<string, unknown>, string];
  const values = [null, -1, 0, 1e12, 'x', [], {}, [1, 2], ['a'], true, undefined];
  obj[key] = values[rng.int(values.length)];
  return JSON.stringify(m);
}

/** Drops emscripten's "Aborted(...)" lines, which HDF5 prints before the error we turn into E_H5_READ. */
async function quietAborts<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    /^Aborted\(/.test(String(chunk)) ? true : write(chunk as string, ...(rest as []))) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

/**
 * Runs the harness.
 *
 * @returns What parsed, which codes were seen, and every contract failure.
 */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const kinds = opts.kinds ?? FUZZ_KINDS;
  const seed = opts.seed ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-fuzz-'));
  const report: FuzzReport = { cases: 0, byKind: {}, failures: [] };
  const good = join(dir, 'good.h5ad');
  const modelDir = join(dir, 'model');
  try {
    await writeH5ad(good, smallDataset());
    const goodH5 = readFileSync(good);
    await saveModelDir(
      modelDir,
      { method: 'fuzz', genes: ['g0', 'g1'], cellTypes: ['A', 'B'] },
      {
        w: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        b: { shape: [2], data: Float32Array.of(0.5, -0.5) },
      },
    );
    const goodManifest = readFileSync(join(modelDir, 'manifest.json'), 'utf8');
    const goodWeights = readFileSync(join(modelDir, 'weights.bin'));
    for (const kind of kinds) {
      const stats = { ok: 0, codes: {} as Record<string, number> };
      report.byKind[kind] = stats;
      // One stream per kind: adding a kind does not change the inputs of the others.
      const rng = new Rng(seed).fork(kind);
      for (let i = 0; i < opts.n; i++) {
        report.cases++;
        let input: Buffer | string;
        let path: string;
        let read: () => Promise<unknown>;
        if (kind === 'mtx' || kind === 'mtx.gz') {
          const v = validMtx(rng);
          input =
            kind === 'mtx' ? mutateBytes(v, rng) : rng.uniform() < 0.5 ? gzipSync(mutateBytes(v, rng)) : mutateBytes(gzipSync(v), rng);
          path = join(dir, `case.${kind}`);
          writeFileSync(path, input);
          read = () => readMtxCoordinates(path);
        } else if (kind === 'csv') {
          input = mutateBytes(validCsv(rng), rng);
          path = join(dir, 'case.csv');
          writeFileSync(path, input);
          read = () => readDenseTable(path);
        } else if (kind === 'h5ad') {
          // Most of a small file is metadata; mutate anywhere, with truncation now and then.
          input =
            rng.uniform() < 0.1
              ? goodH5.subarray(0, rng.int(goodH5.length))
              : mutateBytes(goodH5, rng, rng.uniform() < 0.7 ? 4096 : goodH5.length);
          path = join(dir, 'case.h5ad');
          writeFileSync(path, input);
          read = () => quietAborts(() => readH5ad(path));
        } else {
          path = join(dir, 'case-model');
          rmSync(path, { recursive: true, force: true });
          mkdirSync(path);
          const editManifest = rng.uniform() < 0.5;
          input = editManifest ? mutateManifest(goodManifest, rng) : mutateBytes(goodWeights, rng);
          writeFileSync(join(path, 'manifest.json'), editManifest ? input : goodManifest);
          writeFileSync(join(path, 'weights.bin'), editManifest ? goodWeights : input);
          read = () => loadModelDir(path);
        }
        const fail = (error: string) => {
          const f: FuzzFailure = { kind, index: i, seed, error };
          if (opts.keepDir) {
            mkdirSync(opts.keepDir, { recursive: true });
            f.file = join(opts.keepDir, `${kind.replace('.', '-')}-${seed}-${i}${kind === 'model' ? '.txt' : `.${kind}`}`);
            writeFileSync(f.file, input);
          }
          report.failures.push(f);
        };
        try {
          await read();
          stats.ok++;
        } catch (e) {
          if (!(e instanceof CelldeconvError) || !e.code.startsWith('E_') || e.message.includes('undefined'))
            fail((e as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(e));
          else stats.codes[e.code] = (stats.codes[e.code] ?? 0) + 1;
        }
        if (kind === 'h5ad') {
          try {
            await quietAborts(() => readH5ad(good));
          } catch (e) {
            fail(`good file unreadable after this input: ${(e as Error).message}`);
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}
