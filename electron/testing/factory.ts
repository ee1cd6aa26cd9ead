/**
 * Tiny-model factory: complete Hugging Face checkpoint folders (config, generation config, R1 tokenizer on the real
 * vocabulary, bf16 safetensors, optionally sharded) with deterministic random weights, for tests of the converter,
 * the engine and the UI. The vocabulary is real, so the embeddings dominate the size (≈ 20 MB each at hidden 64).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeSafetensors, type SafetensorsInput } from '../model/safetensors';
import { writeR1TokenizerFiles } from '../tokenizer/r1-tokenizer';
import { r1TokenTable } from '../tokenizer/r1-tokens';
import { generationConfig, hfConfig, tokenizerFamily, type Arch, type ModelShape } from './hf-config';
import { gaussian, mulberry32, normalArray } from './prng';

export type { Arch, ModelShape } from './hf-config';
export type TensorMap = Record<string, SafetensorsInput>;

export interface TinyCheckpointOptions extends Partial<Omit<ModelShape, 'arch'>> {
  arch: Arch;
  seed?: number;
  /** Split the weights into this many model-0000i-of-0000n.safetensors files with an index. */
  shards?: number;
}

export interface WriteFolderOptions {
  shards?: number;
}

/** The model vocab size of the smallest real checkpoint of this family (151,936 for qwen2, 128,256 for llama). */
export function realVocabSize(arch: Arch): number {
  return r1TokenTable(tokenizerFamily(arch)).modelVocabSizes[0];
}

export function tinyShape(options: TinyCheckpointOptions): ModelShape {
  const { seed: _seed, shards: _shards, ...shape } = options;
  return {
    hidden: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    intermediate: 96,
    vocabSize: realVocabSize(options.arch),
    ...shape,
  };
}

export function headDimOf(shape: ModelShape): number {
  return shape.headDim ?? shape.hidden / shape.heads;
}

function checkShape(shape: ModelShape): void {
  const headDim = headDimOf(shape);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new Error(`Tiny model: head_dim ${headDim} (hidden ${shape.hidden} / heads ${shape.heads}) must be an even integer.`);
  }
  if (shape.heads % shape.kvHeads !== 0) {
    throw new Error(`Tiny model: heads (${shape.heads}) must be a multiple of kvHeads (${shape.kvHeads}).`);
  }
}

/** Deterministic random weights, scaled so activations stay O(1) through every layer. */
export function randomWeights(shape: ModelShape, seed: number): TensorMap {
  checkShape(shape);
  const next = gaussian(mulberry32(seed));
  const { hidden, intermediate, vocabSize } = shape;
  const headDim = headDimOf(shape);
  const qOut = shape.heads * headDim;
  const kvOut = shape.kvHeads * headDim;
  const bf16 = (shapeOf: number[], std: number, mean = 0): SafetensorsInput => ({
    dtype: 'BF16',
    shape: shapeOf,
    data: normalArray(next, shapeOf.reduce((a, b) => a * b, 1), std, mean),
  });
  const linear = (out: number, inp: number) => bf16([out, inp], 1 / Math.sqrt(inp));
  const tensors: TensorMap = { 'model.embed_tokens.weight': bf16([vocabSize, hidden], 1) };
  for (let layer = 0; layer < shape.layers; layer++) {
    const p = `model.layers.${layer}`;
    tensors[`${p}.input_layernorm.weight`] = bf16([hidden], 0.1, 1);
    tensors[`${p}.self_attn.q_proj.weight`] = linear(qOut, hidden);
    tensors[`${p}.self_attn.k_proj.weight`] = linear(kvOut, hidden);
    tensors[`${p}.self_attn.v_proj.weight`] = linear(kvOut, hidden);
    if (shape.arch === 'qwen2') {
      tensors[`${p}.self_attn.q_proj.bias`] = bf16([qOut], 0.5);
      tensors[`${p}.self_attn.k_proj.bias`] = bf16([kvOut], 0.5);
      tensors[`${p}.self_attn.v_proj.bias`] = bf16([kvOut], 0.5);
    }
    tensors[`${p}.self_attn.o_proj.weight`] = linear(hidden, qOut);
    tensors[`${p}.post_attention_layernorm.weight`] = bf16([hidden], 0.1, 1);
    tensors[`${p}.mlp.gate_proj.weight`] = linear(intermediate, hidden);
    tensors[`${p}.mlp.up_proj.weight`] = linear(intermediate, hidden);
    tensors[`${p}.mlp.down_proj.weight`] = linear(hidden, intermediate);
  }
  tensors['model.norm.weight'] = bf16([hidden], 0.1, 1);
  if (!shape.tieWordEmbeddings) tensors['lm_head.weight'] = linear(vocabSize, hidden);
  return tensors;
}

function tensorBytes(tensor: SafetensorsInput): number {
  return tensor.shape.reduce((a, b) => a * b, 1) * (tensor.dtype === 'F32' ? 4 : 2);
}

/** Writes model.safetensors, or n shards plus model.safetensors.index.json (shards split by tensor, in order). */
export function writeWeights(dir: string, tensors: TensorMap, shards = 1): void {
  const names = Object.keys(tensors);
  if (shards <= 1) {
    writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
    return;
  }
  if (shards > names.length) throw new Error(`Cannot split ${names.length} tensors into ${shards} shards.`);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let shard = 0; shard < shards; shard++) {
    const file = `model-${String(shard + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part: TensorMap = {};
    const from = Math.floor((shard * names.length) / shards);
    const to = Math.floor(((shard + 1) * names.length) / shards);
    for (const name of names.slice(from, to)) {
      part[name] = tensors[name];
      weightMap[name] = file;
      totalSize += tensorBytes(tensors[name]);
    }
    writeSafetensors(path.join(dir, file), part, { format: 'pt' });
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index, null, 2) + '\n');
}

/** A complete Hugging Face folder for the given shape and weights. */
export function writeCheckpointFolder(dir: string, shape: ModelShape, tensors: TensorMap, options: WriteFolderOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const json = (name: string, value: unknown) => fs.writeFileSync(path.join(dir, name), JSON.stringify(value, null, 2) + '\n');
  json('config.json', hfConfig(shape));
  json('generation_config.json', generationConfig(shape.arch));
  writeR1TokenizerFiles(dir, tokenizerFamily(shape.arch));
  writeWeights(dir, tensors, options.shards);
}

/** Tiny random R1-style checkpoint (defaults: hidden 64, 2 layers, 4 heads, 2 kv heads, real vocab). */
export function writeTinyCheckpoint(dir: string, options: TinyCheckpointOptions): ModelShape {
  const shape = tinyShape(options);
  writeCheckpointFolder(dir, shape, randomWeights(shape, options.seed ?? 1), { shards: options.shards });
  return shape;
}
