/**
 * Gradients of the tfjs kernels our models use, registered once on import.
 *
 * Why: tfjs-core's Node bundle (`tf-core.node.js`) ships no gradient definitions; they live in ESM
 * files with extension-less imports that Node cannot load, and are normally registered by the
 * `@tensorflow/tfjs` umbrella package (which would pull in WebGL, layers, converter and data). We only
 * need a few dozen kernels, so we define their gradients here, with the same math as tfjs-core's
 * `src/gradients/*_grad.ts`, and check each against finite differences (test/nn/gradients.test.ts).
 * A gradient that is already registered (e.g. by tfjs-node or the umbrella package) is left alone.
 *
 * Covered kernels: elementwise binary ops with broadcasting (Add, Sub, Multiply, RealDiv, Maximum,
 * Minimum, Pow, SquaredDifference), AddN, unary ops (Abs, Cast, Elu, Exp, Expm1, Identity, LeakyRelu,
 * Log, Log1p, Neg, Reciprocal, Relu, Rsqrt, Selu, Sigmoid, Softplus, Sqrt, Square, Tanh,
 * ClipByValue; zero gradients of OnesLike, ZerosLike, Floor, Ceil, Round, Sign, Step), shape ops (Reshape, Transpose, Slice, Concat, Pack, GatherV2, BroadcastTo, Tile),
 * reductions (Sum, Mean, Max, Min), Softmax, Select, MatMul (plain, transposed variants too).
 */
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;
type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[], attrs: Record<string, unknown>) => Grads;

/** Sums `dy` over the axes along which `shape` was broadcast, then reshapes to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  const r = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(r, shape);
}

function binary(
  kernelName: string,
  fa: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  fb: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
) {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => unbroadcast(fa(dy, a, b), a.shape), b: () => unbroadcast(fb(dy, a, b), b.shape) };
    }) as GradFunc,
  };
}

function unaryX(kernelName: string, f: (dy: tf.Tensor, x: tf.Tensor, attrs: Record<string, unknown>) => tf.Tensor) {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: ((dy, saved, attrs) => ({ x: () => f(dy, saved[0] as tf.Tensor, attrs) })) as GradFunc,
  };
}

function unaryY(kernelName: string, f: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor) {
  return {
    kernelName,
    outputsToSave: [true],
    gradFunc: ((dy, saved) => ({ x: () => f(dy, saved[0] as tf.Tensor) })) as GradFunc,
  };
}

function f32(x: tf.Tensor): tf.Tensor {
  return tf.cast(x, 'float32');
}

/** Reshapes a reduced `dy` back to rank of `shape` with size-1 reduced axes. */
function expandReduced(dy: tf.Tensor, shape: number[], axisAttr: unknown): { dyE: tf.Tensor; axes: number[] } {
  const axes = tf.util.parseAxisParam(axisAttr as number | number[], shape);
  const eShape = shape.slice();
  for (const a of axes) eShape[a] = 1;
  return { dyE: tf.reshape(dy, eShape), axes };
}

const configs: { kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFunc }[] = [
  binary(
    'Add',
    (dy) => dy,
    (dy) => dy,
  ),
  binary(
    'Sub',
    (dy) => dy,
    (dy) => tf.neg(dy),
  ),
  binary(
    'Multiply',
    (dy, _a, b) => tf.mul(dy, f32(b)),
    (dy, a) => tf.mul(dy, f32(a)),
  ),
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, f32(b)),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, f32(a)), tf.square(f32(b)))),
  ),
  binary(
    'Maximum',
    (dy, a, b) => tf.mul(dy, f32(tf.greaterEqual(a, b))),
    (dy, a, b) => tf.mul(dy, f32(tf.less(a, b))),
  ),
  binary(
    'Minimum',
    (dy, a, b) => tf.mul(dy, f32(tf.lessEqual(a, b))),
    (dy, a, b) => tf.mul(dy, f32(tf.greater(a, b))),
  ),
  binary(
    'SquaredDifference',
    (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
    (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(b, a))),
  ),
  binary(
    'Pow',
    (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
    // d/db a^b = a^b log a, defined as 0 where a <= 0 (as tfjs does).
    (dy, a, b) => {
      const pos = tf.greater(a, 0);
      const logA = tf.where(pos, tf.log(tf.where(pos, a, tf.onesLike(a))), tf.zerosLike(a));
      return tf.mul(dy, tf.mul(tf.pow(a, b), logA));
    },
  ),
  // Comparisons and logical ops: boolean outputs, zero gradient to their inputs.
  ...['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'LogicalAnd', 'LogicalOr'].map((k) =>
    binary(
      k,
      (_dy, a) => tf.zerosLike(f32(a)),
      (_dy, _a, b) => tf.zerosLike(f32(b)),
    ),
  ),
  ...['LogicalNot', 'IsNan', 'IsInf', 'IsFinite'].map((k) => unaryX(k, (_dy, x) => tf.zerosLike(f32(x)))),
  {
    kernelName: 'AddN',
    saveAllInputs: true,
    gradFunc: ((dy, saved) => {
      const out: Grads = {};
      saved.forEach((_, i) => {
        out[i] = () => tf.clone(dy);
      });
      return out;
    }) as GradFunc,
  },
  unaryX('Abs', (dy, x) => tf.mul(dy, tf.step(f32(x), -1))),
  unaryX('Cast', (dy) => tf.clone(dy)),
  // Piecewise-constant ops: zero gradient.
  unaryX('OnesLike', (dy) => tf.zerosLike(dy)),
  unaryX('ZerosLike', (dy) => tf.zerosLike(dy)),
  unaryX('Floor', (dy) => tf.zerosLike(dy)),
  unaryX('Ceil', (dy) => tf.zerosLike(dy)),
  unaryX('Round', (dy) => tf.zerosLike(dy)),
  unaryX('Sign', (dy) => tf.zerosLike(dy)),
  unaryX('Step', (dy) => tf.zerosLike(dy)),
  unaryX('Identity', (dy) => tf.clone(dy)),
  unaryX('Exp', (dy, x) => tf.mul(dy, tf.exp(x))),
  unaryX('Expm1', (dy, x) => tf.mul(dy, tf.exp(x))),
  unaryX('Log', (dy, x) => tf.div(dy, f32(x))),
  unaryX('Log1p', (dy, x) => tf.div(dy, tf.add(x, 1))),
  unaryX('Neg', (dy) => tf.neg(dy)),
  unaryX('Reciprocal', (dy, x) => tf.neg(tf.div(dy, tf.square(x)))),
  unaryX('Relu', (dy, x) => tf.mul(dy, f32(tf.greater(x, 0)))),
  unaryX('Rsqrt', (dy, x) => tf.div(dy, tf.mul(tf.pow(x, 1.5), -2))),
  unaryX('Sqrt', (dy, x) => tf.div(dy, tf.mul(tf.sqrt(f32(x)), 2))),
  unaryX('Square', (dy, x) => tf.mul(dy, tf.mul(f32(x), 2))),
  unaryX('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
  unaryX('LeakyRelu', (dy, x, attrs) => tf.mul(dy, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, attrs.alpha as number)))),
  unaryX('Selu', (dy, x) => {
    // selu(x) = scale * (x > 0 ? x : alpha (e^x - 1)).
    const scale = 1.0507009873554805;
    const alpha = 1.6732632423543772;
    return tf.mul(dy, tf.where(tf.greater(x, 0), tf.fill(x.shape, scale), tf.mul(scale * alpha, tf.exp(x))));
  }),
  unaryX('ClipByValue', (dy, x, attrs) =>
    tf.mul(dy, f32(tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number)))),
  ),
  unaryY('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryY('Tanh', (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  // elu(x) = x > 0 ? x : e^x − 1, so the derivative is 1 or y + 1.
  unaryY('Elu', (dy, y) => tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)))),
  unaryX('Reshape', (dy, x) => tf.reshape(dy, x.shape)),
  {
    kernelName: 'Transpose',
    gradFunc: ((dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inv = new Array<number>(perm.length);
      for (let i = 0; i < perm.length; i++) inv[perm[i] as number] = i;
      return { x: () => tf.transpose(dy, inv) };
    }) as GradFunc,
  },
  unaryX('Slice', (dy, x, attrs) => {
    const begin = attrs.begin as number[];
    const size = attrs.size as number[];
    const pads: [number, number][] = x.shape.map((s, i) => {
      const b = begin[i] as number;
      const sz = (size[i] as number) === -1 ? s - b : (size[i] as number);
      return [b, s - b - sz];
    });
    return tf.pad(dy, pads);
  }),
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: ((dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, (saved[0] as tf.Tensor).shape)[0] as number;
      const sizes = saved.map((t) => t.shape[axis] as number);
      const parts = tf.split(dy, sizes, axis);
      const out: Grads = {};
      parts.forEach((p, i) => {
        out[i] = () => p;
      });
      return out;
    }) as GradFunc,
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: ((dy, _saved, attrs) => {
      const parts = tf.unstack(dy, attrs.axis as number);
      const out: Grads = {};
      parts.forEach((p, i) => {
        out[i] = () => p;
      });
      return out;
    }) as GradFunc,
  },
  {
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: ((dy, saved, attrs) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
      if ((attrs.batchDims as number | undefined) && (attrs.batchDims as number) !== 0) {
        throw new Error('GatherV2 gradient: batchDims is not supported');
      }
      return {
        x: () => {
          // Move `axis` first, scatter-add rows with unsortedSegmentSum, move back.
          const rank = x.rank;
          const perm = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
          const inv = new Array<number>(rank);
          for (let i = 0; i < rank; i++) inv[perm[i] as number] = i;
          const idx = tf.reshape(indices, [-1]);
          const idxRank = indices.rank;
          // dy shape: x.shape[:axis] + indices.shape + x.shape[axis+1:]
          const dyPermAxes = [
            ...Array.from({ length: idxRank }, (_, i) => axis + i),
            ...Array.from({ length: axis }, (_, i) => i),
            ...Array.from({ length: rank - axis - 1 }, (_, i) => axis + idxRank + i),
          ];
          const dyT = tf.transpose(dy, dyPermAxes);
          const rest = perm.slice(1).map((p) => x.shape[p] as number);
          const restSize = rest.reduce((a, b) => a * b, 1);
          const flat = tf.reshape(dyT, [idx.size, restSize]) as tf.Tensor2D;
          // Scatter-add as oneHotᵀ · dy (UnsortedSegmentSum has no wasm kernel).
          const oh = tf.cast(tf.oneHot(tf.cast(idx, 'int32') as tf.Tensor1D, x.shape[axis] as number), 'float32') as tf.Tensor2D;
          const summed = tf.reshape(tf.matMul(tf.transpose(oh), flat), [x.shape[axis] as number, ...rest]);
          return tf.transpose(summed, inv);
        },
        indices: () => tf.zerosLike(indices),
      };
    }) as GradFunc,
  },
  {
    kernelName: 'BroadcastTo',
    gradFunc: ((dy, _saved, attrs) => {
      const inputShape = attrs.inputShape as number[];
      return { x: () => unbroadcast(dy, inputShape) };
    }) as GradFunc,
  },
  unaryX('Tile', (dy, x, attrs) => {
    const reps = attrs.reps as number[];
    // Reshape dy to [r0, s0, r1, s1, ...] and sum the rep axes.
    const shape: number[] = [];
    const axes: number[] = [];
    x.shape.forEach((s, i) => {
      shape.push(reps[i] as number, s);
      axes.push(2 * i);
    });
    return tf.reshape(tf.sum(tf.reshape(dy, shape), axes), x.shape);
  }),
  unaryX('Sum', (dy, x, attrs) => {
    const { dyE } = expandReduced(dy, x.shape, attrs.axis);
    return tf.mul(dyE, tf.ones(x.shape, 'float32'));
  }),
  unaryX('Mean', (dy, x, attrs) => {
    const { dyE, axes } = expandReduced(dy, x.shape, attrs.axis);
    let n = 1;
    for (const a of axes) n *= x.shape[a] as number;
    return tf.div(tf.mul(dyE, tf.ones(x.shape, 'float32')), n);
  }),
  {
    kernelName: 'Max',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: ((dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor, tf.Tensor];
      const { dyE, axes } = expandReduced(dy, x.shape, attrs.reductionIndices);
      const eShape = x.shape.slice();
      for (const a of axes) eShape[a] = 1;
      return { x: () => tf.mul(dyE, f32(tf.equal(x, tf.reshape(y, eShape)))) };
    }) as GradFunc,
  },
  {
    kernelName: 'Min',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: ((dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor, tf.Tensor];
      const { dyE, axes } = expandReduced(dy, x.shape, attrs.axis);
      const eShape = x.shape.slice();
      for (const a of axes) eShape[a] = 1;
      return { x: () => tf.mul(dyE, f32(tf.equal(x, tf.reshape(y, eShape)))) };
    }) as GradFunc,
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: ((dy, saved, attrs) => {
      const [y] = saved as [tf.Tensor];
      const dim = attrs.dim as number;
      const dyTimesY = tf.mul(dy, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    }) as GradFunc,
  },
  {
    kernelName: 'Select',
    inputsToSave: ['condition'],
    gradFunc: ((dy, saved) => {
      const [c] = saved as [tf.Tensor];
      return {
        condition: () => f32(tf.zerosLike(c)),
        t: () => tf.mul(dy, f32(c)),
        e: () => tf.mul(dy, f32(tf.logicalNot(c))),
      };
    }) as GradFunc,
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy, saved, attrs) => {
      // Explicit transposes + plain matMul: the transposed wasm kernels are 10x slower (see dense.ts).
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      const T = (x: tf.Tensor) => tf.transpose(x, [...Array.from({ length: x.rank - 2 }, (_, i) => i), x.rank - 1, x.rank - 2]);
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D);
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!tA && !tB) {
        da = () => mm(dy, T(b));
        db = () => mm(T(a), dy);
      } else if (!tA && tB) {
        da = () => mm(dy, b);
        db = () => mm(T(dy), a);
      } else if (tA && !tB) {
        da = () => mm(b, T(dy));
        db = () => mm(a, dy);
      } else {
        da = () => mm(T(b), T(dy));
        db = () => mm(T(dy), T(a));
      }
      return { a: () => unbroadcastBatch(da(), a.shape), b: () => unbroadcastBatch(db(), b.shape) };
    }) as GradFunc,
  },
];

/** Batch dims of a matmul gradient can be broadcast: sum them back to the input's shape. */
function unbroadcastBatch(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.rank === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  return unbroadcast(g, shape);
}

let registered = false;

/** Registers the gradients above that no one else registered yet. Idempotent; runs on import. */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const c of configs) {
    if (!tf.getGradient(c.kernelName)) tf.registerGradient(c as unknown as tf.GradConfig);
  }
}

registerGradients();
