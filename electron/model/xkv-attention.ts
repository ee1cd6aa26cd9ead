/**
 * Attention over a KV cache that stays in the engine's own buffers ("external" cache): the graph reads the past keys
 * and values as inputs and returns only the new tokens' keys and values.
 *
 * Why not GroupQueryAttention with one shared past/present buffer: onnxruntime-node copies every fetched output back
 * into a fresh JavaScript buffer, so a preallocated present of the loaded context length is copied (and the old one
 * collected) on every decoded token — 264 MB a step for R1-Distill-Qwen-1.5B at a 4,608-token context, ~2 GB at
 * 32k. Inputs, on the other hand, are passed without a copy, and a view of the first `past_rows` rows of a buffer is
 * an input like any other. So each kv head's cache is its own [rows, head_dim] buffer, fed as a view, and attention
 * is computed with Gemm, never concatenating the cache. The scores are computed transposed, K·qᵀ: the keys are
 * Gemm's A operand, which MLAS reads in place, where q·Kᵀ made it pack (transpose-copy) every key of the context
 * on every step (`npm run bench -- xkv-attention`: 1.08–1.16× faster attention from 1k to 8k rows).
 *
 * Row 0 of every cache buffer is a sink that `past_bias` masks with −∞, so the past is never empty (zero-sized
 * Gemm operands are avoided); real positions live at rows 1…past_len.
 *
 * The values are held transposed, in blocks of VALUE_BLOCK rows ([past_rows / 256, head_dim, 256], converter 1.3,
 * graph 'fused-xkv-v2'): P·V is then a batched MatMul with the values as its A operand, read in place, summed over
 * the blocks. As rows ([past_rows, head_dim], the 1.2 graph) they are MatMul's B operand, which MLAS packs
 * (transpose-copies) whole on every step. `npm run bench -- xkv-model`: a whole 1.5B step at 4,096 tokens faster in
 * 12 of 13 alternating pairs (1.03–1.22×), 1k–2k about even, 32 equal. The engine therefore feeds whole blocks:
 * past_rows is a multiple of 256 and `past_bias` masks the rows past the cache's length with −∞ as it masks the sink.
 *
 * A prefill chunk (more than one new token) takes another branch where the engine feeds `fused_prefill` true
 * (converter 1.4, graph 'fused-xkv-v3'): GroupQueryAttention over copies of the cached rows, which costs a 512-token
 * chunk a fraction of the decode formulation (externalKvAttention). It reads the number of cached tokens from
 * position_ids: the first new token's position is the cache's length.
 *
 * I/O per layer i and kv head h (batch 1):
 *   past.{i}.{h}.key [past_rows, head_dim], past.{i}.{h}.value [past_rows / 256, head_dim, 256] (or [past_rows,
 *   head_dim] in the 1.2 layout) → new.{i}.key|value [kv_heads, seq, head_dim] (after rotary)
 * and once per graph: position_ids [1, seq] (from the cache's length on), past_bias [1, past_rows] (0, or −∞ for the
 * sink), fused_prefill [1] (bool, v3),
 * causal_bias [group, seq, seq] (0 on and below the diagonal, −∞ above; group = query heads per kv head, static, so
 * a caller can read it from the model's inputs).
 */
import type { DType, Graph, Value } from '../onnx/graph';
import { groupQueryAttention } from '../onnx/contrib-ops';
import * as op from '../onnx/ops';
import { applyRotary } from './rope';

export const XKV_NAMES = {
  positionIds: 'position_ids',
  pastBias: 'past_bias',
  causalBias: 'causal_bias',
  fusedPrefill: 'fused_prefill',
  past: (layer: number, head: number, kind: 'key' | 'value') => `past.${layer}.${head}.${kind}`,
  fresh: (layer: number, kind: 'key' | 'value') => `new.${layer}.${kind}`,
} as const;

/** Rows per block of the transposed value cache. */
export const VALUE_BLOCK = 256;
/** 'blocks': values as Vᵀ blocks (converter 1.3+); 'rows': as [past_rows, head_dim] (converter 1.2). */
export type ValueLayout = 'blocks' | 'rows';

export interface XkvShape {
  numHeads: number;
  kvHeads: number;
  headDim: number;
}

export interface XkvInputs {
  pastBias: Value; // [past_rows, 1]
  causalBias: Value; // [group·seq, seq]
  /** past_rows as an int64 [1] (the split point between past and new scores). */
  pastRows: Value;
  past: { key: Value; value: Value }[]; // one per kv head: keys [past_rows, head_dim], values in `valueLayout`
  valueLayout: ValueLayout;
  chunk: ChunkLengths;
}

/**
 * What the prefill branch needs, computed once per run from position_ids (the first new token's position is the
 * number of cached tokens, which sit at rows 1…past_len).
 */
export interface ChunkLengths {
  /** bool [1]: more than one new token, and the engine asks for the fused prefill. */
  isChunk: Value;
  /** int64 [1]: 1 + past_len, the end of the cached rows. */
  pastEnd: Value;
  /** int32 [1]: past_len + seq − 1 (GroupQueryAttention's seqlens_k). */
  seqlensK: Value;
  /** int32 scalar: past_len + seq. */
  totalSequenceLength: Value;
}

/**
 * Declares the graph-wide inputs and one layer's cache inputs. `fused_prefill` (bool [1], graph 'fused-xkv-v3') lets
 * the engine choose: true runs a chunk's attention as GroupQueryAttention (measured faster on the CPU), false keeps
 * the decode formulation for every run (other providers: nothing there has been measured, and a GPU provider may have
 * no GroupQueryAttention kernel for a float32 graph, which would put the attention on the CPU mid-graph).
 */
export function declareXkvInputs(g: Graph, s: XkvShape, layers: number, dtype: DType, valueLayout: ValueLayout, positionIds: Value): Omit<XkvInputs, 'past' | 'valueLayout'> & { perLayer: XkvInputs['past'][] } {
  const pastBiasInput = g.input(XKV_NAMES.pastBias, dtype, [1, 'past_rows']);
  const pastBias = g.scope('past_bias', () => op.reshape(g, pastBiasInput, [-1, 1], ['past_rows', 1])); // a column, for K·qᵀ
  const causalInput = g.input(XKV_NAMES.causalBias, dtype, [s.numHeads / s.kvHeads, 'seq', 'seq']);
  const causalBias = g.scope('causal_bias', () => op.reshape(g, causalInput, [-1, 0], ['group_seq', 'seq'])); // [group·seq, seq]
  const perLayer = Array.from({ length: layers }, (_, i) =>
    Array.from({ length: s.kvHeads }, (_, h) => ({
      key: g.input(XKV_NAMES.past(i, h, 'key'), dtype, ['past_rows', s.headDim]),
      value: valueLayout === 'blocks' ? g.input(XKV_NAMES.past(i, h, 'value'), dtype, ['past_blocks', s.headDim, VALUE_BLOCK]) : g.input(XKV_NAMES.past(i, h, 'value'), dtype, ['past_rows', s.headDim]),
    })),
  );
  const pastRows = g.scope('past_rows', () => op.shape(g, perLayer[0][0].key, 0, 1)); // [1]
  const fusedPrefill = g.input(XKV_NAMES.fusedPrefill, 'bool', [1]);
  const chunk = g.scope('chunk', () => chunkLengths(g, positionIds, fusedPrefill));
  return { pastBias, causalBias, pastRows, chunk, perLayer };
}

function chunkLengths(g: Graph, positionIds: Value, fusedPrefill: Value): ChunkLengths {
  const seq = op.shape(g, positionIds, 1, 2); // [1]
  const pastLen = op.reshape(g, op.slice(g, positionIds, [0], [1], [1], [1]), [1]); // [1]
  const total = op.add(g, pastLen, seq); // [1]
  return {
    isChunk: op.and(g, op.greater(g, seq, g.constant('int64', [1], [1])), fusedPrefill),
    pastEnd: op.add(g, pastLen, g.constant('int64', [1], [1])),
    seqlensK: op.cast(g, op.sub(g, total, g.constant('int64', [1], [1])), 'int32'),
    totalSequenceLength: op.cast(g, op.squeeze(g, total, [0]), 'int32'),
  };
}

/**
 * q [1, seq, heads·d], k/v [1, seq, kv·d] (before rotary) → out [1, seq, heads·d] and the new keys/values
 * [kv, seq, d] for the engine to append to its buffers.
 *
 * Two formulations, picked per run by an If (0.7 µs a run each in ORT 1.30, measured: ~20 µs of a 40 ms step):
 * - one new token (decoding): Gemm over the cache buffers read in place (decodeAttention);
 * - a prefill chunk: GroupQueryAttention over copies of the cached rows. At 6 query rows per kv head the Gemm form is
 *   cheap, at 3,072 (a 512-token chunk) its transposes, the masked sink/padding rows and the full (not causal-halved)
 *   new-token scores cost ~1.2 s of a 6.4 s chunk of the 1.5B, where GroupQueryAttention takes 0.24 s
 *   (`npm run bench -- prefill-profile`); copying the cached rows once per chunk is small against that.
 */
export function externalKvAttention(
  g: Graph,
  s: XkvShape,
  qkv: { q: Value; k: Value; v: Value },
  rotary: { cos: Value; sin: Value }, // [1, seq, 1, d]
  inputs: XkvInputs,
): { out: Value; key: Value; value: Value } {
  const { numHeads, kvHeads, headDim: d } = s;
  const heads = (x: Value, n: number) => op.reshape(g, x, [1, -1, n, d], [1, 'seq', n, d]); // [1, seq, n, d]
  const q = applyRotary(g, heads(qkv.q, numHeads), rotary.cos, rotary.sin, d);
  const k = applyRotary(g, heads(qkv.k, kvHeads), rotary.cos, rotary.sin, d);
  const key = headMajor(g, k, kvHeads, d);
  const value = headMajor(g, heads(qkv.v, kvHeads), kvHeads, d);
  const prefill = g.subgraph('prefill', () => [prefillAttention(g, s, { q, k, v: qkv.v }, inputs)]);
  const decode = g.subgraph('decode', () => [decodeAttention(g, s, { q, key, value }, inputs)]);
  const [out] = op.ifThenElse(g, inputs.chunk.isChunk, prefill, decode);
  return { out, key, value };
}

/** [1, seq, n, d] → [n, seq, d]: head-major, so each head's rows are contiguous. */
function headMajor(g: Graph, x: Value, n: number, d: number): Value {
  return op.reshape(g, op.transpose(g, x, [2, 0, 1, 3]), [n, -1, d], [n, 'seq', d]);
}

/** Decoding: attention computed with Gemm over the cache buffers, read in place. q [1, seq, heads, d] (rotated). */
function decodeAttention(g: Graph, s: XkvShape, fresh: { q: Value; key: Value; value: Value }, inputs: XkvInputs): Value {
  const { numHeads, kvHeads, headDim: d } = s;
  // query heads h·group … h·group+group−1 read kv head h: [kv, group·seq, d]
  const queries = op.reshape(g, headMajor(g, fresh.q, numHeads, d), [kvHeads, -1, d], [kvHeads, 'group_seq', d]);
  const split = (x: Value, rows: string) => (kvHeads === 1 ? [x] : op.split(g, x, Array(kvHeads).fill(1), 0)).map((part) => op.reshape(g, part, [-1, d], [rows, d]));
  const qs = split(queries, 'group_seq');
  const ks = split(fresh.key, 'seq');
  const vs = split(fresh.value, 'seq');
  const scale = 1 / Math.sqrt(d);
  const outs = qs.map((qh, h) =>
    g.scope(`kv_head.${h}`, () => {
      const past = inputs.past[h];
      const scoresPastT = op.gemm(g, past.key, qh, { transB: true, alpha: scale, c: inputs.pastBias }); // [past_rows, group·seq]
      const scoresPast = op.transpose(g, scoresPastT, [1, 0]); // [group·seq, past_rows]
      const scoresNew = op.gemm(g, qh, ks[h], { transB: true, alpha: scale, c: inputs.causalBias }); // [group·seq, seq]
      const probs = op.softmax(g, op.concat(g, [scoresPast, scoresNew], 1), -1); // [group·seq, past_rows + seq]
      const probsPast = op.slice(g, probs, g.constant('int64', [1], [0]), inputs.pastRows, [1], ['past_rows']);
      const probsNew = op.slice(g, probs, inputs.pastRows, g.constant('int64', [1], [Number.MAX_SAFE_INTEGER]), [1], ['seq']);
      const attendedPast = inputs.valueLayout === 'blocks' ? blockedValues(g, probsPast, past.value) : op.matMul(g, probsPast, past.value);
      return op.gemm(g, probsNew, vs[h], { c: attendedPast }); // [group·seq, d]
    }),
  );
  // [kv·group·seq, d] → [heads, seq, d] → [1, seq, heads·d]
  const stacked = op.reshape(g, kvHeads === 1 ? outs[0] : op.concat(g, outs, 0), [numHeads, -1, d], [numHeads, 'seq', d]);
  return op.reshape(g, op.transpose(g, stacked, [1, 0, 2]), [1, -1, numHeads * d], [1, 'seq', numHeads * d]);
}

/**
 * A prefill chunk: GroupQueryAttention (causal, grouped heads, no rotary: q and k come rotated) over the cached rows
 * 1…past_len of every kv head, gathered into its [1, kv, past_len, d] layout. q/k [1, seq, n, d], v [1, seq, kv·d].
 */
function prefillAttention(g: Graph, s: XkvShape, fresh: { q: Value; k: Value; v: Value }, inputs: XkvInputs): Value {
  const { numHeads, kvHeads, headDim: d } = s;
  const { pastEnd, seqlensK, totalSequenceLength } = inputs.chunk;
  const cachedRows = (rows: Value) => op.slice(g, rows, g.constant('int64', [1], [1]), pastEnd, [0], ['past_len']); // [past_len, d]
  const gathered = (kind: 'key' | 'value') => {
    const perHead = inputs.past.map((p) => cachedRows(kind === 'key' ? p.key : valueRows(g, p.value, inputs.valueLayout, d)));
    return op.reshape(g, kvHeads === 1 ? perHead[0] : op.concat(g, perHead, 0), [1, kvHeads, -1, d], [1, kvHeads, 'past_len', d]);
  };
  const flat = (x: Value, n: number) => op.reshape(g, x, [1, -1, n * d], [1, 'seq', n * d]);
  const attended = groupQueryAttention(g, { q: flat(fresh.q, numHeads), k: flat(fresh.k, kvHeads), v: fresh.v }, { key: gathered('key'), value: gathered('value') }, {
    numHeads, kvHeads, headDim: d, seqlensK, totalSequenceLength, presentDim: 'total_seq',
  });
  return attended.out; // [1, seq, heads·d]
}

/** The cached values as rows [past_rows, d], whichever layout the cache holds them in. */
function valueRows(g: Graph, values: Value, layout: ValueLayout, d: number): Value {
  if (layout === 'rows') return values;
  return op.reshape(g, op.transpose(g, values, [0, 2, 1]), [-1, d], ['past_rows', d]); // [blocks, B, d] → rows
}

/** probs [group·seq, past_rows] · values as Vᵀ blocks [past_rows / B, d, B] → [group·seq, d]. */
function blockedValues(g: Graph, probs: Value, valuesT: Value): Value {
  const perBlock = op.reshape(g, probs, [0, -1, VALUE_BLOCK], ['group_seq', 'past_blocks', VALUE_BLOCK]); // [group·seq, blocks, B]
  const columns = op.transpose(g, perBlock, [1, 2, 0]); // [blocks, B, group·seq]
  const partial = op.matMul(g, valuesT, columns); // [blocks, d, group·seq]
  return op.transpose(g, op.reduceSum(g, partial, [0], false), [1, 0]); // [group·seq, d]
}
