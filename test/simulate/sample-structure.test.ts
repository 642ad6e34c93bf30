import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { Dataset } from '../../src/data/dataset.js';
import { DenseMatrix } from '../../src/data/dense.js';
import { categoricalFrom, columnAsStrings, Frame } from '../../src/data/frame.js';
import type { CsrMatrix } from '../../src/data/sparse.js';
import { foldCount, simulateSampleStructure } from '../../src/simulate/sample-structure.js';

function toyReference(n: number, g: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const data = new Float64Array(n * g);
  for (let i = 0; i < data.length; i++) data[i] = rng.poisson(1.5);
  const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'A' : i % 3 === 1 ? 'B' : 'C'));
  return new Dataset({ X: new DenseMatrix(n, g, data), obs: new Frame(n, { cell_type: categoricalFrom(labels) }) });
}

test('semi-synthetic samples: untouched types unchanged, path genes doubled exactly, truth consistent', () => {
  const ref = toyReference(300, 40, 1);
  const sim = simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 6, perturbedTypes: ['A', 'B'], seed: 3 });
  const X = sim.dataset.X as CsrMatrix;
  const labels = columnAsStrings(sim.dataset.obs.get('cell_type'));
  const samples = sim.dataset.obs.get('sample');
  assert.equal(samples.kind, 'categorical');
  const codes = (samples as { codes: Int32Array }).codes;
  // balanced assignment
  const per = new Int32Array(6);
  for (const c of codes) per[c] = (per[c] as number) + 1;
  assert.ok(Math.max(...per) - Math.min(...per) <= 1);
  const orig = ref.X as DenseMatrix;
  const tA = sim.truth[0];
  assert.ok(tA);
  const root = 2 * 6 - 2;
  const par = new Int32Array(2 * 6 - 1).fill(-1);
  for (let k = 0; k < 5; k++) {
    par[tA.tree.left[k] as number] = 6 + k;
    par[tA.tree.right[k] as number] = 6 + k;
  }
  for (let i = 0; i < 300; i++) {
    for (let j = 0; j < 40; j++) {
      const before = orig.get(i, j);
      const after = X.get(i, j);
      assert.ok(Number.isInteger(after));
      if (labels[i] === 'C') assert.equal(after, before);
      if (labels[i] === 'A') {
        let onPath = false;
        for (let v = codes[i] as number; v !== root; v = par[v] as number) if (tA.geneEdge[j] === v) onPath = true;
        assert.equal(after, onPath ? 2 * before : before, `cell ${i} gene ${j}`);
      }
    }
    assert.equal(sim.affected[i], labels[i] === 'C' ? 0 : 1);
  }
  // true distances: symmetric, zero diagonal, positive off-diagonal (leaf edges differ)
  const D = tA.distances;
  for (let a = 0; a < 6; a++)
    for (let b = 0; b < 6; b++) {
      assert.equal(D[a * 6 + b], D[b * 6 + a]);
      if (a === b) assert.equal(D[a * 6 + b], 0);
    }
  // seed determinism
  const again = simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 6, perturbedTypes: ['A', 'B'], seed: 3 });
  assert.deepEqual((again.dataset.X as CsrMatrix).data, X.data);
  const other = simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 6, perturbedTypes: ['A', 'B'], seed: 4 });
  assert.notDeepEqual((other.dataset.X as CsrMatrix).data, X.data);
});

test('fold changes keep integers (binomial up/thinning) and bad options are typed errors', () => {
  const rng = new Rng(5);
  let sum = 0;
  for (let k = 0; k < 2000; k++) {
    const v = foldCount(10, 1.5, rng);
    assert.ok(Number.isInteger(v) && v >= 10 && v <= 20);
    sum += v;
  }
  assert.ok(Math.abs(sum / 2000 - 15) < 0.3);
  const t = foldCount(10, 0.5, rng);
  assert.ok(Number.isInteger(t) && t <= 10);
  assert.equal(foldCount(0, 2, rng), 0);
  const ref = toyReference(30, 5, 2);
  assert.throws(() => simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 1 }), /E_SAMPLES|number of samples/);
  assert.throws(() => simulateSampleStructure(ref, { labelsKey: 'cell_type', perturbedTypes: ['Z'], nSamples: 4 }), /'Z'/);
  const sites = simulateSampleStructure(ref, { labelsKey: 'cell_type', nSamples: 4, sites: true });
  assert.ok(sites.dataset.obs.has('site'));
});
