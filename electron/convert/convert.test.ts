// Whole conversions of tiny qwen2/llama checkpoints in every dtype: the fp32 result against the float64 reference,
// fp16/q4/q4f16 logits against fp32 on 300 positions (bounds stated below), transformers.js loading and generating
// each dtype offline, and the folder layout + manifest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
import { writeTinyCheckpoint } from '../testing/factory';
import { promptIds, transformersGreedy, useOfflineTransformers } from '../testing/generate';
import { loadModelConfig } from '../model/config';
import { ReferenceModel } from '../testing/reference';
import { DEFAULT_BLOCK_SIZE, DEFAULT_SYMMETRIC } from './quantize';
import { checkpointWeights } from '../model/weights';
import { convertCheckpoint, type ConvertOptions } from './convert';
import { readManifest } from './manifest';
import { compareLogits } from './compare';
import { logitsPerPosition } from '../testing/decoder-logits';

const T = 300; // positions compared
let root: string;
const hf: Record<'qwen2' | 'llama', string> = { qwen2: '', llama: '' };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'distillery-convert-'));
  hf.qwen2 = join(root, 'hf-qwen2');
  hf.llama = join(root, 'hf-llama');
  writeTinyCheckpoint(hf.qwen2, { arch: 'qwen2', seed: 5 });
  // llama: sharded, GQA, llama3 rope scaling with a short original context so it matters at 300 positions.
  writeTinyCheckpoint(hf.llama, {
    arch: 'llama', seed: 6, shards: 2,
    ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 },
  });
}, 300_000); // two real-vocabulary checkpoints (≈ 20 M random weights each): over a minute on a loaded 2-core machine
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 11) % 120000);

// Every position's logits: the converter's fused graph computes lm_head for the last position only, so the prompt is
// fed a token at a time through the KV cache (which the comparison then covers too).
const runLogits = (onnxFile: string): Promise<Float32Array> => logitsPerPosition(onnxFile, ids);

const fp32Logits: Partial<Record<'qwen2' | 'llama', Float32Array>> = {};

async function convert(arch: 'qwen2' | 'llama', name: string, options: ConvertOptions) {
  return convertCheckpoint(hf[arch], join(root, `${arch}-${name}`), options);
}

describe.each(['qwen2', 'llama'] as const)('%s conversions', (arch) => {
  it('fp32 matches the float64 reference (≤ 1e-4 max abs) and writes the transformers.js layout + manifest', async () => {
    const result = await convert(arch, 'fp32', { dtype: 'fp32' });
    const logits = await runLogits(result.modelFile);
    fp32Logits[arch] = logits;
    const reference = new ReferenceModel(loadModelConfig(hf[arch]), checkpointWeights(hf[arch]));
    const want = reference.forward({ inputIds: [ids.slice(0, 40)], attentionMask: [ids.slice(0, 40).map(() => 1)], positionIds: [ids.slice(0, 40).map((_, i) => i)] }).logits;
    let maxAbs = 0;
    for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i] - logits[i]));
    expect(maxAbs).toBeLessThanOrEqual(1e-4);

    expect(readdirSync(join(result.outDir, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const config = JSON.parse(readFileSync(join(result.outDir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config'].use_external_data_format).toEqual({ 'model.onnx': 1 });
    const manifest = await readManifest(result.outDir);
    expect(manifest).toMatchObject({ dtype: 'fp32', modelFile: 'onnx/model.onnx', architecture: arch, quantization: null, fp16: null });
    expect(manifest.source.files.map((f) => f.name)).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json']));
    expect(manifest.source.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.bytes > 0)).toBe(true);
    // Nothing half-done left beside the output.
    expect(readdirSync(dirname(result.outDir)).filter((n) => n.includes('.partial-'))).toEqual([]);
  }, 120_000);

  // Bounds: fp16 only rounds weights/activations (measured max abs ≈ 3e-3 on logits of magnitude ≈ 6);
  // 4-bit weights of random tiny models lose more (measured cosine ≈ 0.96–0.98, top-1 ≈ 0.6–0.75: random logits over a
  // 150k vocabulary have near-ties at the top, so top-1 is the strictest of the three).
  const cases: { name: string; options: ConvertOptions; maxAbs: number; minCos: number; minTop1: number }[] = [
    { name: 'fp16', options: { dtype: 'fp16' }, maxAbs: 0.02, minCos: 0.99999, minTop1: 0.97 },
    { name: 'q4', options: { dtype: 'q4' }, maxAbs: 2, minCos: 0.95, minTop1: 0.5 },
    { name: 'q4f16', options: { dtype: 'q4f16' }, maxAbs: 2, minCos: 0.95, minTop1: 0.5 },
    { name: 'q4-asym-qemb', options: { dtype: 'q4', symmetric: false, quantizeEmbeddings: true, blockSize: 16, accuracyLevel: 0 }, maxAbs: 2.5, minCos: 0.93, minTop1: 0.45 },
    { name: 'q4-fp16-head', options: { dtype: 'q4', quantizeLmHead: false }, maxAbs: 2, minCos: 0.95, minTop1: 0.5 },
    { name: 'q4f16-qemb-fp16-head', options: { dtype: 'q4f16', quantizeEmbeddings: true, quantizeLmHead: false, blockSize: 64 }, maxAbs: 2.5, minCos: 0.9, minTop1: 0.45 },
  ];
  for (const c of cases) {
    it(`${c.name} logits vs fp32 on ${T} positions: max abs ≤ ${c.maxAbs}, cosine ≥ ${c.minCos}, top-1 ≥ ${c.minTop1}`, async () => {
      const result = await convert(arch, c.name, c.options);
      const stats = compareLogits(fp32Logits[arch]!, await runLogits(result.modelFile), T);
      console.log(`[convert] ${arch} ${c.name}: max abs ${stats.maxAbs.toFixed(4)}, min cosine ${stats.minCosine.toFixed(5)}, mean cosine ${stats.meanCosine.toFixed(5)}, top-1 ${stats.top1.toFixed(3)}`);
      expect(stats.maxAbs).toBeLessThanOrEqual(c.maxAbs);
      expect(stats.minCosine).toBeGreaterThanOrEqual(c.minCos);
      expect(stats.top1).toBeGreaterThanOrEqual(c.minTop1);
      const manifest = await readManifest(result.outDir);
      expect(manifest.dtype).toBe(c.options.dtype);
      expect(existsSync(join(result.outDir, manifest.modelFile))).toBe(true);
      if (c.options.dtype !== 'fp16') {
        expect(manifest.quantization).toMatchObject({
          method: 'MatMulNBits', bits: 4, blockSize: c.options.blockSize ?? DEFAULT_BLOCK_SIZE, symmetric: c.options.symmetric ?? DEFAULT_SYMMETRIC,
          accuracyLevel: c.options.accuracyLevel ?? 4, embeddings: c.options.quantizeEmbeddings ? 'q4' : 'fp16',
          lmHead: c.options.quantizeLmHead === false ? 'fp16' : 'q4',
        });
      }
    }, 240_000);
  }

  it('with --portable, every dtype loads and generates greedily in transformers.js (offline, dtype option)', async () => {
    const outputs: Record<string, number[]> = {};
    for (const dtype of ['fp32', 'fp16', 'q4', 'q4f16'] as const) {
      const dir = (await convert(arch, `${dtype}-portable`, { dtype, portable: true })).outDir;
      expect((await readManifest(dir)).graph).toBe('fused-gqa-v1');
      useOfflineTransformers(dirname(dir));
      const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
      const model = await AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: dtype as 'fp32', device: 'cpu' });
      outputs[dtype] = await transformersGreedy({ model, tokenizer }, promptIds(tokenizer, 'What is 2 + 2?'), 6);
      await model.dispose();
      expect(outputs[dtype]).toHaveLength(6);
    }
    console.log(`[convert] ${arch} transformers.js greedy: ${JSON.stringify(outputs)}`);
    expect(outputs.fp16).toEqual(outputs.fp32); // fp16 is close enough to keep greedy choices on this prompt
  }, 240_000);
});
