/**
 * The simplex reparametrisation of DeCovarT (seed 002, App. A.4, Eqs. 13–17): θ ∈ R^{J−1} ↦ p on the
 * open simplex, p_j = e^{θ_j}/A (j < J), p_J = 1/A, A = 1 + Σ_{k<J} e^{θ_k}. It is a softmax with
 * θ_J ≡ 0, which gives the compact forms used here; `mappingHessianExplicit` keeps the seed's
 * case-by-case formulas (Eq. 15, index typo fixed) so the tests can check one against the other.
 *
 * All matrices are full (never "fill the upper triangle and copy", which the R package gets wrong
 * for J ≥ 4, see specs/decovart.md "Code flag").
 */

/**
 * ψ(θ): proportions from the J−1 free parameters (max-shifted softmax, so large θ never overflow).
 *
 * @param theta length J−1.
 * @param out length J, receives p (p_j > 0, Σ p = 1 up to rounding).
 * @example
 * const p = new Float64Array(3);
 * thetaToP(new Float64Array([0, 0]), p); // p = [1/3, 1/3, 1/3]
 */
export function thetaToP(theta: ArrayLike<number>, out: Float64Array): Float64Array {
  const m = theta.length;
  let mx = 0; // θ_J = 0
  for (let k = 0; k < m; k++) if (theta[k]! > mx) mx = theta[k]!;
  let s = Math.exp(-mx);
  out[m] = s;
  for (let k = 0; k < m; k++) {
    const e = Math.exp(theta[k]! - mx);
    out[k] = e;
    s += e;
  }
  for (let k = 0; k <= m; k++) out[k] = out[k]! / s;
  return out;
}

/**
 * ψ⁻¹(p): θ_j = ln(p_j / p_J). Proportions are floored at `floor` first so a zero from NNLS maps to
 * a finite (very negative) θ.
 */
export function pToTheta(p: ArrayLike<number>, out: Float64Array, floor = 1e-8): Float64Array {
  const m = p.length - 1;
  const pj = Math.max(p[m]!, floor);
  for (let k = 0; k < m; k++) out[k] = Math.log(Math.max(p[k]!, floor) / pj);
  return out;
}

/**
 * Jacobian J_ψ (J x (J−1), row-major): ∂p_i/∂θ_k = p_i(δ_ik − p_k) (δ_Jk = 0).
 */
export function mappingJacobian(p: ArrayLike<number>, out: Float64Array): Float64Array {
  const J = p.length;
  const m = J - 1;
  for (let i = 0; i < J; i++) {
    for (let k = 0; k < m; k++) out[i * m + k] = p[i]! * ((i === k ? 1 : 0) - p[k]!);
  }
  return out;
}

/**
 * Mapping Hessian ∂²p_i/∂θ_j∂θ_k, stored as J slices of (J−1) x (J−1): index (i*m + j)*m + k.
 * Softmax form: p_i[(δ_ij − p_j)(δ_ik − p_k) − p_k(δ_jk − p_j)].
 */
export function mappingHessian(p: ArrayLike<number>, out: Float64Array): Float64Array {
  const J = p.length;
  const m = J - 1;
  for (let i = 0; i < J; i++) {
    const pi = p[i]!;
    for (let j = 0; j < m; j++) {
      const a = (i === j ? 1 : 0) - p[j]!;
      for (let k = 0; k < m; k++) {
        const b = (i === k ? 1 : 0) - p[k]!;
        out[(i * m + j) * m + k] = pi * (a * b - p[k]! * ((j === k ? 1 : 0) - p[j]!));
      }
    }
  }
  return out;
}

/**
 * The seed's explicit mapping Hessian (Eq. 15 (a)–(f), in terms of e^{θ} and A), same layout as
 * {@link mappingHessian}. Only for tests and the record; the optimiser uses the softmax form.
 */
export function mappingHessianExplicit(theta: ArrayLike<number>, out: Float64Array): Float64Array {
  const m = theta.length;
  const J = m + 1;
  const e = Array.from({ length: m }, (_, k) => Math.exp(theta[k]!));
  const A = 1 + e.reduce((s, x) => s + x, 0);
  const A3 = A * A * A;
  for (let i = 0; i < J; i++) {
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < m; k++) {
        let v: number;
        if (i === m) {
          v = j === k ? (e[j]! * (2 * e[j]! - A)) / A3 : (2 * e[j]! * e[k]!) / A3;
        } else {
          const ei = e[i]!;
          const Bi = A - ei;
          if (j === i && k === i) v = (ei * Bi * (Bi - ei)) / A3;
          else if (j === k) v = (ei * e[j]! * (2 * e[j]! - A)) / A3;
          else if (j === i || k === i) {
            const l = j === i ? k : j;
            v = (ei * e[l]! * (ei - Bi)) / A3;
          } else v = (2 * ei * e[j]! * e[k]!) / A3;
        }
        out[(i * m + j) * m + k] = v;
      }
    }
  }
  return out;
}

/**
 * Chain rule (seed Eqs. 16–17): ∇_θ = J_ψᵀ ∇_p and H_θ = J_ψᵀ H_p J_ψ + Σ_i (∇_p)_i ∇²_θ p_i.
 *
 * @param p proportions (length J).
 * @param gradP ∇_p f (length J).
 * @param hessP H_p (J x J row-major), or null for the gradient only.
 * @param gradOut length J−1.
 * @param hessOut (J−1) x (J−1) row-major (ignored when hessP is null).
 */
export function chainRule(
  p: Float64Array,
  gradP: Float64Array,
  hessP: Float64Array | null,
  gradOut: Float64Array,
  hessOut: Float64Array,
): void {
  const J = p.length;
  const m = J - 1;
  const jac = mappingJacobian(p, new Float64Array(J * m));
  for (let k = 0; k < m; k++) {
    let s = 0;
    for (let i = 0; i < J; i++) s += jac[i * m + k]! * gradP[i]!;
    gradOut[k] = s;
  }
  if (!hessP) return;
  const mh = mappingHessian(p, new Float64Array(J * m * m));
  const hj = new Float64Array(J * m); // H_p J_ψ
  for (let i = 0; i < J; i++) {
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let l = 0; l < J; l++) s += hessP[i * J + l]! * jac[l * m + k]!;
      hj[i * m + k] = s;
    }
  }
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      let s = 0;
      for (let i = 0; i < J; i++) s += jac[i * m + a]! * hj[i * m + b]! + gradP[i]! * mh[(i * m + a) * m + b]!;
      hessOut[a * m + b] = s;
    }
  }
}
