/**
 * The decoder's shape, read from a Hugging Face config.json (qwen2 and llama). Everything the graph builder needs
 * comes from here, so an inconsistent checkpoint fails before any weight is read, with the field and value named.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ModelType = 'qwen2' | 'llama';

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  modelType: ModelType;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Bias on q/k/v (qwen2 always; llama when attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (llama attention_bias only). */
  oBias: boolean;
  /** Bias on gate/up/down (llama mlp_bias). */
  mlpBias: boolean;
  bosTokenId: number | null;
  eosTokenId: number | number[] | null;
  torchDtype: string | null;
  /** The original JSON, kept so an export can copy it unchanged. */
  raw: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Upper bounds far above any model this app can run (the largest R1 distill, the 70B, has 80 layers, hidden 8192,
 * intermediate 28672, 64 heads, a 128256-token vocabulary and 131072 positions). A config past them is damaged or not a
 * model for this app, and is refused before anything is sized from it (a million layers once meant minutes of work
 * and gigabytes of memory before the first error).
 */
export const CONFIG_LIMITS: Record<string, number> = {
  hidden_size: 65_536,
  intermediate_size: 262_144,
  num_hidden_layers: 1_024,
  num_attention_heads: 1_024,
  num_key_value_heads: 1_024,
  head_dim: 4_096,
  vocab_size: 4_194_304,
  max_position_embeddings: 16_777_216,
};

export function loadModelConfig(folder: string): ModelConfig {
  const file = join(folder, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the model config (${(error as Error).message}). Point at a Hugging Face model folder.`);
  }
  return parseModelConfig(json, file);
}

export function parseModelConfig(json: unknown, source = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${source}: expected a JSON object.`);
  const raw = json as Record<string, unknown>;
  const fail = (message: string): never => {
    throw new ConfigError(`${source}: ${message}`);
  };
  const modelType = raw.model_type;
  if (modelType !== 'qwen2' && modelType !== 'llama') {
    fail(`model_type ${JSON.stringify(modelType)} is not supported (supported: "qwen2", "llama").`);
  }
  const positiveInt = (field: string, fallback?: number): number => {
    const value = raw[field] ?? fallback;
    if (value === undefined || value === null) return fail(`missing field "${field}".`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) return fail(`"${field}" must be a positive integer, got ${JSON.stringify(value)}.`);
    const limit = CONFIG_LIMITS[field];
    if (limit !== undefined && value > limit) return fail(`"${field}" is ${value}, more than any supported model (at most ${limit}): the config is damaged or not an R1 distill.`);
    return value;
  };
  const positiveNumber = (field: string, fallback?: number): number => {
    const value = raw[field] ?? fallback;
    if (value === undefined || value === null) return fail(`missing field "${field}".`);
    if (typeof value !== 'number' || !(value > 0)) return fail(`"${field}" must be a positive number, got ${JSON.stringify(value)}.`);
    return value;
  };
  const hiddenSize = positiveInt('hidden_size');
  const numHeads = positiveInt('num_attention_heads');
  const numKvHeads = positiveInt('num_key_value_heads', numHeads);
  if (raw.head_dim === undefined && hiddenSize % numHeads !== 0) {
    fail(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}.`);
  }
  if (numHeads % numKvHeads !== 0) fail(`num_attention_heads ${numHeads} is not divisible by num_key_value_heads ${numKvHeads}.`);
  const headDim = positiveInt('head_dim', hiddenSize / numHeads);
  if (headDim % 2 !== 0) fail(`head_dim ${headDim} must be even for rotary embeddings.`);
  const hiddenAct = raw.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') fail(`hidden_act ${JSON.stringify(hiddenAct)} is not supported (only "silu").`);
  if (optionalBool(raw, 'use_sliding_window', false, fail)) {
    fail('use_sliding_window is true: sliding-window attention is not supported (the R1 distills set it to false).');
  }
  const attentionBias = optionalBool(raw, 'attention_bias', false, fail);
  return {
    modelType: modelType as ModelType,
    hiddenSize,
    intermediateSize: positiveInt('intermediate_size'),
    numLayers: positiveInt('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: positiveInt('vocab_size'),
    rmsNormEps: positiveNumber('rms_norm_eps'),
    ropeTheta: positiveNumber('rope_theta', 10000),
    ropeScaling: parseRopeScaling(raw.rope_scaling, fail),
    maxPositionEmbeddings: positiveInt('max_position_embeddings'),
    tieWordEmbeddings: optionalBool(raw, 'tie_word_embeddings', false, fail),
    qkvBias: modelType === 'qwen2' ? true : attentionBias,
    oBias: modelType === 'llama' && attentionBias,
    mlpBias: modelType === 'llama' && optionalBool(raw, 'mlp_bias', false, fail),
    bosTokenId: tokenId(raw, 'bos_token_id', fail) as number | null,
    eosTokenId: tokenId(raw, 'eos_token_id', fail),
    torchDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : typeof raw.dtype === 'string' ? raw.dtype : null,
    raw,
  };
}

function optionalBool(raw: Record<string, unknown>, field: string, fallback: boolean, fail: (m: string) => never): boolean {
  const value = raw[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') return fail(`"${field}" must be true or false, got ${JSON.stringify(value)}.`);
  return value;
}

function tokenId(raw: Record<string, unknown>, field: string, fail: (m: string) => never): number | number[] | null {
  const value = raw[field];
  if (value === undefined || value === null) return null;
  const valid = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (valid(value) || (Array.isArray(value) && value.every(valid))) return value as number | number[];
  return fail(`"${field}" must be a token id or a list of ids, got ${JSON.stringify(value)}.`);
}

function parseRopeScaling(value: unknown, fail: (m: string) => never): Llama3RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return fail(`rope_scaling must be null or an object, got ${JSON.stringify(value)}.`);
  const scaling = value as Record<string, unknown>;
  const ropeType = scaling.rope_type ?? scaling.type;
  if (ropeType === 'default') return null;
  if (ropeType !== 'llama3') fail(`rope_scaling type ${JSON.stringify(ropeType)} is not supported (supported: "llama3", "default").`);
  const num = (field: string): number => {
    const v = scaling[field];
    if (typeof v !== 'number' || !(v > 0)) return fail(`rope_scaling.${field} must be a positive number, got ${JSON.stringify(v)}.`);
    return v;
  };
  const result: Llama3RopeScaling = {
    type: 'llama3',
    factor: num('factor'),
    lowFreqFactor: num('low_freq_factor'),
    highFreqFactor: num('high_freq_factor'),
    originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
  };
  if (result.highFreqFactor <= result.lowFreqFactor) {
    fail(`rope_scaling.high_freq_factor ${result.highFreqFactor} must be greater than low_freq_factor ${result.lowFreqFactor}.`);
  }
  return result;
}

/** Every tensor the checkpoint must hold, with its Hugging Face shape ([out, in] for linears). */
export function expectedWeightShapes(config: ModelConfig): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim: d, vocabSize: v } = config;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [v, h]);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [numHeads * d, h]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [numKvHeads * d, h]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [numKvHeads * d, h]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, numHeads * d]);
    if (config.qkvBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [numHeads * d]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [numKvHeads * d]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [numKvHeads * d]);
    }
    if (config.oBias) shapes.set(`${p}.self_attn.o_proj.bias`, [h]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [m, h]);
    shapes.set(`${p}.mlp.up_proj.weight`, [m, h]);
    shapes.set(`${p}.mlp.down_proj.weight`, [h, m]);
    if (config.mlpBias) {
      shapes.set(`${p}.mlp.gate_proj.bias`, [m]);
      shapes.set(`${p}.mlp.up_proj.bias`, [m]);
      shapes.set(`${p}.mlp.down_proj.bias`, [h]);
    }
  }
  shapes.set('model.norm.weight', [h]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  return shapes;
}

/**
 * The config against what the checkpoint holds, in time proportional to the checkpoint, not to the config: the layer
 * count and the embedding's shape. Runs before the full list of expected tensors is built from the config.
 */
function checkAgainstTensors(config: ModelConfig, names: string[], shapeOf: (name: string) => number[], source: string): void {
  const layers = new Set<number>();
  for (const name of names) {
    const match = /^model\.layers\.(\d+)\./.exec(name);
    if (match && Number(match[1]) < config.numLayers) layers.add(Number(match[1]));
  }
  if (layers.size < config.numLayers) {
    throw new ConfigError(`${source}: config.json says num_hidden_layers ${config.numLayers}, but the checkpoint holds ${layers.size} layers: the config does not belong to these weights.`);
  }
  const embedding = 'model.embed_tokens.weight';
  if (names.includes(embedding)) {
    const [rows, cols] = shapeOf(embedding);
    if (shapeOf(embedding).length !== 2 || rows !== config.vocabSize || cols !== config.hiddenSize) {
      throw new ConfigError(`${source}: tensor "${embedding}" has shape [${shapeOf(embedding).join(', ')}] but config.json implies [${config.vocabSize}, ${config.hiddenSize}] (vocab_size, hidden_size).`);
    }
  }
}

/** Names that may appear in a checkpoint without being used (buffers some exporters save). */
const IGNORABLE = [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/];

/** Check that `names`/`shapeOf` hold exactly the expected weights with the expected shapes. */
export function validateWeightShapes(config: ModelConfig, names: string[], shapeOf: (name: string) => number[], source = 'checkpoint'): void {
  checkAgainstTensors(config, names, shapeOf, source);
  const expected = expectedWeightShapes(config);
  const present = new Set(names);
  const missing = [...expected.keys()].filter((n) => !present.has(n));
  if (missing.length) {
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw new ConfigError(`${source}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).map((n) => `"${n}"`).join(', ')}${more} required by config.json (${config.modelType}, ${config.numLayers} layers).`);
  }
  for (const [name, shape] of expected) {
    const actual = shapeOf(name);
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      throw new ConfigError(`${source}: tensor "${name}" has shape [${actual.join(', ')}] but config.json implies [${shape.join(', ')}].`);
    }
  }
  const extra = names.filter((n) => !expected.has(n) && !IGNORABLE.some((re) => re.test(n)));
  if (extra.length) {
    const more = extra.length > 5 ? ` and ${extra.length - 5} more` : '';
    throw new ConfigError(`${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).map((n) => `"${n}"`).join(', ')}${more} not used by a ${config.modelType} model with this config.json (wrong config, or an unsupported architecture?).`);
  }
}
