/** Reductions, softmax family and the target-log-prob gather. */
import type { Value } from '../../onnx/graph';
import { binary, castTo, int64s, op, reduceSum, shapeOf, unary, zerosLike } from '../emit';
import { attrInt, attrInts, constantInts, type GradContext, type GradRule, inputAt } from './types';

/** Axes of a Reduce* node (attribute before opset 18 for ReduceMean, input since 13 for ReduceSum), normalised. */
function reduceAxes(ctx: GradContext, rank: number): number[] {
  const axes = attrInts(ctx, 'axes') ?? constantInts(ctx, 1);
  if (!axes || axes.length === 0) {
    if (attrInt(ctx, 'noop_with_empty_axes', 0)) throw new Error(`gradient of ${ctx.node.opType} (node ${ctx.node.name}) with noop_with_empty_axes is not supported`);
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** dY broadcast back over the reduced axes to the input's shape. */
function expandBack(ctx: GradContext, x: Value, axes: number[]): Value {
  const g = ctx.graph;
  let dY = ctx.dOut[0]!;
  if (!attrInt(ctx, 'keepdims', 1)) {
    dY = op(g, 'Unsqueeze', [dY, int64s(g, axes)], dY.dtype, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  }
  return op(g, 'Expand', [dY, shapeOf(g, x)], x.dtype, x.shape);
}

const reduceSumRule: GradRule = (ctx) => {
  const x = inputAt(ctx, 0);
  return [expandBack(ctx, x, reduceAxes(ctx, x.shape.length))];
};

const reduceMean: GradRule = (ctx) => {
  const g = ctx.graph;
  const x = inputAt(ctx, 0);
  const axes = reduceAxes(ctx, x.shape.length);
  const spread = expandBack(ctx, x, axes);
  const dims = axes.map((a) => x.shape[a]);
  let count: Value;
  if (dims.every((d) => typeof d === 'number')) {
    count = g.scalar(x.dtype, (dims as number[]).reduce((p, d) => p * d, 1));
  } else {
    // symbolic reduced axes: count = Size(x) / Size(y) at run time
    const sizeX = op(g, 'Size', [x], 'int64', []);
    const sizeY = op(g, 'Size', [ctx.node.outputs[0]], 'int64', []);
    count = castTo(g, op(g, 'Div', [sizeX, sizeY], 'int64', []), x.dtype);
  }
  return [binary(g, 'Div', spread, count, x)];
};

const softmaxAxis = (ctx: GradContext): number => attrInt(ctx, 'axis', -1);

/** dX = y · (dY − Σ dY·y) */
const softmax: GradRule = (ctx) => {
  const g = ctx.graph;
  const [y, dY] = [ctx.node.outputs[0], ctx.dOut[0]!];
  const dot = reduceSum(g, binary(g, 'Mul', dY, y, y), [softmaxAxis(ctx)], true);
  return [binary(g, 'Mul', y, binary(g, 'Sub', dY, dot, y), y)];
};

/** dX = dY − exp(y) · Σ dY */
const logSoftmax: GradRule = (ctx) => {
  const g = ctx.graph;
  const [y, dY] = [ctx.node.outputs[0], ctx.dOut[0]!];
  const total = reduceSum(g, dY, [softmaxAxis(ctx)], true);
  return [binary(g, 'Sub', dY, binary(g, 'Mul', unary(g, 'Exp', y), total, y), y)];
};

/** GatherElements(data, idx): scatter-add dY back into zeros shaped like data. */
const gatherElements: GradRule = (ctx) => {
  const g = ctx.graph;
  const [data, indices] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  const attrs = { axis: attrInt(ctx, 'axis', 0), reduction: 'add' };
  return [op(g, 'ScatterElements', [zerosLike(g, data), indices, ctx.dOut[0]!], data.dtype, data.shape, attrs), undefined];
};

/** Gather(data, idx, axis 0) — embedding lookups: scatter-add rows of dY into zeros shaped like data. */
const gather: GradRule = (ctx) => {
  const g = ctx.graph;
  const [data, indices] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  if (!ctx.needs[0]) return [undefined, undefined];
  const axis = attrInt(ctx, 'axis', 0);
  if (axis !== 0 && axis !== -data.shape.length) {
    throw new Error(`gradient of Gather (node ${ctx.node.name}) along axis ${axis} is not supported (only axis 0)`);
  }
  const idx = op(g, 'Unsqueeze', [indices, int64s(g, [-1])], 'int64', [...indices.shape, 1]);
  const idx64 = castTo(g, idx, 'int64');
  const dData = op(g, 'ScatterND', [zerosLike(g, data), idx64, ctx.dOut[0]!], data.dtype, data.shape, { reduction: 'add' });
  return [dData, undefined];
};

export const reduceRules: Record<string, GradRule> = {
  ReduceSum: reduceSumRule, ReduceMean: reduceMean, Softmax: softmax, LogSoftmax: logSoftmax,
  GatherElements: gatherElements, Gather: gather,
};
