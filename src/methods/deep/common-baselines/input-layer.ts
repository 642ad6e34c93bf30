/**
 * The first dense layer of a network whose input is data, not a parameter.
 *
 * `nn/dense.ts` `matMulFast` is a `customGrad`, which computes the gradients of BOTH operands
 * eagerly; for the first layer the gradient with respect to the input batch (batch x genes times
 * genes x width) is never used, yet it is as expensive as the forward product (a quarter of a Scaden
 * m1024 step at 2,500 genes). Here the input is captured in the closure instead of being an operand,
 * so only dW = xᵀ · dy is computed. Forward values are identical.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dense } from '../../../nn/dense.js';

/**
 * `x · W + b` for a data batch `x` `[batch, inputs]` (no gradient flows to `x`).
 *
 * @param layer the Dense layer (its weight `[inputs, outputs]` and bias `[outputs]`).
 */
export function applyInputLayer(layer: Dense, x: tf.Tensor2D): tf.Tensor2D {
  // customGrad's parameter type (CustomGradientFunc) is not exported by tfjs-core.
  // `save` keeps x alive until the backward pass: x may be an intermediate (e.g. TAPE's input dropout)
  // that the forward scope would otherwise dispose.
  const mm = tf.customGrad(((w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy),
    };
  }) as any) as unknown as (w: tf.Tensor2D) => tf.Tensor2D;
  return tf.add(mm(layer.w), layer.b);
}
