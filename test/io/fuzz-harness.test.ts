/** A small seeded sample of the fuzz harness (`npm run fuzz -- --n 10000` runs the full one). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../fuzz/harness.js';

test('fuzz harness sample: 40 mutated inputs per kind (mtx, mtx.gz, csv, h5ad, model) give only typed errors', async () => {
  const r = await runFuzz({ n: 40, seed: 16 });
  assert.deepEqual(r.failures, []);
  assert.equal(r.cases, 200);
  for (const [kind, s] of Object.entries(r.byKind)) {
    const errors = Object.values(s.codes).reduce((a, b) => a + b, 0);
    // Mutations must exercise both outcomes (except h5ad, where nearly every flip is fatal or harmless).
    assert.ok(errors > 0, `${kind}: no input failed ${JSON.stringify(s)}`);
    if (kind === 'mtx' || kind === 'csv') assert.ok(s.ok > 0, `${kind}: no input parsed ${JSON.stringify(s)}`);
  }
  for (const c of ['E_MODEL_WEIGHTS', 'E_MODEL_MANIFEST']) assert.ok((r.byKind.model?.codes[c] ?? 0) > 0, JSON.stringify(r.byKind.model));
});
