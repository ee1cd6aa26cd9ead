/** Gradients of elementwise ops; broadcast inputs get their gradient summed back to their own shape. */
import type { Value } from '../../onnx/graph';
import { binary, castTo, isFloat, op, scalarLike, sumToShape, unary } from '../emit';
import { type GradContext, type GradRule, inputAt } from './types';

const Y = (ctx: GradContext): Value => ctx.node.outputs[0];
const dY = (ctx: GradContext): Value => ctx.dOut[0]!;

/** Gradient of each needed input: fn(i) gives it at the output's shape, then reduced to the input's shape. */
function perInput(ctx: GradContext, fn: (i: number) => Value): (Value | undefined)[] {
  return ctx.node.inputs.map((x, i) => (x && ctx.needs[i] ? sumToShape(ctx.graph, fn(i), x) : undefined));
}

const add: GradRule = (ctx) => perInput(ctx, () => dY(ctx));

const sub: GradRule = (ctx) => perInput(ctx, (i) => (i === 0 ? dY(ctx) : unary(ctx.graph, 'Neg', dY(ctx))));

const mul: GradRule = (ctx) => perInput(ctx, (i) => binary(ctx.graph, 'Mul', dY(ctx), inputAt(ctx, 1 - i), Y(ctx)));

const div: GradRule = (ctx) => {
  const g = ctx.graph;
  const b = inputAt(ctx, 1);
  return perInput(ctx, (i) => {
    if (i === 0) return binary(g, 'Div', dY(ctx), b, Y(ctx));
    // d(a/b)/db = -(a/b)/b = -y/b
    const yOverB = binary(g, 'Div', Y(ctx), b, Y(ctx));
    return unary(g, 'Neg', binary(g, 'Mul', dY(ctx), yOverB, Y(ctx)));
  });
};

const pow: GradRule = (ctx) => {
  const g = ctx.graph;
  const [x, p] = [inputAt(ctx, 0), inputAt(ctx, 1)];
  return perInput(ctx, (i) => {
    const pX = castTo(g, p, x.dtype);
    if (i === 0) {
      // p · x^(p-1)
      const pMinus1 = binary(g, 'Sub', pX, scalarLike(g, pX, 1), pX);
      const xPow = op(g, 'Pow', [x, pMinus1], x.dtype, Y(ctx).shape);
      return binary(g, 'Mul', dY(ctx), binary(g, 'Mul', xPow, pX, Y(ctx)), Y(ctx));
    }
    // y · ln(x)
    const lnX = unary(g, 'Log', x);
    return castTo(g, binary(g, 'Mul', dY(ctx), binary(g, 'Mul', Y(ctx), lnX, Y(ctx)), Y(ctx)), p.dtype);
  });
};

const sqrt: GradRule = (ctx) => {
  const g = ctx.graph;
  const halfOverY = binary(g, 'Div', scalarLike(g, Y(ctx), 0.5), Y(ctx), Y(ctx));
  return [binary(g, 'Mul', dY(ctx), halfOverY, Y(ctx))];
};

const reciprocal: GradRule = (ctx) => {
  const g = ctx.graph;
  const ySquared = binary(g, 'Mul', Y(ctx), Y(ctx), Y(ctx));
  return [unary(g, 'Neg', binary(g, 'Mul', dY(ctx), ySquared, Y(ctx)))];
};

const neg: GradRule = (ctx) => [unary(ctx.graph, 'Neg', dY(ctx))];

const identity: GradRule = (ctx) => [dY(ctx)];

const exp: GradRule = (ctx) => [binary(ctx.graph, 'Mul', dY(ctx), Y(ctx), Y(ctx))];

const log: GradRule = (ctx) => [binary(ctx.graph, 'Div', dY(ctx), inputAt(ctx, 0), Y(ctx))];

const sigmoid: GradRule = (ctx) => {
  const g = ctx.graph;
  const oneMinusY = binary(g, 'Sub', scalarLike(g, Y(ctx), 1), Y(ctx), Y(ctx));
  return [binary(g, 'Mul', dY(ctx), binary(g, 'Mul', Y(ctx), oneMinusY, Y(ctx)), Y(ctx))];
};

const tanh: GradRule = (ctx) => {
  const g = ctx.graph;
  const oneMinusY2 = binary(g, 'Sub', scalarLike(g, Y(ctx), 1), binary(g, 'Mul', Y(ctx), Y(ctx), Y(ctx)), Y(ctx));
  return [binary(g, 'Mul', dY(ctx), oneMinusY2, Y(ctx))];
};

const cast: GradRule = (ctx) => {
  const x = inputAt(ctx, 0);
  return [isFloat(x.dtype) ? castTo(ctx.graph, dY(ctx), x.dtype) : undefined];
};

/** Where(cond, a, b): the gradient goes to a where cond holds, to b elsewhere. */
const where: GradRule = (ctx) => {
  const g = ctx.graph;
  const cond = inputAt(ctx, 0);
  const zero = scalarLike(g, Y(ctx), 0);
  return ctx.node.inputs.map((x, i) => {
    if (i === 0 || !x || !ctx.needs[i]) return undefined;
    const routed = op(g, 'Where', i === 1 ? [cond, dY(ctx), zero] : [cond, zero, dY(ctx)], Y(ctx).dtype, Y(ctx).shape);
    return sumToShape(g, routed, x);
  });
};

/** Sum(x1, x2, …): every input gets the output gradient. */
const sum: GradRule = (ctx) => perInput(ctx, () => dY(ctx));

export const elementwiseRules: Record<string, GradRule> = {
  Add: add, Sub: sub, Mul: mul, Div: div, Pow: pow, Sqrt: sqrt, Reciprocal: reciprocal, Neg: neg,
  Identity: identity, Exp: exp, Log: log, Sigmoid: sigmoid, Tanh: tanh, Cast: cast, Where: where, Sum: sum,
};
