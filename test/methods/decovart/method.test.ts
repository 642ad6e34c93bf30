import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { Dataset } from '../../../src/data/dataset.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { categoricalFrom, Frame } from '../../../src/data/frame.js';
import { DecovartLikelihood } from '../../../src/methods/decovart/likelihood.js';
import { levenbergMarquardt } from '../../../src/methods/decovart/lm.js';
import { decovart, selectSpecificGenes } from '../../../src/methods/decovart/method.js';
import { boundaryStepNorm, SAMPLE_SOLVE_DEFAULTS, solveSample } from '../../../src/methods/decovart/solve.js';
import { Signature } from '../../../src/signature/signature.js';

const TYPES = ['A', 'B', 'C'];
const GENES = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
// types x genes means (already "relative counts": the reference rows below sum to 1e4 approx. is not needed,
// we pass the relative_counts layer directly).
const MU = [
  [50, 5, 5, 20, 10, 8],
  [5, 50, 5, 10, 20, 8],
  [5, 5, 50, 8, 10, 20],
];

/** Reference with correlated Gaussian cells per type (clipped at 0), relative_counts layer = X. */
function makeReference(nPerType: number[], seed = 1): Dataset {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  const labels: string[] = [];
  nPerType.forEach((n, j) => {
    for (let c = 0; c < n; c++) {
      const z = rng.normal();
      rows.push(MU[j]!.map((m, g) => Math.max(0, m + (g < 3 ? 3 * z : 0) + 2 * rng.normal())));
      labels.push(TYPES[j]!);
    }
  });
  const X = DenseMatrix.fromRows(rows);
  return new Dataset({
    X,
    layers: { relative_counts: X },
    varNames: GENES,
    obs: new Frame(rows.length, { cell_type: categoricalFrom(labels) }),
  });
}

const SIG = new Signature(TYPES, GENES, DenseMatrix.fromRows(MU));

function makeBulk(P: number[][]): Dataset {
  const Y = DenseMatrix.fromRows(P.map((p) => GENES.map((_, g) => p.reduce((s, pj, j) => s + pj * MU[j]![g]!, 0))));
  return new Dataset({ X: Y, layers: { relative_counts: Y }, varNames: GENES });
}

test('LM converges on a convex quadratic in <= 3 iterations with RDM < 1e-4', () => {
  // F = ½ θᵀAθ − bᵀθ, A SPD
  const A = [4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2];
  const b = [1, -2, 0.5];
  const obj = {
    nParams: 3,
    evaluate(t: Float64Array, order: 0 | 2, g: Float64Array, H: Float64Array) {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        let at = 0;
        for (let k = 0; k < 3; k++) at += A[i * 3 + k]! * t[k]!;
        f += 0.5 * t[i]! * at - b[i]! * t[i]!;
        if (order === 2) {
          g[i] = at - b[i]!;
          for (let k = 0; k < 3; k++) H[i * 3 + k] = A[i * 3 + k]!;
        }
      }
      return f;
    },
  };
  const res = levenbergMarquardt(obj, new Float64Array(3));
  assert.ok(res.converged, res.stop);
  assert.ok(res.iterations <= 3, `${res.iterations} iterations`);
  assert.ok(res.rdm < 1e-4);
});

test('with Σ_j = σ²I and J = 2, c -> 0: LM finds the 1-D maximum on p2 = 1 - p1, and the LS solution when y is noise-free', () => {
  const G = 5;
  const rng = new Rng(3);
  const mu = Float64Array.from({ length: 2 * G }, () => 10 * rng.uniform());
  const I = new Float64Array(G * G);
  for (let g = 0; g < G; g++) I[g * G + g] = 0.3;
  const lik = new DecovartLikelihood(G, 2, mu, [I, I], 1e-9);
  const y = Float64Array.from({ length: G }, (_, g) => 0.3 * mu[g]! + 0.7 * mu[G + g]! + 0.5 * rng.normal());
  const muGT = new Float64Array(G * 2);
  for (let g = 0; g < G; g++) {
    muGT[g * 2] = mu[g]!;
    muGT[g * 2 + 1] = mu[G + g]!;
  }
  // c -> 0 leaves ½ rᵀΘr / ((p1² + p2²)σ²): not plain LS; on the line the LS solution makes r ⟂ (μ1 − μ2).
  // We check against a fine 1-D search of the same objective instead, plus the LS solution for equal weights.
  const sol = solveSample(lik, muGT, y, { ...SAMPLE_SOLVE_DEFAULTS, epsa: 1e-12, epsb: 1e-12, epsd: 1e-12 });
  let best = 0;
  let bestV = Number.NEGATIVE_INFINITY;
  const e = lik.newEval();
  for (let k = 1; k < 100000; k++) {
    const p1 = k / 100000;
    lik.evaluate(y, [p1, 1 - p1], 0, e);
    if (e.value > bestV) {
      bestV = e.value;
      best = p1;
    }
  }
  assert.ok(Math.abs(sol.p[0]! - best) < 2e-5, `${sol.p[0]} vs grid ${best}`);
  // Noise-free: least squares on the line gives p1 = 0.3 exactly, and so does the c -> 0 MLE (r = 0 there).
  const y0 = Float64Array.from({ length: G }, (_, g) => 0.3 * mu[g]! + 0.7 * mu[G + g]!);
  const s0 = solveSample(lik, muGT, y0, { ...SAMPLE_SOLVE_DEFAULTS, init: 'uniform', epsa: 1e-14, epsb: 1e-14, epsd: 1e-14 });
  assert.ok(Math.abs(s0.p[0]! - 0.3) < 1e-6, `${s0.p[0]}`);
});

test('fit + deconvolve recovers noise-free mixtures; proportions are finite, non-negative, sum to 1', async () => {
  const ref = makeReference([60, 60, 60]);
  const fitted = await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG });
  assert.deepEqual(fitted.cellTypes, TYPES);
  const P = [
    [0.2, 0.3, 0.5],
    [0.6, 0.3, 0.1],
    [1 / 3, 1 / 3, 1 / 3],
  ];
  const res = await fitted.deconvolve(makeBulk(P));
  for (let i = 0; i < P.length; i++) {
    let s = 0;
    for (let j = 0; j < 3; j++) {
      const v = res.proportions.get(i, j);
      assert.ok(Number.isFinite(v) && v >= 0);
      s += v;
      assert.ok(Math.abs(v - P[i]![j]!) < 0.05, `sample ${i} type ${j}: ${v} vs ${P[i]![j]}`);
    }
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  assert.equal(res.diagnostics.converged.length, 3);
  assert.ok(Array.isArray(res.diagnostics.extra?.stop));
  // permuting the bulk genes changes nothing
  const perm = [5, 3, 1, 0, 2, 4];
  const b = makeBulk(P);
  const bp = new Dataset({
    X: b.X,
    layers: { relative_counts: (b.X as DenseMatrix).selectCols(perm) },
    varNames: perm.map((k) => GENES[k]!),
  });
  const res2 = await fitted.deconvolve(
    new Dataset({
      X: bp.layers.get('relative_counts')!,
      layers: { relative_counts: bp.layers.get('relative_counts')! },
      varNames: bp.varNames,
    }),
  );
  for (let k = 0; k < 9; k++) assert.ok(Math.abs(res2.proportions.data[k]! - res.proportions.data[k]!) < 1e-10);
});

test('the seed variant (compat decovart-r) is an option and gives a different maximiser', async () => {
  const ref = makeReference([40, 40, 40], 2);
  const bulk = makeBulk([[0.2, 0.3, 0.5]]);
  const a = await (await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG })).deconvolve(bulk);
  const b = await (await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG, options: { compat: 'decovart-r' } })).deconvolve(bulk);
  let d = 0;
  for (let j = 0; j < 3; j++) d += Math.abs(a.proportions.get(0, j) - b.proportions.get(0, j));
  assert.ok(d > 1e-6);
});

test('a signature without a reference is a typed error explaining that decovart needs labelled cells', async () => {
  await assert.rejects(decovart.fit(null, { signature: SIG }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.code, 'E_DECOVART_NEEDS_REFERENCE');
    assert.match(e.message, /labelled single-cell reference/);
    return true;
  });
  await assert.rejects(decovart.fit(makeReference([5, 5, 5]), { signature: SIG }), /label column/);
});

test('a cell type with too few cells: typed error naming it, or the pooled fallback with a warning', async () => {
  const ref = makeReference([30, 1, 30]);
  await assert.rejects(decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.code, 'E_TOO_FEW_CELLS');
    assert.match(e.message, /cell type 'B' has 1 reference cell/);
    return true;
  });
  const fitted = await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG, options: { tooFewCells: 'pooled' } });
  const res = await fitted.deconvolve(makeBulk([[0.3, 0.3, 0.4]]));
  assert.ok(res.diagnostics.warnings.some((w) => w.code === 'W_TOO_FEW_CELLS' && w.message.includes("'B'")));
  assert.ok(res.proportions.data.every((v) => Number.isFinite(v)));
});

test('constant genes within a type and singular covariances are regularised, degenerate samples give zero rows, never NaN', async () => {
  // Type C has identical cells (zero variance everywhere) and fewer cells than genes.
  const ref = makeReference([30, 30, 0]);
  const rows = ref.X as DenseMatrix<Float64Array>;
  const extra = DenseMatrix.fromRows([...rows.toRows(), MU[2]!, MU[2]!, MU[2]!]);
  const labels = [...Array(30).fill('A'), ...Array(30).fill('B'), 'C', 'C', 'C'];
  const ref2 = new Dataset({
    X: extra,
    layers: { relative_counts: extra },
    varNames: GENES,
    obs: new Frame(63, { cell_type: categoricalFrom(labels) }),
  });
  const fitted = await decovart.fit(ref2, { labelsKey: 'cell_type', signature: SIG });
  const bulk = makeBulk([
    [0.2, 0.3, 0.5],
    [0, 0, 0],
  ]);
  const res = await fitted.deconvolve(bulk);
  assert.ok(res.diagnostics.warnings.some((w) => w.code === 'W_ZERO_VARIANCE_GENES' && w.message.includes("'C'")));
  assert.ok(res.diagnostics.warnings.some((w) => w.code === 'W_DEGENERATE_SAMPLE'));
  assert.ok(res.proportions.data.every((v) => Number.isFinite(v)));
  assert.deepEqual(Array.from(res.proportions.row(1)), [0, 0, 0]);
  assert.ok(Math.abs(res.proportions.row(0).reduce((s, v) => s + v, 0) - 1) < 1e-12);
});

test('non-convergence is reported per sample, not thrown', async () => {
  const ref = makeReference([40, 40, 40], 4);
  const fitted = await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG, options: { maxIter: 1 } });
  const res = await fitted.deconvolve(makeBulk([[0.2, 0.3, 0.5]]));
  assert.equal(res.diagnostics.converged[0], false);
  assert.ok(res.diagnostics.warnings.some((w) => w.code === 'W_NOT_CONVERGED'));
  assert.ok(res.proportions.data.every((v) => Number.isFinite(v)));
});

test('gene cap keeps the most specific genes, round robin over types', () => {
  const mu = Float64Array.from(MU.flat());
  assert.deepEqual(selectSpecificGenes(mu, 3, 6, 3), [0, 1, 2]);
  assert.deepEqual(selectSpecificGenes(mu, 3, 6, 0), [0, 1, 2, 3, 4, 5]);
});

test('boundary-aware parameter stability: marqLevAlg Σδ² inside the simplex, vanishing proportions ignored', () => {
  const norm = boundaryStepNorm(3, 1e-6);
  const th = Float64Array.of(0.2, -0.1);
  const d = Float64Array.of(0.01, -0.02);
  assert.ok(Math.abs(norm(th, d) - (0.01 ** 2 + 0.02 ** 2)) < 1e-15);
  // p_1 -> 0 (θ_1 = -30 drifting by -1): only the remaining pair counts
  const th2 = Float64Array.of(-30, 0.5);
  assert.ok(norm(th2, Float64Array.of(-1, 0.001)) < 1e-5);
  // p_J -> 0 (all θ large, moving together): re-referenced, stable
  const th3 = Float64Array.of(30, 30.5);
  assert.ok(norm(th3, Float64Array.of(1, 1.0001)) < 1e-6);
});

test('a mixture with an absent cell type converges (boundary) and gives it ~0', async () => {
  const ref = makeReference([60, 60, 60], 6);
  const fitted = await decovart.fit(ref, { labelsKey: 'cell_type', signature: SIG });
  const res = await fitted.deconvolve(makeBulk([[0.5, 0.5, 0]]));
  assert.equal(res.diagnostics.converged[0], true, String((res.diagnostics.extra!.stop as string[])[0]));
  assert.ok(res.proportions.get(0, 2) < 0.02);
});

test('without a signature, fit builds one from raw counts (signature builder genes) and deconvolves pseudobulk-like mixtures', async () => {
  const rng = new Rng(21);
  const nG = 40;
  const genes = Array.from({ length: nG }, (_, g) => `gene${g}`);
  const rates = TYPES.map((_, j) => Array.from({ length: nG }, (_, g) => (Math.floor(g / 5) === j ? 20 : 2) + (g % 3)));
  const rows: number[][] = [];
  const labels: string[] = [];
  for (let j = 0; j < 3; j++) {
    for (let c = 0; c < 40; c++) {
      rows.push(rates[j]!.map((r) => rng.poisson(r)));
      labels.push(TYPES[j]!);
    }
  }
  const X = DenseMatrix.fromRows(rows);
  const ref = new Dataset({ X, varNames: genes, obs: new Frame(rows.length, { cell_type: categoricalFrom(labels) }) });
  const fitted = await decovart.fit(ref, { labelsKey: 'cell_type' });
  assert.ok(fitted.genes.length >= 3 && fitted.genes.length <= nG);
  // bulk = relative counts of the type means mixed with p
  const p = [0.5, 0.3, 0.2];
  const y = genes.map((_, g) => p.reduce((s, pj, j) => s + pj * (rates[j]![g]! / rates[j]!.reduce((a, b) => a + b, 0)) * 1e4, 0));
  const Y = DenseMatrix.fromRows([y]);
  const res = await fitted.deconvolve(new Dataset({ X: Y, layers: { relative_counts: Y }, varNames: genes }));
  const order = res.cellTypes.map((t) => TYPES.indexOf(t));
  for (let j = 0; j < 3; j++)
    assert.ok(Math.abs(res.proportions.get(0, j) - p[order[j]!]!) < 0.08, `${res.cellTypes[j]}: ${res.proportions.get(0, j)}`);
});

test('save -> load gives the same proportions bit for bit; corrupt or foreign model directories are typed errors', async () => {
  const { mkdtempSync, rmSync, writeFileSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-decovart-'));
  try {
    const fitted = await decovart.fit(makeReference([40, 40, 40]), { labelsKey: 'cell_type', signature: SIG, seed: 3 });
    const bulk = makeBulk([
      [0.2, 0.3, 0.5],
      [0.7, 0.1, 0.2],
    ]);
    const before = await fitted.deconvolve(bulk);
    await fitted.save!(join(dir, 'm'));
    const loaded = await decovart.load!(join(dir, 'm'));
    assert.deepEqual(loaded.genes, fitted.genes);
    assert.deepEqual(loaded.cellTypes, fitted.cellTypes);
    const after = await loaded.deconvolve(bulk);
    assert.deepEqual(Array.from(after.proportions.data), Array.from(before.proportions.data));
    assert.deepEqual(after.diagnostics.extra?.covariance, before.diagnostics.extra?.covariance);
    // One flipped byte in the weights: checksum error naming the file.
    const w = join(dir, 'm', 'weights.bin');
    const bytes = readFileSync(w);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(w, bytes);
    await assert.rejects(decovart.load!(join(dir, 'm')), (e: unknown) => (e as { code?: string }).code === 'E_MODEL_CHECKSUM');
    // A directory of another method.
    const { saveModelDir } = await import('../../../src/io/model-dir.js');
    await saveModelDir(
      join(dir, 'other'),
      { method: 'scaden', genes: GENES, cellTypes: TYPES },
      { w: { shape: [1], data: Float32Array.of(1) } },
    );
    await assert.rejects(decovart.load!(join(dir, 'other')), (e: unknown) => (e as { code?: string }).code === 'E_MODEL_METHOD');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('celldeconv train decovart -> model dir -> deconvolve --model gives the library numbers', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeDataset } = await import('../../../src/io/read.js');
  const { writeDenseTable } = await import('../../../src/io/table.js');
  const { cli } = await import('../../helpers/cli.js');
  const { readCsv } = await import('../../fixtures/linear/load.js');
  const dir = mkdtempSync(join(tmpdir(), 'celldeconv-decovart-cli-'));
  try {
    const ref = makeReference([40, 40, 40], 5);
    await writeDataset(join(dir, 'ref.h5ad'), ref);
    const bulk = makeBulk([
      [0.2, 0.3, 0.5],
      [0.5, 0.25, 0.25],
    ]);
    const bulkPath = join(dir, 'bulk.csv');
    await writeDenseTable(bulkPath, ['s1', 's2'], GENES, bulk.X);
    const model = join(dir, 'model');
    const t = await cli(['train', 'decovart', '--reference', join(dir, 'ref.h5ad'), '--labels', 'cell_type', '--out', model]);
    assert.equal(t.code, 0, t.err);
    const out = join(dir, 'props.csv');
    // A CSV holds X only, so it is a real bulk for the shared input step (methods/bulk-input.ts);
    // these simulated values are on the reference's relative scale, declared as such on both sides.
    const d = await cli(['deconvolve', '--model', model, '--bulk', bulkPath, '--out', out, '--bulk-units', 'relative']);
    assert.equal(d.code, 0, d.err);
    const { getMethod } = await import('../../../src/methods/registry.js');
    const asCsv = new Dataset({ X: bulk.X, obsNames: ['s1', 's2'], varNames: GENES });
    const lib = await (await getMethod('decovart').load!(model)).deconvolve(asCsv, { bulkInput: { units: 'relative' } });
    const got = readCsv(out);
    assert.deepEqual(got.colNames, lib.cellTypes);
    for (let k = 0; k < lib.proportions.data.length; k++) assert.ok(Math.abs(got.values.data[k]! - lib.proportions.data[k]!) < 1e-12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
