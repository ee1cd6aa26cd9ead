/** The training session's work folder holds the graph's weights (GBs for real models): it must never be left behind. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { randomWeights, tinyConfigJson } from '../testing/tiny-checkpoint';
import { memoryWeights } from '../model/weights';
import { buildTrainingGraph } from './lora-graph';
import { OrtStepRunner } from './runner';

const json = tinyConfigJson('qwen2');
const training = () => buildTrainingGraph(parseModelConfig(json), memoryWeights(randomWeights(json, 2)), {
  lora: { rank: 2, alpha: 4, targets: ['q_proj'] },
});

describe('OrtStepRunner work folder', () => {
  const savedTmp = process.env.TMPDIR;
  let scratch: string;
  afterEach(() => {
    process.env.TMPDIR = savedTmp;
    rmSync(scratch, { recursive: true, force: true });
  });

  it('is removed when the session cannot be created, and on release', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'distillery-runner-test-'));
    process.env.TMPDIR = scratch; // os.tmpdir() follows it, so the runner's folder lands here
    await expect(OrtStepRunner.create(training(), { executionProviders: ['no-such-provider'] })).rejects.toThrow();
    expect(readdirSync(scratch)).toEqual([]);

    // (ORT itself may leave unrelated files in TMPDIR once a session exists; only our folder is checked from here)
    const runner = await OrtStepRunner.create(training());
    expect(readdirSync(scratch).filter((f) => f.startsWith('distillery-train-'))).toHaveLength(1);
    await runner.release();
    expect(readdirSync(scratch).filter((f) => f.startsWith('distillery-train-'))).toEqual([]);
  });
});
