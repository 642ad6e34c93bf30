/**
 * Fuzzing the text parsers: thousands of seeded mutations of valid Matrix Market and CSV inputs,
 * fed in random-size chunks. Every input must either parse into a valid result or fail with a
 * CelldeconvError (never a TypeError/RangeError or a hang), and chunking must not change the
 * outcome. A smaller set goes through real (gzipped) files to cover the zlib path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { coordinatesToCsr, parseMtx, readMtxCoordinates } from '../../src/io/mtx.js';
import { parseDenseTable, readDenseTable } from '../../src/io/table.js';

const ALPHABET = Buffer.from('0123456789 \t\n\r,.-+eE"%abcxyzNaI;\0\xff', 'latin1');

function mutate(src: Buffer, rng: Rng): Buffer {
  let b = Buffer.from(src);
  const nOps = 1 + rng.int(4);
  for (let op = 0; op < nOps; op++) {
    const pos = b.length === 0 ? 0 : rng.int(b.length);
    switch (rng.int(7)) {
      case 0: // flip a byte to a meaningful character
        if (b.length > 0) b[pos] = ALPHABET[rng.int(ALPHABET.length)]!;
        break;
      case 1: // insert a character
        b = Buffer.concat([b.subarray(0, pos), ALPHABET.subarray(rng.int(ALPHABET.length)).subarray(0, 1), b.subarray(pos)]);
        break;
      case 2: // delete a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rng.int(12)))]);
        break;
      case 3: // truncate
        b = b.subarray(0, pos);
        break;
      case 4: {
        // duplicate a line
        const s = b.lastIndexOf(10, pos) + 1;
        const e = b.indexOf(10, pos);
        const line = b.subarray(s, e < 0 ? b.length : e + 1);
        b = Buffer.concat([b.subarray(0, s), line, line, b.subarray(s)]);
        break;
      }
      case 5: // insert a random big number
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(String(rng.int(1e9) * (rng.uniform() < 0.5 ? 1 : 1e6))), b.subarray(pos)]);
        break;
      default: // random byte
        if (b.length > 0) b[pos] = rng.int(256);
    }
  }
  return b;
}

function chunks(b: Buffer, rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < b.length) {
    const n = 1 + rng.int(Math.max(1, Math.min(64, b.length)));
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

type Outcome = { ok: true; value: string } | { ok: false; code: string };

async function outcome(fn: () => Promise<string>): Promise<Outcome> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (!(e instanceof CelldeconvError)) throw new Error(`untyped exception: ${(e as Error)?.stack ?? String(e)}`);
    assert.ok(e.code.startsWith('E_'), e.code);
    assert.ok(e.message.length > 0 && !e.message.includes('undefined'), e.message);
    return { ok: false, code: e.code };
  }
}

function validMtx(rng: Rng): Buffer {
  const rows = 1 + rng.int(6);
  const cols = 1 + rng.int(6);
  const entries: string[] = [];
  for (let j = 1; j <= cols; j++)
    for (let i = 1; i <= rows; i++)
      if (rng.uniform() < 0.4) entries.push(`${i} ${j} ${rng.uniform() < 0.7 ? 1 + rng.int(99) : rng.normal().toFixed(3)}`);
  const field = entries.some((e) => e.includes('.')) ? 'real' : 'integer';
  return Buffer.from(
    `%%MatrixMarket matrix coordinate ${field} general\n% comment\n${rows} ${cols} ${entries.length}\n${entries.join('\n')}\n`,
  );
}

function validCsv(rng: Rng): Buffer {
  const r = 1 + rng.int(5);
  const c = 1 + rng.int(5);
  const lines = [['gene', ...Array.from({ length: c }, (_, j) => `s${j}`)].join(',')];
  for (let i = 0; i < r; i++) lines.push([`"g${i}"`, ...Array.from({ length: c }, () => (rng.normal() * 100).toPrecision(4))].join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function mtxOutcome(input: Buffer, parts: Buffer[]): Promise<Outcome> {
  return outcome(async () => {
    const m = await parseMtx(parts, 'fuzz.mtx');
    // A successful parse must be a consistent matrix.
    assert.equal(m.rowIdx.length, m.values.length);
    for (let k = 0; k < m.values.length; k++) {
      assert.ok(m.rowIdx[k]! >= 0 && m.rowIdx[k]! < m.rows && m.colIdx[k]! >= 0 && m.colIdx[k]! < m.cols);
      assert.ok(Number.isFinite(m.values[k]));
    }
    const csr = coordinatesToCsr(m.cols, m.rows, m.colIdx, m.rowIdx, m.values);
    for (let i = 0; i < csr.rows; i++)
      for (let q = csr.indptr[i]! + 1; q < csr.indptr[i + 1]!; q++) assert.ok(csr.indices[q]! > csr.indices[q - 1]!);
    void input;
    return `${m.rows}x${m.cols}:${Array.from(m.rowIdx).join()}|${Array.from(m.colIdx).join()}|${Array.from(m.values).join()}`;
  });
}

async function csvOutcome(parts: Buffer[]): Promise<Outcome> {
  return outcome(async () => {
    const t = await parseDenseTable(parts, 'fuzz.csv', ',');
    assert.equal(t.values.data.length, t.rowNames.length * t.colNames.length);
    for (const v of t.values.data) assert.ok(Number.isFinite(v));
    assert.equal(new Set(t.rowNames).size, t.rowNames.length);
    return `${t.rowNames.join('|')}#${t.colNames.join('|')}#${Array.from(t.values.data).join()}`;
  });
}

test('fuzz: 2,500 mutated Matrix Market inputs fail only with typed errors, independent of chunking', async () => {
  const rng = new Rng(20240501);
  const codes = new Map<string, number>();
  let ok = 0;
  for (let n = 0; n < 2500; n++) {
    const input = mutate(validMtx(rng), rng);
    const whole = await mtxOutcome(input, [input]);
    const split = await mtxOutcome(input, chunks(input, rng));
    assert.deepEqual(split, whole, `chunking changed the outcome for ${JSON.stringify(input.toString('latin1'))}`);
    if (whole.ok) ok++;
    else codes.set(whole.code, (codes.get(whole.code) ?? 0) + 1);
  }
  // The mutations must exercise both paths and several error kinds.
  assert.ok(ok > 100, `only ${ok} inputs parsed`);
  for (const c of ['E_MTX_HEADER', 'E_MTX_ENTRY', 'E_MTX_INDEX', 'E_MTX_COUNT'])
    assert.ok((codes.get(c) ?? 0) > 0, `no ${c} in ${JSON.stringify([...codes])}`);
});

test('fuzz: 1,500 mutated CSV tables fail only with typed errors, independent of chunking', async () => {
  const rng = new Rng(7);
  const codes = new Map<string, number>();
  let ok = 0;
  for (let n = 0; n < 1500; n++) {
    const input = mutate(validCsv(rng), rng);
    const whole = await csvOutcome([input]);
    const split = await csvOutcome(chunks(input, rng));
    assert.deepEqual(split, whole, `chunking changed the outcome for ${JSON.stringify(input.toString('latin1'))}`);
    if (whole.ok) ok++;
    else codes.set(whole.code, (codes.get(whole.code) ?? 0) + 1);
  }
  assert.ok(ok > 100, `only ${ok} inputs parsed`);
  for (const c of ['E_RAGGED', 'E_NOT_NUMERIC', 'E_CSV']) assert.ok((codes.get(c) ?? 0) > 0, `no ${c} in ${JSON.stringify([...codes])}`);
});

test('fuzz: 200 mutated gzip files (truncated, corrupted) through the file readers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-fuzz-'));
  const rng = new Rng(11);
  const seen = new Set<string>();
  for (let n = 0; n < 200; n++) {
    const isMtx = n % 2 === 0;
    const gz = gzipSync(isMtx ? validMtx(rng) : validCsv(rng));
    const bad = n % 4 < 2 ? gz.subarray(0, rng.int(gz.length)) : mutate(gz, rng);
    const p = join(dir, `f${n}.${isMtx ? 'mtx' : 'csv'}.gz`);
    writeFileSync(p, bad);
    const r = await outcome(async () => {
      if (isMtx) await readMtxCoordinates(p);
      else await readDenseTable(p);
      return 'ok';
    });
    if (!r.ok) seen.add(r.code);
  }
  assert.ok(seen.has('E_GZIP_TRUNCATED'), JSON.stringify([...seen]));
});
