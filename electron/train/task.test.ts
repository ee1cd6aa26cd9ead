/**
 * A tiny model learns a synthetic reasoning-trace task (reverse four digits inside <think>…</think>, then answer):
 * full fine-tuning through the ORT training graph drives the loss down and solves held-back examples it could not
 * solve before. The same run killed midway and resumed reproduces the uninterrupted loss curve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { NamedTensor } from './adapter';
import { GreedyDecoder } from './evaluate';
import { buildTrainingGraph, type TrainingGraph } from './lora-graph';
import { OrtStepRunner, sourceToFloat32 } from './runner';
import { EOS, heldOut, runLoraTask, taskConfig, taskWeights, toRecord, trainSet } from '../testing/trace-task';
import { type TrainConfig, train } from './trainer';

const config = taskConfig;
const weights = taskWeights;

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
    const evalGraph = buildTrainingGraph(config, weights, { full: true, kvCache: true });
    const runner = await OrtStepRunner.create(training, { intraOpNumThreads: 1 });
    const decoder = await GreedyDecoder.create(config, evalGraph);
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

  it('LoRA: a run stopped, crashed or killed (SIGKILL) midway and resumed gives the uninterrupted loss curve', async () => {
    const full = await runLoraTask({ checkpointDir: tempDir() });
    const curve = full.loop.history.map((h) => h.loss);
    expect(curve).toHaveLength(12);
    expect(curve.at(-1)!).toBeLessThan(curve[0]);

    // stopped (cancel saves a checkpoint at step 7)
    const stopDir = tempDir();
    const abort = new AbortController();
    const stopped = await runLoraTask({ checkpointDir: stopDir, signal: abort.signal, onEvent: (e) => { if (e.type === 'step' && e.step === 7) abort.abort(); } });
    expect(stopped.status).toBe('cancelled');
    expect((await runLoraTask({ checkpointDir: stopDir, resume: true })).loop.history.map((h) => h.loss)).toEqual(curve);

    // crashed at step 8 without saving: resumes from the step-6 checkpoint and recomputes steps 7–8 identically
    const crashDir = tempDir();
    await expect(runLoraTask({ checkpointDir: crashDir, onEvent: (e) => { if (e.type === 'step' && e.step === 8) throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
    expect((await runLoraTask({ checkpointDir: crashDir, resume: true })).loop.history.map((h) => h.loss)).toEqual(curve);

    // a separate process killed with SIGKILL right after its step-9 checkpoint started
    const killDir = tempDir();
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'testing', 'trace-task-child.ts'), killDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += String(chunk);
        if (out.includes('step 10 ')) child.kill('SIGKILL');
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolvePromise() : reject(new Error(`child exited ${code}: ${out}`))));
    });
    const afterKill = await runLoraTask({ checkpointDir: killDir, resume: true });
    expect(afterKill.loop.history.map((h) => h.loss)).toEqual(curve);
  }, 300_000);
});
