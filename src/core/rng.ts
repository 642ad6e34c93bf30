/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32).
 *
 * No global state: create an `Rng` from a seed and pass it down. `fork(name)` derives an
 * independent child stream from the parent's *seed* and a name, so adding a random step in one
 * place never shifts the numbers drawn elsewhere. `state`/`setState` make a stream resumable.
 *
 * @example
 * const rng = new Rng(0);
 * const split = rng.fork('split');
 * split.uniform(); // same value for seed 0 on every machine
 */
import { InputError } from './errors.js';

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a hash of a string, used to name forked streams. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  /** The seed this stream was created from (after forking, a derived 32-bit seed). */
  readonly seed: number;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal = Number.NaN;

  constructor(seed: number) {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new InputError('seed must be an integer', {
        code: 'E_SEED',
        field: 'seed',
        got: seed,
        expected: 'an integer such as 0 or 42',
      });
    }
    // Mix high bits in so seeds above 2^32 still differ.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    this.seed = (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
    const sm = splitmix32(this.seed);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent child stream named `name`; the parent stream is not advanced. */
  fork(name: string | number): Rng {
    const h = hashString(String(name));
    return new Rng((Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) ^ h) >>> 0);
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    if (n <= 0) return 0;
    if (n <= 4294967296) {
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (polar Box–Muller). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const v = this.spareNormal;
      this.spareNormal = Number.NaN;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Gamma(shape, 1) deviate (Marsaglia & Tsang 2000; boosted for shape < 1). */
  gamma(shape: number): number {
    if (!(shape > 0)) {
      throw new InputError('gamma shape must be positive', { code: 'E_GAMMA_SHAPE', field: 'shape', got: shape });
    }
    if (shape < 1) {
      const u = this.uniform();
      return this.gamma(shape + 1) * u ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Dirichlet(alpha) sample written into `out` (allocated when omitted). */
  dirichlet(alpha: ArrayLike<number>, out?: Float64Array): Float64Array {
    const k = alpha.length;
    const res = out ?? new Float64Array(k);
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const g = this.gamma(alpha[i] as number);
      res[i] = g;
      sum += g;
    }
    if (sum === 0) {
      // All gammas underflowed (tiny alphas): put the mass on one component uniformly at random.
      res.fill(0);
      res[this.int(k)] = 1;
      return res;
    }
    for (let i = 0; i < k; i++) res[i] = (res[i] as number) / sum;
    return res;
  }

  /** Poisson(lambda) deviate (inversion for small lambda, PTRS for large). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const l = Math.exp(-lambda);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= this.uniform();
      } while (p > l);
      return k - 1;
    }
    // Hörmann's PTRS (transformed rejection with squeeze).
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - lgammaPlus1(k)) {
        return k;
      }
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** `k` distinct indices from 0..n-1 in random order (partial Fisher–Yates). */
  sampleWithoutReplacement(n: number, k: number): Int32Array {
    if (k > n) {
      throw new InputError('cannot draw more items than there are without replacement', {
        code: 'E_SAMPLE_SIZE',
        got: k,
        expected: `<= ${n}`,
      });
    }
    if (k * 4 < n) {
      // Sparse variant: a map of swapped positions, O(k) memory.
      const swapped = new Map<number, number>();
      const out = new Int32Array(k);
      for (let i = 0; i < k; i++) {
        const j = i + this.int(n - i);
        const vj = swapped.get(j) ?? j;
        const vi = swapped.get(i) ?? i;
        out[i] = vj;
        swapped.set(j, vi);
      }
      return out;
    }
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p.slice(0, k);
  }

  /** `k` indices from 0..n-1 drawn with replacement. */
  sampleWithReplacement(n: number, k: number): Int32Array {
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) out[i] = this.int(n);
    return out;
  }

  /** Serialisable state (resume a stream exactly). */
  get state(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4) {
      throw new InputError('Rng state must have 4 words', { code: 'E_RNG_STATE', got: state.length, expected: 4 });
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((x) => x >>> 0) as [number, number, number, number];
    this.spareNormal = Number.NaN;
  }

  /** The full state, including a cached second normal deviate (checkpoints resume the exact stream). */
  snapshot(): { state: number[]; spareNormal: number | null } {
    return { state: this.state, spareNormal: Number.isNaN(this.spareNormal) ? null : this.spareNormal };
  }

  /** Restores {@link snapshot}'s output. */
  restore(snap: { state: readonly number[]; spareNormal: number | null }): void {
    this.setState(snap.state);
    this.spareNormal = snap.spareNormal ?? Number.NaN;
  }

  toJSON(): { type: string; seed: number; state: number[] } {
    return { type: 'xoshiro128**', seed: this.seed, state: this.state };
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** log(k!) for the Poisson rejection step. */
function lgammaPlus1(k: number): number {
  if (k < 2) return 0;
  // Stirling series; exact enough (k >= 2 here, used only in an accept test).
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}
