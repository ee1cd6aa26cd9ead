/**
 * PEFT adapter folders (keys, shapes, config) and merging: the merged, converted model's logits equal the LoRA
 * training graph's logits with the same adapter.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { randomWeights, tinyConfigJson, writeTinyCheckpoint } from '../testing/tiny-checkpoint';
import { writeR1TokenizerFiles } from '../tokenizer/r1-tokenizer';
import { memoryWeights } from '../model/weights';
import { serializeModel } from '../onnx/write';
import { adapterConfig, type LoraSettings, type NamedTensor, parseTargets, peftKey, readAdapter, writeAdapter } from './adapter';
import { buildTrainingGraph } from './lora-graph';
import { mergeAdapterIntoModel } from './merge-folder';
import { Rng } from './rng';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-adapter-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const json = tinyConfigJson('llama', { num_hidden_layers: 2 });
const config = parseModelConfig(json);
const weights = randomWeights(json, 5);
const settings: LoraSettings = { rank: 4, alpha: 16, targets: parseTargets('q_proj,v_proj,down_proj'), useRslora: true };

function randomAdapter(seed: number): Map<string, NamedTensor> {
  const training = buildTrainingGraph(config, memoryWeights(weights), { lora: settings, forwardOnly: true });
  const rng = new Rng(seed);
  return new Map(training.trainables.map((t) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape[0] * t.shape[1] }, () => rng.uniform(-0.2, 0.2)) }]));
}

describe('PEFT adapter folder', () => {
  it('has PEFT\'s keys, shapes and config fields', () => {
    const dir = tempDir();
    writeAdapter(dir, adapterConfig(settings, 'deepseek-ai/DeepSeek-R1-Distill-Llama-8B'), randomAdapter(1));
    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 16, lora_dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'],
      bias: 'none', use_rslora: true, use_dora: false, fan_in_fan_out: false, base_model_name_or_path: 'deepseek-ai/DeepSeek-R1-Distill-Llama-8B',
      inference_mode: true, modules_to_save: null,
    });
    const { tensors } = readAdapter(dir);
    expect(tensors.size).toBe(2 * 3 * 2);
    const h = 32, heads = 4, kv = 2, d = 8, m = 48;
    expect(tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.shape).toEqual([4, h]);
    expect(tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!.shape).toEqual([heads * d, 4]);
    expect(tensors.get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape).toEqual([kv * d, 4]);
    expect(tensors.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')!.shape).toEqual([4, m]);
    expect(peftKey('model.layers.3.mlp.up_proj', 'B')).toBe('base_model.model.model.layers.3.mlp.up_proj.lora_B.weight');
  });

  it('rejects unknown targets and adapters for another model', async () => {
    expect(() => parseTargets('q_proj,w_proj')).toThrow(/unknown LoRA target 'w_proj'/);
    const base = tempDir();
    writeTinyCheckpoint(base, json, weights);
    const adapterDir = tempDir();
    const adapter = randomAdapter(2);
    adapter.set('base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight', { shape: [4, 32], data: new Float32Array(128) });
    adapter.set('base_model.model.model.layers.9.self_attn.q_proj.lora_B.weight', { shape: [32, 4], data: new Float32Array(128) });
    writeAdapter(adapterDir, adapterConfig(settings, null), adapter);
    await expect(mergeAdapterIntoModel(base, adapterDir, join(tempDir(), 'out'))).rejects.toThrow(/adapts 'model.layers.9.self_attn.q_proj'/);
  });

  it('merge: the converted merged model gives the logits of the LoRA graph with that adapter', async () => {
    const base = tempDir();
    writeTinyCheckpoint(base, json, weights);
    writeR1TokenizerFiles(base, 'llama'); // the merged folder carries the base's tokenizer, checked like any model's
    const adapterDir = tempDir();
    const adapter = randomAdapter(3);
    writeAdapter(adapterDir, adapterConfig(settings, base), adapter);
    const out = join(tempDir(), 'merged');
    const result = await mergeAdapterIntoModel(base, adapterDir, out);
    expect(JSON.parse(readFileSync(join(out, 'distillery_derived.json'), 'utf8'))).toMatchObject({ method: 'lora-merge', r: 4, lora_alpha: 16 });

    const ids = [5, 17, 3, 44, 61, 9, 23, 88, 12, 7, 31, 50, 2, 66, 19, 40, 8, 77, 25]; // longer than llama3's original context (16)
    const n = ids.length;
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
    const common = { input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), position_ids: i64(ids.map((_, t) => t)) };

    const merged = await ort.InferenceSession.create(result.modelFile);
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < config.numLayers; i++) for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.numKvHeads, 0, config.headDim]);
    }
    const mergedLogits = (await merged.run({ ...common, ...past })).logits.data as Float32Array;
    await merged.release();

    const training = buildTrainingGraph(config, memoryWeights(weights), { lora: settings, forwardOnly: true, keepLogits: true });
    const session = await ort.InferenceSession.create(await serializeModel(training.graph));
    const feeds: Record<string, ort.Tensor> = { ...common, loss_weights: new ort.Tensor('float32', new Float32Array(n), [1, n]) };
    for (const t of training.trainables) feeds[t.name] = new ort.Tensor('float32', adapter.get(t.name)!.data, t.shape);
    const loraLogits = (await session.run(feeds)).logits.data as Float32Array;
    await session.release();

    let maxDiff = 0;
    for (let i = 0; i < loraLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(loraLogits[i] - mergedLogits[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // and the adapter really changes the model
    const baseSession = await ort.InferenceSession.create(await serializeModel(buildTrainingGraph(config, memoryWeights(weights), { lora: { ...settings, targets: [] as never[] }, forwardOnly: true, keepLogits: true }).graph));
    const baseLogits = (await baseSession.run(feeds)).logits.data as Float32Array;
    await baseSession.release();
    let baseDiff = 0;
    for (let i = 0; i < baseLogits.length; i++) baseDiff = Math.max(baseDiff, Math.abs(baseLogits[i] - mergedLogits[i]));
    expect(baseDiff).toBeGreaterThan(1e-2);

    // the same merge converted to q4 (the converter's MatMulNBits): loads, runs, stays close to the float merge
    const q4 = await mergeAdapterIntoModel(base, adapterDir, join(tempDir(), 'merged-q4'), { dtype: 'q4' });
    expect(q4.manifest.dtype).toBe('q4');
    const q4Session = await ort.InferenceSession.create(q4.modelFile);
    const q4Logits = (await q4Session.run({ ...common, ...past })).logits.data as Float32Array;
    await q4Session.release();
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < q4Logits.length; i++) { dot += q4Logits[i] * mergedLogits[i]; na += q4Logits[i] ** 2; nb += mergedLogits[i] ** 2; }
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.95);
  });
});
