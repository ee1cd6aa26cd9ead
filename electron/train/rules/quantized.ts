/**
 * MatMulNBits (frozen 4-bit weight): only the activations get a gradient, dX = dY · W with W [N, K] dequantized in
 * the graph from the same packed nibbles and scales the forward uses.
 */
import type { Graph, Value } from '../../onnx/graph';
import { castTo, int64s, op } from '../emit';
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
  const runtimeZero = castTo(g, op(g, 'Mul', [op(g, 'Size', [dY], 'int64', []), g.scalar('int64', 0)], 'int64', []), x.dtype);
  const scales = op(g, 'Add', [castTo(g, inputAt(ctx, 2), x.dtype), runtimeZero], x.dtype, [N * kBlocks]);
  const zeroPoints = ctx.node.inputs[3] ? unpackNibbles(g, ctx.node.inputs[3], [N, Math.ceil(kBlocks / 2) * 2], x.dtype) : undefined;
  const q = unpackNibbles(g, inputAt(ctx, 1), [N, kBlocks, blockSize], x.dtype); // [N, kBlocks, blockSize]
  const zp = zeroPoints
    ? op(g, 'Unsqueeze', [op(g, 'Slice', [zeroPoints, int64s(g, [0]), int64s(g, [kBlocks]), int64s(g, [1])], x.dtype, [N, kBlocks]), int64s(g, [2])], x.dtype, [N, kBlocks, 1])
    : g.scalar(x.dtype, 8);
  const centered = op(g, 'Sub', [q, zp], x.dtype, [N, kBlocks, blockSize]);
  const scaled = op(g, 'Mul', [centered, op(g, 'Reshape', [scales, int64s(g, [N, kBlocks, 1])], x.dtype, [N, kBlocks, 1])], x.dtype, [N, kBlocks, blockSize]);
  const padded = op(g, 'Reshape', [scaled, int64s(g, [N, kBlocks * blockSize])], x.dtype, [N, kBlocks * blockSize]);
  const w = op(g, 'Slice', [padded, int64s(g, [0]), int64s(g, [K]), int64s(g, [1])], x.dtype, [N, K]); // [N, K]
  return [op(g, 'MatMul', [dY, w], x.dtype, x.shape)]; // [..., K]
};

/** uint8 bytes → their nibbles (low first) as `dtype` values, reshaped to `shape`. */
function unpackNibbles(g: Graph, bytes: Value, shape: number[], dtype: Value['dtype']): Value {
  const wide = castTo(g, bytes, 'int32');
  const sixteen = g.scalar('int32', 16);
  const low = op(g, 'Unsqueeze', [op(g, 'Mod', [wide, sixteen], 'int32', wide.shape), int64s(g, [-1])], 'int32', [...wide.shape, 1]);
  const high = op(g, 'Unsqueeze', [op(g, 'Div', [wide, sixteen], 'int32', wide.shape), int64s(g, [-1])], 'int32', [...wide.shape, 1]);
  const pairs = op(g, 'Concat', [low, high], 'int32', [...wide.shape, 2], { axis: -1 });
  return castTo(g, op(g, 'Reshape', [pairs, int64s(g, shape)], 'int32', shape), dtype);
}

export const quantizedRules: Record<string, GradRule> = { MatMulNBits: matMulNBits };
