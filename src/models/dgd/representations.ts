/**
 * The table of free per-cell representations z_i (N x L, float32) with its own Adam optimiser.
 *
 * Why not a tfjs variable: a gather from an N-row variable has a gradient of N rows (tfjs' GatherV2
 * gradient scatters into a dense `[N, L]` tensor, and our registered one multiplies a dense
 * batch x N one-hot matrix), and Adam would then touch all N rows at every step. Here a minibatch
 * reads its rows into a small tensor, the caller differentiates with respect to that tensor, and
 * {@link RepresentationTable.accumulate} adds the batch gradient to those rows only. The optimiser steps
 * once per epoch with the gradients accumulated over the epoch [TH Algorithm 1; SC `dgd_train`:
 * `rep_optimizer.zero_grad()` before the batches, `rep_optimizer.step()` after them], and only rows that
 * received a gradient since the last `zeroGrad` are updated (every training row, in an epoch).
 * Memory: values, accumulated gradient and the two Adam moments: 4·N·L floats, nothing of size N·G.
 *
 * Adam as PyTorch's (L2 weight decay added to the gradient; bias-corrected moments; eps outside the
 * square root).
 */

/** Adam settings of the table. */
export interface TableAdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  eps: number;
}

/** N free representations of dimension L, trained by a once-per-epoch Adam. */
export class RepresentationTable {
  readonly n: number;
  readonly dim: number;
  /** Row-major `[n, dim]` values. */
  readonly values: Float32Array;
  private grad: Float32Array;
  private m: Float32Array;
  private v: Float32Array;
  private touched: Uint8Array;
  /** Optimiser settings (the learning rate may be changed between steps). */
  opts: TableAdamOptions;
  /** Number of optimiser steps taken (one per epoch in training). */
  steps = 0;

  /**
   * @param n - Rows.
   * @param dim - Columns (latent dimension).
   * @param opts - Adam settings.
   * @param init - Initial values `[n, dim]` (default zeros, as scDGD).
   */
  constructor(n: number, dim: number, opts: TableAdamOptions, init?: Float32Array) {
    this.n = n;
    this.dim = dim;
    this.values = init ? Float32Array.from(init) : new Float32Array(n * dim);
    this.grad = new Float32Array(n * dim);
    this.m = new Float32Array(n * dim);
    this.v = new Float32Array(n * dim);
    this.touched = new Uint8Array(n);
    this.opts = { ...opts };
  }

  /** Rows `rows` as a row-major `[rows.length, dim]` copy. */
  gather(rows: ArrayLike<number>): Float32Array {
    const L = this.dim;
    const out = new Float32Array(rows.length * L);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r] as number;
      out.set(this.values.subarray(i * L, (i + 1) * L), r * L);
    }
    return out;
  }

  /** Clears the accumulated gradient (once per epoch). */
  zeroGrad(): void {
    this.grad.fill(0);
    this.touched.fill(0);
  }

  /**
   * Adds a batch gradient `[rows.length, dim]` to the accumulated gradient of `rows` (a row may occur
   * more than once; its gradients add up).
   */
  accumulate(rows: ArrayLike<number>, g: ArrayLike<number>): void {
    const L = this.dim;
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r] as number;
      this.touched[i] = 1;
      const base = i * L;
      for (let d = 0; d < L; d++) this.grad[base + d]! += g[r * L + d] as number;
    }
  }

  /** One Adam step on every row that received a gradient since the last {@link zeroGrad}. */
  step(): void {
    this.steps++;
    const { lr, beta1, beta2, weightDecay, eps } = this.opts;
    const bc1 = 1 - beta1 ** this.steps;
    const bc2 = 1 - beta2 ** this.steps;
    const L = this.dim;
    const { values: p, grad, m, v } = this;
    for (let i = 0; i < this.n; i++) {
      if (!this.touched[i]) continue;
      for (let k = i * L; k < (i + 1) * L; k++) {
        const g = (grad[k] as number) + weightDecay * (p[k] as number);
        m[k] = beta1 * (m[k] as number) + (1 - beta1) * g;
        v[k] = beta2 * (v[k] as number) + (1 - beta2) * g * g;
        p[k] = (p[k] as number) - (lr * ((m[k] as number) / bc1)) / (Math.sqrt((v[k] as number) / bc2) + eps);
      }
    }
  }
}
