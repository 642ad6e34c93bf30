import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CelldeconvError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { countsToTpm, detectUnits, formatUnits, parseUnits, rescaleRows, toLinear } from '../../src/preprocess/units.js';

const n = 6;
const g = 200;
function poisson(seed = 1): Float64Array {
  const rng = new Rng(seed);
  // Gene means spread over four orders of magnitude, sample depths 1e6-ish: a bulk count table.
  const mu = Float64Array.from({ length: g }, () => Math.exp(rng.normal() * 2 + 6));
  const x = new Float64Array(n * g);
  for (let i = 0; i < n; i++) for (let j = 0; j < g; j++) x[i * g + j] = rng.poisson(mu[j]! * (0.5 + i / n));
  return x;
}
const close = (a: number, b: number, rel = 1e-12) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('round trips: log inverses, CPM totals, relative = CPM / 100, TPM identities', () => {
  const x = poisson();
  const cpm = rescaleRows(x, n, g, 1e6);
  for (let i = 0; i < n; i++)
    close(
      cpm.subarray(i * g, (i + 1) * g).reduce((a, b) => a + b, 0),
      1e6,
    );
  const rel = rescaleRows(x, n, g, 1e4);
  for (let k = 0; k < x.length; k++) close(rel[k]!, cpm[k]! / 100);
  const back1 = toLinear(cpm.map(Math.log1p), 'log1p');
  const back2 = toLinear(
    cpm.map((v) => Math.log2(v + 1)),
    'log2',
  );
  for (let k = 0; k < x.length; k++) {
    close(back1[k]!, cpm[k]!, 1e-9);
    close(back2[k]!, cpm[k]!, 1e-9);
  }
  // Constant lengths: TPM = CPM; scaling all lengths leaves TPM unchanged; direct formula.
  const tpmConst = countsToTpm(x, n, g, new Float64Array(g).fill(1500));
  for (let k = 0; k < x.length; k++) close(tpmConst[k]!, cpm[k]!, 1e-10);
  const rng = new Rng(3);
  const L = Float64Array.from({ length: g }, () => 500 + rng.uniform() * 5000);
  const t1 = countsToTpm(x, n, g, L);
  const t2 = countsToTpm(
    x,
    n,
    g,
    L.map((v) => v * 7),
  );
  for (let k = 0; k < x.length; k++) close(t1[k]!, t2[k]!, 1e-10);
  // counts -> FPKM -> TPM equals the direct formula.
  for (let i = 0; i < n; i++) {
    let S = 0;
    for (let j = 0; j < g; j++) S += x[i * g + j]!;
    const fpkm = Float64Array.from({ length: g }, (_, j) => (x[i * g + j]! * 1e9) / (L[j]! * S));
    const fs = fpkm.reduce((a, b) => a + b, 0);
    for (let j = 0; j < g; j++) close(t1[i * g + j]!, (fpkm[j]! / fs) * 1e6, 1e-10);
  }
  assert.throws(
    () => countsToTpm(x, n, g, new Float64Array(g)),
    (e: CelldeconvError) => e.code === 'E_GENE_LENGTH',
  );
});

test('detection: counts, cpm, relative, log1p / log2 bases, subsets, negatives; declared units win', () => {
  const x = poisson();
  const cpm = rescaleRows(x, n, g, 1e6);
  const unit = (v: Float64Array, gg = g) => formatUnits(detectUnits(v, n, gg).units);
  assert.equal(unit(x), 'counts');
  assert.equal(unit(cpm), 'cpm');
  assert.equal(unit(rescaleRows(x, n, g, 1e4)), 'relative');
  const log1pCpm = detectUnits(cpm.map(Math.log1p), n, g);
  assert.equal(formatUnits(log1pCpm.units), 'log1p-cpm');
  assert.equal(log1pCpm.confidence, 'detected');
  assert.match(log1pCpm.evidence.join(' '), /expm1/);
  assert.equal(unit(cpm.map((v) => Math.log2(v + 1))), 'log2-cpm');
  // log of counts: the back-transform gives integers.
  assert.equal(unit(x.map(Math.log1p)), 'log1p-counts');
  // CPM restricted to half the genes: non-integer, varying totals.
  const half = new Float64Array(n * (g / 2));
  for (let i = 0; i < n; i++) half.set(cpm.subarray(i * g, i * g + g / 2), (i * g) / 2);
  const d = detectUnits(half, n, g / 2);
  assert.equal(d.units.scale, 'fpkm');
  assert.equal(d.subset, true);
  // z-scores are refused with the fix in the message.
  assert.throws(
    () =>
      detectUnits(
        Float64Array.from(cpm, (v, k) => (k % 2 ? v : -v)),
        n,
        g,
      ),
    (e: CelldeconvError) => e.code === 'E_BULK_UNITS' && /negative/.test(e.message),
  );
  // Declared units override detection.
  const dec = detectUnits(x, n, g, parseUnits('tpm'));
  assert.equal(formatUnits(dec.units), 'tpm');
  assert.equal(dec.confidence, 'declared');
});

test('parseUnits accepts scale and log-scale names and rejects others with the list', () => {
  assert.deepEqual(parseUnits('log2-tpm'), { scale: 'tpm', log: 'log2' });
  assert.deepEqual(parseUnits('COUNTS'), { scale: 'counts', log: 'none' });
  assert.equal(parseUnits('auto'), undefined);
  assert.throws(
    () => parseUnits('rpkm'),
    (e: CelldeconvError) => e.code === 'E_BULK_UNITS' && String(e.expected).includes('log1p-cpm'),
  );
});

test('rescaleRows: invariant to a per-sample factor; the total over the chosen genes is the target', () => {
  const x = poisson(5);
  const over = Int32Array.from([0, 3, 7, 50, 199]);
  const a = rescaleRows(x, n, g, 1234, over);
  const b = rescaleRows(
    x.map((v) => v * 17),
    n,
    g,
    1234,
    over,
  );
  for (let k = 0; k < x.length; k++) close(a[k]!, b[k]!, 1e-12);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const j of over) s += a[i * g + j]!;
    close(s, 1234, 1e-12);
  }
  // Already at the target: unchanged.
  const c = rescaleRows(a, n, g, 1234, over);
  for (let k = 0; k < x.length; k++) close(c[k]!, a[k]!, 1e-12);
});
