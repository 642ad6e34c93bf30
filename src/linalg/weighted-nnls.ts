/**
 * The iterative weighted non-negative QP of WNNLS and DWLS (Tsoucas et al. 2019, DWLS R code
 * `solveDampenedWLS`; PyDeconv `solver_wls`), and DWLS's dampening-constant search
 * (`findDampeningConstant`).
 *
 * Each QP step solves min_{x≥0} ½xᵀ(SᵀWS)x − (SᵀWy)ᵀx. PyDeconv divides both terms by the spectral
 * norm of SᵀWS before calling quadprog; that scaling does not move the minimiser, and the
 * reference harness solves the same minimiser as nnls(√W S, √W y). We solve it exactly with
 * Lawson–Hanson on the weighted Gram matrix, built from per-gene outer products computed once per
 * signature (one pass of C(C+1)/2 multiply-adds per gene per step).
 */
import { packedSize, rowOuterProducts, unpackSymmetric, weightedGramColMajor } from './blas.js';
import { NnlsWorkspace, nnlsGram } from './nnls.js';
import { pinv } from './svd.js';
import { paddedLength, WasmArena } from './wasm/kernels.js';

type WlsRegion = 'St' | 'x' | 'y' | 'w' | 'WS' | 'H' | 'd';

/** Options of {@link WeightedNnls.iterate}. */
export interface WlsIterateOptions {
  /** L1 convergence tolerance on successive iterates (1e-3 WNNLS, 1e-2 DWLS). */
  tol: number;
  /** Maximum number of reweighting steps (1000). */
  maxIter: number;
  /** DWLS dampening multiplier d: weights are w/min(w) capped at d; null = WNNLS (no dampening). */
  dampening: number | null;
  /** Lower clip of the fitted values S·x before weighting (1e-4, PyDeconv). */
  clip?: number;
}

/** Shared, per-signature data of the weighted solvers (S is genes x types, row-major). */
export class WeightedNnls {
  readonly G: number;
  readonly C: number;
  readonly P: number;
  readonly S: Float64Array;
  /** G x P packed per-gene outer products s_g s_gᵀ. */
  readonly outer: Float64Array;
  /** S transposed (C x G, row-major): columns of S are contiguous. */
  private readonly St: Float64Array;
  /** Scratch: W S column-major (C x G). */
  private readonly WS: Float64Array;
  private readonly fit: Float64Array;
  private readonly w: Float64Array;
  private readonly H: Float64Array;
  private readonly d: Float64Array;
  private readonly xqp: Float64Array;
  private readonly x: Float64Array;
  private readonly ws: NnlsWorkspace;
  /** The WebAssembly SIMD step (weights + SᵀWS + SᵀWy), or null for the JavaScript loops. */
  private readonly arena: WasmArena<WlsRegion> | null;
  /** Padded gene count of the arena's rows. */
  private readonly K: number;

  constructor(S: Float64Array, G: number, C: number) {
    this.S = S;
    this.G = G;
    this.C = C;
    this.P = packedSize(C);
    this.outer = rowOuterProducts(G, C, S);
    this.fit = new Float64Array(G);
    this.w = new Float64Array(G);
    this.St = new Float64Array(C * G);
    for (let g = 0; g < G; g++) for (let c = 0; c < C; c++) this.St[c * G + g] = S[g * C + c]!;
    this.WS = new Float64Array(C * G);
    this.H = new Float64Array(C * C);
    this.d = new Float64Array(C);
    this.xqp = new Float64Array(C);
    this.x = new Float64Array(C);
    this.ws = new NnlsWorkspace(C);
    this.K = paddedLength(G);
    const K = this.K;
    this.arena = WasmArena.create<WlsRegion>({ St: C * K, x: C, y: K, w: K, WS: C * K, H: C * C, d: C });
    if (this.arena) for (let c = 0; c < C; c++) this.arena.view.St.set(this.St.subarray(c * G, (c + 1) * G), c * K);
  }

  /**
   * One reweighting step with the WebAssembly kernel: weights from x (dampened when `damp` > 0),
   * then the weighted NNLS on SᵀWS, SᵀWy into `out`. The sample must be in the arena's `y`.
   */
  private wasmStep(arena: WasmArena<WlsRegion>, x: Float64Array, clip: number, damp: number, out: Float64Array) {
    const { C, H, d } = this;
    const v = arena.view;
    v.x.set(x);
    arena.wlsStep(C, this.G, this.K, clip, damp, { St: 'St', x: 'x', y: 'y', w: 'w', WS: 'WS', H: 'H', d: 'd' });
    const h = v.H;
    for (let a = 0; a < C; a++) {
      for (let c = a; c < C; c++) {
        const val = h[a * C + c]!;
        H[a * C + c] = val;
        H[c * C + a] = val;
      }
    }
    d.set(v.d);
    return nnlsGram(C, H, d, out, { maxIter: 50 * C, warmStart: true }, this.ws);
  }

  /** fitted values S·x into `out` (length G). */
  fitted(x: Float64Array, out: Float64Array): void {
    const { St, G, C } = this;
    out.fill(0, 0, G);
    for (let c = 0; c < C; c++) {
      const xc = x[c]!;
      if (xc === 0) continue;
      const o = c * G;
      for (let g = 0; g < G; g++) out[g] = out[g]! + xc * St[o + g]!;
    }
  }

  /**
   * argmin_{x≥0} (Sx − y)ᵀ W (Sx − y) into `out` (Lawson–Hanson on SᵀWS, SᵀWy).
   * @param w gene weights (length G, ≥ 0).
   */
  weightedNnls(y: Float64Array, w: Float64Array, out: Float64Array): { iterations: number; converged: boolean } {
    const { St, WS, G, C, H, d } = this;
    weightedGramColMajor(C, G, St, w, y, H, d, WS);
    // The reference runs scipy nnls on √W S with maxiter 50·C.
    return nnlsGram(C, H, d, out, { maxIter: 50 * C }, this.ws);
  }

  /**
   * The reweighting loop from x0 (PyDeconv `solver_wls`):
   * w = 1/max(Sx, clip)², dampened w = min(w/min(w), d); x_qp = weighted NNLS;
   * x_new = (x_qp + 4x)/5; stop when ‖x_new − x‖₁ ≤ tol and return the PREVIOUS iterate x
   * (as PyDeconv); after maxIter steps return the last x_new.
   *
   * @param out length C, receives the solution.
   */
  iterate(y: Float64Array, x0: Float64Array, opts: WlsIterateOptions, out: Float64Array): { iterations: number; converged: boolean } {
    const { G, C, xqp, x } = this;
    const clip = opts.clip ?? 1e-4;
    x.set(x0.subarray(0, C));
    const arena = this.arena;
    if (arena) arena.view.y.set(y.subarray(0, G));
    // Each sample starts cold (steps after the first warm-start from the previous step's passive
    // set), so a sample's result never depends on which samples this thread solved before it.
    this.ws.passive.fill(0);
    for (let it = 0; it < opts.maxIter; it++) {
      if (arena) this.wasmStep(arena, x, clip, opts.dampening ?? 0, xqp);
      else this.jsStep(y, x, clip, opts.dampening, xqp);
      let change = 0;
      for (let c = 0; c < C; c++) {
        const xn = (xqp[c]! + 4 * x[c]!) / 5;
        change += Math.abs(xn - x[c]!);
        xqp[c] = xn;
      }
      if (change <= opts.tol) {
        out.set(x);
        return { iterations: it + 1, converged: true };
      }
      x.set(xqp);
    }
    out.set(x);
    return { iterations: opts.maxIter, converged: false };
  }

  /** One reweighting step in JavaScript (the reference path when WebAssembly is unavailable). */
  private jsStep(y: Float64Array, x: Float64Array, clip: number, dampening: number | null, xqp: Float64Array): void {
    const { G, fit, w } = this;
    this.fitted(x, fit);
    let wmin = Number.POSITIVE_INFINITY;
    for (let g = 0; g < G; g++) {
      const p = Math.max(fit[g]!, clip);
      const wg = 1 / (p * p);
      w[g] = wg;
      if (wg < wmin) wmin = wg;
    }
    if (dampening !== null) {
      for (let g = 0; g < G; g++) w[g] = Math.min(w[g]! / wmin, dampening);
    }
    this.weightedNnls(y, w, xqp);
  }
}

type SearchRegion = 'data' | 'idx' | 'breaks' | 'acc' | 'snap';

/** The dampening search's work buffers, views of a kernel arena when there is one. */
interface SearchBuffers {
  data: Float64Array;
  idx: Int32Array;
  breaks: Int32Array;
  acc: Float64Array;
  snap: Float64Array;
  arena: WasmArena<SearchRegion> | null;
}

/** kernels.wat `accSnap` in JavaScript (the fallback): same order of additions, same numbers. */
function accSnapJs(
  n: number,
  idx: Int32Array,
  L: number,
  data: Float64Array,
  nb: number,
  breaks: Int32Array,
  acc: Float64Array,
  snap: Float64Array,
): void {
  acc.fill(0, 0, L);
  let i = 0;
  for (let b = 0; b < nb; b++) {
    const end = Math.min(breaks[b]!, n);
    for (; i < end; i++) {
      const row = idx[i]! * L;
      for (let k = 0; k < L; k++) acc[k] = acc[k]! + data[row + k]!;
    }
    snap.set(acc.subarray(0, L), b * L);
  }
}

/** Options of {@link DampeningSearch}. */
export interface DampeningSearchOptions {
  /** Gene subsets (each of size floor(G/2), indices into 0..G-1), e.g. numpy RandomState(i).choice. */
  subsets: Int32Array[];
}

/**
 * DWLS's dampening-constant search (`findDampeningConstant`, PyDeconv `find_dampening_constant`).
 *
 * For one sample with NNLS solution x0: ŵ = (1/(S x0))² / min, and for each multiplier 2^j,
 * j = 0 .. ceil(log2(max finite ŵ)) − 1, the unconstrained weighted least-squares fits on every
 * gene subset (weights min(ŵ, 2^j)), rescaled to Σx0; the j with the smallest mean per-type
 * variance over subsets (ddof 0) wins and the constant 2^j is returned.
 *
 * Speed: genes are visited once per subset in increasing ŵ, accumulating Σŵ s sᵀ and Σ s sᵀ
 * (prefix sums over the sorted weights), so the Gram matrix of every multiplier is
 * A_≤m + m·(Total − B_≤m): one pass per subset serves all multipliers.
 */
export class DampeningSearch {
  readonly G: number;
  readonly C: number;
  readonly P: number;
  private readonly S: Float64Array;
  private readonly outer: Float64Array;
  private readonly member: Uint8Array[];
  /** Per subset: Σ_{g∈subset} s_g s_gᵀ (packed). */
  private readonly totals: Float64Array;
  readonly nSubsets: number;
  /** Work buffers of the subset prefix sums (see searchBuffers). */
  private buffers: SearchBuffers | undefined;

  constructor(S: Float64Array, G: number, C: number, outer: Float64Array, opts: DampeningSearchOptions) {
    this.S = S;
    this.G = G;
    this.C = C;
    this.P = packedSize(C);
    this.outer = outer;
    this.nSubsets = opts.subsets.length;
    this.member = opts.subsets.map((sub) => {
      const m = new Uint8Array(G);
      for (let k = 0; k < sub.length; k++) m[sub[k]!] = 1;
      return m;
    });
    const P = this.P;
    this.totals = new Float64Array(this.nSubsets * P);
    opts.subsets.forEach((sub, k) => {
      const t = this.totals.subarray(k * P, (k + 1) * P);
      for (let a = 0; a < sub.length; a++) {
        const ob = sub[a]! * P;
        for (let q = 0; q < P; q++) t[q] = t[q]! + outer[ob + q]!;
      }
    });
  }

  /**
   * Buffers for rows of L doubles and `breaks` snapshots, in a kernel arena when WebAssembly SIMD
   * is available (grown when a sample needs more multipliers).
   */
  private searchBuffers(L: number, breaks: number): SearchBuffers {
    if (this.buffers && breaks <= this.buffers.snap.length / L) return this.buffers;
    const nb = Math.max(breaks, 64);
    const sizes = { data: this.G * L, idx: Math.ceil(this.G / 2), breaks: Math.ceil(nb / 2), acc: L, snap: nb * L };
    const arena = WasmArena.create<SearchRegion>(sizes);
    this.buffers = arena
      ? { ...arena.view, idx: arena.int32('idx'), breaks: arena.int32('breaks'), arena }
      : {
          data: new Float64Array(sizes.data),
          idx: new Int32Array(this.G),
          breaks: new Int32Array(nb),
          acc: new Float64Array(L),
          snap: new Float64Array(sizes.snap),
          arena: null,
        };
    return this.buffers;
  }

  /**
   * The dampening constant for one sample.
   * @param y bulk sample (length G); @param x0 its NNLS solution (length C).
   * @returns the multiplier 2^j and the number of multipliers tried.
   */
  find(y: Float64Array, x0: Float64Array): { dampening: number; nMultipliers: number } {
    const { S, G, C, P, outer } = this;
    const ws = new Float64Array(G);
    let wmin = Number.POSITIVE_INFINITY;
    for (let g = 0; g < G; g++) {
      let f = 0;
      for (let c = 0; c < C; c++) f += S[g * C + c]! * x0[c]!;
      const v = 1 / f;
      ws[g] = v * v;
      if (ws[g]! < wmin) wmin = ws[g]!;
    }
    let maxFinite = Number.NEGATIVE_INFINITY;
    for (let g = 0; g < G; g++) {
      ws[g] = ws[g]! / wmin;
      if (Number.isFinite(ws[g]!) && ws[g]! > maxFinite) maxFinite = ws[g]!;
    }
    if (maxFinite === Number.NEGATIVE_INFINITY) return { dampening: 1, nMultipliers: 0 };
    const nMult = Math.ceil(Math.log2(maxFinite));
    if (!(nMult > 0)) return { dampening: 1, nMultipliers: 0 };
    let scaleTo = 0;
    for (let c = 0; c < C; c++) scaleTo += x0[c]!;

    // Genes by increasing weight (NaN/inf last), the order of the prefix sums.
    const order = Int32Array.from({ length: G }, (_, g) => g).sort((a, b) => {
      const wa = ws[a]!;
      const wb = ws[b]!;
      return wa < wb ? -1 : wa > wb ? 1 : Number.isNaN(wa) ? (Number.isNaN(wb) ? 0 : 1) : Number.isNaN(wb) ? -1 : 0;
    });
    // Gene rows in sorted order, [ŵ s sᵀ | s sᵀ | ŵ y s | y s] (packed s sᵀ): the subset sums below
    // are prefix sums of these rows (SIMD kernel, or the same loop in JavaScript).
    const nS = this.nSubsets;
    const sortedMember = new Int32Array(G);
    for (let q = 0; q < G; q++) sortedMember[q] = order[q]!;
    const rowLen = (2 * P + 2 * C + 1) & ~1;
    const buf = this.searchBuffers(rowLen, nMult + 1);
    const D = buf.data;
    for (let q = 0; q < G; q++) {
      const g = order[q]!;
      const wg = ws[g]!;
      const ob = g * P;
      const row = q * rowLen;
      const yg = y[g]!;
      for (let t = 0; t < P; t++) {
        const o = outer[ob + t]!;
        D[row + t] = wg * o;
        D[row + P + t] = o;
      }
      for (let c = 0; c < C; c++) {
        const ys = yg * S[g * C + c]!;
        D[row + 2 * P + c] = wg * ys;
        D[row + 2 * P + C + c] = ys;
      }
    }
    // qEnd[j]: sorted genes with ŵ ≤ 2^j (they take weight ŵ for multiplier j, the rest 2^j).
    const qEnd = new Int32Array(nMult);
    {
      let q = 0;
      let m = 1;
      for (let j = 0; j < nMult; j++, m *= 2) {
        while (q < G && ws[order[q]!]! <= m) q++;
        qEnd[j] = q;
      }
    }
    const sols = new Float64Array(nMult * nS * C);
    const valid = new Uint8Array(nMult * nS);
    // Snapshot j (row j of `snap`, rowLen apart): [Σ ŵ s sᵀ | Σ s sᵀ | Σ ŵ y s | Σ y s] over the
    // subset's genes with ŵ ≤ 2^j; row nMult: the same over all its genes (only Σ y s is used).
    const snap = buf.snap;
    const oB = P;
    const oRA = 2 * P;
    const oRB = 2 * P + C;
    const packed = new Float64Array(P);
    const H = new Float64Array(C * C);
    const L = new Float64Array(C * C);
    const r = new Float64Array(C);
    const memQ = new Int32Array(G);
    const memEnd = new Int32Array(nMult);
    const totals = this.totals;
    for (let k = 0; k < nS; k++) {
      const mem = this.member[k]!;
      let nm = 0;
      for (let q = 0; q < G; q++) if (mem[sortedMember[q]!]) memQ[nm++] = q;
      for (let j = 0, idx = 0; j < nMult; j++) {
        const e = qEnd[j]!;
        while (idx < nm && memQ[idx]! < e) idx++;
        memEnd[j] = idx;
      }
      // Prefix sums over the subset's genes in weight order, snapshotted at every multiplier and
      // (last break) over all its genes, for Σ y s.
      buf.idx.set(memQ.subarray(0, nm));
      buf.breaks.set(memEnd.subarray(0, nMult));
      buf.breaks[nMult] = nm;
      if (buf.arena) buf.arena.accSnap(nm, 'idx', rowLen, 'data', nMult + 1, 'breaks', 'acc', 'snap');
      else accSnapJs(nm, buf.idx, rowLen, D, nMult + 1, buf.breaks, buf.acc, snap);
      // Snapshot row nMult holds Σ_{subset} y s (all members); totals hold Σ_{subset} s sᵀ.
      const tb = k * P;
      let mj = 1;
      for (let jj = 0; jj < nMult; jj++, mj *= 2) {
        const sa = jj * rowLen;
        for (let t = 0; t < P; t++) packed[t] = snap[sa + t]! + mj * (totals[tb + t]! - snap[sa + oB + t]!);
        const sAll = nMult * rowLen + oRB;
        for (let c = 0; c < C; c++) r[c] = snap[sa + oRA + c]! + mj * (snap[sAll + c]! - snap[sa + oRB + c]!);
        const ob = (jj * nS + k) * C;
        solvePackedSpd(C, packed, r, sols, ob, L, H);
        let sb = 0;
        for (let c = 0; c < C; c++) sb += sols[ob + c]!;
        if (sb === 0 || !Number.isFinite(sb)) continue; // spec edge case (c): skip the replicate
        valid[jj * nS + k] = 1;
        const f = scaleTo / sb;
        for (let c = 0; c < C; c++) sols[ob + c] = sols[ob + c]! * f;
      }
    }
    let best = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let jj = 0; jj < nMult; jj++) {
      let score = 0;
      for (let c = 0; c < C; c++) {
        let n = 0;
        let mean = 0;
        for (let k = 0; k < nS; k++) {
          if (!valid[jj * nS + k]) continue;
          n++;
          mean += sols[(jj * nS + k) * C + c]!;
        }
        if (n === 0) {
          score = Number.POSITIVE_INFINITY;
          break;
        }
        mean /= n;
        let v = 0;
        for (let k = 0; k < nS; k++) {
          if (!valid[jj * nS + k]) continue;
          const e = sols[(jj * nS + k) * C + c]! - mean;
          v += e * e;
        }
        score += v / n; // np.std ddof=0, squared
      }
      score /= C;
      if (score < bestScore) {
        bestScore = score;
        best = jj;
      }
    }
    return { dampening: 2 ** best, nMultipliers: nMult };
  }
}

/**
 * Solves H β = r for a packed (row-major upper) symmetric PSD H into out[o .. o+C): Cholesky, or
 * the minimum-norm (pseudo-inverse) solution when H is singular (statsmodels WLS uses pinv).
 * `L` and `H` are C x C scratch buffers.
 */
function solvePackedSpd(
  C: number,
  packed: Float64Array,
  r: Float64Array,
  out: Float64Array,
  o: number,
  L: Float64Array,
  H: Float64Array,
): void {
  let maxDiag = 0;
  for (let a = 0, k = 0; a < C; k += C - a, a++) if (packed[k]! > maxDiag) maxDiag = packed[k]!;
  const tol = 1e-14 * maxDiag;
  let ok = true;
  // Lower triangle of H, unpacked once (plain indexing in the factorisation below).
  for (let a = 0, k = 0; a < C; a++) for (let b = a; b < C; b++, k++) H[b * C + a] = packed[k]!;
  // Lower factor L (row-major) of H.
  for (let i = 0; i < C && ok; i++) {
    for (let j = 0; j <= i; j++) {
      let s = H[i * C + j]!;
      const li = i * C;
      const lj = j * C;
      for (let q = 0; q < j; q++) s -= L[li + q]! * L[lj + q]!;
      if (i === j) {
        if (!(s > tol)) {
          ok = false;
          break;
        }
        L[li + i] = Math.sqrt(s);
      } else L[li + j] = s / L[lj + j]!;
    }
  }
  if (ok) {
    for (let i = 0; i < C; i++) {
      let s = r[i]!;
      for (let q = 0; q < i; q++) s -= L[i * C + q]! * out[o + q]!;
      out[o + i] = s / L[i * C + i]!;
    }
    for (let i = C - 1; i >= 0; i--) {
      let s = out[o + i]!;
      for (let q = i + 1; q < C; q++) s -= L[q * C + i]! * out[o + q]!;
      out[o + i] = s / L[i * C + i]!;
    }
    return;
  }
  unpackSymmetric(C, packed, H);
  const { P } = pinv(C, C, H, 1e-13);
  for (let a = 0; a < C; a++) {
    let s = 0;
    for (let b = 0; b < C; b++) s += P[a * C + b]! * r[b]!;
    out[o + a] = s;
  }
}
