/**
 * The few node emitters the backward rules need. Each one knows its output shape from the values it is given
 * (gradients always have the shape of the value they belong to), so the rules stay one-liners.
 */
import type { DType, Dim, Graph, Value } from '../onnx/graph';

/** TensorProto.DataType codes, for Cast's `to` and ConstantOfShape's value. */
export const ONNX_DTYPE_CODE: Record<DType, number> = {
  float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
};

export const isFloat = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float16' || dtype === 'float64';

export function op(g: Graph, opType: string, inputs: (Value | undefined)[], dtype: DType, shape: Dim[], attrs = {}): Value {
  return g.node(opType, inputs, [{ dtype, shape }], attrs)[0];
}

/** Elementwise binary op whose result has the shape `like` (the caller knows it is the broadcast shape). */
export const binary = (g: Graph, opType: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value, like: Value): Value =>
  op(g, opType, [a, b], like.dtype, like.shape);

export const unary = (g: Graph, opType: string, x: Value): Value => op(g, opType, [x], x.dtype, x.shape);

export const scalarLike = (g: Graph, like: Value, value: number): Value => g.scalar(like.dtype, value);

export const int64s = (g: Graph, values: number[]): Value => g.constant('int64', [values.length], values);

export const shapeOf = (g: Graph, x: Value): Value => op(g, 'Shape', [x], 'int64', [x.shape.length]);

/** x reshaped to the runtime shape of `like` (static shape taken from `like`). */
export function reshapeLike(g: Graph, x: Value, like: Value): Value {
  if (sameShape(x.shape, like.shape)) return x;
  return op(g, 'Reshape', [x, shapeOf(g, like)], x.dtype, like.shape);
}

export function zerosLike(g: Graph, like: Value): Value {
  const zero = { dtype: like.dtype, dims: [1], data: zeroData(like.dtype) };
  return op(g, 'ConstantOfShape', [shapeOf(g, like)], like.dtype, like.shape, { value: zero });
}

function zeroData(dtype: DType) {
  switch (dtype) {
    case 'float64': return new Float64Array(1);
    case 'float16': return new Uint16Array(1);
    case 'int64': return new BigInt64Array(1);
    case 'int32': return new Int32Array(1);
    case 'uint8': case 'bool': return new Uint8Array(1);
    default: return new Float32Array(1);
  }
}

export function reduceSum(g: Graph, x: Value, axes: number[], keepdims: boolean): Value {
  const rank = x.shape.length;
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return op(g, 'ReduceSum', [x, int64s(g, norm)], x.dtype, shape, { keepdims: keepdims ? 1 : 0 });
}

/** Swap the last two axes. */
export function transposeLast2(g: Graph, x: Value): Value {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return op(g, 'Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm });
}

export function sameShape(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
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
  if (ones.length) out = reduceSum(g, out, ones, true);
  if (extra > 0) out = reduceSum(g, out, Array.from({ length: extra }, (_, i) => i), false);
  // symbolic dims may still differ in name (e.g. 'seq' vs an expression): pin the static shape to the target's
  if (!sameShape(out.shape, target.shape)) out = reshapeLike(g, out, target);
  return out;
}

export function castTo(g: Graph, x: Value, dtype: DType): Value {
  if (x.dtype === dtype) return x;
  return op(g, 'Cast', [x], dtype, x.shape, { to: ONNX_DTYPE_CODE[dtype] });
}
