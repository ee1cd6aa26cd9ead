// The convert job end to end (services → real engine → converter → registry), and its pure parts.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import { StartConvertInput } from '../contract/convert';
import type { ConvertProgress } from '../convert/progress';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { makeTinyModel } from '../testing/fixtures';
import { createServices, type Services } from './index';
import { convertEngineParams, convertJobProgress, convertJobSpec, defaultOutDir } from './jobs-convert';

const progress = (p: Partial<ConvertProgress>): ConvertProgress => ({
  phase: 'convert', tensorsDone: 0, tensorsTotal: 0, bytesDone: 0, bytesTotal: 0, fraction: 0, elapsedMs: 0, ...p,
});

describe('convert job: pure parts', () => {
  it('maps converter progress to one rising fraction with words and an ETA', () => {
    const checksum = convertJobProgress(progress({ phase: 'checksum', fraction: 0.5, bytesDone: 1.75 * 2 ** 30, bytesTotal: 3.5 * 2 ** 30 }), 28);
    expect(checksum.fraction).toBeCloseTo(0.05);
    expect(checksum.message).toBe('Checking the checkpoint · 1.8 GiB of 3.5 GiB');
    const layer12 = convertJobProgress(
      progress({ tensorsDone: 144, tensorsTotal: 339, bytesDone: 1.2 * 2 ** 30, bytesTotal: 3.5 * 2 ** 30, fraction: 1.2 / 3.5, etaMs: 42_000 }),
      28,
    );
    expect(layer12.message).toBe('Converting layer 12/28 · 1.2 GiB of 3.5 GiB');
    expect(layer12.etaSeconds).toBe(42);
    expect(layer12.fraction).toBeGreaterThan(checksum.fraction);
    const done = convertJobProgress(progress({ tensorsDone: 339, tensorsTotal: 339, fraction: 1 }), 28);
    const finish = convertJobProgress(progress({ phase: 'finish', fraction: 1 }), 28);
    expect(done.fraction).toBeLessThanOrEqual(finish.fraction);
    expect(finish.fraction).toBeLessThan(1); // 1 means registered too: only the runner sets it
    expect(convertJobProgress(progress({ tensorsDone: 0, tensorsTotal: 339 }), 28).message).toBe('Converting layer 1/28');
    expect(convertJobProgress(progress({ tensorsDone: 5, tensorsTotal: 10 })).message).toBe('Converting tensor 5/10');
  });

  it('never gives two running conversions the same output folder', () => {
    const models = mkdtempSync(path.join(os.tmpdir(), 'distillery-outdir-'));
    const deps = { modelsDir: models, registry: { add: async () => { throw new Error('not called'); } } };
    const input = { hfDir: '/ckpt/R1-1.5B', dtype: 'q4' as const, register: true };
    try {
      const first = convertJobSpec(input, deps);
      const second = convertJobSpec(input, deps);
      expect(first.params).toMatchObject({ outDir: path.join(models, 'R1-1.5B-q4') });
      expect(second.params).toMatchObject({ outDir: path.join(models, 'R1-1.5B-q4-2') });
      const explicit = { ...input, outDir: path.join(models, 'R1-1.5B-q4') };
      expect(() => convertJobSpec(explicit, deps)).toThrow(/Another conversion is writing to/);
      first.onSettled!();
      second.onSettled!();
      const third = convertJobSpec(explicit, deps); // released: the folder can be used again
      third.onSettled!();
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('picks a free default output folder in the models folder', () => {
    const models = mkdtempSync(path.join(os.tmpdir(), 'distillery-outdir-'));
    try {
      expect(defaultOutDir(models, '/ckpt/DeepSeek-R1-Distill-Qwen-1.5B/', 'q4')).toBe(path.join(models, 'DeepSeek-R1-Distill-Qwen-1.5B-q4'));
      mkdirSync(path.join(models, 'DeepSeek-R1-Distill-Qwen-1.5B-q4'));
      mkdirSync(path.join(models, 'DeepSeek-R1-Distill-Qwen-1.5B-q4-2'));
      expect(defaultOutDir(models, '/ckpt/DeepSeek-R1-Distill-Qwen-1.5B', 'q4')).toBe(path.join(models, 'DeepSeek-R1-Distill-Qwen-1.5B-q4-3'));
    } finally {
      rmSync(models, { recursive: true, force: true });
    }
  });

  it('passes only the options the user set, asymmetric as symmetric: false', () => {
    const input = StartConvertInput.parse({ hfDir: '/a/b', dtype: 'q4', asymmetric: true, blockSize: 64 });
    expect(input.register).toBe(true);
    expect(convertEngineParams(input, '/out')).toEqual({ hfDir: '/a/b', outDir: '/out', dtype: 'q4', symmetric: false, blockSize: 64 });
    expect(convertEngineParams(StartConvertInput.parse({ hfDir: '/a', dtype: 'fp16' }), '/o')).toEqual({ hfDir: '/a', outDir: '/o', dtype: 'fp16' });
  });

  it('refuses relative paths, odd block sizes and unknown dtypes in the contract', () => {
    expect(StartConvertInput.safeParse({ hfDir: 'models/qwen', dtype: 'q4' }).error?.message).toMatch(/absolute path/);
    expect(StartConvertInput.safeParse({ hfDir: '/m', outDir: './out', dtype: 'q4' }).success).toBe(false);
    expect(StartConvertInput.safeParse({ hfDir: 'C:\\models\\qwen', dtype: 'q4' }).success).toBe(true);
    expect(StartConvertInput.safeParse({ hfDir: '/m', dtype: 'q4', blockSize: 48 }).error?.message).toMatch(/power of two/);
    expect(StartConvertInput.safeParse({ hfDir: '/m', dtype: 'int3' }).success).toBe(false);
    expect(StartConvertInput.safeParse({ hfDir: '/m', dtype: 'q4', accuracyLevel: 5 }).success).toBe(false);
  });
});

describe('convert job through the services and a real engine', () => {
  let dataDir: string;
  let engine: EngineHost;
  let services: Services;
  let updates: Job[];
  let hfDir: string;

  beforeAll(async () => {
    hfDir = (await makeTinyModel({ arch: 'qwen2', seed: 31 })).hfDir;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'distillery-convert-job-'));
    engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
    services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0' });
    updates = [];
    services.events.on('job.update', (job) => updates.push(job));
    await engine.start();
  }, 120_000);
  afterAll(async () => {
    await engine.stop();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const finished = async (jobId: string): Promise<Job> => {
    await waitFor(() => updates.some((u) => u.id === jobId && !['queued', 'running'].includes(u.state)));
    return updates.filter((u) => u.id === jobId).at(-1)!;
  };

  it('converts a tiny checkpoint to q4 with progress, registers it with the checkpoint it came from, and the model loads', async () => {
    const job = await services.call('jobs.startConvert', { hfDir, dtype: 'q4' });
    expect(job).toMatchObject({ kind: 'convert', state: 'running', progress: 0, title: `Convert ${path.basename(hfDir)} to q4` });
    const final = await finished(job.id);
    expect(final.state).toBe('succeeded');
    expect(final.progress).toBe(1);
    expect(final.message).toMatch(/^Converted to q4 in \d+ (s|min \d+ s) and added to your models as “.+-q4”\.$/);

    const mine = updates.filter((u) => u.id === job.id);
    const fractions = mine.map((u) => u.progress);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(mine.some((u) => u.state === 'running' && /^Checking the checkpoint · /.test(u.message ?? ''))).toBe(true);
    expect(mine.some((u) => u.state === 'running' && /^Converting layer [12]\/2 · [\d.]+ MiB of [\d.]+ MiB$/.test(u.message ?? ''))).toBe(true);

    const outDir = path.join(dataDir, 'models', `${path.basename(hfDir)}-q4`);
    expect(existsSync(path.join(outDir, 'onnx', 'model_q4.onnx'))).toBe(true);
    const models = await services.call('models.list', {});
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ path: outDir, dtype: 'q4', source: 'converted', arch: 'qwen2' });
    expect(services.store.models.get(models[0].id)?.manifest).toMatchObject({ convertedFrom: hfDir, dtypes: ['q4'] });
    expect(models[0].derivedFrom).toBeUndefined(); // derived_from names a registered model; a checkpoint folder is not one
    expect((await services.call('jobs.list', {})).find((j) => j.id === job.id)).toMatchObject({ state: 'succeeded', message: final.message });

    const loaded = await services.call('models.load', { modelId: models[0].id });
    expect(loaded).toMatchObject({ provider: 'cpu', dtype: 'q4' });
    await services.call('models.unload', { modelId: models[0].id });
  }, 180_000);

  it('converting into a registered model’s folder needs force; with it the model is unloaded, replaced and keeps the user’s files', async () => {
    const [model] = await services.call('models.list', {});
    await services.call('models.load', { modelId: model.id });
    writeFileSync(path.join(model.path, 'notes.txt'), 'keep');
    await expect(services.call('jobs.startConvert', { hfDir, dtype: 'fp32', outDir: model.path })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/is the folder of your model “.+”: choose another output folder, or convert with force/),
    });
    expect((await services.call('models.list', {}))[0].loaded).toBeDefined(); // refused before anything happened

    const job = await services.call('jobs.startConvert', { hfDir, dtype: 'fp32', outDir: model.path, force: true });
    expect((await services.call('models.list', {}))[0].loaded).toBeUndefined();
    expect(await finished(job.id)).toMatchObject({ state: 'succeeded' });
    expect(readdirSync(path.join(model.path, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect(readFileSync(path.join(model.path, 'notes.txt'), 'utf8')).toBe('keep');
    const after = await services.call('models.list', {});
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: model.id, dtypes: ['fp32'] });
  }, 180_000);

  it('cancel stops the conversion, leaves no folder and registers nothing', async () => {
    const parent = mkdtempSync(path.join(dataDir, 'cancel-'));
    const outDir = path.join(parent, 'never');
    const before = (await services.call('models.list', {})).length;
    const job = await services.call('jobs.startConvert', { hfDir, dtype: 'fp16', outDir, name: 'Never' });
    await waitFor(() => updates.some((u) => u.id === job.id && u.message !== undefined));
    const cancelled = await services.call('jobs.cancel', { jobId: job.id });
    expect(cancelled).toMatchObject({ state: 'cancelled', message: expect.stringMatching(/partial output was removed/) });
    expect(cancelled.progress).toBeLessThan(1);
    expect(readdirSync(parent)).toEqual([]);
    expect((await services.call('models.list', {})).length).toBe(before);
  }, 120_000);

  it('a bad source fails the job with the converter’s clear message and registers nothing', async () => {
    const missing = path.join(dataDir, 'no-such-checkpoint');
    const job = await services.call('jobs.startConvert', { hfDir: missing, dtype: 'q4' });
    const final = await finished(job.id);
    expect(final.state).toBe('failed');
    expect(final.message).toMatch(/no-such-checkpoint does not exist: check the path/);
    expect(existsSync(path.join(dataDir, 'models', 'no-such-checkpoint-q4'))).toBe(false);
    expect((await services.call('models.list', {})).some((m) => m.path.includes('no-such-checkpoint'))).toBe(false);
  }, 60_000);

  it('int4 options on a float dtype fail with the converter’s reason; register: false only converts', async () => {
    const refused = await services.call('jobs.startConvert', { hfDir, dtype: 'fp32', blockSize: 64 });
    expect(await finished(refused.id)).toMatchObject({ state: 'failed', message: expect.stringMatching(/q4/) });

    const outDir = path.join(dataDir, 'unregistered');
    const before = (await services.call('models.list', {})).length;
    const job = await services.call('jobs.startConvert', { hfDir, dtype: 'q4f16', outDir, register: false, quantizeEmbeddings: true });
    const final = await finished(job.id);
    expect(final).toMatchObject({ state: 'succeeded', message: expect.stringContaining(`: ${outDir}`) });
    expect(existsSync(path.join(outDir, 'onnx', 'model_q4f16.onnx'))).toBe(true);
    expect((await services.call('models.list', {})).length).toBe(before);
  }, 120_000);

  it('an engine killed mid-conversion marks the job interrupted and its partial folder is removed', async () => {
    // ~350 MB of weights: several seconds of converting, time to kill the engine in the middle.
    const slow = (await makeTinyModel({ arch: 'qwen2', seed: 5, hidden: 512, layers: 8, heads: 8, kvHeads: 2, intermediate: 1536 })).hfDir;
    const parent = mkdtempSync(path.join(dataDir, 'crash-'));
    const job = await services.call('jobs.startConvert', { hfDir: slow, dtype: 'q4', outDir: path.join(parent, 'm') });
    await waitFor(() => updates.some((u) => u.id === job.id && /^Converting layer/.test(u.message ?? '')));
    expect(readdirSync(parent).some((name) => name.startsWith('.m.partial-'))).toBe(true);
    process.kill(engine.status().pid!, 'SIGKILL');
    const final = await finished(job.id);
    expect(final).toMatchObject({ state: 'interrupted', message: expect.stringMatching(/Start the job again\.$/) });
    expect(readdirSync(parent)).toEqual([]);
    await waitFor(() => engine.status().state === 'ready');
  }, 180_000);

  it('refuses relative paths before starting a job', async () => {
    await expect(services.call('jobs.startConvert', { hfDir: 'relative/folder', dtype: 'q4' })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/absolute path/),
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
