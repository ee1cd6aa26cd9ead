/**
 * The training engine as the Fine-tune screen drives it: sample answers and evaluation inside `train`, the measured
 * estimate, the merge, and a run whose engine is killed with SIGKILL mid-run and resumed: its loss curve continues
 * from the last checkpoint exactly as an uninterrupted run's.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../host';
import { EngineErrorCode } from '../protocol';
import { nodeEngineSpawner } from '../spawn-node';
import { makeTinyModel } from '../../testing/fixtures';
import type { ExtraEvent } from '../../train/run-extras';
import type { TrainParams } from './train';
import type { TrainEvent } from '../../train/trainer';

const dir = mkdtempSync(join(tmpdir(), 'distillery-finetune-engine-'));
const dataFile = join(dir, 'traces.jsonl');
const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ question: `What is ${i} + 1?`, reasoning: `${i} plus one is ${i + 1}.`, answer: `\\boxed{${i + 1}}` }));
writeFileSync(dataFile, `${lines.join('\n')}\n`);

type Event = (TrainEvent | ExtraEvent | { type: 'records' }) & { tokensPerSecond?: number };

describe('fine-tuning in the training engine', () => {
  let host: EngineHost;
  let modelFolder: string;
  const params = (outDir: string, extra: Partial<TrainParams> = {}): TrainParams => ({
    modelFolder, dataFile, outDir, lora: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] }, valFraction: 0.2, splitSeed: 7, resume: true,
    config: { seed: 3, epochs: 3, seqLen: 64, gradAccumulation: 1, warmupSteps: 1, checkpointEvery: 1, validateEvery: 2, lr: 5e-3 },
    ...extra,
  });
  const collect = (events: Event[]) => (event: string, data: unknown) => {
    if (event === 'progress') events.push(data as Event);
  };
  const losses = (events: Event[]) => events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step').map((e) => [e.step, e.loss] as const);

  beforeAll(async () => {
    modelFolder = (await makeTinyModel({ arch: 'qwen2', seed: 5, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64 })).hfDir;
    host = new EngineHost({ spawn: nodeEngineSpawner() });
    await host.start();
  }, 120_000);
  afterAll(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams tokens/s, periodic sample answers and an evaluation before vs after', async () => {
    const events: Event[] = [];
    const result = await host.request('train', params(join(dir, 'eval'), {
      sample: { every: 5, maxNewTokens: 3 }, evaluation: { questions: 2, maxNewTokens: 3 },
    }), { onEvent: collect(events) });
    expect(result.records).toMatchObject({ train: 8, validation: 2 });
    const steps = events.filter((e) => e.type === 'step');
    // every step but the first (which also built the session) carries its measured throughput
    expect(steps[0].tokensPerSecond).toBeUndefined();
    expect(steps.slice(1).every((e) => e.tokensPerSecond! > 0)).toBe(true);
    const samples = events.filter((e): e is Extract<ExtraEvent, { type: 'sample' }> => e.type === 'sample');
    // every 5th step, and the last one whatever its number (a run shorter than `every` still shows its final answer)
    const stepNumbers = steps.map((s) => (s as { step: number }).step);
    const last = stepNumbers.at(-1)!;
    expect(last % 5).not.toBe(0); // the fixture's run length keeps the final-step rule visible
    expect(samples.map((s) => s.step)).toEqual(stepNumbers.filter((n) => n % 5 === 0 || n === last));
    expect(samples[0].question).toMatch(/^What is \d \+ 1\?$/);
    expect(samples[0].tokens).toBeGreaterThan(0);
    expect(samples[0].tokens).toBeLessThanOrEqual(3);
    const progress = events.filter((e) => e.type === 'evaluating').map((e) => (e as { done: number }).done);
    expect(progress).toEqual([0, 1, 2]);
    const evaluation = result.evaluation!;
    expect(evaluation.questions).toBe(2);
    // "before" is the base model (every lora_B zero); training on these records lowers their validation loss
    expect(evaluation.lossAfter!).toBeLessThan(evaluation.lossBefore!);
  }, 300_000);

  it('measures a warm-up step and extrapolates memory and time to the whole run', async () => {
    const estimate = await host.request('train.estimate', {
      modelFolder, dataFile, lora: { rank: 2, alpha: 4, targets: ['q_proj'] }, dtype: 'float32', valFraction: 0.2, splitSeed: 7,
      config: { epochs: 2, rowsPerBatch: 1, seqLen: 64, gradAccumulation: 2, validateEvery: 0 },
    });
    expect(estimate.microBatchSeconds).toBeGreaterThan(0);
    expect(estimate.peakBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(estimate.availableBytes).toBeGreaterThan(estimate.peakBytes);
    // 8 training records of < 64 tokens pack into fewer micro-batches than records; 2 epochs, 2 per step
    expect(estimate.microBatches).toBeGreaterThan(0);
    expect(estimate.steps).toBe(Math.ceil(estimate.microBatches / 2 / 2) * 2);
    expect(estimate.totalSeconds).toBeCloseTo(estimate.microBatchSeconds * (estimate.microBatches + estimate.validationMicroBatches / 3), 6);
  }, 300_000);

  it('after a kill -9 of the engine mid-run, resume continues the loss curve from the last checkpoint', async () => {
    const reference: Event[] = [];
    await host.request('train', params(join(dir, 'reference')), { onEvent: collect(reference) });

    const killed = join(dir, 'killed');
    const before: Event[] = [];
    const call = host.stream('train', params(killed));
    let checkpointStep = 0;
    for await (const { event, data } of call.events) {
      collect(before)(event, data);
      const e = data as Event;
      if (e.type === 'checkpoint') checkpointStep = e.step;
      if (e.type === 'step' && e.step >= 4) {
        process.kill(host.status().pid!, 'SIGKILL');
        break;
      }
    }
    await expect(call.result).rejects.toMatchObject({ code: EngineErrorCode.crashed });
    await host.start(); // the host restarts a crashed engine on its own; wait for it
    const after: Event[] = [];
    const result = await host.request('train', params(killed), { onEvent: collect(after) });
    const resumed = after.find((e) => e.type === 'resumed') as Extract<TrainEvent, { type: 'resumed' }>;
    expect(resumed.step).toBeGreaterThanOrEqual(3);
    expect(resumed.step).toBeLessThanOrEqual(checkpointStep);
    const curve = [...losses(before).filter(([step]) => step <= resumed.step), ...losses(after)];
    const expected = losses(reference);
    expect(curve.map(([step]) => step)).toEqual(expected.map(([step]) => step));
    curve.forEach(([, loss], i) => expect(loss).toBeCloseTo(expected[i][1], 5));
    expect(existsSync(result.output!)).toBe(true);
  }, 300_000);

  it('merges the adapter into a model folder that records its base', async () => {
    const events: Event[] = [];
    const run = await host.request('train', params(join(dir, 'merge'), { config: { ...params('').config, epochs: 1, maxSteps: 2 } }), { onEvent: collect(events) });
    const out = join(dir, 'merged-fp16');
    const merged = await host.request('train.merge', { baseFolder: modelFolder, adapterDir: run.output!, outDir: out, dtype: 'fp16' });
    expect(merged.outDir).toBe(out);
    expect(existsSync(join(out, 'distillery_derived.json'))).toBe(true);
  }, 300_000);
});
