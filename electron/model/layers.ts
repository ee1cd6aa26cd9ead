/**
 * The small building blocks of the decoder: the linear and embedding hooks, RMSNorm and the SwiGLU MLP.
 */
import type { DType, Graph, TensorSource, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import type { ModelConfig } from './config';
import { lazyWeight, type Weight } from './weights';

/** The token embedding table's tensor name (also lm_head's weight in tied models). */
export const EMBEDDING_WEIGHT = 'model.embed_tokens.weight';

/** What a `linear` hook gets for one projection. */
export interface LinearContext {
  graph: Graph;
  /** Input activations [..., inFeatures] in the graph's activation dtype. */
  x: Value;
  /** Hugging Face module path, e.g. 'model.layers.0.self_attn.q_proj' or 'lm_head'. */
  module: string;
  inFeatures: number;
  outFeatures: number;
  /** The weight as stored by Hugging Face: [outFeatures, inFeatures]. */
  weight: () => Weight;
  bias?: () => Weight;
  /** Activation dtype of the graph (float32, float16 or float64). */
  dtype: DType;
}

/** Returns [..., outFeatures]. */
export type LinearFn = (ctx: LinearContext) => Value;

/** Default projection: MatMul by the transposed weight (stored [in, out] as `{module}.weight`), then Add bias. */
export function defaultLinear(ctx: LinearContext): Value {
  const { dtype } = ctx;
  return matMulLinear(ctx, lazyWeight(ctx.weight(), dtype, true), ctx.bias && (() => lazyWeight(ctx.bias!(), dtype)));
}

/**
 * y = x · Wᵀ (+ bias) as a MatMul by `weightT` (Wᵀ [in, out], stored as `{module}.weight`) and an Add of `bias()`
 * (stored as `{module}.bias`), in the module's scope. Hooks that only change how the tensors are read reuse it.
 */
export function matMulLinear(ctx: LinearContext, weightT: TensorSource, bias?: () => TensorSource): Value {
  const { graph: g, x, module } = ctx;
  return g.scope(moduleScope(module), () => {
    const weight = g.initializer(`${module}.weight`, weightT); // [in, out]
    const y = op.matMul(g, x, weight); // [..., out]
    return bias ? op.add(g, y, g.initializer(`${module}.bias`, bias())) : y;
  });
}

/** lm_head through the `linear` hook (a tied model reads the embedding table): x [..., hidden] → [..., vocab]. */
export function lmHead(g: Graph, config: ModelConfig, linear: LinearFn, weight: (name: string) => Weight, x: Value, dtype: DType): Value {
  const headWeight = config.tieWordEmbeddings ? EMBEDDING_WEIGHT : 'lm_head.weight';
  return linear({ graph: g, x, module: 'lm_head', inFeatures: config.hiddenSize, outFeatures: config.vocabSize, dtype, weight: () => weight(headWeight) });
}

/** What an `embedding` hook gets: the token lookup at the bottom of the decoder. */
export interface EmbeddingContext {
  graph: Graph;
  /** Token ids [batch, seq] (int64). */
  ids: Value;
  /** Hugging Face tensor name of the table (EMBEDDING_WEIGHT). */
  name: string;
  /** The table as stored by Hugging Face: [vocab, hidden]. */
  weight: () => Weight;
  /** Activation dtype of the graph: the hook returns [batch, seq, hidden] in it. */
  dtype: DType;
}

/** Returns [batch, seq, hidden] in `ctx.dtype`. */
export type EmbeddingFn = (ctx: EmbeddingContext) => Value;

/** Default lookup: Gather rows of the table, stored in the activation dtype as `{name}`. */
export function defaultEmbedding(ctx: EmbeddingContext): Value {
  const table = ctx.graph.initializer(ctx.name, lazyWeight(ctx.weight(), ctx.dtype)); // [vocab, hidden]
  return op.gather(ctx.graph, table, ctx.ids); // [batch, seq, hidden]
}

/** The token lookup through the `embedding` hook, in the `embed_tokens` scope: ids [batch, seq] → [batch, seq, hidden]. */
export function embedTokens(g: Graph, embedding: EmbeddingFn, weight: (name: string) => Weight, ids: Value, dtype: DType): Value {
  return g.scope('embed_tokens', () => embedding({ graph: g, ids, name: EMBEDDING_WEIGHT, weight: () => weight(EMBEDDING_WEIGHT), dtype }));
}

/** The last component of a module path names its scope (`q_proj` inside `/model/layers.0/attn`). */
export function moduleScope(module: string): string {
  return module.slice(module.lastIndexOf('.') + 1);
}

/** y = x / sqrt(mean(x²) + eps) · weight, the statistics computed in `computeDtype`. x: [..., hidden]. */
export function rmsNorm(g: Graph, x: Value, weight: Weight, name: string, eps: number, computeDtype: DType): Value {
  const xc = op.cast(g, x, computeDtype); // [..., hidden]
  const variance = op.reduceMean(g, op.mul(g, xc, xc), [-1]); // [..., 1]
  const inverseRms = op.reciprocal(g, op.sqrt(g, op.add(g, variance, g.scalar(computeDtype, eps)))); // [..., 1]
  const normalized = op.cast(g, op.mul(g, xc, inverseRms), x.dtype); // [..., hidden]
  return op.mul(g, normalized, g.initializer(name, lazyWeight(weight, x.dtype)));
}

export interface MlpContext {
  graph: Graph;
  linear: LinearFn;
  prefix: string; // 'model.layers.0.mlp'
  hiddenSize: number;
  intermediateSize: number;
  weight: (name: string) => Weight;
  hasBias: boolean;
  dtype: DType;
}

/** down(silu(gate(x)) · up(x)). x: [batch, seq, hidden]. */
export function swiGluMlp(ctx: MlpContext, x: Value): Value {
  const { graph: g, prefix, hiddenSize: h, intermediateSize: m } = ctx;
  const project = (input: Value, name: string, inFeatures: number, outFeatures: number): Value => ctx.linear({
    graph: g, x: input, module: `${prefix}.${name}`, inFeatures, outFeatures, dtype: ctx.dtype,
    weight: () => ctx.weight(`${prefix}.${name}.weight`),
    bias: ctx.hasBias ? () => ctx.weight(`${prefix}.${name}.bias`) : undefined,
  });
  const gate = project(x, 'gate_proj', h, m); // [batch, seq, intermediate]
  const up = project(x, 'up_proj', h, m); // [batch, seq, intermediate]
  const activated = g.scope('act_fn', () => op.mul(g, gate, op.sigmoid(g, gate))); // silu
  return project(op.mul(g, activated, up), 'down_proj', m, h); // [batch, seq, hidden]
}
