/**
 * Fused ONNX Runtime ops for the inference decoder: GroupQueryAttention (com.microsoft), SimplifiedLayerNormalization
 * (ORT's RMSNorm, registered in the default domain) and SkipSimplifiedLayerNormalization (com.microsoft).
 * Each replaces a subgraph of many small nodes with one kernel call.
 */
import { float, type Dim, type Graph, type Value } from './graph';
import { MS_DOMAIN } from './ops';

const MS = { domain: MS_DOMAIN } as const;

/** RMSNorm: x / sqrt(mean(x²) + eps) · weight, statistics in float32 (stash_type 1). x: [..., hidden]. */
export function simplifiedLayerNorm(g: Graph, x: Value, weight: Value, epsilon: number): Value {
  const [y] = g.node('SimplifiedLayerNormalization', [x, weight], [{ dtype: x.dtype, shape: x.shape }], { axis: -1, epsilon: float(epsilon), stash_type: 1 });
  return y;
}

/**
 * sum = x + skip; returns { normed: RMSNorm(sum)·weight, sum }. The mean and inverse-std outputs are omitted (their
 * names are left empty, which ONNX reads as "not requested").
 */
export function skipSimplifiedLayerNorm(g: Graph, x: Value, skip: Value, weight: Value, epsilon: number): { normed: Value; sum: Value } {
  const spec = { dtype: x.dtype, shape: x.shape };
  const outs = g.node('SkipSimplifiedLayerNormalization', [x, skip, weight], [spec, spec, spec, spec], { epsilon: float(epsilon) }, MS);
  const node = g.producer(outs[0])!;
  node.outputs[1] = { ...outs[1], name: '' };
  node.outputs[2] = { ...outs[2], name: '' };
  return { normed: outs[0], sum: outs[3] };
}

export interface GqaOptions {
  numHeads: number;
  kvHeads: number;
  headDim: number;
  /** [batch] int32: index of the last real token of each row (total length − 1). */
  seqlensK: Value;
  /** scalar int32: total sequence length (past + new). */
  totalSequenceLength: Value;
  /**
   * cos/sin tables [max positions, head_dim/2] in the activation type: rotary applied inside the op (non-interleaved
   * halves). Without them the op takes q and k already rotated.
   */
  rotary?: { cos: Value; sin: Value };
  /** Present dim name: with a shared buffer ORT returns the buffer's length, otherwise past + new. */
  presentDim: Dim;
}

/**
 * GroupQueryAttention with rotary embeddings and a KV cache. `qkv` is either the packed projection [batch, seq,
 * (heads + 2·kv_heads)·d] or separate q/k/v. When past and present are bound to the same buffer (of the maximum
 * length), ORT appends the new keys/values in place (past_present_share_buffer) instead of copying the cache.
 */
export function groupQueryAttention(
  g: Graph,
  qkv: Value | { q: Value; k: Value; v: Value },
  past: { key: Value; value: Value },
  o: GqaOptions,
): { out: Value; key: Value; value: Value } {
  const [query, key, value] = 'q' in qkv ? [qkv.q, qkv.k, qkv.v] : [qkv, undefined, undefined];
  const [batch, seq] = query.shape;
  const kvShape = [batch, o.kvHeads, o.presentDim, o.headDim];
  const [out, presentKey, presentValue] = g.node(
    'GroupQueryAttention',
    [query, key, value, past.key, past.value, o.seqlensK, o.totalSequenceLength, ...(o.rotary ? [o.rotary.cos, o.rotary.sin] : [])],
    [{ dtype: query.dtype, shape: [batch, seq, o.numHeads * o.headDim] }, { dtype: past.key.dtype, shape: kvShape }, { dtype: past.value.dtype, shape: kvShape }],
    { num_heads: o.numHeads, kv_num_heads: o.kvHeads, do_rotary: o.rotary ? 1 : 0, rotary_interleaved: 0, scale: float(1 / Math.sqrt(o.headDim)) },
    { ...MS, name: 'GroupQueryAttention' },
  );
  return { out, key: presentKey, value: presentValue };
}
