/** MatMul with batch broadcasting: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch axes its operand lacks. */
import { op, sumToShape, transposeLast2 } from '../emit';
import { type GradRule, inputAt } from './types';

const matMul: GradRule = (ctx) => {
  const g = ctx.graph;
  const [a, b] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  const dY = ctx.dOut[0]!; // [...batch, m, n]
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new Error(`gradient of MatMul (node ${ctx.node.name}) with a 1-D operand is not supported: reshape it to 2-D`);
  }
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
};

export const matmulRules: Record<string, GradRule> = { MatMul: matMul };
