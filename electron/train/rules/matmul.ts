/**
 * MatMul with batch broadcasting: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch axes its operand lacks.
 * The common case — activations [..., m, k] times a 2-D weight [k, n] — goes through Gemm with transA/transB over
 * the flattened rows, so a frozen weight is never transposed (copied) at run time.
 */
import type { Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';
import { reshapeLike, sumToShape, transposeLast2 } from './helpers';
import { type GradContext, type GradRule, inputAt } from './types';

const matMul: GradRule = (ctx) => {
  const [a, b] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new Error(`gradient of MatMul (node ${ctx.node.name}) with a 1-D operand is not supported: reshape it to 2-D`);
  }
  return b.shape.length === 2 ? matMulByMatrix(ctx, a, b) : batchedMatMul(ctx, a, b);
};

/** a [..., m, k] · b [k, n]: rows flattened to [rows, k], dA = Gemm(dY, b, transB), dB = Gemm(a, dY, transA). */
function matMulByMatrix(ctx: GradContext, a: Value, b: Value): (Value | undefined)[] {
  const g = ctx.graph;
  const [k, n] = b.shape;
  const rowsOf = (x: Value, width: typeof k): Value => O.reshape(g, x, [-1, typeof width === 'number' ? width : -1]); // [rows, width]
  const dY = rowsOf(ctx.dOut[0]!, n); // [rows, n]
  const dA = ctx.needs[0] ? reshapeLike(g, O.gemm(g, dY, b, { transB: true }), a) : undefined; // [..., m, k]
  const dB = ctx.needs[1] ? O.gemm(g, rowsOf(a, k), dY, { transA: true }) : undefined; // [k, n]
  return [dA, dB];
}

function batchedMatMul(ctx: GradContext, a: Value, b: Value): (Value | undefined)[] {
  const g = ctx.graph;
  const dY = ctx.dOut[0]!; // [...batch, m, n]
  const dA = ctx.needs[0] ? sumToShape(g, O.matMul(g, dY, transposeLast2(g, b)), a) : undefined; // [...batch, m, k]
  const dB = ctx.needs[1] ? sumToShape(g, O.matMul(g, transposeLast2(g, a), dY), b) : undefined; // [...batch, k, n]
  return [dA, dB];
}

export const matmulRules: Record<string, GradRule> = { MatMul: matMul };
