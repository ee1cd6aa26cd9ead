/**
 * Test fixture: a synthetic reasoning-trace task (reverse four digits inside <think>…</think>, then answer) for a
 * tiny decoder, and one LoRA run on it — shared by task.test.ts and the child process it kills (trace-task-child.ts).
 */
import { parseModelConfig } from '../model/config';
import { randomWeights, tinyConfigJson } from './tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { LORA_MODULES, initLoraTensors } from '../train/adapter';
import { buildTrainingGraph } from '../train/lora-graph';
import type { TrainingRecord } from '../train/packing';
import { Rng } from '../train/rng';
import { OrtStepRunner } from '../train/runner';
import { type TrainConfig, type TrainEvent, type TrainOutcome, train } from '../train/trainer';

export const [BOS, EOS, THINK, END_THINK, Q] = [1, 2, 3, 4, 5];
const digit = (d: number) => 6 + d;

export interface TaskExample { prompt: number[]; completion: number[] }

/** <bos> Q a b c d <think> d c b a </think> d c b a <eos>; the model learns everything after <think>. */
function example(rng: Rng): TaskExample {
  const digits = Array.from({ length: 4 }, () => digit(Math.floor(rng.next() * 10)));
  const reversed = [...digits].reverse();
  return { prompt: [BOS, Q, ...digits, THINK], completion: [...reversed, END_THINK, ...reversed, EOS] };
}

export const toRecord = ({ prompt, completion }: TaskExample): TrainingRecord => ({
  inputIds: [...prompt, ...completion],
  targetMask: [...prompt.map(() => 0), ...completion.map(() => 1)],
});

export const taskConfigJson = tinyConfigJson('qwen2', { vocab_size: 16, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2 });
export const taskConfig = parseModelConfig(taskConfigJson);
export const taskWeights = memoryWeights(randomWeights(taskConfigJson, 17));
const rng = new Rng(1234);
export const trainSet = Array.from({ length: 2400 }, () => example(rng));
export const heldOut = Array.from({ length: 24 }, () => example(rng));

export const loraRunConfig: TrainConfig = {
  seed: 7, epochs: 1, maxSteps: 12, rowsPerBatch: 4, seqLen: 68, gradAccumulation: 2, lr: 5e-3, warmupSteps: 3, minLrRatio: 0.05,
  adamw: { weightDecay: 0.01 }, maxGradNorm: 1, validateEvery: 0, checkpointEvery: 3,
};

/** LoRA on every projection of the task model, 12 steps over the first 400 examples, checkpoints every 3 steps. */
export async function runLoraTask(job: { checkpointDir: string; resume?: boolean; signal?: AbortSignal; onEvent?: (e: TrainEvent) => void }): Promise<TrainOutcome> {
  const training = buildTrainingGraph(taskConfig, taskWeights, { lora: { rank: 4, alpha: 8, targets: [...LORA_MODULES] } });
  const runner = await OrtStepRunner.create(training, { intraOpNumThreads: 1 });
  try {
    return await train({
      records: trainSet.slice(0, 400).map(toRecord), params: initLoraTensors(training.trainables, 3), runner, config: loraRunConfig,
      checkpointDir: job.checkpointDir, resume: job.resume, signal: job.signal, onEvent: job.onEvent,
    });
  } finally {
    await runner.release();
  }
}
