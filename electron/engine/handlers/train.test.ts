/** The engine's `train` job: runs in the forked engine, streams steps, cancels with a checkpoint kept, resumes. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../host';
import { nodeEngineSpawner } from '../spawn-node';
import { makeTinyModel } from '../../testing/fixtures';
import { readAdapter } from '../../train/adapter';
import type { TrainParams } from './train';
import type { TrainEvent } from '../../train/trainer';

const dir = mkdtempSync(join(tmpdir(), 'distillery-train-job-'));
const dataFile = join(dir, 'traces.jsonl');
const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ question: `What is ${i} + 1?`, reasoning: `${i} plus one is ${i + 1}.`, answer: `\\boxed{${i + 1}}` }));
writeFileSync(dataFile, [...lines, '{broken json', JSON.stringify({ question: 'q' })].join('\n'));

describe('engine train job', () => {
  let host: EngineHost;
  let modelFolder: string;
  const params = (outDir: string, extra: Partial<TrainParams['config']> = {}): TrainParams => ({
    modelFolder, dataFile, outDir, lora: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] }, valFraction: 0.25,
    config: { seed: 3, epochs: 1, seqLen: 64, gradAccumulation: 1, warmupSteps: 1, checkpointEvery: 1, validateEvery: 0, lr: 1e-3, ...extra },
  });

  beforeAll(async () => {
    modelFolder = (await makeTinyModel({ arch: 'qwen2', seed: 5, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64 })).hfDir;
    host = new EngineHost({ spawn: nodeEngineSpawner() });
    await host.start();
  });
  afterAll(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains LoRA in the engine, streaming steps, skipping bad lines, writing a PEFT adapter', async () => {
    const steps: TrainEvent[] = [];
    const result = await host.request('train', params(join(dir, 'run')), {
      onEvent: (event, data) => event === 'progress' && steps.push(data as TrainEvent),
    });
    expect(result.status).toBe('completed');
    expect(result.records).toEqual({ train: 6, validation: 2, skipped: 2, truncated: 0 });
    expect(steps.filter((e) => e.type === 'step').length).toBe(result.steps);
    expect(result.steps).toBeGreaterThan(0);
    const adapter = readAdapter(result.output!);
    expect(adapter.config.r).toBe(2);
    expect([...adapter.tensors.keys()].some((k) => k.endsWith('q_proj.lora_B.weight'))).toBe(true);
  });

  it('cancel stops after a step with a checkpoint; resume finishes the run', async () => {
    const outDir = join(dir, 'cancel');
    const stream = host.stream('train', params(outDir, { epochs: 3 }));
    for await (const { event, data } of stream.events) {
      if (event === 'progress' && (data as TrainEvent).type === 'checkpoint') break;
    }
    stream.cancel();
    // a stopped run is answered as cancelled, naming the checkpoint to resume from
    await expect(stream.result).rejects.toMatchObject({ code: 'cancelled', message: expect.stringMatching(/checkpoint is kept in .*step-/) });
    expect(existsSync(join(outDir, 'checkpoints', 'latest.json'))).toBe(true);
    const resumed: TrainEvent[] = [];
    const result = await host.request('train', { ...params(outDir, { epochs: 3 }), resume: true }, {
      onEvent: (event, data) => event === 'progress' && resumed.push(data as TrainEvent),
    });
    expect(resumed.find((e) => (e.type as string) !== 'records')?.type).toBe('resumed');
    expect(result.status).toBe('completed');
    expect(existsSync(result.output!)).toBe(true);
  });

  it('refuses a data file with no usable records, naming the file', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, 'not json\n');
    await expect(host.request('train', { ...params(join(dir, 'none')), dataFile: empty })).rejects.toMatchObject({
      code: 'train_failed',
      message: expect.stringContaining('empty.jsonl has no usable records'),
    });
  });
});
