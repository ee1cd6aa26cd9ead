/**
 * One decoder for qwen2 and llama (the deltas live in ModelConfig: q/k/v bias, llama3 rope scaling, tied
 * embeddings). I/O follows what transformers.js drives:
 *   input_ids [batch, seq] · attention_mask [batch, total_seq] · position_ids [batch, seq]
 *   past_key_values.{i}.key|value [batch, kv_heads, past_seq, head_dim]  (kvCache only)
 *   → logits [batch, seq, vocab] · present.{i}.key|value [batch, kv_heads, total_seq, head_dim]  (kvCache only)
 */
import { type DType, Graph, type Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import { buildAttentionMask, groupedQueryAttention, type MaskMode } from './attention';
import type { ModelConfig } from './config';
import { defaultEmbedding, defaultLinear, embedTokens, type EmbeddingFn, type LinearFn, lmHead, rmsNorm, swiGluMlp } from './layers';
import { rotaryCosSin } from './rope';
import { validateWeights, type WeightSource } from './weights';

export interface DecoderOptions {
  /** Activations, KV cache and default weight storage (default float32; float64 for finite-difference checks). */
  dtype?: 'float32' | 'float16' | 'float64';
  /** Norm statistics, rotary angles and softmax (default float32, or float64 when dtype is float64). */
  computeDtype?: 'float32' | 'float64';
  /** Dtype of the logits output (default: computeDtype). */
  logitsDtype?: DType;
  /** past/present I/O (default true; false for training graphs). */
  kvCache?: boolean;
  /** 'padding' (default) or 'segments' (attention_mask holds segment ids of packed records). */
  maskMode?: MaskMode;
  /** Projection hook (default: MatMul by the transposed weight, + bias). */
  linear?: LinearFn;
  /** Token lookup hook (default: Gather from the table in the activation dtype). */
  embedding?: EmbeddingFn;
}

export interface DecoderGraph {
  graph: Graph;
  inputIds: Value;
  attentionMask: Value;
  positionIds: Value;
  /** Final normed hidden states [batch, seq, hidden] (before lm_head). */
  hidden: Value;
  /** [batch, seq, vocab], also the graph output 'logits'. */
  logits: Value;
}

export const DECODER_INPUT_NAMES = { inputIds: 'input_ids', attentionMask: 'attention_mask', positionIds: 'position_ids' } as const;
export const pastName = (layer: number, kind: 'key' | 'value'): string => `past_key_values.${layer}.${kind}`;
export const presentName = (layer: number, kind: 'key' | 'value'): string => `present.${layer}.${kind}`;

/** Build the decoder graph. Checks the weights against the config first (a ConfigError names the bad tensor). */
export function buildDecoder(config: ModelConfig, weights: WeightSource, options: DecoderOptions = {}): DecoderGraph {
  validateWeights(config, weights);
  const dtype = options.dtype ?? 'float32';
  const computeDtype = options.computeDtype ?? (dtype === 'float64' ? 'float64' : 'float32');
  const kvCache = options.kvCache ?? true;
  const linear = options.linear ?? defaultLinear;
  const embedding = options.embedding ?? defaultEmbedding;
  const weight = (name: string) => weights.get(name);
  const g = new Graph();
  const totalDim = kvCache ? 'total_seq' : 'seq';
  const inputIds = g.input(DECODER_INPUT_NAMES.inputIds, 'int64', ['batch', 'seq']);
  const attentionMask = g.input(DECODER_INPUT_NAMES.attentionMask, 'int64', ['batch', totalDim]);
  const positionIds = g.input(DECODER_INPUT_NAMES.positionIds, 'int64', ['batch', 'seq']);
  const pastValues = kvCache ? declarePast(g, config, dtype) : [];

  const { hidden, presents } = g.scope('model', () => {
    let x = embedTokens(g, embedding, weight, inputIds, dtype); // [batch, seq, hidden]
    const mask = buildAttentionMask(g, inputIds, attentionMask, options.maskMode ?? 'padding');
    const { cos, sin } = rotaryCosSin(g, positionIds, config, computeDtype, dtype);
    const presentValues: { key: Value; value: Value }[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const p = `model.layers.${i}`;
      x = g.scope(`layers.${i}`, () => {
        const normed = g.scope('input_layernorm', () => rmsNorm(g, x, weight(`${p}.input_layernorm.weight`), `${p}.input_layernorm.weight`, config.rmsNormEps, computeDtype));
        const attn = g.scope('attn', () => groupedQueryAttention({
          graph: g, config, layer: i, linear, weight, dtype, computeDtype, cos, sin, mask, past: pastValues[i],
        }, normed));
        presentValues.push({ key: attn.key, value: attn.value });
        const residual = op.add(g, x, attn.out); // [batch, seq, hidden]
        const normed2 = g.scope('post_attention_layernorm', () => rmsNorm(g, residual, weight(`${p}.post_attention_layernorm.weight`), `${p}.post_attention_layernorm.weight`, config.rmsNormEps, computeDtype));
        const mlp = g.scope('mlp', () => swiGluMlp({
          graph: g, linear, prefix: `${p}.mlp`, hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize,
          weight, hasBias: config.mlpBias, dtype,
        }, normed2));
        return op.add(g, residual, mlp); // [batch, seq, hidden]
      });
    }
    const normed = g.scope('norm', () => rmsNorm(g, x, weight('model.norm.weight'), 'model.norm.weight', config.rmsNormEps, computeDtype));
    return { hidden: normed, presents: presentValues };
  });

  const projected = lmHead(g, config, linear, weight, hidden, dtype); // [batch, seq, vocab]
  const logits = g.output(op.cast(g, projected, options.logitsDtype ?? computeDtype), 'logits');
  if (kvCache) {
    const shape = ['batch', config.numKvHeads, 'total_seq', config.headDim];
    presents.forEach((present, i) => {
      g.output(present.key, presentName(i, 'key'), shape);
      g.output(present.value, presentName(i, 'value'), shape);
    });
  }
  return { graph: g, inputIds, attentionMask, positionIds, hidden, logits };
}

/**
 * The past_key_values inputs, [batchDim, kv_heads, past_seq, head_dim] for each layer. head_dim must be a fixed size:
 * transformers.js builds the first, empty cache from this metadata.
 */
export function declarePast(g: Graph, config: ModelConfig, dtype: DType, batchDim = 'batch'): { key: Value; value: Value }[] {
  const shape = [batchDim, config.numKvHeads, 'past_seq', config.headDim];
  return Array.from({ length: config.numLayers }, (_, i) => ({
    key: g.input(pastName(i, 'key'), dtype, shape),
    value: g.input(pastName(i, 'value'), dtype, shape),
  }));
}
