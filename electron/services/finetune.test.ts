/**
 * finetune.* through the services with a real chat engine and a real training engine (two processes): base models,
 * the import report, runs as pausable 'train' jobs with their history, a kill -9 of the training engine mid-run
 * resumed from the last checkpoint, and the merge that lands in Models as fine-tuned from its base.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail, RunInput } from '../contract/finetune';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { writeFinetuneTraceFolder } from '../testing/finetune-traces';
import { convertedModel, makeTinyModel } from '../testing/fixtures';
import { describeEstimate } from './finetune';
import { createServices, type Services } from './index';
import { registryFor } from './models';

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('finetune services', () => {
  let dataDir: string;
  let engine: EngineHost;
  let trainEngine: EngineHost;
  let services: Services;
  let baseId: string;
  let onnxOnlyId: string;
  let traces: ReturnType<typeof writeFinetuneTraceFolder>;

  const input = (): RunInput => ({
    modelId: baseId, dataFolder: traces.folder, name: 'sums',
    hyper: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], lr: 5e-3, epochs: 2, maxLength: 96, batch: 1, accumulation: 1, precision: 'fp32' },
    valFraction: 0.1, seed: 4, caps: { evalQuestions: 1, maxNewTokens: 3, sampleEvery: 5 },
  });
  const detail = (runId: string) => services.call('finetune.run', { runId });
  const stateOf = async (runId: string) => (await detail(runId)).state;
  const steps = (d: RunDetail) => d.metrics.map((m) => m.step);

  beforeAll(async () => {
    const hfDir = (await makeTinyModel({ arch: 'qwen2', seed: 11, hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64 })).hfDir;
    const { onnxDir } = await convertedModel(hfDir);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'distillery-finetune-'));
    traces = writeFinetuneTraceFolder(path.join(dataDir, 'traces'));
    engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    trainEngine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    services = createServices({ dataDir, engineHost: engine, trainEngineHost: trainEngine, transport: 'http', version: '0.0.0' });
    await engine.start();
    baseId = (await registryFor(services.context).add(onnxDir, 'Tiny base', { convertedFrom: hfDir })).id;
    const onnxOnly = mkdtempSync(path.join(os.tmpdir(), 'distillery-onnx-only-'));
    rmSync(onnxOnly, { recursive: true });
    const { cpSync } = await import('node:fs');
    cpSync(onnxDir, onnxOnly, { recursive: true });
    rmSync(path.join(onnxOnly, 'distillery.json'), { force: true });
    onnxOnlyId = (await services.call('models.add', { path: onnxOnly, name: 'Downloaded ONNX' })).id;
  }, 300_000);

  afterAll(async () => {
    await Promise.all([engine.stop(), trainEngine.stop()]);
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists base models with their checkpoint, and says where to get one for an ONNX-only model', async () => {
    const models = await services.call('finetune.baseModels', {});
    expect(models.find((m) => m.modelId === baseId)).toMatchObject({ usable: true, checkpoint: expect.stringContaining('tiny') });
    const onnxOnly = models.find((m) => m.modelId === onnxOnlyId)!;
    expect(onnxOnly.usable).toBe(false);
    expect(onnxOnly.reason).toMatch(/only ONNX files\. Download the original checkpoint \(deepseek-ai\/DeepSeek-R1-Distill-/);
    await expect(services.call('finetune.start', { ...input(), modelId: onnxOnlyId })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/only ONNX files/) });
  });

  it('reports a trace folder: counts, problems with file:line, token lengths for the base, the seeded split, a preview', async () => {
    const report = await services.call('finetune.checkData', { folder: traces.folder, modelId: baseId, maxLength: 30, valFraction: 0.1, seed: 4 });
    expect(report).toMatchObject({ accepted: traces.expected.accepted, skipped: traces.expected.skipped, examples: traces.expected.accepted });
    const problems = report.problems.map((p) => `${path.basename(p.file)}:${p.line}`);
    expect(problems.sort()).toEqual(traces.expected.problems.sort());
    expect(report.tokens.unit).toBe('tokens');
    expect(report.tokens.histogram.reduce((n, b) => n + b.count, 0)).toBe(report.examples);
    expect(report.tokens.overMaxLength).toBeGreaterThan(0);
    expect(report.split).toEqual({ train: 22, validation: 2, seed: 4 });
    const preview = report.preview!.tokens;
    const firstLoss = preview.findIndex((t) => t.loss);
    expect(preview[firstLoss - 1].text).toBe('<｜Assistant｜>');
    expect(preview.slice(firstLoss).every((t) => t.loss)).toBe(true);
  });

  it('explains a refusal with the measured numbers', () => {
    const refused = describeEstimate({ peakBytes: 9 * 2 ** 30, availableBytes: 4 * 2 ** 30, microBatchSeconds: 2, steps: 10, microBatches: 40, validationMicroBatches: 0, totalSeconds: 80, tokensPerSecond: 1000 });
    expect(refused.fits).toBe(false);
    expect(refused.message).toMatch(/^Will not fit: one training step measured 9.0 GiB at its peak, but only 4.0 GiB is available\./);
  });

  let pausedRun: RunDetail;

  it('trains on its own engine as a pausable job; pause then resume continues the curve; history keeps everything', async () => {
    const estimate = await services.call('finetune.estimate', input());
    expect(estimate.fits).toBe(true);
    const run = await services.call('finetune.start', input());
    expect(trainEngine.status().state).toBe('ready');
    expect(trainEngine.status().pid).not.toBe(engine.status().pid);
    await until(async () => (await detail(run.id)).step >= 3, 'three steps');
    await services.call('finetune.pause', { runId: run.id });
    expect(await stateOf(run.id)).toBe('paused');
    const jobs = await services.call('jobs.list', {});
    expect(jobs.find((j) => j.id === run.jobId)).toMatchObject({ kind: 'train', state: 'paused', resumable: true });
    await services.call('finetune.resume', { runId: run.id });
    await until(async () => (await stateOf(run.id)) === 'completed', 'the run to complete');
    pausedRun = await detail(run.id);
    expect(steps(pausedRun)).toEqual(Array.from({ length: pausedRun.totalSteps }, (_, i) => i + 1));
    expect(pausedRun.validation.length).toBeGreaterThan(0);
    expect(pausedRun.samples.map((s) => s.step).every((step) => step % 5 === 0 || step === pausedRun.totalSteps)).toBe(true);
    expect(pausedRun.samples.at(-1)?.step).toBe(pausedRun.totalSteps); // the final answer is always sampled
    expect(pausedRun.evaluation).toMatchObject({ questions: 1, lossBefore: expect.any(Number), lossAfter: expect.any(Number) });
    expect(existsSync(path.join(pausedRun.adapterPath!, 'adapter_config.json'))).toBe(true);
    expect(pausedRun.compareQuestion).toMatch(/^What is \d+ \+ \d+\?$/);
    const history = await services.call('finetune.runs', {});
    expect(history[0]).toMatchObject({ id: run.id, state: 'completed', lastLoss: pausedRun.metrics.at(-1)!.loss });
  }, 300_000);

  it('after a kill -9 of the training engine mid-run, resume continues the loss curve from the last checkpoint', async () => {
    const run = await services.call('finetune.start', input());
    await until(async () => (await detail(run.id)).step >= 6, 'six steps');
    process.kill(trainEngine.status().pid!, 'SIGKILL');
    await until(async () => (await stateOf(run.id)) === 'interrupted', 'the run to be interrupted');
    expect(engine.status().state).toBe('ready'); // chat's engine never noticed
    await services.call('finetune.resume', { runId: run.id });
    await until(async () => (await stateOf(run.id)) === 'completed', 'the resumed run to complete');
    const done = await detail(run.id);
    expect(steps(done)).toEqual(steps(pausedRun));
    // same data, seed and settings: resumed from a checkpoint, the curve is the one of the paused-and-resumed run
    done.metrics.forEach((m, i) => expect(m.loss).toBeCloseTo(pausedRun.metrics[i].loss, 5));
  }, 300_000);

  it('merges the adapter into a model listed as fine-tuned from its base', async () => {
    const { jobId } = await services.call('finetune.merge', { runId: pausedRun.id, dtype: 'fp16' });
    await until(async () => {
      const job = (await services.call('jobs.list', {})).find((j) => j.id === jobId);
      return !!job && job.state !== 'running';
    }, 'the merge');
    const run = await detail(pausedRun.id);
    const model = (await services.call('models.list', {})).find((m) => m.id === run.mergedModelId)!;
    expect(model).toMatchObject({ source: 'fine-tuned', derivedFrom: baseId, baseName: 'Tiny base' });
  }, 300_000);
});
