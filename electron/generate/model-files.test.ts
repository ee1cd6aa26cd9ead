import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModelFolder, pickVariant } from './model-files';
import { estimateMemory, kvCacheBytes } from './memory';
import { scriptedOnnxModel } from '../testing/model-folders';

let good: string;
beforeAll(async () => {
  good = await scriptedOnnxModel();
}, 300_000);

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A private copy of the model folder to damage. */
function copyModel(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-corrupt-'));
  copies.push(dir);
  fs.cpSync(good, dir, { recursive: true });
  return dir;
}

describe('inspectModelFolder', () => {
  it('describes a converted folder', () => {
    const info = inspectModelFolder(good);
    expect(info.shape.arch).toBe('qwen2');
    expect(info.eosIds).toEqual([151643]);
    expect(info.variants.map((v) => v.dtype)).toEqual(['fp32']);
    expect(info.variants[0].files.map((f) => path.basename(f))).toEqual(['model.onnx', 'model.onnx_data']);
    expect(pickVariant(info, undefined, false).dtype).toBe('fp32');
    expect(() => pickVariant(info, 'q4', false)).toThrow(/has no q4 weights \(it has: fp32\)/);
  });

  it('names a truncated weight file', () => {
    const dir = copyModel();
    const data = path.join(dir, 'onnx', 'model.onnx_data');
    fs.truncateSync(data, fs.statSync(data).size - 4096);
    expect(() => inspectModelFolder(dir)).toThrow(/Weight file truncated: .*model\.onnx_data has \d+ bytes but model\.onnx needs \d+/);
  });

  it('names a missing weight file, tokenizer, config or onnx folder', () => {
    const noData = copyModel();
    fs.rmSync(path.join(noData, 'onnx', 'model.onnx_data'));
    expect(() => inspectModelFolder(noData)).toThrow(/Weight file missing: .*model\.onnx_data/);
    const noTok = copyModel();
    fs.rmSync(path.join(noTok, 'tokenizer.json'));
    expect(() => inspectModelFolder(noTok)).toThrow(/tokenizer\.json is missing/);
    const noOnnx = copyModel();
    fs.rmSync(path.join(noOnnx, 'onnx'), { recursive: true });
    expect(() => inspectModelFolder(noOnnx)).toThrow(/No onnx\/ folder/);
    expect(() => inspectModelFolder(path.join(os.tmpdir(), 'no-such-model-folder'))).toThrow(/Model folder not found/);
  });

  it('names a corrupt config or onnx file', () => {
    const badConfig = copyModel();
    fs.writeFileSync(path.join(badConfig, 'config.json'), '{"model_type": "qwen2",');
    expect(() => inspectModelFolder(badConfig)).toThrow(/config\.json is not valid JSON/);
    const badOnnx = copyModel();
    fs.writeFileSync(path.join(badOnnx, 'onnx', 'model.onnx'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(() => inspectModelFolder(badOnnx)).toThrow(/model\.onnx is not a readable ONNX model/);
  });
});

describe('memory estimate', () => {
  const shape = { arch: 'qwen2', layers: 28, heads: 12, kvHeads: 2, headDim: 128, vocabSize: 151936, maxPositions: 131072 };
  it('KV cache size is 2 · layers · kvHeads · context · headDim · bytes', () => {
    expect(kvCacheBytes(shape, 32768, 4)).toBe(2 * 28 * 2 * 32768 * 128 * 4);
  });
  it('fits / does not fit against the available memory', () => {
    const weights = 1.1e9;
    const small = estimateMemory(shape, weights, 4096, 4, 8e9);
    expect(small.fits).toBe(true);
    expect(small.totalBytes).toBeGreaterThan(weights + small.kvCacheBytes);
    expect(estimateMemory(shape, weights, 32768, 4, 2e9).fits).toBe(false);
  });
});
