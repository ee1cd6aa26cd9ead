import { describe, expect, it } from 'vitest';
import { expectedWeightShapes, parseModelConfig, validateWeightShapes } from './config';
import { tinyConfigJson } from '../testing/tiny-checkpoint';

describe('model config', () => {
  it('reads qwen2 and llama fields, defaults and deltas', () => {
    const qwen = parseModelConfig(tinyConfigJson('qwen2'));
    expect(qwen).toMatchObject({ modelType: 'qwen2', headDim: 8, numKvHeads: 2, qkvBias: true, oBias: false, ropeScaling: null, bosTokenId: 1, eosTokenId: 2, torchDtype: 'bfloat16' });
    const llama = parseModelConfig(tinyConfigJson('llama', { head_dim: 16, eos_token_id: [2, 3] }));
    expect(llama).toMatchObject({ modelType: 'llama', headDim: 16, qkvBias: false, ropeTheta: 500000, eosTokenId: [2, 3] });
    expect(llama.ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 });
    const biased = parseModelConfig(tinyConfigJson('llama', { attention_bias: true, mlp_bias: true }));
    expect([biased.qkvBias, biased.oBias, biased.mlpBias]).toEqual([true, true, true]);
    expect(parseModelConfig(tinyConfigJson('qwen2', { num_key_value_heads: undefined })).numKvHeads).toBe(4);
    expect(parseModelConfig(tinyConfigJson('llama', { rope_scaling: { rope_type: 'default' } })).ropeScaling).toBeNull();
  });

  it('refuses absurd sizes at once, before sizing anything from them', () => {
    const bad = (overrides: Record<string, unknown>) => () => parseModelConfig(tinyConfigJson('qwen2', overrides), 'x/config.json');
    expect(bad({ num_hidden_layers: 1_000_000 })).toThrow(/x\/config.json: "num_hidden_layers" is 1000000, more than any supported model \(at most 1024\)/);
    expect(bad({ hidden_size: 1e9 })).toThrow(/"hidden_size" is 1000000000, more than any supported model/);
    expect(bad({ vocab_size: 2 ** 40 })).toThrow(/"vocab_size" is 1099511627776/);
  });

  it('checks the config against the tensors present before listing every tensor the config implies', () => {
    const config = parseModelConfig(tinyConfigJson('qwen2'));
    const shapes = expectedWeightShapes(config);
    const shapeOf = (name: string) => shapes.get(name)!;
    // 1000 layers in the config, 2 in the checkpoint: refused by counting, without building 1000 layers' names.
    const many = { ...config, numLayers: 1000 };
    let asked = 0;
    const counting = (name: string) => (asked++, shapeOf(name));
    expect(() => validateWeightShapes(many, [...shapes.keys()], counting, 'ckpt')).toThrow(/ckpt: config.json says num_hidden_layers 1000, but the checkpoint holds 2 layers/);
    expect(asked).toBe(0);
    const wide = { ...config, hiddenSize: 4096 };
    expect(() => validateWeightShapes(wide, [...shapes.keys()], shapeOf, 'ckpt')).toThrow(/"model.embed_tokens.weight" has shape \[\d+, 32\] but config.json implies \[\d+, 4096\]/);
  });

  it('rejects bad configs naming the field and the value', () => {
    const bad = (overrides: Record<string, unknown>, model: 'qwen2' | 'llama' = 'qwen2') => () => parseModelConfig(tinyConfigJson(model, overrides), 'x/config.json');
    expect(bad({ model_type: 'mistral' })).toThrow(/x\/config.json: model_type "mistral" is not supported/);
    expect(bad({ num_key_value_heads: 3 })).toThrow(/num_attention_heads 4 is not divisible by num_key_value_heads 3/);
    expect(bad({ hidden_size: 30 })).toThrow(/hidden_size 30 is not divisible by num_attention_heads 4/);
    expect(bad({ intermediate_size: undefined })).toThrow(/missing field "intermediate_size"/);
    expect(bad({ vocab_size: -5 })).toThrow(/"vocab_size" must be a positive integer, got -5/);
    expect(bad({ rms_norm_eps: 'small' })).toThrow(/"rms_norm_eps" must be a positive number, got "small"/);
    expect(bad({ rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_scaling type "yarn" is not supported/);
    expect(bad({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }, 'llama')).toThrow(/rope_scaling.original_max_position_embeddings must be a positive number, got undefined/);
    expect(bad({ use_sliding_window: true })).toThrow(/use_sliding_window is true/);
    expect(bad({ hidden_act: 'gelu' })).toThrow(/hidden_act "gelu" is not supported/);
    expect(bad({ tie_word_embeddings: 'yes' })).toThrow(/"tie_word_embeddings" must be true or false/);
    expect(() => parseModelConfig([1, 2])).toThrow(/expected a JSON object/);
  });

  it('validates weights: missing, extra and wrong-shaped tensors are named', () => {
    const config = parseModelConfig(tinyConfigJson('qwen2'));
    const shapes = expectedWeightShapes(config);
    expect(shapes.get('model.layers.1.self_attn.k_proj.weight')).toEqual([16, 32]);
    expect(shapes.get('model.layers.0.self_attn.k_proj.bias')).toEqual([16]);
    const check = (map: Map<string, number[]>) => () => validateWeightShapes(config, [...map.keys()], (n) => map.get(n)!, 'ckpt');
    expect(check(shapes)).not.toThrow();
    const missing = new Map(shapes);
    missing.delete('model.layers.1.mlp.up_proj.weight');
    expect(check(missing)).toThrow(/ckpt: missing tensor "model.layers.1.mlp.up_proj.weight"/);
    const wrong = new Map(shapes).set('model.layers.0.self_attn.q_proj.weight', [32, 31]);
    expect(check(wrong)).toThrow(/tensor "model.layers.0.self_attn.q_proj.weight" has shape \[32, 31\] but config.json implies \[32, 32\]/);
    const extra = new Map(shapes).set('model.layers.2.mlp.up_proj.weight', [48, 32]);
    expect(check(extra)).toThrow(/unexpected tensor "model.layers.2.mlp.up_proj.weight"/);
    const buffers = new Map(shapes).set('model.layers.0.self_attn.rotary_emb.inv_freq', [4]);
    expect(check(buffers)).not.toThrow();
  });
});
