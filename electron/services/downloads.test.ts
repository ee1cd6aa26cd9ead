/**
 * Downloads as jobs, end to end: services → hub emulator → Hugging Face cache → follow-on conversion in the real
 * engine → model list; pause and resume through jobs.*, nothing registered before verification, disk usage, removing
 * with files (only what Distillery wrote), Offline mode.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { makeScriptedModel } from '../testing/fixtures';
import { generatedBytes, startHubEmulator, type HubEmulator } from '../testing/hub-emulator';
import { FUSED_GRAPH } from '../model/fused-decoder';
import { createServices, type Services } from './index';
import { PROVIDER_SETTING } from './models';
import { setProvidersProbe } from './working-providers';

const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
const ONNX_REPO = 'onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX';

let hub: HubEmulator;
let services: Services;
let engine: EngineHost;
let home: string;
let cacheDir: string;

beforeAll(async () => {
  const { hfDir } = await makeScriptedModel();
  hub = await startHubEmulator();
  hub.addRepoFromFolder(REPO, hfDir);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-downloads-'));
  cacheDir = path.join(home, 'hf-cache');
  process.env.HF_HUB_CACHE = cacheDir;
  process.env.HF_ENDPOINT = hub.url;
  engine = new EngineHost({ spawn: nodeEngineSpawner() });
  await engine.start();
  services = createServices({ dataDir: path.join(home, 'data'), engineHost: engine, transport: 'http' });
}, 300_000);

afterAll(async () => {
  await services?.close();
  await engine?.stop();
  await hub?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function waitForJob(test: (jobs: Job[]) => Job | undefined, timeoutMs = 120_000): Promise<Job> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = test(await services.call('jobs.list', {}));
    if (found) return found;
    if (Date.now() > until) throw new Error(`timed out; jobs: ${JSON.stringify(await services.call('jobs.list', {}))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const settled = (id: string) => (jobs: Job[]) => jobs.find((j) => j.id === id && !['running', 'queued'].includes(j.state));

describe('downloads service', () => {
  it('lists the catalog with fit verdicts and the recommended precision', async () => {
    const list = await services.call('catalog.list', {});
    expect(list.items.map((i) => i.id)).toEqual(['qwen-1.5b', 'qwen-7b', 'qwen-14b', 'qwen-32b', 'llama-8b', 'llama-70b']);
    const small = list.items[0];
    expect(small.fits.map((f) => f.dtype)).toEqual(['fp32', 'fp16', 'q4', 'q4f16']);
    expect(small.fits.every((f) => ['gpu', 'cpu', 'none'].includes(f.verdict))).toBe(true);
    expect(small.inCache).toBe(false);
    expect(list.machine.disks.map((d) => d.role)).toEqual(['hub-cache', 'models']);
    expect(list.machine.disks[0].path).toBe(cacheDir);
    expect((await services.call('catalog.list', { query: 'llama' })).items.map((i) => i.id)).toEqual(['llama-8b', 'llama-70b']);
  });

  it('looks up any org/name repo from its config.json on the hub, and refuses an architecture it cannot run', async () => {
    const config = { model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 1000, max_position_embeddings: 2048, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false };
    hub.addRepo('someone/tiny-llama', { 'config.json': JSON.stringify(config), 'model.safetensors': generatedBytes(1000, 1) });
    const item = await services.call('catalog.lookup', { repo: 'someone/tiny-llama' });
    expect(item).toMatchObject({ id: 'someone/tiny-llama', custom: true, family: 'llama', contextLength: 2048, fitContext: 2048 });
    expect(item.fits.map((f) => f.verdict)).toEqual(['cpu', 'cpu', 'cpu', 'cpu']);
    hub.addRepo('someone/bert', { 'config.json': JSON.stringify({ model_type: 'bert' }) });
    await expect(services.call('catalog.lookup', { repo: 'someone/bert' })).rejects.toThrow(/someone\/bert is not a checkpoint Distillery can run/);
    await expect(services.call('catalog.lookup', { repo: 'nobody/nothing' })).rejects.toThrow(/not found/);
  });

  it('downloads, verifies, converts as a follow-on job, and only then lists the model', async () => {
    hub.addFault({ target: 'model.safetensors', corruptAt: 100 }); // caught and fetched again
    const { jobId } = await services.call('downloads.start', { repo: REPO, dtype: 'q4' });
    const download = await waitForJob(settled(jobId));
    expect(download.state).toBe('succeeded');
    expect(download.message).toContain('Converting to q4 next');
    const convert = await waitForJob((jobs) => jobs.find((j) => j.kind === 'convert' && !['running', 'queued'].includes(j.state)), 240_000);
    expect(convert.state).toBe('succeeded');
    expect(convert.title).toBe('Convert DeepSeek-R1-Distill-Qwen-1.5B to q4');
    const models = await services.call('models.list', {});
    expect(models).toHaveLength(1);
    expect(models[0].name).toBe('DeepSeek-R1-Distill-Qwen-1.5B q4');
    const item = (await services.call('catalog.list', { query: '1.5B' })).items[0];
    expect(item.inCache).toBe(true);
    expect(item.modelIds).toEqual([models[0].id]);
    // The listing's sizes replace the ones computed from the config.
    const listed = [...hub.repos.get(REPO)!.files.values()].filter((f) => /\.(json|safetensors)$/.test(f.path)).reduce((s, f) => s + f.data.length, 0);
    expect(item.fits.every((f) => f.downloadBytes === listed)).toBe(true);
    const usage = await services.call('downloads.usage', {});
    const checkpoint = [...hub.repos.get(REPO)!.files.values()].filter((f) => /\.(json|safetensors)$/.test(f.path)).reduce((s, f) => s + f.data.length, 0);
    expect(usage.models[0].checkpointBytes).toBe(checkpoint);
    expect(usage.models[0].modelBytes).toBeGreaterThan(0);
    expect(usage.totalBytes).toBe(usage.models[0].totalBytes);
  }, 300_000);

  it('registers nothing when a file stays corrupted', async () => {
    hub.addRepo(ONNX_REPO, { 'config.json': '{}', 'onnx/model_q4.onnx': generatedBytes(300_000, 4) });
    hub.addFault({ target: 'onnx/model_q4.onnx', corruptAt: 5, times: 2 });
    const before = (await services.call('models.list', {})).length;
    const { jobId } = await services.call('downloads.start', { repo: ONNX_REPO, dtype: 'q4' });
    const job = await waitForJob(settled(jobId));
    expect(job.state).toBe('failed');
    expect(job.message).toContain('onnx/model_q4.onnx arrived corrupted twice');
    expect(await services.call('models.list', {})).toHaveLength(before);
  });

  it('pauses and resumes a download through jobs.*, keeping the bytes', async () => {
    const repo = 'someone/slow-model';
    hub.addRepo(repo, { 'config.json': '{}', 'model.safetensors': generatedBytes(2_000_000, 9) });
    hub.addFault({ target: 'model.safetensors', bytesPerSecond: 400_000 });
    const { jobId } = await services.call('downloads.start', { repo, dtype: 'q4', convert: false });
    await expect(services.call('downloads.start', { repo, dtype: 'q4', convert: false })).rejects.toThrow(/already being downloaded/);
    await waitForJob((jobs) => jobs.find((j) => j.id === jobId && j.progress > 0.1 && j.pausable));
    const paused = await services.call('jobs.pause', { jobId });
    expect(paused.state).toBe('paused');
    expect(paused.resumable).toBe(true);
    const partial = fs.readdirSync(path.join(cacheDir, 'models--someone--slow-model', 'blobs')).find((n) => n.endsWith('.incomplete'))!;
    const kept = fs.statSync(path.join(cacheDir, 'models--someone--slow-model', 'blobs', partial)).size;
    expect(kept).toBeGreaterThan(0);
    hub.requests.length = 0;
    await services.call('jobs.resume', { jobId });
    const done = await waitForJob(settled(jobId));
    expect(done.state).toBe('succeeded');
    const resumed = hub.requests.find((r) => r.server === 'storage' && r.range && r.range !== 'bytes=0-0');
    expect(resumed?.range).toBe(`bytes=${kept}-1999999`);
  });

  it('cancel deletes the partial bytes, of a running download and of a paused one', async () => {
    const repo = 'someone/cancelled-model';
    hub.addRepo(repo, { 'config.json': '{}', 'model.safetensors': generatedBytes(2_000_000, 12) });
    const blobs = path.join(cacheDir, 'models--someone--cancelled-model', 'blobs');
    const partials = () => (fs.existsSync(blobs) ? fs.readdirSync(blobs).filter((n) => n.endsWith('.incomplete')) : []);
    for (const pauseFirst of [false, true]) {
      hub.addFault({ target: 'model.safetensors', bytesPerSecond: 400_000 });
      const { jobId } = await services.call('downloads.start', { repo, dtype: 'q4', convert: false });
      await waitForJob((jobs) => jobs.find((j) => j.id === jobId && j.progress > 0.1 && j.pausable));
      if (pauseFirst) expect((await services.call('jobs.pause', { jobId })).state).toBe('paused');
      expect(partials()).toHaveLength(1);
      const cancelled = await services.call('jobs.cancel', { jobId });
      expect(cancelled.state).toBe('cancelled');
      expect(partials()).toEqual([]);
    }
  });

  it('keeps no token in headless mode: it says to use HF_TOKEN', async () => {
    await expect(services.call('downloads.setToken', { token: 'hf_abcdefghijkl' })).rejects.toThrow(/HF_TOKEN=hf_/);
    expect((await services.call('downloads.settings', {})).canStoreToken).toBe(false);
  });

  it('removes a model with its files, keeping what another tool wrote into the cache', async () => {
    const [model] = await services.call('models.list', {});
    const repoFolder = path.join(cacheDir, 'models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B');
    // Another tool's snapshot (another revision) shares the tokenizer blob: it must survive.
    const tokenizer = fs.readlinkSync(path.join(repoFolder, 'snapshots', hub.repos.get(REPO)!.commit, 'tokenizer.json'));
    const otherSnapshot = path.join(repoFolder, 'snapshots', 'f'.repeat(40));
    fs.mkdirSync(otherSnapshot, { recursive: true });
    fs.symlinkSync(tokenizer, path.join(otherSnapshot, 'tokenizer.json'));
    const result = await services.call('downloads.removeModel', { modelId: model.id, withFiles: true });
    expect(result.removed).toBe(true);
    expect(result.freedBytes).toBeGreaterThan(0);
    expect(result.deleted).toContain(model.path);
    expect(fs.existsSync(model.path)).toBe(false);
    expect(result.kept).toContain(path.join(repoFolder, 'blobs', path.basename(tokenizer)));
    expect(fs.existsSync(path.join(otherSnapshot, 'tokenizer.json'))).toBe(true);
    expect(fs.readFileSync(path.join(otherSnapshot, 'tokenizer.json')).length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(repoFolder, 'blobs'))).toBe(true);
    expect(fs.readdirSync(path.join(repoFolder, 'blobs'))).toEqual([path.basename(tokenizer)]);
    expect(await services.call('models.list', {})).toHaveLength(0);
  });

  it('Offline mode blocks the network and shows only what is on disk', async () => {
    const settings = await services.call('downloads.setOffline', { offline: true });
    expect(settings.offline).toBe(true);
    const list = await services.call('catalog.list', {});
    expect(list.offline).toBe(true);
    expect(list.items.every((i) => i.inCache || i.modelIds.length > 0)).toBe(true);
    await expect(services.call('downloads.start', { repo: REPO })).rejects.toThrow(/Offline mode is on/);
    await expect(fetch('http://198.51.100.7:8080/')).rejects.toThrow();
    const blocked = await fetch('http://198.51.100.7:8080/').catch((e: Error) => (e.cause as Error | undefined)?.message ?? e.message);
    expect(blocked).toContain('Distillery is offline');
    await services.call('downloads.setOffline', { offline: false });
    expect((await services.call('catalog.list', {})).items).toHaveLength(6);
  });

  it('converts for WebGPU (the portable graph) where Settings picks WebGPU and it starts here', async () => {
    services.store.settings.set(PROVIDER_SETTING, 'webgpu');
    setProvidersProbe(services.context, async () => ['cpu', 'webgpu']); // no GPU here: as on a machine where WebGPU starts
    const before = new Set((await services.call('jobs.list', {})).map((j) => j.id));
    const { jobId } = await services.call('downloads.start', { repo: REPO, dtype: 'q4' });
    const download = await waitForJob(settled(jobId));
    expect(download).toMatchObject({ state: 'succeeded', message: expect.stringContaining('Converting to q4 for WebGPU (portable graph) next') });
    const convert = await waitForJob((jobs) => jobs.find((j) => j.kind === 'convert' && !before.has(j.id) && !['running', 'queued'].includes(j.state)), 240_000);
    expect(convert).toMatchObject({ state: 'succeeded', title: 'Convert DeepSeek-R1-Distill-Qwen-1.5B to q4 for WebGPU (portable graph)' });
    const [model] = await services.call('models.list', {});
    expect(model).toMatchObject({ name: 'DeepSeek-R1-Distill-Qwen-1.5B q4', convertedWith: { graph: FUSED_GRAPH } });
    expect(model.speedUpgrade).toBeUndefined(); // it runs on WebGPU, where the portable graph is the fast one
  }, 300_000);
});

describe('quitting during a download', () => {
  it('leaves the job paused with its bytes, and a new start of the app resumes it', async () => {
    const repo = 'someone/quit-model';
    const data = generatedBytes(2_000_000, 21);
    hub.addRepo(repo, { 'config.json': '{}', 'model.safetensors': data });
    hub.addFault({ target: 'model.safetensors', bytesPerSecond: 400_000 });
    const dataDir = path.join(home, 'quit-data');
    const stub = () => new EngineHost({ spawn: () => { throw new Error('no engine needed'); } });
    const first = createServices({ dataDir, engineHost: stub(), transport: 'http' });
    const { jobId } = await first.call('downloads.start', { repo, dtype: 'q4', convert: false });
    for (let job = (await first.call('jobs.list', {}))[0]; job.progress < 0.1; job = (await first.call('jobs.list', {})).find((j) => j.id === jobId)!) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await first.close();
    const blobs = path.join(cacheDir, 'models--someone--quit-model', 'blobs');
    const partial = fs.readdirSync(blobs).find((n) => n.endsWith('.incomplete'))!;
    const kept = fs.statSync(path.join(blobs, partial)).size;
    expect(kept).toBeGreaterThan(0);

    const second = createServices({ dataDir, engineHost: stub(), transport: 'http' });
    try {
      const stopped = (await second.call('jobs.list', {})).find((j) => j.id === jobId)!;
      expect(stopped.state).toBe('paused');
      expect(stopped.resumable).toBe(true);
      hub.requests.length = 0;
      await second.call('jobs.resume', { jobId });
      for (let job = stopped; job.state !== 'succeeded'; job = (await second.call('jobs.list', {})).find((j) => j.id === jobId)!) {
        expect(['running', 'paused', 'succeeded']).toContain(job.state);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(hub.requests.find((r) => r.server === 'storage' && r.range && r.range !== 'bytes=0-0')?.range).toBe(`bytes=${kept}-${data.length - 1}`);
    } finally {
      await second.close();
    }
  });
});
