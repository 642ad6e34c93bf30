/**
 * A table of one trainable vector per row (per cell for DGD's representations, per sample for MrVI's
 * sample embedding) whose training touches only the rows of the current batch.
 *
 * Why not a `tf.Variable` + `tf.gather`: the gather gradient scatters into a dense table-sized
 * tensor (here built as oneHotᵀ · dy, a batch x N matrix) and Adam would then update all N rows per
 * step. With a million cells that is the whole cost of a step. Here the table lives on the host
 * (Float32Array, row-major `[rows, dim]`); a step gathers the batch rows into a small variable
 * (`gather`), the loss uses it, and the gradient of that variable is scattered back to those rows
 * only (`RowAdam.apply`). Rows repeated in a batch receive the sum of their gradients, as the
 * gradient of a gather does.
 *
 * @example
 * ```ts
 * const table = EmbeddingTable.normal('rep', nCells, 5, rng.fork('rep'), 0.1);
 * const opt = new RowAdam(table, { lr: 1e-2 });
 * const rows = Int32Array.of(4, 9, 17);
 * const z = table.gather(rows);                 // [3, 5] trainable variable
 * const { grads } = tf.variableGrads(() => loss(z), [z]);
 * opt.apply(rows, grads[z.name].dataSync());   // updates rows 4, 9, 17 only
 * z.dispose();
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/rng.js';
import { ADAM_DEFAULTS, type AdamOptions, ownedVariable } from '../adam.js';
import { nextVariableId } from '../dense.js';

/** Host-side `[rows, dim]` table of trainable vectors. */
export class EmbeddingTable {
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  /** Row-major values (updated in place by {@link RowAdam}). */
  readonly data: Float32Array;

  constructor(name: string, rows: number, dim: number, data?: Float32Array) {
    if (data && data.length !== rows * dim) throw new Error(`EmbeddingTable ${name}: ${data.length} values for ${rows} x ${dim}`);
    this.name = name;
    this.rows = rows;
    this.dim = dim;
    this.data = data ?? new Float32Array(rows * dim);
  }

  /** A table with N(0, sd²) entries drawn from `rng` (row by row, so a row's values do not depend on later rows). */
  static normal(name: string, rows: number, dim: number, rng: Rng, sd = 1): EmbeddingTable {
    const t = new EmbeddingTable(name, rows, dim);
    for (let k = 0; k < t.data.length; k++) t.data[k] = sd * rng.normal();
    return t;
  }

  /** Rows `idx` copied into a new `[idx.length, dim]` variable (trainable unless `trainable` is false). The caller disposes it. */
  gather(idx: ArrayLike<number>, trainable = true): tf.Variable<tf.Rank.R2> {
    return ownedVariable(this.lookup(idx), trainable, `${this.name}.rows#${nextVariableId()}`);
  }

  /** Rows `idx` as a plain `[idx.length, dim]` tensor (no gradient wanted, e.g. inference). */
  lookup(idx: ArrayLike<number>): tf.Tensor2D {
    const D = this.dim;
    const out = new Float32Array(idx.length * D);
    for (let r = 0; r < idx.length; r++) {
      const i = idx[r] as number;
      if (!(i >= 0 && i < this.rows)) throw new RangeError(`EmbeddingTable ${this.name}: row ${i} outside 0..${this.rows - 1}`);
      out.set(this.data.subarray(i * D, (i + 1) * D), r * D);
    }
    return tf.tensor2d(out, [idx.length, D]);
  }
}

/** Resumable state of a {@link RowAdam}. */
export interface RowAdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam on the rows of an {@link EmbeddingTable}, updating only the rows given to each call
 * (PyTorch `SparseAdam` semantics: moments of other rows are left as they are, bias correction uses
 * the optimiser's step count). Same update and PyTorch-style L2 weight decay as `Adam` (adam.ts).
 * Stepping once per epoch over all rows with summed gradients (DGD) is plain Adam on the table.
 */
export class RowAdam {
  readonly table: EmbeddingTable;
  readonly opts: Required<AdamOptions>;
  step = 0;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(table: EmbeddingTable, opts: AdamOptions = {}) {
    this.table = table;
    const o: Record<string, unknown> = { ...ADAM_DEFAULTS };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) o[k] = v;
    this.opts = o as unknown as Required<AdamOptions>;
    this.m = new Float32Array(table.data.length);
    this.v = new Float32Array(table.data.length);
  }

  /**
   * One Adam step on rows `idx` with their gradients `grad` (`[idx.length, dim]`, row-major).
   * Repeated rows are summed first (gradient of a gather).
   */
  apply(idx: ArrayLike<number>, grad: ArrayLike<number>, lr = this.opts.lr): void {
    const D = this.table.dim;
    // Sum the gradient of repeated rows (rare: batches are usually permutation blocks).
    const sum = new Map<number, Float64Array>();
    for (let r = 0; r < idx.length; r++) {
      const i = idx[r] as number;
      let acc = sum.get(i);
      if (!acc) {
        acc = new Float64Array(D);
        sum.set(i, acc);
      }
      for (let k = 0; k < D; k++) acc[k]! += grad[r * D + k] as number;
    }
    this.step++;
    for (const [i, g] of sum) this.updateRow(i, g, lr);
  }

  /** One Adam step over every row with a dense `[rows, dim]` gradient (e.g. summed over an epoch). */
  applyDense(grad: ArrayLike<number>, touched?: Uint8Array, lr = this.opts.lr): void {
    const D = this.table.dim;
    this.step++;
    const g = new Float64Array(D);
    for (let i = 0; i < this.table.rows; i++) {
      if (touched && !touched[i]) continue;
      for (let k = 0; k < D; k++) g[k] = grad[i * D + k] as number;
      this.updateRow(i, g, lr);
    }
  }

  private updateRow(i: number, g: Float64Array, lr: number): void {
    const { weightDecay, eps, beta1, beta2 } = this.opts;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    const D = this.table.dim;
    const p = this.table.data;
    for (let k = 0; k < D; k++) {
      const j = i * D + k;
      const gk = (g[k] as number) + weightDecay * (p[j] as number);
      const m = beta1 * (this.m[j] as number) + (1 - beta1) * gk;
      const v = beta2 * (this.v[j] as number) + (1 - beta2) * gk * gk;
      this.m[j] = m;
      this.v[j] = v;
      p[j] = (p[j] as number) - (lr * (m / bc1)) / (Math.sqrt(v / bc2) + eps);
    }
  }

  exportState(): RowAdamState {
    return { step: this.step, m: Float32Array.from(this.m), v: Float32Array.from(this.v) };
  }

  importState(s: RowAdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`RowAdam state of ${this.table.name}: wrong size`);
    this.step = s.step;
    this.m.set(s.m);
    this.v.set(s.v);
  }
}
