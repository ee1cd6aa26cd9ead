/**
 * Sample-answer benchmark: one greedy answer of the model being fine-tuned (what the periodic samples and the final
 * evaluation generate), on a model with the exact R1-Distill-Qwen-1.5B shapes (fewer layers; random weights,
 * generated, not committed), with a LoRA adapter fed as inputs. Reports the time of the KV-cache decoder
 * (electron/train/evaluate.ts) and, as the baseline in the same process, of re-running the whole sequence for every
 * new token (what it replaced), with the token positions each ran and whether both gave the same tokens.
 *
 *   npm run bench -- train-sample [--layers 2] [--prompt 64] [--new 64] [--rank 16] [--dtype fp32|fp16|q4] [--no-reforward]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelConfig } from '../electron/model/config';
import { checkpointWeights } from '../electron/model/weights';
import { reforwardGreedy } from '../electron/testing/reforward-greedy';
import { initLoraTensors, LORA_MODULES } from '../electron/train/adapter';
import { GreedyDecoder } from '../electron/train/evaluate';
import { buildTrainingGraph, type TrainingGraphOptions } from '../electron/train/lora-graph';
import { createGraphSession } from '../electron/train/runner';
import { R1_QWEN_1_5B, writeSyntheticCheckpoint } from './synth-checkpoint';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '2' }, prompt: { type: 'string', default: '64' }, new: { type: 'string', default: '64' },
    rank: { type: 'string', default: '16' }, dtype: { type: 'string', default: 'fp32' }, 'no-reforward': { type: 'boolean', default: false },
  },
});
const layers = Number(values.layers);
const promptLength = Number(values.prompt);
const maxNew = Number(values.new);
const rank = Number(values.rank);
const base: Partial<TrainingGraphOptions> = values.dtype === 'fp16' ? { dtype: 'float16' } : values.dtype === 'q4' ? { quantizedBase: {} } : {};

async function seconds<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-sample-'));
try {
  writeSyntheticCheckpoint(join(dir, 'hf'), R1_QWEN_1_5B, { layers });
  const config = loadModelConfig(join(dir, 'hf'));
  const weights = checkpointWeights(join(dir, 'hf'));
  const lora = { rank, alpha: 2 * rank, targets: [...LORA_MODULES] };
  const prompt = Array.from({ length: promptLength }, (_, t) => (t * 7919 + 13) % config.vocabSize);
  const cachedGraph = buildTrainingGraph(config, weights, { lora, kvCache: true, ...base });
  const params = initLoraTensors(cachedGraph.trainables, 1);
  for (const t of params.values()) t.data.forEach((_, i, a) => { if (a[i] === 0) a[i] = 1e-3; }); // B ≠ 0: the adapter counts

  const decoder = await GreedyDecoder.create(config, cachedGraph);
  await decoder.generate(prompt.slice(0, 8), params, 2); // warm-up: the session's first runs
  const warmUpPositions = decoder.tokensRun;
  const cached = await seconds(() => decoder.generate(prompt, params, maxNew));
  const cachedPositions = decoder.tokensRun - warmUpPositions;
  await decoder.release();
  const model = `R1-Distill-Qwen-1.5B shapes, ${layers} of 28 layers, ${values.dtype}, LoRA r=${rank} on all linears`;
  console.log(`train-sample bench: ${model}; prompt ${promptLength} tokens, ${cached.value.length} new (load ${loadavg()[0].toFixed(1)})`);
  console.log(`  KV cache: ${cached.seconds.toFixed(2)} s · ${cachedPositions} positions run · ${(cached.value.length / cached.seconds).toFixed(1)} tokens/s`);

  if (!values['no-reforward']) {
    const lossGraph = buildTrainingGraph(config, weights, { lora, forwardOnly: true, keepLogits: true, ...base });
    const { session, cleanup } = await createGraphSession(lossGraph, 'reforward', { graphOptimizationLevel: 'all' });
    try {
      await reforwardGreedy(session, lossGraph, prompt.slice(0, 8), params, 2);
      const reforward = await seconds(() => reforwardGreedy(session, lossGraph, prompt, params, cached.value.length));
      const positions = cached.value.length * promptLength + (cached.value.length * (cached.value.length - 1)) / 2;
      const same = reforward.value.join() === cached.value.join();
      console.log(`  re-forward (before): ${reforward.seconds.toFixed(2)} s · ${positions} positions run · ${(cached.value.length / reforward.seconds).toFixed(1)} tokens/s`);
      console.log(`  KV cache is ${(reforward.seconds / cached.seconds).toFixed(1)}× faster; same tokens: ${same ? 'yes' : 'NO'}`);
    } finally {
      await session.release();
      cleanup();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
