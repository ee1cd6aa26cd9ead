/**
 * Training benchmark: a LoRA training step (forward + backward through the ORT training graph) on a model with the
 * exact R1-Distill-Qwen-1.5B shapes (fewer layers; random weights, generated, not committed) on this machine's CPU.
 * Reports training tokens/s, step time, forward time and their ratio, and the process's peak RSS.
 *
 *   npx tsx bench/train.ts [--layers 2] [--seq 512] [--rank 16] [--targets all-linear] [--steps 3] [--dtype fp32|fp16|q4]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initLoraTensors, parseTargets } from '../electron/train/adapter';
import { loadTrainingGraph } from '../electron/train/export-graph';
import type { PackedBatch } from '../electron/train/packing';
import { OrtStepRunner } from '../electron/train/runner';
import { R1_QWEN_1_5B, writeSyntheticCheckpoint } from './synth-checkpoint';

export interface TrainBenchOptions {
  layers: number;
  seq: number;
  rank: number;
  targets: string;
  steps: number;
  dtype: 'float32' | 'float16' | 'q4';
  executionProviders?: string[];
}

export interface TrainBenchResult {
  model: string;
  tokensPerStep: number;
  stepSeconds: number;
  forwardSeconds: number;
  stepOverForward: number;
  trainTokensPerSecond: number;
  peakRssGiB: number;
  trainableParameters: number;
}

/** Peak resident set size of this process so far (Linux VmHWM; falls back to the current RSS). */
function peakRssGiB(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024 ** 2;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss / 1024 ** 3;
}

function syntheticBatch(seq: number, vocab: number): PackedBatch {
  const ids = BigInt64Array.from({ length: seq }, (_, t) => BigInt((t * 7919 + 13) % vocab));
  return {
    rows: 1, seqLen: seq, inputIds: ids,
    segmentIds: new BigInt64Array(seq).fill(1n),
    positionIds: BigInt64Array.from({ length: seq }, (_, t) => BigInt(t)),
    lossWeights: new Float32Array(seq).fill(1 / seq),
    targetCount: seq,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export async function runTrainBench(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-train-'));
  try {
    writeSyntheticCheckpoint(join(dir, 'hf'), R1_QWEN_1_5B, { layers: options.layers });
    const lora = { rank: options.rank, alpha: 2 * options.rank, targets: parseTargets(options.targets) };
    const batch = syntheticBatch(options.seq, R1_QWEN_1_5B.vocabSize);

    const graphDtype = options.dtype === 'float16' ? 'float16' : 'float32';
    const q4Base = options.dtype === 'q4';
    const training = loadTrainingGraph(join(dir, 'hf'), { lora, dtype: graphDtype, q4Base });
    const params = initLoraTensors(training.trainables, 1);
    for (const t of params.values()) t.data.forEach((_, i, a) => { if (a[i] === 0) a[i] = 1e-3; }); // B ≠ 0: full backward
    const trainRunner = await OrtStepRunner.create(training, { executionProviders: options.executionProviders, workDir: mkdtempSync(join(dir, 'train-')) });
    await trainRunner.run(batch, params); // warm-up
    const peak = peakRssGiB(); // before the forward-only session adds its own copy of the weights

    // the same graph without the backward pass: the forward a step has to do anyway
    const forward = loadTrainingGraph(join(dir, 'hf'), { lora, dtype: graphDtype, q4Base, forwardOnly: true });
    const forwardRunner = await OrtStepRunner.create(forward, { executionProviders: options.executionProviders, workDir: mkdtempSync(join(dir, 'fwd-')) });
    await forwardRunner.loss(batch, params); // warm-up
    // interleaved, medians: on a shared machine the load drifts, and both timings should see the same drift
    const steps: number[] = [];
    const forwards: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      steps.push(await seconds(() => trainRunner.run(batch, params)));
      forwards.push(await seconds(() => forwardRunner.loss(batch, params)));
    }
    await trainRunner.release();
    await forwardRunner.release();
    const stepSeconds = median(steps);
    const forwardSeconds = median(forwards);

    return {
      model: `R1-Distill-Qwen-1.5B shapes, ${options.layers} of 28 layers, ${options.dtype}, LoRA r=${options.rank} on ${lora.targets.join(',')}`,
      tokensPerStep: options.seq,
      stepSeconds,
      forwardSeconds,
      stepOverForward: stepSeconds / forwardSeconds,
      trainTokensPerSecond: options.seq / stepSeconds,
      peakRssGiB: peak,
      trainableParameters: training.trainables.reduce((n, t) => n + t.shape[0] * t.shape[1], 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const { values } = parseArgs({
    options: {
      layers: { type: 'string', default: '2' }, seq: { type: 'string', default: '512' }, rank: { type: 'string', default: '16' },
      targets: { type: 'string', default: 'all-linear' }, steps: { type: 'string', default: '3' }, dtype: { type: 'string', default: 'fp32' },
      ep: { type: 'string', default: 'cpu' },
    },
  });
  const result = await runTrainBench({
    layers: Number(values.layers), seq: Number(values.seq), rank: Number(values.rank), targets: values.targets!, steps: Number(values.steps),
    dtype: values.dtype === 'fp16' ? 'float16' : values.dtype === 'q4' ? 'q4' : 'float32', executionProviders: values.ep!.split(','),
  });
  console.log(`train bench: ${result.model}`);
  console.log(`  ${result.tokensPerStep} tokens/step · step ${result.stepSeconds.toFixed(2)} s · forward ${result.forwardSeconds.toFixed(2)} s · ` +
    `step/forward ${result.stepOverForward.toFixed(2)} · ${result.trainTokensPerSecond.toFixed(1)} training tokens/s · peak RSS ${result.peakRssGiB.toFixed(2)} GiB · ` +
    `${(result.trainableParameters / 1e6).toFixed(2)} M trainable`);
  console.log(JSON.stringify(result));
}
