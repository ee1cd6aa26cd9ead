/**
 * The greedy decoder of samples and evaluation (a decoding graph with a KV cache, driven by the engine's decoder)
 * gives exactly the tokens of the plain way — re-running the whole sequence through the loss graph's logits for every
 * new token — on tiny qwen2 and llama models with an adapter that matters, over float32, float16 and 4-bit bases,
 * while running each position once.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { memoryWeights } from '../model/weights';
import { serializeModel } from '../onnx/write';
import { reforwardGreedy } from '../testing/reforward-greedy';
import { randomWeights, tinyConfigJson } from '../testing/tiny-checkpoint';
import { LORA_MODULES } from './adapter';
import { GreedyDecoder } from './evaluate';
import { buildTrainingGraph, type TrainingGraphOptions } from './lora-graph';
import { Rng } from './rng';
import { baseParams } from './run-extras';

const lora = { rank: 4, alpha: 16, targets: [...LORA_MODULES] };
const bases: [string, Partial<TrainingGraphOptions>][] = [
  ['float32', {}],
  ['float16', { dtype: 'float16' }],
  ['q4 (QLoRA)', { quantizedBase: { blockSize: 32 } }],
];

describe.each(['qwen2', 'llama'] as const)('greedy decoding with a KV cache (%s)', (arch) => {
  const json = tinyConfigJson(arch, { vocab_size: 64, max_position_embeddings: 64 });
  const config = parseModelConfig(json);
  const weights = memoryWeights(randomWeights(json, 11));

  it.each(bases)('gives the tokens of the full re-forward, adapter on and off, in prompt + new − 1 positions (%s base)', async (_, base) => {
    const reference = buildTrainingGraph(config, weights, { lora, forwardOnly: true, keepLogits: true, ...base });
    const cached = buildTrainingGraph(config, weights, { lora, kvCache: true, ...base });
    const rng = new Rng(arch === 'qwen2' ? 3 : 4);
    const trained = new Map(cached.trainables.map((t) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape[0] * t.shape[1] }, () => rng.uniform(-0.5, 0.5)) }]));
    const prompts = [[1, 7, 19, 33, 5, 12, 40, 8, 3, 27], [1, 50, 2, 9]];
    const maxNew = 24;
    const session = await ort.InferenceSession.create(await serializeModel(reference.graph));
    const decoder = await GreedyDecoder.create(config, cached, { prefillChunk: 4 }); // a chunked prefill on the long prompt
    try {
      let adapterChangedSomething = false;
      for (const prompt of prompts) {
        const expected = await reforwardGreedy(session, reference, prompt, trained, maxNew);
        const expectedBase = await reforwardGreedy(session, reference, prompt, baseParams(trained), maxNew);
        adapterChangedSomething ||= expected.join() !== expectedBase.join();

        const before = decoder.tokensRun;
        expect(await decoder.generate(prompt, trained, maxNew)).toEqual(expected);
        expect(decoder.tokensRun - before).toBe(prompt.length + maxNew - 1);
        expect(await decoder.generate(prompt, baseParams(trained), maxNew)).toEqual(expectedBase);

        // stops right after the stop token, wherever greedy first emits it
        const stopAt = expected.findIndex((id) => id !== expected[0]);
        const stopId = expected[stopAt];
        expect(await decoder.generate(prompt, trained, maxNew, stopId)).toEqual(expected.slice(0, expected.indexOf(stopId) + 1));
      }
      expect(adapterChangedSomething).toBe(true);
    } finally {
      await session.release();
      await decoder.release();
    }
  }, 120_000);
});

describe('greedy decoding limits', () => {
  const json = tinyConfigJson('qwen2', { vocab_size: 64, max_position_embeddings: 16 });
  const config = parseModelConfig(json);
  const graph = buildTrainingGraph(config, memoryWeights(randomWeights(json, 2)), { lora, kvCache: true });
  const params = new Map(graph.trainables.map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.shape[0] * t.shape[1]).fill(0.1) }]));

  it('stops when the context is full, refuses a prompt longer than it, and runs nothing once aborted', async () => {
    const decoder = await GreedyDecoder.create(config, graph);
    try {
      const prompt = Array.from({ length: 10 }, (_, i) => 3 + i);
      expect(await decoder.generate(prompt, params, 50)).toHaveLength(16 - 10 + 1);
      expect(decoder.tokensRun).toBe(16);
      await expect(decoder.generate(Array.from({ length: 17 }, () => 5), params, 4)).rejects.toThrow(/17 tokens, more than the 16/);
      const abort = new AbortController();
      abort.abort();
      expect(await decoder.generate(prompt, params, 8, undefined, abort.signal)).toEqual([]);
      expect(decoder.tokensRun).toBe(16);
    } finally {
      await decoder.release();
    }
  });

  it('refuses a loss graph', async () => {
    const lossGraph = buildTrainingGraph(config, memoryWeights(randomWeights(json, 2)), { lora, forwardOnly: true, keepLogits: true });
    await expect(GreedyDecoder.create(config, lossGraph)).rejects.toThrow('kvCache: true');
  });
});
