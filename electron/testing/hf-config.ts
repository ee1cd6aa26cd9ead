/**
 * config.json and generation_config.json as the R1 distill checkpoints have them (every field of the originals),
 * with the shape fields replaced by a test model's.
 */
import { r1TokenTable, type TokenizerFamily } from '../tokenizer/r1-tokens';

export type Arch = 'qwen2' | 'llama';

export interface Llama3RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

export interface ModelShape {
  arch: Arch;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocabSize: number;
  /** Written as an explicit head_dim only when it differs from hidden / heads. */
  headDim?: number;
  ropeTheta?: number;
  /** llama only; undefined = the R1 llama default (factor 8, original 8192); null = no scaling. */
  ropeScaling?: Llama3RopeScaling | null;
  rmsNormEps?: number;
  maxPositionEmbeddings?: number;
  tieWordEmbeddings?: boolean;
}

export const R1_LLAMA3_ROPE_SCALING: Llama3RopeScaling = {
  rope_type: 'llama3',
  factor: 8.0,
  low_freq_factor: 1.0,
  high_freq_factor: 4.0,
  original_max_position_embeddings: 8192,
};

export function tokenizerFamily(arch: Arch): TokenizerFamily {
  return arch;
}

function shapeFields(shape: ModelShape): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    num_key_value_heads: shape.kvHeads,
    vocab_size: shape.vocabSize,
  };
  if (shape.headDim !== undefined && shape.headDim * shape.heads !== shape.hidden) fields.head_dim = shape.headDim;
  return fields;
}

function qwen2Config(shape: ModelShape): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    // The distills' config.json really says 151643 here; generation_config.json has the bos they use (151646).
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    initializer_range: 0.02,
    max_position_embeddings: shape.maxPositionEmbeddings ?? 131072,
    max_window_layers: shape.layers,
    model_type: 'qwen2',
    rms_norm_eps: shape.rmsNormEps ?? 1e-6,
    rope_scaling: null,
    rope_theta: shape.ropeTheta ?? 10000,
    sliding_window: 4096,
    tie_word_embeddings: shape.tieWordEmbeddings ?? false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.44.0',
    use_cache: true,
    use_mrope: false,
    use_sliding_window: false,
    ...shapeFields(shape),
  };
}

function llamaConfig(shape: ModelShape): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 128000,
    eos_token_id: 128001,
    hidden_act: 'silu',
    initializer_range: 0.02,
    max_position_embeddings: shape.maxPositionEmbeddings ?? 131072,
    mlp_bias: false,
    model_type: 'llama',
    pretraining_tp: 1,
    rms_norm_eps: shape.rmsNormEps ?? 1e-5,
    rope_scaling: shape.ropeScaling === undefined ? R1_LLAMA3_ROPE_SCALING : shape.ropeScaling,
    rope_theta: shape.ropeTheta ?? 500000.0,
    tie_word_embeddings: shape.tieWordEmbeddings ?? false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.43.0.dev0',
    use_cache: true,
    ...shapeFields(shape),
  };
}

export function hfConfig(shape: ModelShape): Record<string, unknown> {
  if (shape.arch === 'qwen2') return qwen2Config(shape);
  if (shape.arch === 'llama') return llamaConfig(shape);
  throw new Error(`Unknown arch "${String(shape.arch)}": use "qwen2" or "llama".`);
}

/** DeepSeek's recommended sampling (temperature 0.6, top-p 0.95) with the family's bos/eos. */
export function generationConfig(arch: Arch): Record<string, unknown> {
  const table = r1TokenTable(tokenizerFamily(arch));
  return {
    _from_model_config: true,
    bos_token_id: table.bosId,
    eos_token_id: table.eosId,
    do_sample: true,
    temperature: 0.6,
    top_p: 0.95,
    transformers_version: arch === 'qwen2' ? '4.44.0' : '4.43.0.dev0',
  };
}
