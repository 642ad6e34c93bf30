/**
 * numpy's legacy `RandomState` stream (MT19937, Matsumoto & Nishimura 1998), just enough to
 * reproduce `np.random.RandomState(seed).choice(n, k, replace=False)` bit for bit.
 *
 * PyDeconv's DWLS draws its 100 gene subsets with `np.random.seed(i); np.random.choice(G,
 * int(0.5 G), replace=False)` for i = 0..99; matching that stream makes our dampening-constant
 * search pick exactly the reference's constants. In numpy 1.x legacy mode, `choice` without
 * replacement and without `p` is `permutation(n)[:k]`, and `permutation` is the legacy
 * Fisher–Yates `shuffle` drawing each index with `random_interval` (masked rejection sampling
 * on 32-bit outputs, formerly `rk_interval`).
 */

const N = 624;
const M = 397;

/** The MT19937 generator with numpy's legacy integer seeding (`init_genrand`). */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** @param seed integer in [0, 2^32), as `RandomState(seed)`. */
  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      const x = prev ^ (prev >>> 30);
      // 1812433253 * x + i, modulo 2^32, without losing bits to float rounding.
      mt[i] = (Math.imul(1812433253, x) + i) >>> 0;
    }
    this.mti = N;
  }

  /** Next 32-bit unsigned output (genrand_int32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[kk + 1]! & 0x7fffffff);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[kk + 1]! & 0x7fffffff);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      const y = (mt[N - 1]! & 0x80000000) | (mt[0]! & 0x7fffffff);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, max] by masked rejection (numpy `random_interval`, max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /** `permutation(n)`: legacy Fisher–Yates shuffle of 0..n-1. */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }
}

/**
 * `np.random.RandomState(seed).choice(n, k, replace=False)` (numpy 1.x legacy), i.e. the first k
 * entries of `permutation(n)`.
 *
 * @example numpyChoiceWithoutReplacement(0, 10, 3); // same as RandomState(0).choice(10, 3, replace=False)
 */
export function numpyChoiceWithoutReplacement(seed: number, n: number, k: number): Int32Array {
  return new MT19937(seed).permutation(n).subarray(0, k);
}
