import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

describe('Rng', () => {
  test('same seed gives the same stream; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 50 }, () => a.nextUint32());
    const xb = Array.from({ length: 50 }, () => b.nextUint32());
    const xc = Array.from({ length: 50 }, () => c.nextUint32());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
  });

  test('fork is independent of the parent position and of sibling names', () => {
    const a = new Rng(7);
    const f1 = a.fork('split').uniform();
    a.uniform();
    a.uniform();
    const f2 = a.fork('split').uniform();
    assert.equal(f1, f2);
    assert.notEqual(a.fork('split').uniform(), a.fork('train').uniform());
  });

  test('state round trip resumes the stream exactly', () => {
    const a = new Rng(3);
    a.uniform();
    const st = a.state;
    const next = [a.uniform(), a.uniform()];
    const b = new Rng(99);
    b.setState(st);
    assert.deepEqual([b.uniform(), b.uniform()], next);
    assert.equal(a.toJSON().type, 'xoshiro128**');
  });

  test('uniform is in [0,1) with mean ~ 1/2 and int is unbiased', () => {
    const r = new Rng(1);
    let s = 0;
    const counts = new Array(5).fill(0);
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      s += u;
      counts[r.int(5)]++;
    }
    assert.ok(Math.abs(s / n - 0.5) < 0.01);
    for (const c of counts) assert.ok(Math.abs(c / n - 0.2) < 0.01, `bucket ${c}`);
  });

  test('normal and gamma have the right first two moments', () => {
    const r = new Rng(11);
    const n = 40000;
    let m = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      m += x;
      v += x * x;
    }
    assert.ok(Math.abs(m / n) < 0.03);
    assert.ok(Math.abs(v / n - 1) < 0.03);
    for (const shape of [0.3, 1, 4.5]) {
      let gm = 0;
      let gv = 0;
      for (let i = 0; i < n; i++) {
        const x = r.gamma(shape);
        gm += x;
        gv += x * x;
      }
      gm /= n;
      gv = gv / n - gm * gm;
      assert.ok(Math.abs(gm - shape) / shape < 0.04, `gamma(${shape}) mean ${gm}`);
      assert.ok(Math.abs(gv - shape) / shape < 0.08, `gamma(${shape}) var ${gv}`);
    }
  });

  test('dirichlet sums to one with mean alpha/sum(alpha)', () => {
    const r = new Rng(5);
    const alpha = [1, 2, 7];
    const mean = [0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const p = r.dirichlet(alpha);
      assert.ok(Math.abs(p[0]! + p[1]! + p[2]! - 1) < 1e-12);
      for (let k = 0; k < 3; k++) mean[k] = (mean[k] as number) + p[k]! / n;
    }
    assert.ok(Math.abs(mean[0]! - 0.1) < 0.01 && Math.abs(mean[2]! - 0.7) < 0.01);
  });

  test('poisson mean matches lambda, small and large', () => {
    const r = new Rng(8);
    for (const lam of [0.5, 4, 120]) {
      let s = 0;
      const n = 20000;
      for (let i = 0; i < n; i++) s += r.poisson(lam);
      assert.ok(Math.abs(s / n - lam) / lam < 0.03, `poisson(${lam}) mean ${s / n}`);
    }
  });

  test('sampleWithoutReplacement gives distinct in-range indices (both code paths)', () => {
    const r = new Rng(2);
    for (const [n, k] of [
      [1000, 10],
      [20, 15],
    ] as const) {
      const s = r.sampleWithoutReplacement(n, k);
      assert.equal(new Set(s).size, k);
      for (const x of s) assert.ok(x >= 0 && x < n);
    }
    assert.throws(() => r.sampleWithoutReplacement(3, 4), InputError);
    const p = r.permutation(10);
    assert.deepEqual(
      [...p].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  test('rejects non-integer seeds with a typed error', () => {
    assert.throws(
      () => new Rng(1.5),
      (e: unknown) => e instanceof InputError && e.code === 'E_SEED',
    );
  });
});
