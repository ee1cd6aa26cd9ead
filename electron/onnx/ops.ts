/**
 * ONNX op helpers (opset 17 semantics) that compute each output's dtype and static shape.
 * One op = one function: `add(g, a, b)` appends an Add node to `g` and returns its output value.
 */
import { type AttrValue, type DType, type Dim, float, type Graph, ONNX_DTYPE_CODE, type SubGraph, type Tensor, type Value } from './graph';
import { addDims, broadcastAll, broadcastShapes, normalizeAxis, reshapeTarget, shapeToString } from './shape';

export const DEFAULT_OPSET = 17;
/** Domain of ONNX Runtime's contrib ops (MatMulNBits, GroupQueryAttention, …). */
export const MS_DOMAIN = 'com.microsoft';

function one(g: Graph, opType: string, inputs: (Value | undefined)[], dtype: DType, shape: Dim[], attrs: Record<string, AttrValue> = {}): Value {
  return g.node(opType, inputs, [{ dtype, shape }], attrs)[0];
}

function sameDtype(op: string, a: Value, b: Value): void {
  if (a.dtype !== b.dtype) throw new Error(`${op}: ${a.name} is ${a.dtype} but ${b.name} is ${b.dtype}; insert a cast.`);
}

function ints(g: Graph, values: readonly number[]): Value {
  return g.constant('int64', [values.length], values);
}

// ---- elementwise binary ----------------------------------------------------------------------------------------

function binary(op: string, g: Graph, a: Value, b: Value, outDtype?: DType): Value {
  sameDtype(op, a, b);
  return one(g, op, [a, b], outDtype ?? a.dtype, broadcastShapes(a.shape, b.shape, `${op}(${a.name}, ${b.name})`));
}

export const add = (g: Graph, a: Value, b: Value): Value => binary('Add', g, a, b);
export const sub = (g: Graph, a: Value, b: Value): Value => binary('Sub', g, a, b);
export const mul = (g: Graph, a: Value, b: Value): Value => binary('Mul', g, a, b);
export const div = (g: Graph, a: Value, b: Value): Value => binary('Div', g, a, b);
export const max = (g: Graph, a: Value, b: Value): Value => binary('Max', g, a, b);
export const min = (g: Graph, a: Value, b: Value): Value => binary('Min', g, a, b);
export const equal = (g: Graph, a: Value, b: Value): Value => binary('Equal', g, a, b, 'bool');
export const less = (g: Graph, a: Value, b: Value): Value => binary('Less', g, a, b, 'bool');
export const lessOrEqual = (g: Graph, a: Value, b: Value): Value => binary('LessOrEqual', g, a, b, 'bool');
export const greater = (g: Graph, a: Value, b: Value): Value => binary('Greater', g, a, b, 'bool');
export const greaterOrEqual = (g: Graph, a: Value, b: Value): Value => binary('GreaterOrEqual', g, a, b, 'bool');
export const and = (g: Graph, a: Value, b: Value): Value => binary('And', g, a, b, 'bool');
export const or = (g: Graph, a: Value, b: Value): Value => binary('Or', g, a, b, 'bool');
/** Integer remainder (fmod 0: the sign of the divisor, like Python's %). */
export const mod = (g: Graph, a: Value, b: Value): Value => binary('Mod', g, a, b);

/** Sum(x1, x2, …): elementwise sum of any number of same-typed inputs (broadcast). */
export function sum(g: Graph, xs: Value[]): Value {
  if (xs.length === 0) throw new Error('Sum needs at least one input.');
  xs.slice(1).forEach((x) => sameDtype('Sum', xs[0], x));
  return one(g, 'Sum', xs, xs[0].dtype, broadcastAll(xs.map((x) => x.shape), 'Sum'));
}

/** Pow allows a different exponent type; the output takes the base's type. */
export function pow(g: Graph, base: Value, exponent: Value): Value {
  return one(g, 'Pow', [base, exponent], base.dtype, broadcastShapes(base.shape, exponent.shape, 'Pow'));
}

// ---- elementwise unary -----------------------------------------------------------------------------------------

function unary(op: string, g: Graph, x: Value, outDtype?: DType): Value {
  return one(g, op, [x], outDtype ?? x.dtype, x.shape);
}

export const sqrt = (g: Graph, x: Value): Value => unary('Sqrt', g, x);
export const reciprocal = (g: Graph, x: Value): Value => unary('Reciprocal', g, x);
export const neg = (g: Graph, x: Value): Value => unary('Neg', g, x);
export const exp = (g: Graph, x: Value): Value => unary('Exp', g, x);
export const log = (g: Graph, x: Value): Value => unary('Log', g, x);
export const abs = (g: Graph, x: Value): Value => unary('Abs', g, x);
export const sin = (g: Graph, x: Value): Value => unary('Sin', g, x);
export const cos = (g: Graph, x: Value): Value => unary('Cos', g, x);
export const tanh = (g: Graph, x: Value): Value => unary('Tanh', g, x);
export const sigmoid = (g: Graph, x: Value): Value => unary('Sigmoid', g, x);
export const relu = (g: Graph, x: Value): Value => unary('Relu', g, x);
export const not = (g: Graph, x: Value): Value => unary('Not', g, x, 'bool');
export const identity = (g: Graph, x: Value): Value => unary('Identity', g, x);

export function cast(g: Graph, x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return one(g, 'Cast', [x], to, x.shape, { to: ONNX_DTYPE_CODE[to] });
}

export function softmax(g: Graph, x: Value, axis = -1): Value {
  return one(g, 'Softmax', [x], x.dtype, x.shape, { axis });
}

export function logSoftmax(g: Graph, x: Value, axis = -1): Value {
  return one(g, 'LogSoftmax', [x], x.dtype, x.shape, { axis });
}

// ---- matmul & reductions ---------------------------------------------------------------------------------------

/** a [..., M, K] × b [..., K, N] → [..., M, N] (batch dims broadcast; 1-D operands follow numpy rules). */
export function matMul(g: Graph, a: Value, b: Value): Value {
  sameDtype('MatMul', a, b);
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const k1 = aShape[aShape.length - 1];
  const k2 = bShape[bShape.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new Error(`MatMul: inner dims differ: ${a.name} ${shapeToString(a.shape)} × ${b.name} ${shapeToString(b.shape)}.`);
  }
  const batch = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2), 'MatMul batch dims');
  const shape = [...batch, aShape[aShape.length - 2], bShape[bShape.length - 1]];
  if (a.shape.length === 1) shape.splice(shape.length - 2, 1);
  if (b.shape.length === 1) shape.splice(shape.length - 1, 1);
  return one(g, 'MatMul', [a, b], a.dtype, shape);
}

/**
 * Gemm: alpha · op(a) [M, K] × op(b) [K, N] (op = optional transpose) + c → [M, N]; `c` broadcasts to [M, N]
 * (transB reads b transposed in place: no Transpose node, no copy).
 */
export function gemm(g: Graph, a: Value, b: Value, options: { transA?: boolean; transB?: boolean; alpha?: number; c?: Value } = {}): Value {
  sameDtype('Gemm', a, b);
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`Gemm needs 2-D operands: ${a.name} ${shapeToString(a.shape)}, ${b.name} ${shapeToString(b.shape)}.`);
  const [m, k1] = options.transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = options.transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new Error(`Gemm: inner dims differ: ${a.name} ${shapeToString(a.shape)} × ${b.name} ${shapeToString(b.shape)}.`);
  }
  const attrs: Record<string, AttrValue> = {};
  if (options.transA) attrs.transA = 1;
  if (options.transB) attrs.transB = 1;
  if (options.alpha !== undefined) attrs.alpha = float(options.alpha);
  if (options.c) sameDtype('Gemm', a, options.c);
  return one(g, 'Gemm', options.c ? [a, b, options.c] : [a, b], a.dtype, [m, n], attrs);
}

export interface MatMulNBitsWeight {
  /** uint8 [N, kBlocks, blockSize·bits/8]: the packed quantized weight, blocks along K. */
  packed: Value;
  /** [N · kBlocks] in the activations' float type. */
  scales: Value;
  /** Optional packed zero points (uint8); symmetric weights omit them. */
  zeroPoints?: Value;
  K: number;
  N: number;
  bits: number;
  blockSize: number;
  /** 0 = compute in the input type (exact x · dequant(W)); 4 = int8 activations (faster, approximate). */
  accuracyLevel: number;
  /** Base node name in the current scope (default 'MatMulNBits'). */
  name?: string;
}

/**
 * com.microsoft MatMulNBits: x [..., K] · dequant(W)ᵀ with W [N, K] stored quantized → [..., N]. The zero-point input
 * keeps its slot when absent (written as an empty name), so a node has the same arity either way.
 */
export function matMulNBits(g: Graph, x: Value, w: MatMulNBitsWeight): Value {
  const k = x.shape[x.shape.length - 1];
  if (typeof k === 'number' && k !== w.K) throw new Error(`MatMulNBits: ${x.name} ${shapeToString(x.shape)} has ${k} features but the weight has K = ${w.K}.`);
  if (w.scales.dtype !== x.dtype) throw new Error(`MatMulNBits: scales are ${w.scales.dtype} but ${x.name} is ${x.dtype}; the scales take the activations' float type.`);
  const blockBytes = (w.blockSize * w.bits) / 8;
  const expected = [w.N, Math.ceil(w.K / w.blockSize), blockBytes];
  if (w.packed.shape.length !== 3 || w.packed.shape.some((d, i) => typeof d === 'number' && d !== expected[i])) {
    throw new Error(`MatMulNBits: ${w.packed.name} ${shapeToString(w.packed.shape)} is not the packed layout ${shapeToString(expected)} of N = ${w.N}, K = ${w.K}, block ${w.blockSize}.`);
  }
  const attrs = { K: w.K, N: w.N, bits: w.bits, block_size: w.blockSize, accuracy_level: w.accuracyLevel };
  const [y] = g.node('MatMulNBits', [x, w.packed, w.scales, w.zeroPoints], [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), w.N] }], attrs, { domain: MS_DOMAIN, name: w.name ?? 'MatMulNBits' });
  return y;
}

export interface BlockQuantizedTable {
  /** uint8 [rows, width·bits/8]: each row quantized along its width in blocks, packed as for MatMulNBits. */
  packed: Value;
  /** [rows, width / blockSize] in the output's float type. */
  scales: Value;
  /** Optional packed zero points (uint8 [rows, ⌈blocks·bits/8⌉]); symmetric tables omit them. */
  zeroPoints?: Value;
  bits: number;
  blockSize: number;
  /** Base node name in the current scope (default 'GatherBlockQuantized'). */
  name?: string;
}

/**
 * com.microsoft GatherBlockQuantized: rows of a quantized table looked up by `ids` → [...ids, width] in the scales'
 * float type (gather along axis 0, blocks along axis 1). The zero-point input keeps its slot as for MatMulNBits.
 */
export function gatherBlockQuantized(g: Graph, table: BlockQuantizedTable, ids: Value): Value {
  const { packed, scales, blockSize, bits } = table;
  const packedWidth = packed.shape[1];
  if (packed.dtype !== 'uint8' || packed.shape.length !== 2 || typeof packedWidth !== 'number') {
    throw new Error(`GatherBlockQuantized: ${packed.name} must be uint8 [rows, packed width] with a fixed width; it is ${packed.dtype} ${shapeToString(packed.shape)}.`);
  }
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32') throw new Error(`GatherBlockQuantized: ids ${ids.name} are ${ids.dtype}; use int64 or int32.`);
  const width = (packedWidth * 8) / bits;
  if (width % blockSize !== 0) throw new Error(`GatherBlockQuantized: width ${width} is not a multiple of the block size ${blockSize}.`);
  const attrs = { gather_axis: 0, quantize_axis: 1, block_size: blockSize, bits };
  const outputs = [{ dtype: scales.dtype, shape: [...ids.shape, width] }];
  return g.node('GatherBlockQuantized', [packed, ids, scales, table.zeroPoints], outputs, attrs, { domain: MS_DOMAIN, name: table.name ?? 'GatherBlockQuantized' })[0];
}

function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const normalized = axes.map((a) => normalizeAxis(a, shape.length, 'reduce axis'));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!normalized.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** ReduceMean/ReduceMax/ReduceMin take `axes` as an attribute in opset 17. */
function reduceWithAttr(op: string, g: Graph, x: Value, axes: number[], keepdims: boolean): Value {
  return one(g, op, [x], x.dtype, reducedShape(x.shape, axes, keepdims), { axes, keepdims: keepdims ? 1 : 0 });
}

export const reduceMean = (g: Graph, x: Value, axes: number[], keepdims = true): Value => reduceWithAttr('ReduceMean', g, x, axes, keepdims);
export const reduceMax = (g: Graph, x: Value, axes: number[], keepdims = true): Value => reduceWithAttr('ReduceMax', g, x, axes, keepdims);
export const reduceMin = (g: Graph, x: Value, axes: number[], keepdims = true): Value => reduceWithAttr('ReduceMin', g, x, axes, keepdims);

/** ReduceSum takes `axes` as an input since opset 13. */
export function reduceSum(g: Graph, x: Value, axes: number[], keepdims = true): Value {
  return one(g, 'ReduceSum', [x, ints(g, axes)], x.dtype, reducedShape(x.shape, axes, keepdims), { keepdims: keepdims ? 1 : 0 });
}

// ---- shape manipulation ----------------------------------------------------------------------------------------

/**
 * Reshape to `target`: a static list (0 = copy that input dim, -1 = infer) or an int64 value computed in the graph
 * (its dims are inferred when it is a constant or the Shape of a known value; otherwise give `outShape`).
 */
export function reshape(g: Graph, x: Value, target: readonly number[] | Value, outShape?: Dim[]): Value {
  if (Array.isArray(target)) {
    const staticTarget = target as number[];
    return one(g, 'Reshape', [x, ints(g, staticTarget)], x.dtype, outShape ?? reshapeTarget(x.shape, staticTarget));
  }
  const shapeValue = target as Value;
  const constant = g.constantData(shapeValue);
  const known = constant ? reshapeTarget(x.shape, Array.from(constant.data as BigInt64Array, Number)) : knownDims(g, shapeValue);
  const shape = outShape ?? known;
  if (!shape) throw new Error(`reshape(${x.name}): the target shape is computed at run time; pass outShape.`);
  return one(g, 'Reshape', [x, shapeValue], x.dtype, shape);
}

/**
 * The dims an int64 shape value holds, when the builder can tell: a constant, or the Shape (or part of it) of a value
 * whose static shape is known. Undefined for shapes computed otherwise.
 */
export function knownDims(g: Graph, shapeValue: Value): Dim[] | undefined {
  const constant = g.constantData(shapeValue);
  if (constant) return Array.from(constant.data as BigInt64Array, Number);
  const producer = g.producer(shapeValue);
  if (producer?.opType !== 'Shape' || !producer.inputs[0]) return undefined;
  const dims = producer.inputs[0].shape;
  const { start, end } = producer.attrs;
  return dims.slice(typeof start === 'number' ? start : 0, typeof end === 'number' ? end : dims.length);
}

export function transpose(g: Graph, x: Value, perm: number[]): Value {
  if (perm.length !== x.shape.length) throw new Error(`Transpose: perm [${perm}] does not match rank ${x.shape.length} of ${x.name}.`);
  return one(g, 'Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm });
}

export function unsqueeze(g: Graph, x: Value, axes: number[]): Value {
  const rank = x.shape.length + axes.length;
  const normalized = axes.map((a) => normalizeAxis(a, rank, 'Unsqueeze axis')).sort((a, b) => a - b);
  const shape: Dim[] = [...x.shape];
  for (const a of normalized) shape.splice(a, 0, 1);
  return one(g, 'Unsqueeze', [x, ints(g, axes)], x.dtype, shape);
}

export function squeeze(g: Graph, x: Value, axes: number[]): Value {
  const normalized = axes.map((a) => normalizeAxis(a, x.shape.length, 'Squeeze axis'));
  return one(g, 'Squeeze', [x, ints(g, axes)], x.dtype, x.shape.filter((_, i) => !normalized.includes(i)));
}

export function concat(g: Graph, xs: Value[], axis: number): Value {
  if (xs.length === 0) throw new Error('Concat needs at least one input.');
  const rank = xs[0].shape.length;
  const a = normalizeAxis(axis, rank, 'Concat axis');
  const shape = [...xs[0].shape];
  for (const x of xs.slice(1)) {
    sameDtype('Concat', xs[0], x);
    shape[a] = addDims(shape[a], x.shape[a]);
  }
  return one(g, 'Concat', xs, xs[0].dtype, shape, { axis });
}

/**
 * Slice with static starts/ends along `axes` (steps default 1). Static sizes are computed when the dim is known;
 * otherwise pass `outDims` for the sliced axes (e.g. 'seq').
 */
export function slice(g: Graph, x: Value, starts: number[] | Value, ends: number[] | Value, axes: number[], outDims?: Dim[], steps?: number[]): Value {
  const toValue = (v: number[] | Value): Value => (Array.isArray(v) ? ints(g, v) : v);
  const shape = [...x.shape];
  axes.forEach((axis, i) => {
    const a = normalizeAxis(axis, shape.length, 'Slice axis');
    if (outDims) shape[a] = outDims[i];
    else if (Array.isArray(starts) && Array.isArray(ends) && typeof shape[a] === 'number') {
      shape[a] = sliceLength(shape[a] as number, starts[i], ends[i], steps?.[i] ?? 1);
    } else {
      throw new Error(`Slice(${x.name}): the size along axis ${axis} is not static; pass outDims.`);
    }
  });
  const inputs = [x, toValue(starts), toValue(ends), ints(g, axes)];
  if (steps) inputs.push(ints(g, steps));
  return one(g, 'Slice', inputs, x.dtype, shape);
}

function sliceLength(dim: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  if (step > 0) return Math.max(0, Math.ceil((clamp(e, 0, dim) - clamp(s, 0, dim)) / step));
  return Math.max(0, Math.ceil((clamp(s, -1, dim - 1) - clamp(e, -1, dim - 1)) / -step));
}

/** Gather along `axis`: out shape = data[:axis] + indices + data[axis+1:]. */
export function gather(g: Graph, data: Value, indices: Value, axis = 0): Value {
  const a = normalizeAxis(axis, data.shape.length, 'Gather axis');
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return one(g, 'Gather', [data, indices], data.dtype, shape, { axis });
}

/** GatherElements: out shape = indices shape (used to pick target log-probs). */
export function gatherElements(g: Graph, data: Value, indices: Value, axis: number): Value {
  return one(g, 'GatherElements', [data, indices], data.dtype, indices.shape, { axis });
}

/** ScatterElements (opset 16+): a copy of `data` with `updates` written (or added, or …) at `indices` along `axis`. */
export function scatterElements(g: Graph, data: Value, indices: Value, updates: Value, axis: number, reduction?: 'add' | 'mul'): Value {
  sameDtype('ScatterElements', data, updates);
  const attrs: Record<string, AttrValue> = { axis };
  if (reduction) attrs.reduction = reduction;
  return one(g, 'ScatterElements', [data, indices, updates], data.dtype, data.shape, attrs);
}

/** ScatterND (opset 16+): a copy of `data` with `updates` written (or added) at the index tuples in `indices`. */
export function scatterND(g: Graph, data: Value, indices: Value, updates: Value, reduction?: 'add' | 'mul'): Value {
  sameDtype('ScatterND', data, updates);
  return one(g, 'ScatterND', [data, indices, updates], data.dtype, data.shape, reduction ? { reduction } : {});
}

/**
 * Constant-pad with static `pads` ([begin per axis…, end per axis…]). Static sizes grow by the pads; a symbolic dim
 * needs `outShape` (e.g. the gradient of a slice padded back to the input's shape).
 */
export function pad(g: Graph, x: Value, pads: number[], outShape?: Dim[]): Value {
  const rank = x.shape.length;
  if (pads.length !== 2 * rank) throw new Error(`Pad: ${pads.length} pads for rank ${rank} (need ${2 * rank}).`);
  const shape = outShape ?? x.shape.map((d, i) => {
    const grow = pads[i] + pads[i + rank];
    if (grow === 0) return d;
    if (typeof d !== 'number') throw new Error(`Pad(${x.name}): axis ${i} is symbolic ('${d}'); pass outShape.`);
    return d + grow;
  });
  return one(g, 'Pad', [x, ints(g, pads)], x.dtype, shape, { mode: 'constant' });
}

/** Split along `axis` into parts of the given sizes (static numbers, or an int64 value with the parts' static dims). */
export function split(g: Graph, x: Value, sizes: number[] | { value: Value; dims: Dim[] }, axis: number): Value[] {
  const a = normalizeAxis(axis, x.shape.length, 'Split axis');
  const dims = Array.isArray(sizes) ? sizes : sizes.dims;
  const sizesValue = Array.isArray(sizes) ? ints(g, sizes) : sizes.value;
  const outputs = dims.map((d) => ({ dtype: x.dtype, shape: x.shape.map((xd, i) => (i === a ? d : xd)) }));
  return g.node('Split', [x, sizesValue], outputs, { axis: a });
}

/** Expand `x` to broadcast with the int64 `shape` value; `outShape` is the static result (inferred when known). */
export function expand(g: Graph, x: Value, shape: Value | number[], outShape?: Dim[]): Value {
  const shapeValue = Array.isArray(shape) ? ints(g, shape) : shape;
  const known = Array.isArray(shape) ? shape : knownDims(g, shape);
  const result = outShape ?? (known ? broadcastShapes(x.shape, known, 'Expand') : undefined);
  if (!result) throw new Error(`expand(${x.name}): the target shape is computed at run time; pass outShape.`);
  return one(g, 'Expand', [x, shapeValue], x.dtype, result);
}

export function where(g: Graph, condition: Value, a: Value, b: Value): Value {
  sameDtype('Where', a, b);
  return one(g, 'Where', [condition, a, b], a.dtype, broadcastAll([condition.shape, a.shape, b.shape], 'Where'));
}

/** Shape of `x` as int64 [rank] (or the [start, end) part). */
export function shape(g: Graph, x: Value, start?: number, end?: number): Value {
  const attrs: Record<string, AttrValue> = {};
  if (start !== undefined) attrs.start = start;
  if (end !== undefined) attrs.end = end;
  const rank = x.shape.length;
  const s = start === undefined ? 0 : start < 0 ? start + rank : start;
  const e = end === undefined ? rank : end < 0 ? end + rank : end;
  return one(g, 'Shape', [x], 'int64', [Math.max(0, e - s)], attrs);
}

/** A tensor filled with `value` (a one-element tensor fixing the dtype); `outShape` is inferred when the shape is known. */
export function constantOfShape(g: Graph, shapeValue: Value, value: Tensor, outShape?: Dim[]): Value {
  const shape = outShape ?? knownDims(g, shapeValue);
  if (!shape) throw new Error(`constantOfShape: the shape ${shapeValue.name} is computed at run time; pass outShape.`);
  return one(g, 'ConstantOfShape', [shapeValue], value.dtype, shape, { value });
}

/** A tensor of zeros with the run-time shape (and dtype) of `like`. */
export function zerosLike(g: Graph, like: Value): Value {
  return constantOfShape(g, shape(g, like), { dtype: like.dtype, dims: [1], data: zeroData(like.dtype) });
}

function zeroData(dtype: DType): Tensor['data'] {
  switch (dtype) {
    case 'float64': return new Float64Array(1);
    case 'float16': return new Uint16Array(1);
    case 'int64': return new BigInt64Array(1);
    case 'int32': return new Int32Array(1);
    case 'uint8': case 'bool': return new Uint8Array(1);
    default: return new Float32Array(1);
  }
}

/** Number of elements of `x`, as an int64 scalar. */
export function size(g: Graph, x: Value): Value {
  return one(g, 'Size', [x], 'int64', []);
}

/** Range(start, limit, delta) of scalars → 1-D of `length` (symbolic when computed at run time). */
export function range(g: Graph, start: Value, limit: Value, delta: Value, length: Dim): Value {
  return one(g, 'Range', [start, limit, delta], start.dtype, [length]);
}

/** Keep the upper (or lower) triangle relative to diagonal `k` of the last two dims; zero the rest. */
export function trilu(g: Graph, x: Value, upper: boolean, k?: Value): Value {
  return one(g, 'Trilu', k ? [x, k] : [x], x.dtype, x.shape, { upper: upper ? 1 : 0 });
}

// ---- control flow ----------------------------------------------------------------------------------------------

/**
 * If(cond): runs one branch (`g.subgraph`) and returns its outputs. The branches return the same number of values of
 * the same dtypes and ranks; a dim the branches disagree on becomes a symbol of its own (`if_out{output}_{axis}`).
 */
export function ifThenElse(g: Graph, cond: Value, thenBranch: SubGraph, elseBranch: SubGraph): Value[] {
  if (thenBranch.outputs.length !== elseBranch.outputs.length) throw new Error(`If: the branches return ${thenBranch.outputs.length} and ${elseBranch.outputs.length} values.`);
  const outputs = thenBranch.outputs.map((t, i) => {
    const e = elseBranch.outputs[i];
    if (t.dtype !== e.dtype) throw new Error(`If: output ${i} is ${t.dtype} in one branch and ${e.dtype} in the other.`);
    if (t.shape.length !== e.shape.length) throw new Error(`If: output ${i} has rank ${t.shape.length} in one branch and ${e.shape.length} in the other.`);
    return { dtype: t.dtype, shape: t.shape.map((d, k) => (d === e.shape[k] ? d : `if_out${i}_${k}`)) };
  });
  return g.node('If', [cond], outputs, { then_branch: thenBranch, else_branch: elseBranch });
}
