/**
 * A small typed IR for ONNX graphs. Every value carries its dtype and (possibly symbolic) shape so later passes
 * (autodiff, quantization) know shapes statically. Names are hierarchical, like onnxruntime-genai's builder:
 * node `/model/layers.0/attn/q_proj/MatMul`, its outputs `/model/layers.0/attn/q_proj/MatMul/output_0`.
 */
import { f32ToF16Bits } from '../util/float16';

export type DType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';
/** A dimension: a fixed size, or a symbolic name ('batch', 'seq', 'past_seq', 'total_seq', or an expression). */
export type Dim = number | string;

export interface Value {
  name: string;
  dtype: DType;
  shape: Dim[];
}

export type TypedData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

/** A tensor held in memory. float16 data is raw bits in a Uint16Array; bool is a Uint8Array of 0/1. */
export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TypedData;
}

/**
 * A tensor whose bytes are produced only when the writer needs them (streamed one at a time to the external-data
 * file), so a converter never holds a whole model in memory.
 */
export interface LazyTensor {
  dtype: DType;
  dims: number[];
  /** Raw little-endian bytes in `dtype` (byteLength = product(dims) × bytes per element). */
  bytes: () => Uint8Array | Promise<Uint8Array>;
  /**
   * The same bytes as a stream of chunks, in order. The writer prefers it: a tensor of any size (the 70B's 2.1 GB
   * embedding, a 4.2 GB fp32 lm_head) then reaches disk holding one chunk. A producer may reuse a chunk's memory once
   * the next chunk is requested, so a consumer that keeps bytes must copy them.
   */
  chunks?: () => AsyncIterable<Uint8Array>;
}

export type TensorSource = Tensor | LazyTensor;

export function isLazy(source: TensorSource): source is LazyTensor {
  return typeof (source as LazyTensor).bytes === 'function';
}

/** Bytes a tensor of this dtype and shape occupies. */
export function sourceByteLength(source: { dtype: DType; dims: readonly number[] }): number {
  return elementCount(source.dims) * DTYPE_BYTES[source.dtype];
}

/**
 * A lazy tensor defined by its chunks; `bytes()` gathers them into one buffer (for inline writes and callers that
 * need the whole tensor). `what` names the tensor in the length error.
 */
export function chunkedTensor(dtype: DType, dims: number[], chunks: () => AsyncIterable<Uint8Array>, what = 'tensor'): LazyTensor {
  return { dtype, dims, chunks, bytes: () => collectChunks(chunks(), sourceByteLength({ dtype, dims }), `${what} ${dtype}[${dims.join(', ')}]`) };
}

/** Concatenate a chunk stream of exactly `expected` bytes (copying: producers may reuse chunk memory). */
export async function collectChunks(chunks: AsyncIterable<Uint8Array>, expected: number, what: string): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  for await (const chunk of chunks) {
    if (filled + chunk.byteLength > expected) throw chunkLengthError(what, filled + chunk.byteLength, expected, 'at least ');
    out.set(chunk, filled);
    filled += chunk.byteLength;
  }
  if (filled !== expected) throw chunkLengthError(what, filled, expected);
  return out;
}

export function chunkLengthError(what: string, got: number, expected: number, qualifier = ''): Error {
  return new Error(`${what}: the streamed data is ${qualifier}${got} bytes, but its dtype and shape need exactly ${expected}.`);
}

/** Marks a float attribute (plain numbers are written as INT attributes). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export class FloatsAttr {
  constructor(readonly values: number[]) {}
}
export const float = (value: number): FloatAttr => new FloatAttr(value);
export const floats = (values: number[]): FloatsAttr => new FloatsAttr(values);

/**
 * A subgraph attribute (an If branch): nodes that run only when the branch is taken, reading any value of the outer
 * graph by name, and the values the branch returns.
 */
export class SubGraph {
  constructor(readonly name: string, readonly nodes: Node[], readonly outputs: Value[]) {}
}

export type AttrValue = number | number[] | string | string[] | FloatAttr | FloatsAttr | Tensor | SubGraph;

export interface Node {
  opType: string;
  /** '' for the default ONNX domain, 'com.microsoft' for ORT contrib ops. */
  domain: string;
  name: string;
  /** `undefined` marks an omitted optional input. */
  inputs: (Value | undefined)[];
  outputs: Value[];
  attrs: Record<string, AttrValue>;
}

export interface Initializer {
  value: Value;
  source: TensorSource;
  /** 'weight' = named model parameter; 'constant' = small deduplicated literal made by the builder. */
  kind: 'weight' | 'constant';
}

export interface NodeOptions {
  domain?: string;
  /** Base node name inside the current scope (default: the op type). */
  name?: string;
}

/** TensorProto.DataType codes: the tensor type in the file, Cast's `to`, a ConstantOfShape value. */
export const ONNX_DTYPE_CODE: Record<DType, number> = {
  float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
};

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4, float16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers = new Map<string, Initializer>();
  private readonly scopes: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constantsByKey = new Map<string, Value>();
  private readonly producers = new Map<string, Node>();
  /** Where `node()` appends: the graph's own list, or the branch being built by `subgraph()`. */
  private readonly targets: Node[][] = [];

  constructor(readonly name = 'main_graph') {}

  input(name: string, dtype: DType, shape: Dim[]): Value {
    this.claim(name);
    const value = { name, dtype, shape: [...shape] };
    this.inputs.push(value);
    return value;
  }

  /** A named weight. `dims` of the source are the value's shape. */
  initializer(name: string, source: TensorSource): Value {
    this.claim(name);
    const value = { name, dtype: source.dtype, shape: [...source.dims] };
    this.initializers.set(name, { value, source, kind: 'weight' });
    return value;
  }

  /** A small literal tensor; identical constants (dtype, dims, values) share one initializer. */
  constant(dtype: DType, dims: number[], values: ArrayLike<number | bigint | boolean>): Value {
    const tensor = makeTensor(dtype, dims, values);
    const key = `${dtype}|${dims.join(',')}|${Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).toString('base64')}`;
    const existing = this.constantsByKey.get(key);
    if (existing) return existing;
    const name = this.uniqueName(`/constants/${dtype}/[${dims.join(',')}]`);
    this.usedNames.add(name);
    const value = { name, dtype, shape: [...dims] };
    this.initializers.set(name, { value, source: tensor, kind: 'constant' });
    this.constantsByKey.set(key, value);
    return value;
  }

  /** Scalar constant helper (shape []). */
  scalar(dtype: DType, value: number | bigint | boolean): Value {
    return this.constant(dtype, [], [value]);
  }

  /**
   * Append a node. `outputs` gives each output's dtype and shape; names are `{node name}/output_{i}`.
   * Returns the output values.
   */
  node(
    opType: string,
    inputs: (Value | undefined)[],
    outputs: { dtype: DType; shape: Dim[] }[],
    attrs: Record<string, AttrValue> = {},
    options: NodeOptions = {},
  ): Value[] {
    const nodeName = this.uniqueName(this.scoped(options.name ?? opType));
    this.usedNames.add(nodeName);
    const outputValues = outputs.map((spec, i) => {
      const name = `${nodeName}/output_${i}`;
      this.claim(name);
      return { name, dtype: spec.dtype, shape: [...spec.shape] };
    });
    const node: Node = { opType, domain: options.domain ?? '', name: nodeName, inputs: [...inputs], outputs: outputValues, attrs };
    (this.targets[this.targets.length - 1] ?? this.nodes).push(node);
    for (const out of outputValues) this.producers.set(out.name, node);
    return outputValues;
  }

  /** Mark a value as a graph output; a different `name` adds an Identity so the output gets that name. */
  output(value: Value, name?: string, shape?: Dim[]): Value {
    let out = value;
    if (name !== undefined && name !== value.name) {
      this.claim(name);
      out = { name, dtype: value.dtype, shape: [...(shape ?? value.shape)] };
      const node: Node = { opType: 'Identity', domain: '', name: this.uniqueName(`/outputs/${name}/Identity`), inputs: [value], outputs: [out], attrs: {} };
      this.usedNames.add(node.name);
      this.nodes.push(node);
      this.producers.set(out.name, node);
    } else if (shape) {
      out = { ...value, shape: [...shape] };
    }
    this.outputs.push(out);
    return out;
  }

  /**
   * Rename a node's output where it is made: its producer writes `name` and every reader reads it. For a graph output
   * that the kernel itself must write (no Identity in between), e.g. a KV cache ORT then updates in place.
   */
  rename(value: Value, name: string): Value {
    const producer = this.producers.get(value.name);
    if (!producer) throw new Error(`Graph: "${value.name}" is not a node's output, so it cannot be renamed.`);
    this.claim(name);
    const renamed = { ...value, name, shape: [...value.shape] };
    const swap = (v: Value | undefined): Value | undefined => (v?.name === value.name ? renamed : v);
    producer.outputs = producer.outputs.map((o) => swap(o)!);
    for (const node of this.allNodes()) {
      node.inputs = node.inputs.map(swap);
      for (const attr of Object.values(node.attrs)) if (attr instanceof SubGraph) attr.outputs.splice(0, attr.outputs.length, ...attr.outputs.map((o) => swap(o)!));
    }
    this.outputs.splice(0, this.outputs.length, ...this.outputs.map((o) => swap(o)!));
    this.producers.delete(value.name);
    this.producers.set(name, producer);
    return renamed;
  }

  /**
   * A branch body: the nodes `fn` appends go to the subgraph instead of this graph (inside the scope `name`), and it
   * returns the values `fn` returns. A returned value the branch did not compute itself (an outer value) goes through
   * an Identity, since a graph's outputs are its own values.
   */
  subgraph(name: string, fn: () => Value[]): SubGraph {
    const nodes: Node[] = [];
    this.targets.push(nodes);
    try {
      return this.scope(name, () => {
        const results = fn();
        const own = new Set(nodes.flatMap((n) => n.outputs.map((o) => o.name)));
        const outputs = results.map((v) => (own.has(v.name) ? v : this.node('Identity', [v], [{ dtype: v.dtype, shape: v.shape }], {}, { name: 'Identity' })[0]));
        return new SubGraph(this.scoped('graph'), nodes, outputs);
      });
    } finally {
      this.targets.pop();
    }
  }

  /** Every node, those inside branch bodies (at any depth) included. */
  *allNodes(nodes: readonly Node[] = this.nodes): Generator<Node> {
    for (const node of nodes) {
      yield node;
      for (const attr of Object.values(node.attrs)) if (attr instanceof SubGraph) yield* this.allNodes(attr.nodes);
    }
  }

  /** Run `fn` with `name` appended to the node-name prefix (`/model/layers.0/attn/...`). */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The node producing `value`, if any (undefined for inputs and initializers). */
  producer(value: Value): Node | undefined {
    return this.producers.get(value.name);
  }

  /** The in-memory data of a constant or eager initializer (undefined for lazy weights and computed values). */
  constantData(value: Value): Tensor | undefined {
    const init = this.initializers.get(value.name);
    if (!init || isLazy(init.source)) return undefined;
    return init.source;
  }

  /**
   * Removes what no graph output needs: nodes none of whose outputs is used (repeatedly, so dead chains go whole), then
   * initializers that nothing reads. Graph inputs stay. Returns the number of nodes removed.
   */
  prune(): number {
    const before = this.nodes.length;
    for (let changed = true; changed; ) {
      const used = this.usedValueNames();
      const dead = new Set(this.nodes.filter((n) => !n.outputs.some((o) => used.has(o.name))));
      changed = dead.size > 0;
      for (const node of dead) for (const o of node.outputs) this.producers.delete(o.name);
      if (changed) this.nodes.splice(0, this.nodes.length, ...this.nodes.filter((n) => !dead.has(n)));
    }
    const used = this.usedValueNames();
    for (const name of [...this.initializers.keys()]) if (!used.has(name)) this.initializers.delete(name);
    for (const [key, value] of [...this.constantsByKey]) if (!used.has(value.name)) this.constantsByKey.delete(key);
    return before - this.nodes.length;
  }

  private usedValueNames(): Set<string> {
    const used = new Set(this.outputs.map((o) => o.name));
    for (const node of this.allNodes()) for (const x of node.inputs) if (x) used.add(x.name);
    return used;
  }

  /** Domains used by the nodes (for opset imports). */
  domains(): Set<string> {
    return new Set(Array.from(this.allNodes(), (n) => n.domain));
  }

  private scoped(base: string): string {
    return `/${[...this.scopes, base].join('/')}`;
  }

  private uniqueName(base: string): string {
    if (!this.usedNames.has(base)) return base;
    for (let i = 1; ; i++) {
      const candidate = `${base}_${i}`;
      if (!this.usedNames.has(candidate)) return candidate;
    }
  }

  private claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`Graph: the name "${name}" is already used by another value.`);
    this.usedNames.add(name);
  }
}

/** Build an in-memory tensor of `dtype` from plain numbers (float16 values are converted to half bits). */
export function makeTensor(dtype: DType, dims: number[], values: ArrayLike<number | bigint | boolean>): Tensor {
  const count = elementCount(dims);
  if (values.length !== count) throw new Error(`makeTensor: ${values.length} values for dims [${dims.join(', ')}] (need ${count}).`);
  // Packed weights arrive as the storage type already; a plain-array detour would cost a JS value per byte.
  if (dtype === 'uint8' && values instanceof Uint8Array) return { dtype, dims, data: values.slice() };
  if (dtype === 'float32' && values instanceof Float32Array) return { dtype, dims, data: values.slice() };
  const numbers = Array.from(values, (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  switch (dtype) {
    case 'float32': return { dtype, dims, data: Float32Array.from(numbers, Number) };
    case 'float64': return { dtype, dims, data: Float64Array.from(numbers, Number) };
    case 'float16': return { dtype, dims, data: Uint16Array.from(numbers, (v) => f32ToF16Bits(Number(v))) };
    case 'int64': return { dtype, dims, data: BigInt64Array.from(numbers, (v) => BigInt(v)) };
    case 'int32': return { dtype, dims, data: Int32Array.from(numbers, Number) };
    case 'uint8':
    case 'bool': return { dtype, dims, data: Uint8Array.from(numbers, Number) };
  }
}
