import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/core/rng.js';
import { DenseMatrix } from '../../../src/data/dense.js';
import { compositionPcaDistances, pcaLogNormalized } from '../../../src/models/mrvi/composition-pca.js';
import { graphFromEdges, louvain, modularity } from '../../../src/models/mrvi/louvain.js';

test('Louvain recovers planted blocks and never lowers modularity below the blocks', () => {
  const rng = new Rng(1);
  const n = 80;
  const block = (i: number) => Math.floor(i / 20);
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const p = block(i) === block(j) ? 0.5 : 0.02;
      if (rng.uniform() < p) {
        from.push(i);
        to.push(j);
      }
    }
  const g = graphFromEdges(n, from, to);
  const comm = louvain(g, { rng: new Rng(2) });
  const truth = Int32Array.from({ length: n }, (_, i) => block(i));
  // same partition up to labels
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(comm[i] === comm[j], truth[i] === truth[j]);
  assert.ok(modularity(g, comm) >= modularity(g, truth) - 1e-12);
  // two triangles joined by one edge; modularity by hand: m = 7, Q = 2 * (3/7 - (7/14)^2) = 5/14
  const t = graphFromEdges(6, [0, 1, 0, 3, 4, 3, 2], [1, 2, 2, 4, 5, 5, 3]);
  const ct = louvain(t, { rng: new Rng(0) });
  assert.deepEqual(Array.from(ct), [0, 0, 0, 1, 1, 1]);
  assert.ok(Math.abs(modularity(t, ct) - 5 / 14) < 1e-12);
});

test('PCA scores reproduce the variance of the top directions; CompositionPCA separates samples by composition', () => {
  const rng = new Rng(3);
  const N = 240;
  const G = 30;
  // two cell states within one type; samples 0-3 mostly state 0, samples 4-7 mostly state 1
  const data = new Float64Array(N * G);
  const sample = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    sample[i] = i % 8;
    const state = rng.uniform() < ((sample[i] as number) < 4 ? 0.9 : 0.1) ? 0 : 1;
    for (let j = 0; j < G; j++) data[i * G + j] = rng.poisson(j < 10 ? (state ? 20 : 2) : j < 20 ? (state ? 2 : 20) : 5);
  }
  const X = new DenseMatrix(N, G, data);
  const emb = pcaLogNormalized(X, 5, new Rng(0));
  assert.equal(emb.length, N * 5);
  const v = [0, 1].map((c) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += (emb[i * 5 + c] as number) ** 2;
    return s;
  });
  assert.ok((v[0] as number) > 5 * (v[1] as number), `first PC dominates: ${v}`);
  const [res] = compositionPcaDistances(X, new Int32Array(N), ['T'], sample, 8, { nComps: 5, seed: 0 });
  assert.ok(res && res.nClusters >= 2);
  const D = (res as { D: Float64Array }).D;
  let within = 0;
  let between = 0;
  for (let a = 0; a < 8; a++)
    for (let b = a + 1; b < 8; b++) {
      if (a < 4 === b < 4) within += D[a * 8 + b] as number;
      else between += D[a * 8 + b] as number;
    }
  assert.ok(between / 16 > 2 * (within / 12), `between ${between / 16} within ${within / 12}`);
});
