import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelConfig } from '../model/config';
import { SafetensorsCheckpoint } from '../model/safetensors';
import { r1TokenTable } from '../tokenizer/r1-tokens';
import { headDimOf, writeTinyCheckpoint, type TinyCheckpointOptions } from './factory';
import { convertedModel, makeTinyModel } from './fixtures';
import { loadTransformersModel, promptIds, referenceGreedy, transformersGreedy } from './generate';
import { R1_LLAMA3_ROPE_SCALING } from './hf-config';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-factory-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('writeTinyCheckpoint', () => {
  it.each(['qwen2', 'llama'] as const)('writes a complete %s Hugging Face folder with real-vocab bf16 weights', (arch) => {
    const dir = path.join(root, `${arch}-plain`);
    const shape = writeTinyCheckpoint(dir, { arch, seed: 7, hidden: 32, heads: 4, kvHeads: 2, layers: 1, intermediate: 48 });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);

    const config = readJson(path.join(dir, 'config.json'));
    const common = ['architectures', 'bos_token_id', 'eos_token_id', 'hidden_act', 'hidden_size', 'intermediate_size', 'max_position_embeddings',
      'model_type', 'num_attention_heads', 'num_hidden_layers', 'num_key_value_heads', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings',
      'torch_dtype', 'vocab_size', 'use_cache', 'rope_scaling'];
    const specific = arch === 'qwen2' ? ['sliding_window', 'use_sliding_window', 'max_window_layers'] : ['attention_bias', 'mlp_bias', 'pretraining_tp'];
    for (const field of [...common, ...specific]) expect(config, field).toHaveProperty(field);
    expect(config.vocab_size).toBe(arch === 'qwen2' ? 151936 : 128256);
    expect(config.rope_scaling).toEqual(arch === 'llama' ? R1_LLAMA3_ROPE_SCALING : null);

    const table = r1TokenTable(arch);
    expect(readJson(path.join(dir, 'generation_config.json'))).toMatchObject({
      bos_token_id: table.bosId, eos_token_id: table.eosId, do_sample: true, temperature: 0.6, top_p: 0.95,
    });
    expect(readJson(path.join(dir, 'tokenizer_config.json')).chat_template).toContain('<｜Assistant｜><think>\\n');

    const parsed = loadModelConfig(dir); // the config parser accepts it
    expect(parsed.headDim).toBe(headDimOf(shape));
    expect(parsed.qkvBias).toBe(arch === 'qwen2');

    const checkpoint = SafetensorsCheckpoint.open(dir);
    const embed = checkpoint.get('model.embed_tokens.weight');
    expect(embed.dtype).toBe('BF16');
    expect(embed.shape).toEqual([config.vocab_size, 32]);
    expect(checkpoint.has('model.layers.0.self_attn.q_proj.bias')).toBe(arch === 'qwen2');
    expect(checkpoint.get('model.layers.0.self_attn.k_proj.weight').shape).toEqual([2 * 8, 32]);
    const values = checkpoint.get('model.layers.0.mlp.down_proj.weight').readFloat32();
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.7 / Math.sqrt(48));
    expect(std).toBeLessThan(1.3 / Math.sqrt(48));
  });

  it('is deterministic per seed and can shard with an index', () => {
    const options: TinyCheckpointOptions = { arch: 'llama', hidden: 16, heads: 2, kvHeads: 1, layers: 2, intermediate: 16, vocabSize: 128256 };
    writeTinyCheckpoint(path.join(root, 'a'), { ...options, seed: 3 });
    writeTinyCheckpoint(path.join(root, 'b'), { ...options, seed: 3, shards: 3 });
    writeTinyCheckpoint(path.join(root, 'c'), { ...options, seed: 4 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => SafetensorsCheckpoint.open(path.join(root, name)));
    const index = readJson(path.join(root, 'b', 'model.safetensors.index.json'));
    expect(new Set(Object.values(index.weight_map as Record<string, string>))).toEqual(
      new Set(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']),
    );
    expect(b.names().sort()).toEqual(a.names().sort());
    // Buffer.equals: vitest's deep equality walks megabyte arrays element by element.
    const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(y);
    for (const name of a.names()) expect(same(b.get(name).readBytes(), a.get(name).readBytes()), name).toBe(true);
    expect(same(c.get('lm_head.weight').readBytes(), a.get('lm_head.weight').readBytes())).toBe(false);
  });

  it('rejects shapes that cannot make a decoder', () => {
    expect(() => writeTinyCheckpoint(path.join(root, 'bad1'), { arch: 'qwen2', hidden: 30, heads: 4 })).toThrow(/head_dim/);
    expect(() => writeTinyCheckpoint(path.join(root, 'bad2'), { arch: 'qwen2', heads: 4, kvHeads: 3 })).toThrow(/multiple of kvHeads/);
  });
});

// GQA (kv heads < heads), qwen2's q/k/v biases, llama3 rope scaling with a short original context so that a prompt
// of 40+ tokens crosses it, odd prompt lengths.
const CONVERSION_CASES: { name: string; options: TinyCheckpointOptions; user: string }[] = [
  { name: 'qwen2 (GQA, q/k/v bias)', options: { arch: 'qwen2', seed: 11 }, user: 'What is 2 + 2?' },
  {
    name: 'llama (GQA, llama3 rope scaling, original context 16)',
    options: { arch: 'llama', seed: 12, ropeTheta: 500000, ropeScaling: { ...R1_LLAMA3_ROPE_SCALING, factor: 4, original_max_position_embeddings: 16 } },
    user: 'Please reason step by step, and put your final answer within \\boxed{}. How many primes are there below 30?',
  },
];

describe('tiny checkpoints through the converter and transformers.js (offline)', () => {
  it.each(CONVERSION_CASES)('$name: greedy output equals the float64 reference', async ({ options, user }) => {
    const { hfDir } = await makeTinyModel(options);
    const { onnxDir } = await convertedModel(hfDir);
    const loaded = await loadTransformersModel(onnxDir);
    const prompt = promptIds(loaded.tokenizer, user);
    expect(prompt.length % 2).toBe(1);
    const fromOnnx = await transformersGreedy(loaded, prompt, 8);
    const fromReference = referenceGreedy(hfDir, prompt, 8, r1TokenTable(options.arch).eosId);
    expect(fromOnnx).toHaveLength(8);
    expect(fromOnnx).toEqual(fromReference);
    expect(new Set(fromOnnx).size).toBeGreaterThan(1); // a random model, not a constant one
    await loaded.model.dispose();
  }, 180_000);

  it('caches fixtures: the same options give the same folder', async () => {
    const first = await makeTinyModel(CONVERSION_CASES[0].options);
    const second = await makeTinyModel(CONVERSION_CASES[0].options);
    expect(second.hfDir).toBe(first.hfDir);
    expect((await convertedModel(first.hfDir)).onnxDir).toBe((await convertedModel(second.hfDir)).onnxDir);
  });
});
