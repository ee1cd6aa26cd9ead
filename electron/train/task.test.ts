/**
 * A tiny model learns a synthetic reasoning-trace task (reverse four digits inside <think>…</think>, then answer):
 * full fine-tuning through the ORT training graph drives the loss down and solves held-back examples it could not
 * solve before. The same run killed midway and resumed reproduces the uninterrupted loss curve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { randomWeights, tinyConfigJson } from '../model/fixtures';
import { memoryWeights } from '../model/weights';
import { LORA_MODULES, type NamedTensor, initLoraTensors } from './adapter';
import { GreedyDecoder } from './evaluate';
import { buildTrainingGraph, type TrainingGraph } from './lora-graph';
import type { TrainingRecord } from './packing';
import { Rng } from './rng';
import { OrtStepRunner, sourceToFloat32 } from './runner';
import { type TrainConfig, train } from './trainer';

const [BOS, EOS, THINK, END_THINK, Q] = [1, 2, 3, 4, 5];
const digit = (d: number) => 6 + d;

/** <bos> Q a b c d <think> d c b a </think> d c b a <eos>; the model learns everything after <think>. */
function example(rng: Rng): { prompt: number[]; completion: number[] } {
  const digits = Array.from({ length: 4 }, () => digit(Math.floor(rng.next() * 10)));
  const reversed = [...digits].reverse();
  return { prompt: [BOS, Q, ...digits, THINK], completion: [...reversed, END_THINK, ...reversed, EOS] };
}

const toRecord = ({ prompt, completion }: { prompt: number[]; completion: number[] }): TrainingRecord => ({
  inputIds: [...prompt, ...completion],
  targetMask: [...prompt.map(() => 0), ...completion.map(() => 1)],
});

const json = tinyConfigJson('qwen2', { vocab_size: 16, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2 });
const config = parseModelConfig(json);
const weights = memoryWeights(randomWeights(json, 17));
const rng = new Rng(1234);
const trainSet = Array.from({ length: 2400 }, () => example(rng));
const heldOut = Array.from({ length: 24 }, () => example(rng));

async function initialParams(training: TrainingGraph): Promise<Map<string, NamedTensor>> {
  const params = new Map<string, NamedTensor>();
  for (const t of training.trainables) params.set(t.name, { shape: t.shape, data: await sourceToFloat32(training.initial.get(t.name)!) });
  return params;
}

async function exactMatch(decoder: GreedyDecoder, params: Map<string, NamedTensor>): Promise<number> {
  let correct = 0;
  for (const ex of heldOut) {
    const out = await decoder.generate(ex.prompt, params, ex.completion.length, EOS);
    if (out.join(',') === ex.completion.join(',')) correct++;
  }
  return correct / heldOut.length;
}

const trainConfig: TrainConfig = {
  seed: 7, epochs: 3, rowsPerBatch: 4, seqLen: 68, gradAccumulation: 1, lr: 1e-2, warmupSteps: 8, minLrRatio: 0.05,
  adamw: { weightDecay: 0.01 }, maxGradNorm: 1, validateEvery: 150, checkpointEvery: 150,
};

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'distillery-task-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('training a tiny model on a synthetic trace task (full fine-tuning through ORT)', () => {
  it('drives the loss down and solves held-back examples it could not solve before', async () => {
    const training = buildTrainingGraph(config, weights, { full: true });
    const evalGraph = buildTrainingGraph(config, weights, { full: true, forwardOnly: true, keepLogits: true });
    const runner = await OrtStepRunner.create(training, { intraOpNumThreads: 1 });
    const decoder = await GreedyDecoder.create(evalGraph);
    try {
      const params = await initialParams(training);
      const before = await exactMatch(decoder, params);
      const out = await train({
        records: trainSet.map(toRecord), validation: heldOut.map(toRecord), params, runner, config: trainConfig, checkpointDir: tempDir(),
      });
      if (out.status === 'diverged') throw new Error(out.message);
      const after = await exactMatch(decoder, out.params);
      const history = out.loop.history;
      console.log(`task: loss ${history[0].loss.toFixed(3)} → ${history.at(-1)!.loss.toFixed(3)} in ${history.length} steps; ` +
        `validation ${out.loop.validation.map((v) => v.loss.toFixed(3)).join(' → ')}; exact match ${before} → ${after}`);
      expect(before).toBe(0);
      expect(history.at(-1)!.loss).toBeLessThan(history[0].loss * 0.2);
      expect(after).toBeGreaterThanOrEqual(0.9);
    } finally {
      await runner.release();
      await decoder.release();
    }
  }, 300_000);

  it('LoRA: a run killed midway and resumed gives the same loss curve as an uninterrupted run', async () => {
    const training = buildTrainingGraph(config, weights, { lora: { rank: 4, alpha: 8, targets: [...LORA_MODULES] } });
    const records = trainSet.slice(0, 400).map(toRecord);
    const cfg: TrainConfig = { ...trainConfig, epochs: 1, maxSteps: 12, lr: 5e-3, warmupSteps: 3, checkpointEvery: 3, gradAccumulation: 2, validateEvery: 0 };
    const init = initLoraTensors(training.trainables, 3);
    const runOnce = async (job: { checkpointDir: string; resume?: boolean; stopAt?: number }) => {
      const runner = await OrtStepRunner.create(training, { intraOpNumThreads: 1 });
      const abort = new AbortController();
      try {
        return await train({
          records, params: init, runner, config: cfg, checkpointDir: job.checkpointDir, resume: job.resume, signal: abort.signal,
          onEvent: (e) => { if (e.type === 'step' && e.step === job.stopAt) abort.abort(); },
        });
      } finally {
        await runner.release();
      }
    };
    const full = await runOnce({ checkpointDir: tempDir() });
    const dir = tempDir();
    const killed = await runOnce({ checkpointDir: dir, stopAt: 7 });
    expect(killed.status).toBe('cancelled');
    const resumed = await runOnce({ checkpointDir: dir, resume: true });
    expect(resumed.loop.history.map((h) => h.loss)).toEqual(full.loop.history.map((h) => h.loss));
    expect(full.loop.history.length).toBe(12);
    expect(full.loop.history.at(-1)!.loss).toBeLessThan(full.loop.history[0].loss);
  }, 300_000);
});
