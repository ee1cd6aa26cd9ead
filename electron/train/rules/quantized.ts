/**
 * MatMulNBits (frozen 4-bit weight): only the activations get a gradient, dX = dY · W with W [N, K] dequantized in
 * the graph from the same packed nibbles and scales the forward uses.
 */
import type { DType, Graph, Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';
import { attrInt, type GradRule, inputAt } from './types';

const matMulNBits: GradRule = (ctx) => {
  if (!ctx.needs[0]) return [];
  const g = ctx.graph;
  const x = inputAt(ctx, 0);
  const dY = ctx.dOut[0]!; // [..., N]
  const K = attrInt(ctx, 'K', 0);
  const N = attrInt(ctx, 'N', 0);
  const blockSize = attrInt(ctx, 'block_size', 32);
  if (attrInt(ctx, 'bits', 4) !== 4) throw new Error(`gradient of MatMulNBits (node ${ctx.node.name}) supports 4 bits only`);
  const kBlocks = Math.ceil(K / blockSize);
  // a run-time zero keeps ORT from constant-folding the dequantized weight into a full-precision initializer
  const runtimeZero = O.cast(g, O.mul(g, O.size(g, dY), g.scalar('int64', 0)), x.dtype);
  const scales = O.add(g, O.cast(g, inputAt(ctx, 2), x.dtype), runtimeZero); // [N · kBlocks]
  const zeroPointsInput = ctx.node.inputs[3];
  const zp = zeroPointsInput
    ? O.unsqueeze(g, O.slice(g, unpackNibbles(g, zeroPointsInput, [N, Math.ceil(kBlocks / 2) * 2], x.dtype), [0], [kBlocks], [1]), [2])
    : g.scalar(x.dtype, 8); // [N, kBlocks, 1]
  const q = unpackNibbles(g, inputAt(ctx, 1), [N, kBlocks, blockSize], x.dtype); // [N, kBlocks, blockSize]
  const scaled = O.mul(g, O.sub(g, q, zp), O.reshape(g, scales, [N, kBlocks, 1])); // [N, kBlocks, blockSize]
  const w = O.slice(g, O.reshape(g, scaled, [N, kBlocks * blockSize]), [0], [K], [1]); // [N, K]
  return [O.matMul(g, dY, w)]; // [..., K]
};

/** uint8 bytes → their nibbles (low first) as `dtype` values, reshaped to `shape`. */
function unpackNibbles(g: Graph, bytes: Value, shape: number[], dtype: DType): Value {
  const wide = O.cast(g, bytes, 'int32');
  const sixteen = g.scalar('int32', 16);
  const low = O.unsqueeze(g, O.mod(g, wide, sixteen), [-1]);
  const high = O.unsqueeze(g, O.div(g, wide, sixteen), [-1]);
  return O.cast(g, O.reshape(g, O.concat(g, [low, high], -1), shape), dtype);
}

export const quantizedRules: Record<string, GradRule> = { MatMulNBits: matMulNBits };
