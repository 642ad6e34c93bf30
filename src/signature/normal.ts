/**
 * The complementary error function and two-sided normal p-values, to full double precision.
 *
 * JavaScript has no `erfc`; `1 - erf` loses every digit of small p-values. This follows the
 * rational approximations of Sun's fdlibm `s_erf.c` (FreeBSD msun, musl), accurate to < 1 ulp,
 * which is also what scipy's `norm.sf` ends up calling through cephes `ndtr`/`erfc` within a few ulp.
 */

const ERX = 0.8450629115104675;
// erf on [0, 0.84375]
const PP = [0.12837916709551256, -0.3250421072470015, -0.02848174957559851, -0.005770270296489442, -0.000023763016656650163];
const QQ = [0.39791722395915535, 0.0650222499887673, 0.005081306281875766, 0.00013249473800432164, -0.000003960228278775368];
// erf on [0.84375, 1.25]
const PA = [
  -0.0023621185607526594, 0.41485611868374833, -0.3722078760357013, 0.31834661990116175, -0.11089469428239668, 0.035478304325618236,
  -0.002166375594868791,
];
const QA = [0.10642088040084423, 0.540397917702171, 0.07182865441419627, 0.12617121980876164, 0.01363708391202905, 0.011984499846799107];
// erfc on [1.25, 1/0.35]
const RA = [
  -0.009864944034847148, -0.6938585727071818, -10.558626225323291, -62.375332450326006, -162.39666946257347, -184.60509290671104,
  -81.2874355063066, -9.814329344169145,
];
const SA = [
  19.651271667439257, 137.65775414351904, 434.56587747522923, 645.3872717332679, 429.00814002756783, 108.63500554177944, 6.570249770319282,
  -0.0604244152148581,
];
// erfc on [1/0.35, 28]
const RB = [
  -0.0098649429247001, -0.799283237680523, -17.757954917754752, -160.63638485582192, -637.5664433683896, -1025.0951316110772,
  -483.5191916086514,
];
const SB = [
  30.33806074348246, 325.7925129965739, 1536.729586084437, 3199.8582195085955, 2553.0504064331644, 474.52854120695537, -22.44095244658582,
];

/** c[0] + s c[1] + s^2 c[2] ... (Horner). */
function poly(c: readonly number[], s: number): number {
  let r = c[c.length - 1] as number;
  for (let k = c.length - 2; k >= 0; k--) r = r * s + (c[k] as number);
  return r;
}

/** 1 + s q[0] + s^2 q[1] ... */
function poly1(q: readonly number[], s: number): number {
  return 1 + s * poly(q, s);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// index of the low 32-bit word of a double (little-endian on every platform Node runs on)
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** x with the low 32 bits of its mantissa cleared (fdlibm's SET_LOW_WORD(z, 0)): exp(-z*z) is then exact enough. */
function truncLow(x: number): number {
  f64[0] = x;
  u32[LO] = 0;
  return f64[0] as number;
}

/**
 * Complementary error function erfc(x) = 1 - erf(x), accurate in the tails.
 *
 * @param x - any number.
 * @returns erfc(x) in [0, 2].
 * @example
 * erfc(0); // 1
 * erfc(10); // 2.088487583762545e-45
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -56) return 1 - x;
    const z = x * x;
    const r = poly(PP, z);
    const s = poly1(QQ, z);
    const q = r / s;
    if (x < 0.25) return 1 - (x + x * q);
    return 0.5 - (x - 0.5 + x * q);
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const P = poly(PA, s);
    const Q = poly1(QA, s);
    return x >= 0 ? 1 - ERX - P / Q : 1 + (ERX + P / Q);
  }
  if (ax < 28) {
    const s = 1 / (ax * ax);
    let R: number;
    let S: number;
    if (ax < 1 / 0.35) {
      R = poly(RA, s);
      S = poly1(SA, s);
    } else {
      if (x < -6) return 2;
      R = poly(RB, s);
      S = poly1(SB, s);
    }
    const z = truncLow(ax);
    const r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S);
    return x > 0 ? r / ax : 2 - r / ax;
  }
  return x > 0 ? 0 : 2;
}

/**
 * Two-sided p-value of a standard normal statistic: 2 * P(Z > |z|) = erfc(|z| / sqrt 2), the value
 * of scanpy's `2 * norm.sf(abs(z))`.
 *
 * @param z - the z-score (NaN gives NaN).
 * @returns p in [0, 1].
 * @example
 * twoSidedNormalP(1.959963984540054); // 0.05
 */
export function twoSidedNormalP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}
