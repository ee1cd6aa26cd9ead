/**
 * Tiny deterministic checkpoints for this folder's tests (factory.ts in this folder builds the full
 * Hugging Face folders with real tokenizers; these only need config.json + safetensors).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedWeightShapes, parseModelConfig } from '../model/config';
import { writeSafetensors, type SafetensorsInput } from '../model/safetensors';
import { mulberry32 } from '../util/prng';

export type TensorRecord = Record<string, { shape: number[]; data: Float32Array }>;

export const seededRandom = mulberry32;

export function tinyConfigJson(modelType: 'qwen2' | 'llama', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    architectures: [modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: modelType,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 96,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 128,
    tie_word_embeddings: false,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'bfloat16',
  };
  if (modelType === 'llama') {
    Object.assign(base, {
      rope_theta: 500000,
      attention_bias: false,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
    });
  }
  return { ...base, ...overrides };
}

/** Random weights of the right shapes; norms near 1, linears scaled by 1/sqrt(fan-in) so activations stay O(1). */
export function randomWeights(configJson: Record<string, unknown>, seed = 1): TensorRecord {
  const config = parseModelConfig(configJson);
  const random = seededRandom(seed);
  const tensors: TensorRecord = {};
  for (const [name, shape] of expectedWeightShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('norm.weight');
    const scale = isNorm ? 0.2 : name.endsWith('.bias') ? 0.5 : name.includes('embed_tokens') ? 1 : 2 / Math.sqrt(shape[1]);
    const data = Float32Array.from({ length: count }, () => (isNorm ? 1 : 0) + scale * (random() * 2 - 1));
    tensors[name] = { shape, data };
  }
  return tensors;
}

/** Write config.json + safetensors (optionally sharded into `shards` files with an index). */
export function writeTinyCheckpoint(folder: string, configJson: Record<string, unknown>, tensors: TensorRecord, options: { dtype?: 'F32' | 'BF16'; shards?: number } = {}): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify(configJson, null, 2));
  const dtype = options.dtype ?? 'F32';
  const names = Object.keys(tensors);
  const shards = options.shards ?? 1;
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = shards === 1 ? 'model.safetensors' : `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part: Record<string, SafetensorsInput> = {};
    names.filter((_, i) => i % shards === s).forEach((name) => {
      part[name] = { dtype, shape: tensors[name].shape, data: tensors[name].data };
      weightMap[name] = file;
    });
    writeSafetensors(join(folder, file), part, { format: 'pt' });
  }
  if (shards > 1) writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}
