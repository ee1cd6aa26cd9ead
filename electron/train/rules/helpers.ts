/**
 * Shape bookkeeping the backward rules share, built on the same op emitters as the forward graph (onnx/ops), which
 * infer every output's dtype and shape: a gradient always has the shape of the value it belongs to.
 */
import type { DType, Dim, Graph, Value } from '../../onnx/graph';
import * as O from '../../onnx/ops';

export const isFloat = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float16' || dtype === 'float64';

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** x reshaped to the run-time shape of `like` (its static shape then is `like`'s). */
export function reshapeLike(g: Graph, x: Value, like: Value): Value {
  if (sameShape(x.shape, like.shape)) return x;
  return O.reshape(g, x, O.shape(g, like));
}

/** Swap the last two axes. */
export function transposeLast2(g: Graph, x: Value): Value {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return O.transpose(g, x, perm);
}

/**
 * Sum a gradient computed at the broadcast shape back to the shape of the input it belongs to: leading axes the
 * input lacks are summed away, axes where the input has size 1 (and the gradient not) are summed with keepdims.
 */
export function sumToShape(g: Graph, grad: Value, target: Value): Value {
  const extra = grad.shape.length - target.shape.length;
  if (extra < 0) throw new Error(`gradient of rank ${grad.shape.length} cannot reduce to '${target.name}' of rank ${target.shape.length}`);
  let out = grad;
  const ones = target.shape.flatMap((d, i) => (d === 1 && grad.shape[i + extra] !== 1 ? [i + extra] : []));
  if (ones.length) out = O.reduceSum(g, out, ones, true);
  if (extra > 0) out = O.reduceSum(g, out, Array.from({ length: extra }, (_, i) => i), false);
  // symbolic dims may still differ in name (e.g. 'seq' vs an expression): pin the static shape to the target's
  return reshapeLike(g, out, target);
}
