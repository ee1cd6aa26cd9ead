/**
 * MatMul with batch broadcasting: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch axes its operand lacks.
 * The common case — activations [..., m, k] times a 2-D weight [k, n] — goes through Gemm with transA/transB over
 * the flattened rows, so a frozen weight is never transposed (copied) at run time.
 */
import type { Value } from '../../onnx/graph';
import { int64s, op, reshapeLike, sumToShape, transposeLast2 } from '../emit';
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
  const dY = ctx.dOut[0]!; // [..., m, n]
  const rows = op(g, 'Reshape', [dY, int64s(g, [-1, typeof n === 'number' ? n : -1])], dY.dtype, ['rows', n]); // [rows, n]
  let dA, dB;
  if (ctx.needs[0]) {
    const flat = op(g, 'Gemm', [rows, b], a.dtype, ['rows', k], { transB: 1 }); // [rows, k]
    dA = reshapeLike(g, flat, a);
  }
  if (ctx.needs[1]) {
    const aRows = op(g, 'Reshape', [a, int64s(g, [-1, typeof k === 'number' ? k : -1])], a.dtype, ['rows', k]); // [rows, k]
    dB = op(g, 'Gemm', [aRows, rows], b.dtype, [k, n], { transA: 1 }); // [k, n]
  }
  return [dA, dB];
}

function batchedMatMul(ctx: GradContext, a: Value, b: Value): (Value | undefined)[] {
  const g = ctx.graph;
  const dY = ctx.dOut[0]!; // [...batch, m, n]
  const batch = dY.shape.slice(0, -2);
  const [m, n] = dY.shape.slice(-2);
  const k = a.shape[a.shape.length - 1];
  let dA, dB;
  if (ctx.needs[0]) {
    const full = op(g, 'MatMul', [dY, transposeLast2(g, b)], a.dtype, [...batch, m, k]); // [...batch, m, k]
    dA = sumToShape(g, full, a);
  }
  if (ctx.needs[1]) {
    const full = op(g, 'MatMul', [transposeLast2(g, a), dY], b.dtype, [...batch, k, n]); // [...batch, k, n]
    dB = sumToShape(g, full, b);
  }
  return [dA, dB];
}

export const matmulRules: Record<string, GradRule> = { MatMul: matMul };
