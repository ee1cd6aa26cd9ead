/**
 * The inference decoder the converter writes: the same model as buildDecoder, with ONNX Runtime's fused kernels in
 * place of subgraphs of small ops (SimplifiedLayerNormalization,
 * SkipSimplifiedLayerNormalization that also adds the residual), q/k/v and gate/up projections packed into one matrix
 * each when the `packedLinear` hook can, and lm_head computed for the last position only (the one a token is sampled
 * from: a prefill chunk of 256 otherwise produces 256 × 151,936 logits nobody reads).
 *
 * Two ways to hold the KV cache (`kvCache`):
 * - 'external' (the converter's default, graph 'fused-xkv-v3'; 'fused-xkv-v1' with `valueLayout: 'rows'`): the
 *   engine owns the cache and feeds views of the past rows; the graph returns only the new tokens' keys/values
 *   (xkv-attention.ts explains why). Batch 1.
 * - 'gqa' (`--portable`, graph 'fused-gqa-v1'): GroupQueryAttention in the transformers.js layout —
 *   input_ids [batch, seq] · attention_mask [batch, total_seq] · past_key_values.{i}.key|value
 *   [batch, kv_heads, past_seq, head_dim] → logits [batch, 1, vocab] · present.{i}.key|value; positions come from
 *   the attention mask (total − seq …), so there is no position_ids input.
 */
import { chunkedTensor, Graph, type DType, type LazyTensor, type Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import { groupQueryAttention, simplifiedLayerNorm, skipSimplifiedLayerNorm } from '../onnx/contrib-ops';
import type { ModelConfig } from './config';
import { f32ToF16Array } from '../util/float16';
import { defaultEmbedding, defaultLinear, embedTokens, type EmbeddingFn, type LinearFn, lmHead } from './layers';
import { DECODER_INPUT_NAMES, declarePast, presentName } from './decoder';
import { ropeInverseFrequencies, rotaryCosSin } from './rope';
import { declareXkvInputs, externalKvAttention, XKV_NAMES, type ValueLayout } from './xkv-attention';
import { lazyWeight, validateWeights, type Weight, type WeightSource } from './weights';

/** Graph-made tables (not checkpoint tensors): the converter writes them as they are. */
export const ROTARY_CACHE_NAMES = ['model.rotary_emb.cos_cache', 'model.rotary_emb.sin_cache'];
/** Marks the fused graph in a folder's manifest and in the ONNX doc string. */
export const FUSED_GRAPH = 'fused-gqa-v1';
/**
 * The fused graph with the external KV cache (xkv-attention.ts), values as Vᵀ blocks and a prefill branch the engine
 * switches with `fused_prefill`: the converter's default since 1.4.
 */
export const XKV_GRAPH = 'fused-xkv-v3';
/** The same without the prefill branch: what converter 1.3 wrote (the engine still runs it). */
export const XKV_V2_GRAPH = 'fused-xkv-v2';
/** The same with the values as rows: what converter 1.2 wrote (the engine still runs it). */
export const XKV_ROWS_GRAPH = 'fused-xkv-v1';
/**
 * The portable graph (FUSED_GRAPH) against the default one on the CPU, same q4 weights of a 1.5B (README, "Re-convert
 * for speed": `npm run bench -- gpu-decode --provider cpu`, 2 runs): the words the load advice and the re-convert offer use.
 */
export const PORTABLE_ON_CPU =
  "for a 1.5B, 11–13 tokens/s after a 1,000-token prompt against 18–20 with Distillery's default graph, and steps " +
  '3.5–4× as long at 16,000 tokens of context';

export interface PackedPart {
  module: string;
  outFeatures: number;
  weight: () => Weight;
  bias?: () => Weight;
}

export interface PackedLinearContext {
  graph: Graph;
  x: Value;
  /** Scope name of the packed projection, e.g. 'qkv_proj'. */
  name: string;
  inFeatures: number;
  parts: PackedPart[];
  dtype: DType;
}

/** One projection for several weights (their outputs concatenated); undefined = not packable here, use `linear`. */
export type PackedLinearFn = (ctx: PackedLinearContext) => Value | undefined;

export interface FusedDecoderOptions {
  /** Activations, KV cache and float weights (float32 or float16: the fused kernels' types). */
  dtype?: 'float32' | 'float16';
  logitsDtype?: DType;
  linear?: LinearFn;
  packedLinear?: PackedLinearFn;
  embedding?: EmbeddingFn;
  /**
   * Where the KV cache lives: 'external' (the default: the engine's buffers, read as inputs, only new keys/values
   * returned — see xkv-attention.ts) or 'gqa' (GroupQueryAttention with past/present in the transformers.js layout,
   * for folders other runtimes should load too).
   */
  kvCache?: 'external' | 'gqa';
  /** The external cache's value layout (xkv-attention.ts): 'blocks' (default) or 'rows' (the 1.2 graph). */
  valueLayout?: ValueLayout;
}

export function buildFusedDecoder(config: ModelConfig, weights: WeightSource, options: FusedDecoderOptions = {}): { graph: Graph; logits: Value } {
  validateWeights(config, weights);
  const dtype = options.dtype ?? 'float32';
  const g = new Graph();
  const b: LayerBuild = {
    g, config, dtype, linear: options.linear ?? defaultLinear, packedLinear: options.packedLinear, embedding: options.embedding ?? defaultEmbedding,
    weight: (name) => weights.get(name),
  };
  const inputIds = g.input(DECODER_INPUT_NAMES.inputIds, 'int64', ['batch', 'seq']);
  const kv = (options.kvCache ?? 'external') === 'external' ? externalCache(b, options.valueLayout ?? 'blocks') : gqaCache(b);
  const hidden = g.scope('model', () => decoderBody(b, inputIds, kv));
  // only the last position's logits: [batch, 1, hidden] → [batch, 1, vocab]
  const last = g.scope('last_position', () => op.slice(g, hidden, [-1], [Number.MAX_SAFE_INTEGER], [1], [1]));
  const projected = lmHead(g, config, b.linear, b.weight, last, dtype); // [batch, 1, vocab]
  const logits = g.output(op.cast(g, projected, options.logitsDtype ?? dtype), 'logits');
  kv.outputs();
  return { graph: g, logits };
}

/** One way of holding the KV cache: its inputs (declared on creation), the attention per layer, its outputs. */
interface KvCacheGraph {
  /** Graph-wide values (rotary tables, lengths), built once inside the 'model' scope. */
  prepare(): void;
  attend(layer: number, x: Value): Value; // [batch, seq, hidden] → attention output before o_proj
  outputs(): void;
}

/** embed → layers (fused norms that also add the residual) → final norm: [batch, seq, hidden]. */
function decoderBody(b: LayerBuild, inputIds: Value, kv: KvCacheGraph): Value {
  const { g, config, dtype } = b;
  const norm = (name: string) => g.initializer(name, lazyWeight(b.weight(name), dtype));
  const eps = config.rmsNormEps;
  const x = embedTokens(g, b.embedding, b.weight, inputIds, dtype); // [batch, seq, hidden]
  kv.prepare();
  let residual = x;
  let normed = g.scope('layers.0', () => g.scope('input_layernorm', () => simplifiedLayerNorm(g, x, norm('model.layers.0.input_layernorm.weight'), eps)));
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    const nextNorm = i + 1 < config.numLayers ? `model.layers.${i + 1}.input_layernorm.weight` : 'model.norm.weight';
    ({ normed, residual } = g.scope(`layers.${i}`, () => {
      const attended = g.scope('attn', () => kv.attend(i, normed));
      const attnOut = g.scope('attn', () => b.linear({
        graph: g, x: attended, module: `${p}.self_attn.o_proj`, inFeatures: config.numHeads * config.headDim, outFeatures: config.hiddenSize,
        dtype, weight: () => b.weight(`${p}.self_attn.o_proj.weight`), bias: config.oBias ? () => b.weight(`${p}.self_attn.o_proj.bias`) : undefined,
      }));
      const post = g.scope('post_attention_layernorm', () => skipSimplifiedLayerNorm(g, attnOut, residual, norm(`${p}.post_attention_layernorm.weight`), eps));
      const mlpOut = g.scope('mlp', () => mlp(b, `${p}.mlp`, post.normed));
      const next = g.scope(i + 1 < config.numLayers ? 'next_input_layernorm' : 'final_norm', () => skipSimplifiedLayerNorm(g, mlpOut, post.sum, norm(nextNorm), eps));
      return { normed: next.normed, residual: next.sum };
    }));
  }
  return normed;
}

/** q, k, v [batch, seq, ·] of one layer (one packed projection when the hook can). */
function projectQkv(b: LayerBuild, layer: number, x: Value): { q: Value; k: Value; v: Value } | Value {
  const { config } = b;
  const prefix = `model.layers.${layer}.self_attn`;
  const part = (name: string, outFeatures: number): PackedPart => ({
    module: `${prefix}.${name}`, outFeatures,
    weight: () => b.weight(`${prefix}.${name}.weight`),
    bias: config.qkvBias ? () => b.weight(`${prefix}.${name}.bias`) : undefined,
  });
  const kv = config.numKvHeads * config.headDim;
  const projected = projectParts(b, x, 'qkv_proj', [part('q_proj', config.numHeads * config.headDim), part('k_proj', kv), part('v_proj', kv)]);
  return Array.isArray(projected) ? { q: projected[0], k: projected[1], v: projected[2] } : projected;
}

/** The engine's buffers (xkv-attention.ts): past rows in, the new tokens' keys/values out. */
function externalCache(b: LayerBuild, valueLayout: ValueLayout): KvCacheGraph {
  const { g, config, dtype } = b;
  const shape = { numHeads: config.numHeads, kvHeads: config.numKvHeads, headDim: config.headDim };
  const positionIds = g.input(XKV_NAMES.positionIds, 'int64', [1, 'seq']);
  const declared = declareXkvInputs(g, shape, config.numLayers, dtype, valueLayout, positionIds);
  const fresh: { key: Value; value: Value }[] = [];
  let rotary: { cos: Value; sin: Value } | undefined;
  return {
    prepare: () => {
      rotary = rotaryCosSin(g, positionIds, config, 'float32', dtype); // [1, seq, 1, head_dim] each
    },
    attend: (layer, x) => {
      const projected = projectQkv(b, layer, x);
      const kvDim = config.numKvHeads * config.headDim;
      const [q, k, v] = 'q' in projected ? [projected.q, projected.k, projected.v]
        : g.scope('qkv_split', () => op.split(g, projected, [config.numHeads * config.headDim, kvDim, kvDim], -1));
      const inputs = { pastBias: declared.pastBias, causalBias: declared.causalBias, pastRows: declared.pastRows, chunk: declared.chunk, past: declared.perLayer[layer], valueLayout };
      const attended = externalKvAttention(g, shape, { q, k, v }, rotary!, inputs);
      fresh.push({ key: attended.key, value: attended.value });
      return attended.out;
    },
    outputs: () => fresh.forEach((kv, i) => {
      g.output(kv.key, XKV_NAMES.fresh(i, 'key'));
      g.output(kv.value, XKV_NAMES.fresh(i, 'value'));
    }),
  };
}

/** GroupQueryAttention with past/present in the transformers.js layout (a growing or one shared buffer). */
function gqaCache(b: LayerBuild): KvCacheGraph {
  const { g, config, dtype } = b;
  const attentionMask = g.input(DECODER_INPUT_NAMES.attentionMask, 'int64', ['batch', 'total_seq']);
  // 'batch_size' is the symbol transformers.js resolves when it builds the first, empty cache (others read as 0)
  const past = declarePast(g, config, dtype, 'batch_size');
  const presents: { key: Value; value: Value }[] = [];
  let lengths: { seqlensK: Value; totalSequenceLength: Value } | undefined;
  let rotary: { cos: Value; sin: Value } | undefined;
  return {
    prepare: () => {
      lengths = g.scope('attn_mask', () => ({
        seqlensK: op.cast(g, op.sub(g, op.reduceSum(g, attentionMask, [1], false), g.scalar('int64', 1)), 'int32'), // [batch]
        totalSequenceLength: op.cast(g, op.gather(g, op.shape(g, attentionMask), g.scalar('int64', 1)), 'int32'), // scalar
      }));
      rotary = g.scope('rotary_emb', () => rotaryCaches(g, config, dtype));
    },
    attend: (layer, x) => {
      const attended = groupQueryAttention(g, projectQkv(b, layer, x), past[layer], {
        numHeads: config.numHeads, kvHeads: config.numKvHeads, headDim: config.headDim, ...lengths!,
        rotary: rotary!, presentDim: 'present_seq',
      }); // out: [batch, seq, heads·d]
      presents.push({ key: attended.key, value: attended.value });
      return attended.out;
    },
    // GroupQueryAttention writes the presents itself (no Identity in between), so a present bound to the past's
    // buffer is that buffer and ORT appends in place
    outputs: () => {
      const presentShape = ['batch', config.numKvHeads, 'present_seq', config.headDim];
      presents.forEach((present, i) => {
        for (const [kind, value] of [['key', present.key], ['value', present.value]] as const) g.output(g.rename(value, presentName(i, kind)), undefined, presentShape);
      });
    },
  };
}

interface LayerBuild {
  g: Graph;
  config: ModelConfig;
  dtype: DType;
  linear: LinearFn;
  packedLinear?: PackedLinearFn;
  embedding: EmbeddingFn;
  weight: (name: string) => Weight;
}

/** Projects x through each part (packed into one matrix when the hook can) and returns one output per part. */
function projectParts(b: LayerBuild, x: Value, name: string, parts: PackedPart[]): Value[] | Value {
  const inFeatures = Number(x.shape[x.shape.length - 1]);
  const packed = b.packedLinear?.({ graph: b.g, x, name, inFeatures, parts, dtype: b.dtype });
  if (packed) return packed;
  return parts.map((part) => b.linear({ graph: b.g, x, module: part.module, inFeatures, outFeatures: part.outFeatures, dtype: b.dtype, weight: part.weight, bias: part.bias }));
}

/** down(silu(gate(x)) · up(x)), gate and up packed into one projection when the hook can. */
function mlp(b: LayerBuild, prefix: string, x: Value): Value {
  const { g, config } = b;
  const m = config.intermediateSize;
  const part = (name: string): PackedPart => ({
    module: `${prefix}.${name}`, outFeatures: m,
    weight: () => b.weight(`${prefix}.${name}.weight`),
    bias: config.mlpBias ? () => b.weight(`${prefix}.${name}.bias`) : undefined,
  });
  const projected = projectParts(b, x, 'gate_up_proj', [part('gate_proj'), part('up_proj')]);
  const [gate, up] = Array.isArray(projected) ? projected : g.scope('gate_up_proj', () => op.split(g, projected, [m, m], -1));
  const activated = g.scope('act_fn', () => op.mul(g, gate, op.sigmoid(g, gate))); // silu, [batch, seq, intermediate]
  return b.linear({
    graph: g, x: op.mul(g, activated, up), module: `${prefix}.down_proj`, inFeatures: m, outFeatures: config.hiddenSize, dtype: b.dtype,
    weight: () => b.weight(`${prefix}.down_proj.weight`), bias: config.mlpBias ? () => b.weight(`${prefix}.down_proj.bias`) : undefined,
  });
}

/** cos/sin of position × inv_freq for every position the model supports: [max positions, head_dim/2] each. */
function rotaryCaches(g: Graph, config: ModelConfig, dtype: DType): { cos: Value; sin: Value } {
  const invFreq = ropeInverseFrequencies(config);
  const half = config.headDim / 2;
  const rows = config.maxPositionEmbeddings;
  const table = (fn: (x: number) => number): LazyTensor =>
    chunkedTensor(dtype, [rows, half], async function* () {
      const rowsPerChunk = Math.max(1, Math.floor(65536 / half));
      for (let start = 0; start < rows; start += rowsPerChunk) {
        const n = Math.min(rowsPerChunk, rows - start);
        const values = new Float32Array(n * half);
        for (let r = 0; r < n; r++) for (let i = 0; i < half; i++) values[r * half + i] = fn((start + r) * invFreq[i]);
        const out = dtype === 'float16' ? f32ToF16Array(values) : values;
        yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      }
    }, 'rotary cache');
  return { cos: g.initializer(ROTARY_CACHE_NAMES[0], table(Math.cos)), sin: g.initializer(ROTARY_CACHE_NAMES[1], table(Math.sin)) };
}

