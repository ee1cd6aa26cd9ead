/**
 * Training benchmark: a LoRA training step (forward + backward through the ORT training graph) on a model with the
 * exact R1-Distill-Qwen-1.5B shapes (fewer layers; random weights, generated, not committed) on this machine's CPU.
 * Reports training tokens/s, step time, forward time and their ratio, the AdamW update time and the peak RSS of the
 * step, next to a PyTorch reference on the same shapes (bench/peers/train_lora_torch.py, float32 only) and the ratios.
 *
 *   npx tsx bench/train.ts [--layers 2] [--seq 256] [--rank 16] [--targets all-linear] [--steps 3] [--dtype fp32|fp16|q4]
 *                          [--chunk 128] [--prepack] [--threads N] [--no-torch]
 *
 * The PyTorch side needs python3 with torch (Debian: `apt-get install python3-torch libopenblas0-pthread`); without
 * it the bench says so and prints the ONNX Runtime figures alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initLoraTensors, parseTargets } from '../electron/train/adapter';
import { loadTrainingGraph } from '../electron/train/export-graph';
import { adamwStep, defaultAdamW, newAdamWState } from '../electron/train/optim';
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
  /** Loss-head chunk (positions); default the trainer's. */
  chunkPositions?: number;
  prepackWeights?: boolean;
  memoryArena?: boolean;
  memoryPattern?: boolean;
  /** Threads for both sides (default: ORT's own default, the physical cores; PyTorch gets the logical count). */
  threads?: number;
}

export interface TrainBenchResult {
  model: string;
  tokensPerStep: number;
  stepSeconds: number;
  forwardSeconds: number;
  stepOverForward: number;
  trainTokensPerSecond: number;
  optimizerSeconds: number;
  /** Peak RSS from building the training graph to the last step (the synthetic checkpoint's writing excluded). */
  peakRssGiB: number;
  /** The peak so far after each stage: which one sets it. */
  peakAfterGiB: { graph: number; session: number; warmUp: number; steps: number };
  /** The largest RSS sampled (every 20 ms) during the steps, split into anonymous and file-backed memory. */
  sampledPeakGiB: RssSplit;
  trainableParameters: number;
}

export interface TorchResult {
  torch: string;
  threads: number;
  stepSeconds: number;
  optimizerSeconds: number;
  peakRssGiB: number;
  trainableParameters: number;
}

const status = (): string => { try { return readFileSync('/proc/self/status', 'utf8'); } catch { return ''; } };

/** Peak resident set size of this process since the last reset (Linux VmHWM; falls back to the current RSS). */
function peakRssGiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(status());
  return match ? Number(match[1]) / 1024 ** 2 : process.memoryUsage().rss / 1024 ** 3;
}

interface RssSplit { anonymous: number; file: number }

/** Current anonymous (arena, activations, V8) and file-backed (weights ONNX Runtime maps from its file) RSS. */
function rssSplitGiB(): RssSplit {
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())?.[1] ?? 0) / 1024 ** 2;
  return { anonymous: kb('RssAnon'), file: kb('RssFile') };
}

/** Samples RSS while async work (ORT runs off the main thread) goes on; `stop` returns the largest sample. */
function sampleRss(intervalMs = 20): { stop: () => RssSplit } {
  let peak: RssSplit = { anonymous: 0, file: 0 };
  const sample = () => { const now = rssSplitGiB(); if (now.anonymous + now.file > peak.anonymous + peak.file) peak = now; };
  const timer = setInterval(sample, intervalMs);
  return { stop: () => { clearInterval(timer); sample(); return peak; } };
}

/** Restart the peak at the current RSS (Linux: writing 5 to clear_refs resets VmHWM). */
function resetPeakRss(): void {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: the peak then includes the setup */ }
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

async function seconds(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export async function runTrainBench(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-train-'));
  try {
    writeSyntheticCheckpoint(join(dir, 'hf'), R1_QWEN_1_5B, { layers: options.layers });
    global.gc?.();
    resetPeakRss();
    const lora = { rank: options.rank, alpha: 2 * options.rank, targets: parseTargets(options.targets) };
    const batch = syntheticBatch(options.seq, R1_QWEN_1_5B.vocabSize);
    const graphDtype = options.dtype === 'float16' ? 'float16' : 'float32';
    const q4Base = options.dtype === 'q4';
    const lossChunking = options.chunkPositions ? { positions: options.chunkPositions } : undefined;
    const runnerOptions = { executionProviders: options.executionProviders, prepackWeights: options.prepackWeights, intraOpNumThreads: options.threads,
      memoryArena: options.memoryArena, memoryPattern: options.memoryPattern };

    const training = loadTrainingGraph(join(dir, 'hf'), { lora, dtype: graphDtype, q4Base, lossChunking });
    const params = initLoraTensors(training.trainables, 1);
    for (const t of params.values()) t.data.forEach((_, i, a) => { if (a[i] === 0) a[i] = 1e-3; }); // B ≠ 0: full backward
    const afterGraph = peakRssGiB();
    const trainRunner = await OrtStepRunner.create(training, { ...runnerOptions, workDir: mkdtempSync(join(dir, 'train-')) });
    const afterSession = peakRssGiB();
    const first = await trainRunner.run(batch, params); // warm-up
    const afterWarmUp = peakRssGiB();
    const sampler = sampleRss();
    const steps: number[] = [];
    for (let i = 0; i < options.steps; i++) steps.push(await seconds(() => trainRunner.run(batch, params)));
    const sampledPeakGiB = sampler.stop();
    const peak = peakRssGiB(); // before the forward-only session adds its own copy of the weights
    await trainRunner.release();

    const tensors = new Map([...params].map(([name, t]) => [name, t.data]));
    const optimizer = newAdamWState(tensors);
    const updates: number[] = [];
    for (let i = 0; i < Math.max(5, options.steps); i++) updates.push(await seconds(() => adamwStep(tensors, first.grads, optimizer, defaultAdamW, 1e-4)));

    // the same graph without the backward pass: the forward a step has to do anyway
    const forward = loadTrainingGraph(join(dir, 'hf'), { lora, dtype: graphDtype, q4Base, lossChunking, forwardOnly: true });
    const forwardRunner = await OrtStepRunner.create(forward, { ...runnerOptions, workDir: mkdtempSync(join(dir, 'fwd-')) });
    await forwardRunner.loss(batch, params); // warm-up
    const forwards: number[] = [];
    for (let i = 0; i < options.steps; i++) forwards.push(await seconds(() => forwardRunner.loss(batch, params)));
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
      optimizerSeconds: median(updates),
      peakRssGiB: peak,
      peakAfterGiB: { graph: afterGraph, session: afterSession, warmUp: afterWarmUp, steps: peak },
      sampledPeakGiB,
      trainableParameters: training.trainables.reduce((n, t) => n + t.shape[0] * t.shape[1], 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PyTorch reference in its own process (its peak RSS is its own), or why there is none. */
export function runTorchReference(options: TrainBenchOptions, threads: number): TorchResult | string {
  if (options.dtype !== 'float32') return `no PyTorch reference for ${options.dtype} (it runs float32)`;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'peers', 'train_lora_torch.py');
  const args = [script, '--layers', String(options.layers), '--seq', String(options.seq), '--rank', String(options.rank),
    '--targets', parseTargets(options.targets).join(','), '--steps', String(options.steps), '--threads', String(threads)];
  // the same thread count for torch's own loops and for the BLAS its matrix products run in
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  // PYTHON if set; otherwise the first python3 on PATH, then the system one (apt's python3-torch lives there)
  let why = '';
  for (const python of process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3']) {
    const run = spawnSync(python, args, { encoding: 'utf8', env });
    if (!run.error && run.status === 0) return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchResult;
    why = `${python}: ${run.error?.message ?? run.stderr.trim().split('\n').pop()}`;
  }
  return `no PyTorch reference (${why}); install it with: apt-get install python3-torch libopenblas0-pthread (or set PYTHON)`;
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const { values } = parseArgs({
    options: {
      layers: { type: 'string', default: '2' }, seq: { type: 'string', default: '256' }, rank: { type: 'string', default: '16' },
      targets: { type: 'string', default: 'all-linear' }, steps: { type: 'string', default: '3' }, dtype: { type: 'string', default: 'fp32' },
      ep: { type: 'string', default: 'cpu' }, chunk: { type: 'string' }, prepack: { type: 'boolean', default: false }, threads: { type: 'string' }, 'no-arena': { type: 'boolean', default: false },
      'no-mem-pattern': { type: 'boolean', default: false },
      'no-torch': { type: 'boolean', default: false },
    },
  });
  const options: TrainBenchOptions = {
    layers: Number(values.layers), seq: Number(values.seq), rank: Number(values.rank), targets: values.targets!, steps: Number(values.steps),
    dtype: values.dtype === 'fp16' ? 'float16' : values.dtype === 'q4' ? 'q4' : 'float32', executionProviders: values.ep!.split(','),
    chunkPositions: values.chunk ? Number(values.chunk) : undefined, prepackWeights: values.prepack,
    threads: values.threads ? Number(values.threads) : undefined, memoryArena: !values['no-arena'], memoryPattern: !values['no-mem-pattern'],
  };
  const result = await runTrainBench(options);
  const gib = (x: number): string => `${x.toFixed(2)} GiB`;
  console.log(`train bench: ${result.model}${options.prepackWeights ? ', weights prepacked' : ''}`);
  console.log(`  ONNX Runtime: ${result.tokensPerStep} tokens/step · step ${result.stepSeconds.toFixed(2)} s · forward ${result.forwardSeconds.toFixed(2)} s · ` +
    `step/forward ${result.stepOverForward.toFixed(2)} · ${result.trainTokensPerSecond.toFixed(1)} training tokens/s · AdamW ${(result.optimizerSeconds * 1000).toFixed(1)} ms · ` +
    `peak RSS ${gib(result.peakRssGiB)} · ${(result.trainableParameters / 1e6).toFixed(2)} M trainable`);
  const after = result.peakAfterGiB;
  console.log(`  peak RSS after building the graph ${gib(after.graph)} · opening the session ${gib(after.session)} · the warm-up step ${gib(after.warmUp)} · ${options.steps} steps ${gib(after.steps)}`);
  const split = result.sampledPeakGiB;
  console.log(`  largest RSS sampled during the steps: ${gib(split.anonymous)} anonymous (arena, activations, V8) + ${gib(split.file)} file-backed (weights mapped from the graph's file)`);
  const torch = values['no-torch'] ? 'PyTorch reference skipped (--no-torch)' : runTorchReference(options, options.threads ?? availableParallelism());
  if (typeof torch === 'string') {
    console.log(`  ${torch}`);
  } else {
    console.log(`  PyTorch ${torch.torch} (${torch.threads} threads): step ${torch.stepSeconds.toFixed(2)} s · AdamW ${(torch.optimizerSeconds * 1000).toFixed(1)} ms · ` +
      `peak RSS ${gib(torch.peakRssGiB)} · ${(torch.trainableParameters / 1e6).toFixed(2)} M trainable`);
    console.log(`  ratio ORT/PyTorch: step time ${(result.stepSeconds / torch.stepSeconds).toFixed(2)}× (below 1 = faster) · ` +
      `peak RSS ${(result.peakRssGiB / torch.peakRssGiB).toFixed(2)}× (below 1 = less memory)`);
  }
  console.log(JSON.stringify({ ort: result, torch: typeof torch === 'string' ? null : torch }));
}
