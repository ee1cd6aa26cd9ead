/** Gradients of elementwise ops; broadcast inputs get their gradient summed back to their own shape. */
import type { Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';
import { isFloat, sumToShape } from './helpers';
import { type GradContext, type GradRule, inputAt } from './types';

const Y = (ctx: GradContext): Value => ctx.node.outputs[0];
const dY = (ctx: GradContext): Value => ctx.dOut[0]!;
const scalar = (ctx: GradContext, value: number): Value => ctx.graph.scalar(Y(ctx).dtype, value);

/** Gradient of each needed input: fn(i) gives it at the output's shape, then reduced to the input's shape. */
function perInput(ctx: GradContext, fn: (i: number) => Value): (Value | undefined)[] {
  return ctx.node.inputs.map((x, i) => (x && ctx.needs[i] ? sumToShape(ctx.graph, fn(i), x) : undefined));
}

const add: GradRule = (ctx) => perInput(ctx, () => dY(ctx));

const sub: GradRule = (ctx) => perInput(ctx, (i) => (i === 0 ? dY(ctx) : O.neg(ctx.graph, dY(ctx))));

const mul: GradRule = (ctx) => perInput(ctx, (i) => O.mul(ctx.graph, dY(ctx), inputAt(ctx, 1 - i)));

const div: GradRule = (ctx) => {
  const g = ctx.graph;
  const b = inputAt(ctx, 1);
  return perInput(ctx, (i) => {
    if (i === 0) return O.div(g, dY(ctx), b);
    // d(a/b)/db = -(a/b)/b = -y/b
    return O.neg(g, O.mul(g, dY(ctx), O.div(g, Y(ctx), b)));
  });
};

const pow: GradRule = (ctx) => {
  const g = ctx.graph;
  const [x, p] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  return perInput(ctx, (i) => {
    const pX = O.cast(g, p, x.dtype);
    if (i === 0) {
      // p · x^(p-1)
      const xPow = O.pow(g, x, O.sub(g, pX, g.scalar(pX.dtype, 1)));
      return O.mul(g, dY(ctx), O.mul(g, xPow, pX));
    }
    // y · ln(x)
    return O.cast(g, O.mul(g, dY(ctx), O.mul(g, Y(ctx), O.log(g, x))), p.dtype);
  });
};

const sqrt: GradRule = (ctx) => [O.mul(ctx.graph, dY(ctx), O.div(ctx.graph, scalar(ctx, 0.5), Y(ctx)))];

const reciprocal: GradRule = (ctx) => {
  const g = ctx.graph;
  return [O.neg(g, O.mul(g, dY(ctx), O.mul(g, Y(ctx), Y(ctx))))];
};

const neg: GradRule = (ctx) => [O.neg(ctx.graph, dY(ctx))];

const identity: GradRule = (ctx) => [dY(ctx)];

const exp: GradRule = (ctx) => [O.mul(ctx.graph, dY(ctx), Y(ctx))];

const log: GradRule = (ctx) => [O.div(ctx.graph, dY(ctx), inputAt(ctx, 0))];

const sigmoid: GradRule = (ctx) => {
  const g = ctx.graph;
  const oneMinusY = O.sub(g, scalar(ctx, 1), Y(ctx));
  return [O.mul(g, dY(ctx), O.mul(g, Y(ctx), oneMinusY))];
};

const tanh: GradRule = (ctx) => {
  const g = ctx.graph;
  const oneMinusY2 = O.sub(g, scalar(ctx, 1), O.mul(g, Y(ctx), Y(ctx)));
  return [O.mul(g, dY(ctx), oneMinusY2)];
};

const cast: GradRule = (ctx) => {
  const x = inputAt(ctx, 0);
  return [isFloat(x.dtype) ? O.cast(ctx.graph, dY(ctx), x.dtype) : undefined];
};

/** Where(cond, a, b): the gradient goes to a where cond holds, to b elsewhere. */
const where: GradRule = (ctx) => {
  const g = ctx.graph;
  const cond = inputAt(ctx, 0);
  const zero = scalar(ctx, 0);
  return ctx.node.inputs.map((x, i) => {
    if (i === 0 || !x || !ctx.needs[i]) return undefined;
    const routed = i === 1 ? O.where(g, cond, dY(ctx), zero) : O.where(g, cond, zero, dY(ctx));
    return sumToShape(g, routed, x);
  });
};

/** Sum(x1, x2, …): every input gets the output gradient. */
const sum: GradRule = (ctx) => perInput(ctx, () => dY(ctx));

export const elementwiseRules: Record<string, GradRule> = {
  Add: add, Sub: sub, Mul: mul, Div: div, Pow: pow, Sqrt: sqrt, Reciprocal: reciprocal, Neg: neg,
  Identity: identity, Exp: exp, Log: log, Sigmoid: sigmoid, Tanh: tanh, Cast: cast, Where: where, Sum: sum,
};
