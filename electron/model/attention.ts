/**
 * Grouped-query attention with an optional KV cache, and the attention mask it uses.
 * Query heads are grouped as [kv_heads, heads/kv_heads] so one MatMul broadcasts each KV head over its group
 * (head h reads KV head h // group, like transformers' repeat_kv) without copying the cache.
 */
import type { DType, Graph, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import type { ModelConfig } from './config';
import { type LinearFn } from './layers';
import { applyRotary } from './rope';
import type { Weight } from './weights';

export type MaskMode = 'padding' | 'segments';

const LOWEST: Record<string, number> = { float16: -65504, float32: -3.4028234663852886e38, float64: -Number.MAX_VALUE };

/**
 * Which keys each query may see, as bool [batch, 1, 1, seq, total_seq] (the two 1s broadcast over KV heads and
 * their query groups). Queries are the last `seq` of `total_seq` positions. 'padding': attention_mask is 1 for real
 * tokens, 0 for pads. 'segments': attention_mask holds segment ids (0 = pad) and a query sees only its own segment.
 */
export function buildAttentionMask(g: Graph, inputIds: Value, attentionMask: Value, mode: MaskMode): Value {
  return g.scope('attn_mask', () => {
    const one = g.scalar('int64', 1);
    const seqLen = op.gather(g, op.shape(g, inputIds), one); // scalar: seq
    const totalLen = op.gather(g, op.shape(g, attentionMask), one); // scalar: total_seq
    const keyIndex = op.range(g, g.scalar('int64', 0), totalLen, one, attentionMask.shape[1]); // [total_seq]
    const queryIndex = op.range(g, op.sub(g, totalLen, seqLen), totalLen, one, inputIds.shape[1]); // [seq]
    const causal = op.lessOrEqual(g, op.unsqueeze(g, keyIndex, [0]), op.unsqueeze(g, queryIndex, [1])); // [seq, total_seq]
    const keyIsReal = op.greater(g, attentionMask, g.scalar('int64', 0)); // [batch, total_seq]
    let allowed = op.and(g, causal, op.unsqueeze(g, keyIsReal, [1])); // [batch, seq, total_seq]
    if (mode === 'segments') {
      const querySegments = op.gather(g, attentionMask, queryIndex, 1); // [batch, seq]
      const sameSegment = op.equal(g, op.unsqueeze(g, querySegments, [2]), op.unsqueeze(g, attentionMask, [1])); // [batch, seq, total_seq]
      allowed = op.and(g, allowed, sameSegment);
    }
    return op.unsqueeze(g, allowed, [1, 2]); // [batch, 1, 1, seq, total_seq]
  });
}

export interface AttentionContext {
  graph: Graph;
  config: ModelConfig;
  layer: number;
  linear: LinearFn;
  weight: (name: string) => Weight;
  dtype: DType;
  computeDtype: DType;
  cos: Value;
  sin: Value;
  /** bool [batch, 1, 1, seq, total_seq] */
  mask: Value;
  past?: { key: Value; value: Value };
}

/** x: [batch, seq, hidden] → { out [batch, seq, hidden], key/value [batch, kv_heads, total_seq, head_dim] }. */
export function groupedQueryAttention(ctx: AttentionContext, x: Value): { out: Value; key: Value; value: Value } {
  const { graph: g, config } = ctx;
  const { numHeads, numKvHeads, headDim: d, hiddenSize } = config;
  const group = numHeads / numKvHeads;
  const prefix = `model.layers.${ctx.layer}.self_attn`;
  const project = (input: Value, name: string, inFeatures: number, outFeatures: number, hasBias: boolean): Value => ctx.linear({
    graph: g, x: input, module: `${prefix}.${name}`, inFeatures, outFeatures, dtype: ctx.dtype,
    weight: () => ctx.weight(`${prefix}.${name}.weight`),
    bias: hasBias ? () => ctx.weight(`${prefix}.${name}.bias`) : undefined,
  });

  const q = op.reshape(g, project(x, 'q_proj', hiddenSize, numHeads * d, config.qkvBias), [0, 0, numHeads, d]); // [batch, seq, heads, d]
  const k = op.reshape(g, project(x, 'k_proj', hiddenSize, numKvHeads * d, config.qkvBias), [0, 0, numKvHeads, d]); // [batch, seq, kv_heads, d]
  const v = op.reshape(g, project(x, 'v_proj', hiddenSize, numKvHeads * d, config.qkvBias), [0, 0, numKvHeads, d]); // [batch, seq, kv_heads, d]

  const { qRot, kRot } = g.scope('rotary', () => ({
    qRot: applyRotary(g, q, ctx.cos, ctx.sin, d),
    kRot: applyRotary(g, k, ctx.cos, ctx.sin, d),
  }));
  let key = op.transpose(g, kRot, [0, 2, 1, 3]); // [batch, kv_heads, seq, d]
  let value = op.transpose(g, v, [0, 2, 1, 3]); // [batch, kv_heads, seq, d]
  if (ctx.past) {
    key = op.concat(g, [ctx.past.key, key], 2); // [batch, kv_heads, total_seq, d]
    value = op.concat(g, [ctx.past.value, value], 2); // [batch, kv_heads, total_seq, d]
  }

  const attended = g.scope('sdpa', () => {
    const grouped = op.reshape(g, qRot, [0, 0, numKvHeads, group, d]); // [batch, seq, kv_heads, group, d]
    const queries = op.transpose(g, grouped, [0, 2, 3, 1, 4]); // [batch, kv_heads, group, seq, d]
    const scaled = op.mul(g, queries, g.scalar(ctx.dtype, 1 / Math.sqrt(d)));
    const keysT = op.transpose(g, op.unsqueeze(g, key, [2]), [0, 1, 2, 4, 3]); // [batch, kv_heads, 1, d, total_seq]
    const scores = op.cast(g, op.matMul(g, scaled, keysT), ctx.computeDtype); // [batch, kv_heads, group, seq, total_seq]
    const masked = op.where(g, ctx.mask, scores, g.scalar(ctx.computeDtype, LOWEST[ctx.computeDtype]));
    const probs = op.cast(g, op.softmax(g, masked, -1), ctx.dtype); // [batch, kv_heads, group, seq, total_seq]
    const out = op.matMul(g, probs, op.unsqueeze(g, value, [2])); // [batch, kv_heads, group, seq, d]
    return op.reshape(g, op.transpose(g, out, [0, 3, 1, 2, 4]), [0, 0, numHeads * d]); // [batch, seq, heads·d]
  });
  const out = project(attended, 'o_proj', numHeads * d, hiddenSize, config.oBias); // [batch, seq, hidden]
  return { out, key, value };
}
