/** Reductions, softmax family and the target-log-prob gather. */
import type { Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';
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
  const dY = ctx.dOut[0]!;
  const kept = attrInt(ctx, 'keepdims', 1) ? dY : O.unsqueeze(g, dY, axes);
  return O.expand(g, kept, O.shape(g, x));
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
  const count = dims.every((d) => typeof d === 'number')
    ? g.scalar(x.dtype, (dims as number[]).reduce((p, d) => p * d, 1))
    // symbolic reduced axes: count = Size(x) / Size(y) at run time
    : O.cast(g, O.div(g, O.size(g, x), O.size(g, ctx.node.outputs[0])), x.dtype);
  return [O.div(g, spread, count)];
};

const softmaxAxis = (ctx: GradContext): number => attrInt(ctx, 'axis', -1);

/** dX = y · (dY − Σ dY·y) */
const softmax: GradRule = (ctx) => {
  const g = ctx.graph;
  const [y, dY] = [ctx.node.outputs[0], ctx.dOut[0]!];
  const dot = O.reduceSum(g, O.mul(g, dY, y), [softmaxAxis(ctx)], true);
  return [O.mul(g, y, O.sub(g, dY, dot))];
};

/** dX = dY − exp(y) · Σ dY */
const logSoftmax: GradRule = (ctx) => {
  const g = ctx.graph;
  const [y, dY] = [ctx.node.outputs[0], ctx.dOut[0]!];
  const total = O.reduceSum(g, dY, [softmaxAxis(ctx)], true);
  return [O.sub(g, dY, O.mul(g, O.exp(g, y), total))];
};

/** GatherElements(data, idx): scatter-add dY back into zeros shaped like data. */
const gatherElements: GradRule = (ctx) => {
  const g = ctx.graph;
  const [data, indices] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  return [O.scatterElements(g, O.zerosLike(g, data), indices, ctx.dOut[0]!, attrInt(ctx, 'axis', 0), 'add'), undefined];
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
  const idx = O.cast(g, O.unsqueeze(g, indices, [-1]), 'int64'); // [..., 1]
  return [O.scatterND(g, O.zerosLike(g, data), idx, ctx.dOut[0]!, 'add'), undefined];
};

export const reduceRules: Record<string, GradRule> = {
  ReduceSum: reduceSumRule, ReduceMean: reduceMean, Softmax: softmax, LogSoftmax: logSoftmax,
  GatherElements: gatherElements, Gather: gather,
};
