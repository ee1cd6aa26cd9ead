/** Gradients of ops that only move values around: they move the gradient back the opposite way. */
import type { Dim, Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';
import { reshapeLike, sumToShape } from './helpers';
import { attrInt, attrInts, constantInts, type GradContext, type GradRule, inputAt } from './types';

/** Reshape-like ops (Reshape, Squeeze, Unsqueeze, Flatten): the gradient takes the input's shape back. */
const reshapeBack: GradRule = (ctx) => [reshapeLike(ctx.graph, ctx.dOut[0]!, inputAt(ctx, 0))];

const transpose: GradRule = (ctx) => {
  const x = inputAt(ctx, 0);
  const perm = attrInts(ctx, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  const inverse: number[] = [];
  perm.forEach((p, i) => (inverse[p] = i));
  return [O.transpose(ctx.graph, ctx.dOut[0]!, inverse)];
};

const expand: GradRule = (ctx) => [sumToShape(ctx.graph, ctx.dOut[0]!, inputAt(ctx, 0))];

const BIG = 2 ** 62; // ends at or past this mean "to the end"

/** Slice with constant starts/ends/axes and unit steps: pad the gradient with zeros back to the input's extent. */
const slice: GradRule = (ctx) => {
  const g = ctx.graph;
  const x = inputAt(ctx, 0);
  const rank = x.shape.length;
  const starts = constantInts(ctx, 1)!;
  const ends = constantInts(ctx, 2)!;
  const axes = constantInts(ctx, 3) ?? starts.map((_, i) => i);
  const steps = constantInts(ctx, 4);
  if (steps && steps.some((s) => s !== 1)) {
    throw new Error(`gradient of Slice (node ${ctx.node.name}) with steps ${steps} is not supported (only step 1)`);
  }
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((axis, i) => {
    const a = axis < 0 ? axis + rank : axis;
    const [before, after] = slicePads(x.shape[a], starts[i], ends[i], ctx);
    pads[a] = before;
    pads[a + rank] = after;
  });
  return [O.pad(g, ctx.dOut[0]!, pads, x.shape)];
};

/** Zeros to put back before and after a slice [start, end) of a dim (symbolic dims need start ≥ 0 and end < 0 or "to the end"). */
function slicePads(dim: Dim, start: number, end: number, ctx: GradContext): [number, number] {
  if (typeof dim === 'number') {
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const [s, e] = [clamp(start), clamp(end)];
    return [s, dim - Math.max(s, e)];
  }
  const before = start >= 0 ? start : NaN;
  const after = end >= BIG / 4 ? 0 : end < 0 ? -end : NaN;
  if (Number.isNaN(before) || Number.isNaN(after)) {
    throw new Error(`gradient of Slice (node ${ctx.node.name}) on symbolic dim '${dim}' with start ${start}, end ${end} is not supported`);
  }
  return [before, after];
}

/** Concat: each input takes its own part of the gradient (Split with the inputs' sizes along the axis). */
const concat: GradRule = (ctx) => {
  const g = ctx.graph;
  const inputs = ctx.node.inputs as Value[];
  const rank = inputs[0].shape.length;
  const axisAttr = attrInt(ctx, 'axis', 0);
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const sizes = inputs.map((x) => x.shape[axis]);
  const splitSizes = sizes.every((d) => typeof d === 'number') ? (sizes as number[]) : { value: runtimeSizes(ctx, inputs, axis), dims: sizes };
  const parts = O.split(g, ctx.dOut[0]!, splitSizes, axis);
  return parts.map((part, i) => (ctx.needs[i] ? part : undefined));
};

function runtimeSizes(ctx: GradContext, inputs: Value[], axis: number): Value {
  const g = ctx.graph;
  return O.concat(g, inputs.map((x) => O.shape(g, x, axis, axis + 1)), 0); // [inputs]
}

/** Split: concatenate the outputs' gradients (zeros for outputs nothing flowed into). */
const split: GradRule = (ctx) => {
  const g = ctx.graph;
  const x = inputAt(ctx, 0);
  const axis = attrInt(ctx, 'axis', 0);
  const parts = ctx.node.outputs.map((out, i) => ctx.dOut[i] ?? O.zerosLike(g, out));
  return [reshapeLike(g, O.concat(g, parts, axis), x)];
};

export const shapeRules: Record<string, GradRule> = {
  Reshape: reshapeBack, Squeeze: reshapeBack, Unsqueeze: reshapeBack, Flatten: reshapeBack,
  Transpose: transpose, Expand: expand, Slice: slice, Concat: concat, Split: split,
};
