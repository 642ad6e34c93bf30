/**
 * Adam as in PyTorch `torch.optim.Adam` (Kingma & Ba 2015), with PyTorch's L2-style `weight_decay`
 * (the decay is added to the gradient before the moment updates, not decoupled as in AdamW).
 *
 * Defaults are the scvi-tools TrainingPlan ones used by MixupVI/scVI: lr 1e-3, weight_decay 1e-6,
 * eps 0.01, betas (0.9, 0.999) [scvi-tools `src/scvi/train/_trainingplans.py`].
 *
 * Update for parameter p with gradient g at step t (1-based):
 *   g ← g + wd·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + eps).
 * Deterministic: no randomness, the same gradients give the same bytes.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Adam hyper-parameters. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** L2 weight decay added to the gradient (default 1e-6). */
  weightDecay?: number;
  /** Denominator epsilon (default 0.01, scvi-tools' choice). */
  eps?: number;
  beta1?: number;
  beta2?: number;
}

/** Adam's resumable state: the step count and the first/second moments of each variable. */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** scvi-tools TrainingPlan defaults. */
export const ADAM_DEFAULTS: Required<AdamOptions> = { lr: 1e-3, weightDecay: 1e-6, eps: 0.01, beta1: 0.9, beta2: 0.999 };

/** Adam optimiser over a fixed list of variables. */
export class Adam {
  readonly opts: Required<AdamOptions>;
  private readonly vars: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Number of updates applied so far. */
  step = 0;

  /**
   * @param variables - Trainable variables, in a fixed order.
   * @param opts - Hyper-parameters (defaults: {@link ADAM_DEFAULTS}).
   */
  constructor(variables: tf.Variable[], opts: AdamOptions = {}) {
    this.opts = { ...ADAM_DEFAULTS, ...stripUndefined(opts) };
    this.vars = variables;
    this.m = variables.map((x) => ownedVariable(tf.zerosLike(x), false));
    this.v = variables.map((x) => ownedVariable(tf.zerosLike(x), false));
  }

  /**
   * Applies one update.
   *
   * @param grads - Gradients by variable name (as returned by `tf.variableGrads`), or an array in
   *   the order of the constructor's variables. Missing gradients leave a variable untouched.
   * @param lr - Learning rate of this step (a schedule's value; default `opts.lr`).
   */
  apply(grads: Record<string, tf.Tensor> | (tf.Tensor | undefined)[], lr = this.opts.lr): void {
    this.step++;
    const { weightDecay, eps, beta1, beta2 } = this.opts;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (let i = 0; i < this.vars.length; i++) {
        const p = this.vars[i] as tf.Variable;
        const g0 = Array.isArray(grads) ? grads[i] : grads[p.name];
        if (!g0) continue;
        const g = weightDecay !== 0 ? tf.add(g0, tf.mul(p, weightDecay)) : g0;
        const m = this.m[i] as tf.Variable;
        const v = this.v[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.sqrt(tf.div(v, bc2)), eps);
        p.assign(tf.sub(p, tf.div(tf.mul(m, lr / bc1), denom)));
      }
    });
  }

  /** Step count and moment buffers, for checkpoints (copies). */
  exportState(): AdamState {
    return { step: this.step, m: this.m.map((t) => t.dataSync() as Float32Array), v: this.v.map((t) => t.dataSync() as Float32Array) };
  }

  /**
   * Restores {@link exportState}'s output (same variables, same order).
   *
   * @throws Error when the number or sizes of the buffers differ (a checkpoint of another model).
   */
  importState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) throw new Error('Adam state: wrong number of buffers');
    this.step = state.step;
    const put = (dst: tf.Variable[], src: Float32Array[]) =>
      dst.forEach((t, i) => {
        const a = src[i] as Float32Array;
        if (a.length !== t.size) throw new Error(`Adam state: buffer ${i} has ${a.length} values, expected ${t.size}`);
        t.assign(tf.tensor(a, t.shape));
      });
    tf.tidy(() => {
      put(this.m, state.m);
      put(this.v, state.v);
    });
  }

  /** Frees the moment buffers (not the parameters). */
  dispose(): void {
    for (const t of this.m) t.dispose();
    for (const t of this.v) t.dispose();
  }
}

/** `tf.variable(init)` keeps `init` alive; this disposes it (the variable keeps the data). */
export function ownedVariable<R extends tf.Rank>(init: tf.Tensor<R>, trainable = true, name?: string): tf.Variable<R> {
  const v = tf.variable(init, trainable, name);
  init.dispose();
  return v;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
