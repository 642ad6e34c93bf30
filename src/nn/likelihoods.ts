/**
 * Count likelihoods of scVI-type models, as tensors (float32) with their gradients, plus float64
 * scalar versions of the same formulas (references for tests and diagnostics).
 *
 * Parametrisation of scvi-tools `src/scvi/distributions/_negative_binomial.py` (`log_nb_positive`,
 * `log_zinb_positive`), eps = 1e-8:
 * - NB(x; μ, θ) = θ(log(θ+eps) − log(θ+μ+eps)) + x(log(μ+eps) − log(θ+μ+eps))
 *                 + lgamma(x+θ) − lgamma(θ) − lgamma(x+1).
 * - ZINB(x; μ, θ, π) with π the LOGIT of the zero-inflation probability:
 *   sp = softplus(−π), a = −π + θ(log(θ+eps) − log(θ+μ+eps));
 *   x < eps: softplus(a) − sp;  else: −sp + a + x(log(μ+eps) − log(θ+μ+eps)) + lgamma(x+θ) − lgamma(θ) − lgamma(x+1).
 *
 * tfjs has no `lgamma`, so {@link lgamma} is built from elementwise ops: shift small arguments up by
 * 6 (lgamma(x) = lgamma(x+6) − log(x(x+1)…(x+5))) and use the Stirling series with three correction
 * terms (truncation error < 2e-9 for z ≥ 6). Its gradient, the digamma function, is the same shift
 * (ψ(x) = ψ(x+6) − Σ 1/(x+k)) plus the asymptotic series. Both accept x > 0 only (all our arguments
 * are θ, x+θ, x+1 with θ > 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js';

/** scvi-tools' eps inside the logs. */
export const NB_EPS = 1e-8;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Arguments below this are shifted by 6 before the asymptotic series. */
const SHIFT_BELOW = 6;

// ---------------------------------------------------------------- float64 scalar references

/**
 * log Γ(x) for x > 0 in float64 (same shift-and-Stirling scheme as the tensor version; max relative
 * error ~1e-12 against scipy.special.gammaln on x ∈ [1e-6, 1e8]).
 */
export function lgammaF64(x: number): number {
  let shift = 0;
  let z = x;
  if (z < SHIFT_BELOW) {
    let p = 1;
    while (z < SHIFT_BELOW) {
      p *= z;
      z += 1;
    }
    shift = Math.log(p);
  }
  const zi = 1 / z;
  const zi2 = zi * zi;
  const series = zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 / 1680)));
  return (z - 0.5) * Math.log(z) - z + HALF_LOG_2PI + series - shift;
}

/** ψ(x) = d/dx log Γ(x) for x > 0, float64. */
export function digammaF64(x: number): number {
  let acc = 0;
  let z = x;
  while (z < SHIFT_BELOW) {
    acc -= 1 / z;
    z += 1;
  }
  const zi = 1 / z;
  const zi2 = zi * zi;
  return acc + Math.log(z) - 0.5 * zi - zi2 * (1 / 12 - zi2 * (1 / 120 - zi2 * (1 / 252 - zi2 * (1 / 240 - zi2 / 132))));
}

function softplusF64(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log NB(x; μ, θ) in float64, scvi-tools formula. */
export function logNbF64(x: number, mu: number, theta: number, eps = NB_EPS): number {
  const lt = Math.log(theta + eps);
  const ltm = Math.log(theta + mu + eps);
  return theta * (lt - ltm) + x * (Math.log(mu + eps) - ltm) + lgammaF64(x + theta) - lgammaF64(theta) - lgammaF64(x + 1);
}

/** log ZINB(x; μ, θ, π-logit) in float64, scvi-tools formula. */
export function logZinbF64(x: number, mu: number, theta: number, pi: number, eps = NB_EPS): number {
  const sp = softplusF64(-pi);
  const lt = Math.log(theta + eps);
  const ltm = Math.log(theta + mu + eps);
  const a = -pi + theta * (lt - ltm);
  if (x < eps) return softplusF64(a) - sp;
  return -sp + a + x * (Math.log(mu + eps) - ltm) + lgammaF64(x + theta) - lgammaF64(theta) - lgammaF64(x + 1);
}

// ---------------------------------------------------------------- tensors

/** The shift part: returns (z, log of the product removed), both tensors of x's shape. */
function shifted(x: tf.Tensor): { z: tf.Tensor; logProd: tf.Tensor } {
  const small = tf.less(x, SHIFT_BELOW);
  // x(x+1)…(x+5) stays well inside float32 for x < 6 (≤ 11!/5! ≈ 3.3e5).
  let p = x;
  for (let k = 1; k < 6; k++) p = tf.mul(p, tf.add(x, k));
  const logProd = tf.where(small, tf.log(p), tf.zerosLike(x));
  const z = tf.where(small, tf.add(x, 6), x);
  return { z, logProd };
}

function lgammaForward(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { z, logProd } = shifted(x);
    const zi = tf.reciprocal(z);
    const zi2 = tf.square(zi);
    // Horner form of 1/(12z) − 1/(360z³) + 1/(1260z⁵) − 1/(1680z⁷).
    const series = tf.mul(zi, tf.sub(1 / 12, tf.mul(zi2, tf.sub(1 / 360, tf.mul(zi2, tf.sub(1 / 1260, tf.mul(zi2, 1 / 1680)))))));
    const main = tf.sub(tf.mul(tf.sub(z, 0.5), tf.log(z)), z);
    return tf.sub(tf.add(tf.add(main, HALF_LOG_2PI), series), logProd);
  });
}

/**
 * Digamma ψ(x) of a float32 tensor (x > 0), no gradient of its own.
 *
 * @param x - Any shape, positive values.
 * @returns ψ(x), same shape.
 */
export function digamma(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const small = tf.less(x, SHIFT_BELOW);
    // Σ_{k=0..5} 1/(x+k) only where x is small.
    let acc = tf.reciprocal(x);
    for (let k = 1; k < 6; k++) acc = tf.add(acc, tf.reciprocal(tf.add(x, k)));
    const corr = tf.where(small, acc, tf.zerosLike(x));
    const z = tf.where(small, tf.add(x, 6), x);
    const zi = tf.reciprocal(z);
    const zi2 = tf.square(zi);
    const series = tf.mul(zi2, tf.sub(1 / 12, tf.mul(zi2, tf.sub(1 / 120, tf.mul(zi2, tf.sub(1 / 252, tf.mul(zi2, 1 / 240)))))));
    return tf.sub(tf.sub(tf.sub(tf.log(z), tf.mul(zi, 0.5)), series), corr);
  });
}

/**
 * log Γ(x) of a float32 tensor (x > 0), differentiable (gradient ψ(x) via {@link digamma}).
 *
 * @param x - Any shape, positive values.
 * @returns log Γ(x), same shape. Float32: relative error ≤ ~1e-6 where |log Γ| ≥ 0.1 (absolute
 *   ≤ ~3e-7 near the zeros at 1 and 2); see test/nn/likelihoods.test.ts for the measured figures.
 * @example
 * ```ts
 * lgamma(tf.tensor1d([1, 5])); // [0, log 24]
 * ```
 */
export const lgamma: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: lgammaForward(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, digamma(saved[0] as tf.Tensor)),
  };
  // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
}) as any) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * log(1+x) accurate for small x on every backend (the wasm kernel computes log(1+x) naively and loses
 * all digits below x ≈ 1e-7): log1p(x) = log(u)·x/(u−1) with u = 1+x rounded (Goldberg's trick).
 */
export function log1pAccurate(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(x, 1);
    const d = tf.sub(u, 1);
    const isExact = tf.equal(d, 0);
    const ratio = tf.div(x, tf.where(isExact, tf.onesLike(d), d));
    return tf.where(isExact, x, tf.mul(tf.log(u), ratio));
  });
}

function stirlingSeries(z: tf.Tensor): tf.Tensor {
  const zi = tf.reciprocal(z);
  const zi2 = tf.square(zi);
  return tf.mul(zi, tf.sub(1 / 12, tf.mul(zi2, tf.sub(1 / 360, tf.mul(zi2, tf.sub(1 / 1260, tf.mul(zi2, 1 / 1680)))))));
}

function lgammaDiffForward(x: tf.Tensor, theta: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.add(x, theta);
    const s1 = shifted(a);
    const s2 = shifted(theta);
    // Stirling(z1) − Stirling(z2) with d = z1 − z2, written so nothing large cancels:
    // (z2 − ½) log1p(d/z2) + d log z1 − d + s(z1) − s(z2).
    const d = tf.sub(s1.z, s2.z);
    const main = tf.add(tf.mul(tf.sub(s2.z, 0.5), log1pAccurate(tf.div(d, s2.z))), tf.sub(tf.mul(d, tf.log(s1.z)), d));
    const series = tf.sub(stirlingSeries(s1.z), stirlingSeries(s2.z));
    return tf.sub(tf.add(main, series), tf.sub(s1.logProd, s2.logProd));
  });
}

/**
 * lgamma(x + θ) − lgamma(θ), computed without the cancellation of two large lgammas (θ ≫ 1 is the
 * near-Poisson regime of NB models, where float32 would otherwise lose 3 digits). Broadcasts like
 * `tf.add(x, theta)`; differentiable in both (∂x = ψ(x+θ), ∂θ = ψ(x+θ) − ψ(θ)).
 *
 * @param x - `[n, G]` (≥ 0).
 * @param theta - `[G]` or `[n, G]` (> 0).
 */
export const lgammaDiff: (x: tf.Tensor, theta: tf.Tensor) => tf.Tensor = tf.customGrad(((
  x: tf.Tensor,
  theta: tf.Tensor,
  save: tf.GradSaveFunc,
) => {
  save([x, theta]);
  return {
    value: lgammaDiffForward(x, theta),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, st] = saved as [tf.Tensor, tf.Tensor];
      const psiA = digamma(tf.add(sx, st));
      const gx = tf.mul(dy, psiA);
      const gt = tf.mul(dy, tf.sub(psiA, digamma(st)));
      const reduce = (g: tf.Tensor, shape: number[]) => {
        const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
        return tf.reshape(axes.length ? tf.sum(g, axes) : g, shape);
      };
      return [reduce(gx, sx.shape), reduce(gt, st.shape)];
    },
  };
  // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
}) as any) as unknown as (x: tf.Tensor, theta: tf.Tensor) => tf.Tensor;

/**
 * θ(log(θ+eps) − log(θ+μ+eps)) written as −θ·log1p(μ/(θ+eps)): the same number, but without the
 * cancellation of two close logs when θ ≫ μ.
 */
function thetaLogRatio(theta: tf.Tensor, mu: tf.Tensor): tf.Tensor {
  return tf.neg(tf.mul(theta, log1pAccurate(tf.div(mu, tf.add(theta, NB_EPS)))));
}

/** Options of {@link logNb} / {@link logZinb}. */
export interface CountLikelihoodOptions {
  /**
   * Include the −lgamma(x+1) term (default true). It does not depend on the parameters, so a
   * training loop may drop it here and subtract its per-cell sums ({@link lgammaX1RowSums}, computed
   * in float64 from the sparse counts) after summing over genes: same value, one op less per element.
   */
  includeLgammaX1?: boolean;
}

/**
 * Elementwise log NB(x; μ, θ) (scvi-tools `log_nb_positive`, not summed).
 *
 * @param x - Counts `[n, G]` (≥ 0).
 * @param mu - Means `[n, G]` (> 0).
 * @param theta - Inverse dispersion, `[G]` or `[n, G]` (> 0).
 * @returns `[n, G]` log-probabilities.
 */
export function logNb(x: tf.Tensor, mu: tf.Tensor, theta: tf.Tensor, opts: CountLikelihoodOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const logThetaMu = tf.log(tf.add(tf.add(theta, mu), NB_EPS));
    const a = thetaLogRatio(theta, mu);
    const b = tf.mul(x, tf.sub(tf.log(tf.add(mu, NB_EPS)), logThetaMu));
    const res = tf.add(tf.add(a, b), lgammaDiff(x, theta));
    return opts.includeLgammaX1 === false ? res : tf.sub(res, lgamma(tf.add(x, 1)));
  });
}

/**
 * Elementwise log ZINB(x; μ, θ, π) (scvi-tools `log_zinb_positive`, not summed).
 *
 * @param x - Counts `[n, G]` (≥ 0).
 * @param mu - Means `[n, G]` (> 0).
 * @param theta - Inverse dispersion `[G]` or `[n, G]` (> 0).
 * @param piLogits - Zero-inflation logits `[n, G]`.
 * @returns `[n, G]` log-probabilities.
 */
export function logZinb(x: tf.Tensor, mu: tf.Tensor, theta: tf.Tensor, piLogits: tf.Tensor, opts: CountLikelihoodOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const spNeg = tf.softplus(tf.neg(piLogits));
    const logThetaMu = tf.log(tf.add(tf.add(theta, mu), NB_EPS));
    const piThetaLog = tf.sub(thetaLogRatio(theta, mu), piLogits);
    const caseZero = tf.sub(tf.softplus(piThetaLog), spNeg);
    let nonZero = tf.add(
      tf.add(tf.sub(piThetaLog, spNeg), tf.mul(x, tf.sub(tf.log(tf.add(mu, NB_EPS)), logThetaMu))),
      lgammaDiff(x, theta),
    );
    if (opts.includeLgammaX1 !== false) nonZero = tf.sub(nonZero, lgamma(tf.add(x, 1)));
    return tf.where(tf.less(x, NB_EPS), caseZero, nonZero);
  });
}

let logFactorials: Float64Array | undefined;

/** log(k!) for k < 65,536 (raw counts are integers: a table lookup beats the series). */
function logFactorialTable(): Float64Array {
  if (!logFactorials) {
    logFactorials = new Float64Array(65536);
    for (let k = 2; k < 65536; k++) logFactorials[k] = (logFactorials[k - 1] as number) + Math.log(k);
  }
  return logFactorials;
}

/**
 * Σ_g lgamma(x_ig + 1) per row of a dense float32 batch, in float64 (zeros contribute 0).
 *
 * @param x - Row-major `[n, G]` counts.
 * @param n - Rows.
 * @param g - Columns.
 * @returns Length-n Float64Array.
 */
export function lgammaX1RowSums(x: Float32Array, n: number, g: number): Float64Array {
  const table = logFactorialTable();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * g;
    for (let j = 0; j < g; j++) {
      const v = x[base + j] as number;
      if (v > 0) s += v < table.length && Number.isInteger(v) ? (table[v] as number) : lgammaF64(v + 1);
    }
    out[i] = s;
  }
  return out;
}

/**
 * {@link logZinb} (without the −lgamma(x+1) term) as ONE differentiable op with an analytic gradient.
 *
 * Why: autodiff through the composite expression records ~100 elementwise ops on `[n, G]` tensors
 * (about 2.6 GB of saved intermediates at the paper's batch of 2,048 x 2,500) and replays them
 * backwards. The closed-form derivatives need ~40 ops and keep only the inputs. With t = θ+μ+eps,
 * a = θ(log(θ+eps) − log t) and s = sigmoid(a − π):
 * - x = 0: ∂μ = s·(−θ/t), ∂θ = s·∂a/∂θ, ∂π = sigmoid(−π) − s;
 * - x > 0: ∂μ = −θ/t + x/(μ+eps) − x/t, ∂θ = ∂a/∂θ − x/t + ψ(x+θ) − ψ(θ), ∂π = −sigmoid(π);
 * with ∂a/∂θ = a/θ + θ/(θ+eps) − θ/t. Checked against autodiff of {@link logZinb} and finite differences.
 *
 * @param x - Counts `[n, G]` (data: no gradient).
 * @param mu - Means `[n, G]`.
 * @param theta - Inverse dispersion `[G]`.
 * @param piLogits - Zero-inflation logits `[n, G]`.
 * @returns `[n, G]` log-probabilities without −lgamma(x+1).
 */
export function logZinbFused(x: tf.Tensor, mu: tf.Tensor, theta: tf.Tensor, piLogits: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((m: tf.Tensor, th: tf.Tensor, pi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([m, th, pi]);
    return {
      value: logZinb(x, m, th, pi, { includeLgammaX1: false }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sm, sth, spi] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const thEps = tf.add(sth, NB_EPS);
        const t = tf.add(sm, thEps);
        const a = thetaLogRatio(sth, sm);
        const thOverT = tf.div(sth, t);
        const dAdMu = tf.neg(thOverT);
        const dAdTh = tf.sub(tf.add(tf.div(a, sth), tf.div(sth, thEps)), thOverT);
        const s = tf.sigmoid(tf.sub(a, spi));
        const xOverT = tf.div(x, t);
        const isZero = tf.less(x, NB_EPS);
        const gMu = tf.where(isZero, tf.mul(s, dAdMu), tf.sub(tf.add(dAdMu, tf.div(x, tf.add(sm, NB_EPS))), xOverT));
        const psiDiff = tf.sub(digamma(tf.add(x, sth)), digamma(sth));
        const gTh = tf.where(isZero, tf.mul(s, dAdTh), tf.add(tf.sub(dAdTh, xOverT), psiDiff));
        const gPi = tf.where(isZero, tf.sub(tf.sigmoid(tf.neg(spi)), s), tf.neg(tf.sigmoid(spi)));
        const thGrad = tf.mul(dy, gTh);
        const axes = tf.broadcast_util.getReductionAxes(sth.shape, thGrad.shape);
        return [tf.mul(dy, gMu), tf.reshape(axes.length ? tf.sum(thGrad, axes) : thGrad, sth.shape), tf.mul(dy, gPi)];
      },
    };
    // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
  }) as any) as unknown as (m: tf.Tensor, th: tf.Tensor, pi: tf.Tensor) => tf.Tensor;
  return f(mu, theta, piLogits);
}

/**
 * {@link logNb} (without the −lgamma(x+1) term) as ONE differentiable op with an analytic gradient,
 * for the same reason as {@link logZinbFused} (the DGD's decoder loss and bulk fit). With
 * t = θ+μ+eps and a = θ(log(θ+eps) − log t):
 * ∂μ = −θ/t + x/(μ+eps) − x/t, ∂θ = a/θ + θ/(θ+eps) − θ/t − x/t + ψ(x+θ) − ψ(θ).
 * Checked against autodiff of {@link logNb} (test/nn/likelihoods.test.ts).
 *
 * @param x - Counts `[n, G]` (data: no gradient).
 * @param mu - Means `[n, G]`.
 * @param theta - Inverse dispersion `[G]` or `[n, G]`.
 * @returns `[n, G]` log-probabilities without −lgamma(x+1).
 */
export function logNbFused(x: tf.Tensor, mu: tf.Tensor, theta: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((m: tf.Tensor, th: tf.Tensor, save: tf.GradSaveFunc) => {
    save([m, th]);
    return {
      value: logNb(x, m, th, { includeLgammaX1: false }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sm, sth] = saved as [tf.Tensor, tf.Tensor];
        const thEps = tf.add(sth, NB_EPS);
        const t = tf.add(sm, thEps);
        const thOverT = tf.div(sth, t);
        const xOverT = tf.div(x, t);
        const gMu = tf.sub(tf.sub(tf.div(x, tf.add(sm, NB_EPS)), thOverT), xOverT);
        const dAdTh = tf.sub(tf.add(tf.div(thetaLogRatio(sth, sm), sth), tf.div(sth, thEps)), thOverT);
        const gTh = tf.add(tf.sub(dAdTh, xOverT), tf.sub(digamma(tf.add(x, sth)), digamma(sth)));
        const thGrad = tf.mul(dy, gTh);
        const axes = tf.broadcast_util.getReductionAxes(sth.shape, thGrad.shape);
        return [tf.mul(dy, gMu), tf.reshape(axes.length ? tf.sum(thGrad, axes) : thGrad, sth.shape)];
      },
    };
    // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
  }) as any) as unknown as (m: tf.Tensor, th: tf.Tensor) => tf.Tensor;
  return f(mu, theta);
}
