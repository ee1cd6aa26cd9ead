import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from './config';
import { exportModelFolder } from './export';
import { randomWeights, seededRandom, tinyConfigJson, writeTinyCheckpoint } from '../testing/tiny-checkpoint';
import { ReferenceModel } from '../testing/reference';
import { checkpointWeights } from './weights';

const dir = mkdtempSync(join(tmpdir(), 'distillery-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hfFolder(name: string, configJson: Record<string, unknown>, options: { shards?: number; dtype?: 'F32' | 'BF16' } = {}): string {
  const folder = join(dir, name);
  writeTinyCheckpoint(folder, configJson, randomWeights(configJson, 5), options);
  writeFileSync(join(folder, 'tokenizer.json'), '{"model":{"type":"BPE"}}');
  writeFileSync(join(folder, 'tokenizer_config.json'), '{"chat_template":"x"}');
  return folder;
}

describe('exportModelFolder', () => {
  it('writes a transformers.js folder from a sharded bf16 checkpoint; ORT (optimized) matches the reference', async () => {
    const json = tinyConfigJson('llama');
    const source = hfFolder('llama-hf', json, { shards: 2, dtype: 'BF16' });
    const out = join(dir, 'llama-out');
    const progress: number[] = [];
    const result = await exportModelFolder(source, out, { dtype: 'fp32', onProgress: (e) => progress.push(e.done) });
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect(readdirSync(out).filter((f) => f.startsWith('.export-'))).toEqual([]);
    expect(progress.at(-1)).toBeGreaterThan(10);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('llama');
    expect(config['transformers.js_config']).toEqual({ use_external_data_format: { 'model.onnx': 1 } });
    expect(JSON.parse(readFileSync(join(out, 'generation_config.json'), 'utf8'))).toMatchObject({ bos_token_id: 1, eos_token_id: 2 });
    expect(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).toContain('chat_template');
    expect(result.externalBytes).toBeGreaterThan(0);

    const session = await ort.InferenceSession.create(result.onnxFile); // default (full) graph optimizations
    const ids = Array.from({ length: 5 }, (_, i) => Math.floor(seededRandom(i + 1)() * 96));
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 5]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 1n]), [1, 5]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n, 4n]), [1, 5]),
    };
    for (let i = 0; i < 2; i++) {
      for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8]);
    }
    const logits = (await session.run(feeds)).logits.data as Float32Array;
    // The reference reads the same bf16 checkpoint, widened to float64.
    const reference = new ReferenceModel(parseModelConfig(json), checkpointWeights(source));
    const expected = reference.forward({ inputIds: [ids], attentionMask: [[1, 1, 1, 1, 1]], positionIds: [[0, 1, 2, 3, 4]] }).logits;
    expect(Math.max(...Array.from(expected, (v, i) => Math.abs(v - logits[i])))).toBeLessThan(1e-4);
    await session.release();
  });

  it('rejects mismatched weights and bad configs, leaving an existing output folder untouched', async () => {
    const json = tinyConfigJson('qwen2');
    const source = hfFolder('qwen-hf', json);
    const out = join(dir, 'qwen-out');
    await exportModelFolder(source, out);
    const before = readFileSync(join(out, 'onnx', 'model.onnx'));

    writeFileSync(join(source, 'config.json'), JSON.stringify({ ...json, intermediate_size: 40 }));
    await expect(exportModelFolder(source, out)).rejects.toThrow(/tensor "model.layers.0.mlp.gate_proj.weight" has shape \[48, 32\] but config.json implies \[40, 32\]/);
    writeFileSync(join(source, 'config.json'), JSON.stringify({ ...json, num_hidden_layers: 3 }));
    await expect(exportModelFolder(source, out)).rejects.toThrow(/config.json says num_hidden_layers 3, but the checkpoint holds 2 layers/);
    writeFileSync(join(source, 'config.json'), JSON.stringify({ ...json, model_type: 'gpt2' }));
    await expect(exportModelFolder(source, out)).rejects.toThrow(/model_type "gpt2" is not supported/);
    writeFileSync(join(source, 'config.json'), JSON.stringify(json));
    await expect(exportModelFolder(source, out, { dtype: 'int3' })).rejects.toThrow(/Unknown dtype "int3" \(available: fp32/);
    rmSync(join(source, 'tokenizer.json'));
    await expect(exportModelFolder(source, out)).rejects.toThrow(/tokenizer.json is missing/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(exportModelFolder(empty, out)).rejects.toThrow(/config.json: cannot read the model config/);
    expect(readFileSync(join(out, 'onnx', 'model.onnx')).equals(before)).toBe(true);
    expect(existsSync(join(out, 'onnx', 'model.onnx_data'))).toBe(true);
  });
});
