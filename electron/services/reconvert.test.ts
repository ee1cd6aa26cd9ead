// "Re-convert for speed" end to end (services → real engine → converter → registry): a folder converter 1.0 wrote
// (standard graph) from a scripted checkpoint kept in a Hugging Face cache layout, so greedy answers are known.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../contract/api';
import type { ChatMessage } from '../contract/inference';
import { CONVERTER_VERSION, readManifest } from '../convert/manifest';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { FUSED_GRAPH, XKV_GRAPH } from '../model/fused-decoder';
import { makeScriptedModel } from '../testing/fixtures';
import { writeLegacyConvertedFolder } from '../testing/model-folders';
import { createServices, type Services } from './index';
import { modelProviderSetting } from './models';
import { setProvidersProbe } from './working-providers';

const REPO = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
const ANSWER = 'The answer is \\boxed{4}.';

let home: string;
let source: string;
let folder: string;
let engine: EngineHost;
let services: Services;
let modelId: string;
const updates: Job[] = [];

async function waitFor(check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function finished(jobId: string): Promise<Job> {
  await waitFor(() => updates.some((u) => u.id === jobId && !['queued', 'running'].includes(u.state)));
  return updates.filter((u) => u.id === jobId).at(-1)!;
}

/** Every file under `dir` with the sha256 of its bytes: equal fingerprints mean an untouched folder. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

async function answer(chatId: string): Promise<ChatMessage> {
  let final: ChatMessage | undefined;
  const off = services.events.on('chat.message', (m) => {
    if (m.chatId === chatId && m.role === 'assistant' && m.status !== 'streaming') final = m;
  });
  try {
    await services.call('chats.send', { chatId, content: 'What is 2+2?', settings: { temperature: 0 } });
    await waitFor(() => final !== undefined);
    return final!;
  } finally {
    off();
  }
}

const listed = async () => (await services.call('models.list', {})).find((m) => m.id === modelId)!;

beforeAll(async () => {
  const { hfDir } = await makeScriptedModel();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-reconvert-'));
  // a private copy in the hub cache's layout (the tests change it; the shared fixture stays as it is)
  source = path.join(home, 'hf-cache', `models--${REPO.replace('/', '--')}`, 'snapshots', 'a'.repeat(40));
  fs.cpSync(hfDir, source, { recursive: true, dereference: true });
  folder = path.join(home, 'models', 'old-r1');
  await writeLegacyConvertedFolder(source, folder);
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = createServices({ dataDir: path.join(home, 'data'), engineHost: engine, transport: 'http', version: '0.0.0-test' });
  services.events.on('job.update', (job) => updates.push(job));
  await engine.start();
  modelId = (await services.call('models.add', { path: folder, name: 'Old R1' })).id;
}, 300_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe('re-convert for speed', () => {
  it('offers it on a folder converter 1.0 wrote, saying why', async () => {
    const model = await listed();
    expect(model).toMatchObject({ source: 'converted', convertedWith: { converterVersion: '1.0.0', graph: 'standard' } });
    expect(model.speedUpgrade).toMatchObject({ state: 'available', sourceFolder: source });
    expect(model.speedUpgrade?.state === 'available' && model.speedUpgrade.why).toMatch(/^Converted by an older Distillery \(converter 1\.0\.0\), before the fused graph: about 1\.6× slower decode/);
  });

  it('refuses, naming what to download, when a checkpoint file is gone', async () => {
    const tokenizer = path.join(source, 'tokenizer.json');
    fs.renameSync(tokenizer, `${tokenizer}.away`);
    try {
      const upgrade = (await listed()).speedUpgrade;
      expect(upgrade).toMatchObject({ state: 'unavailable', reason: 'source missing' });
      const message = upgrade?.state === 'unavailable' ? upgrade.message : '';
      expect(message).toBe(`The source checkpoint at ${source} is gone or incomplete (tokenizer.json is missing): download ${REPO} again (Models › Download) and re-convert from there.`);
      await expect(services.call('models.reconvert', { modelId })).rejects.toMatchObject({ code: 'conflict', message });
    } finally {
      fs.renameSync(`${tokenizer}.away`, tokenizer);
    }
  });

  it('a checkpoint changed in place (same size) fails the job by sha256 and leaves the old folder as it was, still answering', async () => {
    const before = fingerprint(folder);
    const shard = path.join(source, 'model.safetensors');
    const bytes = fs.readFileSync(shard);
    const changed = Buffer.from(bytes);
    changed[changed.length - 4] ^= 0x01; // the low mantissa bit of a weight: same size, still finite, so only the checksum can tell
    fs.writeFileSync(shard, changed);
    try {
      expect((await listed()).speedUpgrade).toMatchObject({ state: 'available' }); // the list's cheap check cannot see it
      const job = await services.call('models.reconvert', { modelId });
      expect(job).toMatchObject({ kind: 'convert', state: 'running', title: 'Re-convert “Old R1” for speed' });
      const final = await finished(job.id);
      expect(final.state).toBe('failed');
      expect(final.message).toMatch(
        new RegExp(`^Nothing was replaced\\. The source checkpoint at .+ changed since this model was converted \\(model\\.safetensors has sha256 [0-9a-f]{12}…, was [0-9a-f]{12}…\\): download ${REPO} again`),
      );
    } finally {
      fs.writeFileSync(shard, bytes);
    }
    expect(fingerprint(folder)).toEqual(before);
    expect(fs.readdirSync(path.dirname(folder))).toEqual(['old-r1']); // no partial output left beside it
    expect((await listed()).speedUpgrade).toMatchObject({ state: 'available' });
    const chat = await services.call('chats.create', { modelId });
    expect(await answer(chat.id)).toMatchObject({ status: 'complete', content: ANSWER });
  }, 300_000);

  it('replaces the folder with the fused graph after unloading it; id, name, settings, chats and the user’s files stay', async () => {
    services.store.settings.set(modelProviderSetting(modelId), 'cpu');
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'mine');
    await services.call('models.load', { modelId });
    const [chat] = await services.call('chats.list', {});

    const job = await services.call('models.reconvert', { modelId });
    const during = await listed();
    expect(during.loaded).toBeUndefined(); // unloaded before the converter touches the folder
    expect(during.speedUpgrade).toEqual({ state: 'running', jobId: job.id });
    await expect(services.call('models.reconvert', { modelId })).rejects.toMatchObject({ code: 'conflict' });
    const final = await finished(job.id);
    expect(final).toMatchObject({ state: 'succeeded', progress: 1, message: expect.stringMatching(/^Re-converted “Old R1” to the fused graph in \d+/) });

    const manifest = await readManifest(folder);
    expect(manifest).toMatchObject({ graph: XKV_GRAPH, converter: { version: CONVERTER_VERSION }, dtype: 'fp32', source: { folder: source } });
    expect(fs.readFileSync(path.join(folder, 'notes.txt'), 'utf8')).toBe('mine');
    const after = await listed();
    expect(after).toMatchObject({ id: modelId, name: 'Old R1', providerOverride: 'cpu', convertedWith: { converterVersion: CONVERTER_VERSION, graph: XKV_GRAPH } });
    expect(after.speedUpgrade).toBeUndefined();
    expect((await services.call('models.list', {})).length).toBe(1);

    const reply = await answer(chat.id);
    expect(reply).toMatchObject({ status: 'complete', content: ANSWER, stats: { modelId } });
    expect((await services.call('chats.get', { chatId: chat.id })).messages).toHaveLength(4); // the earlier turn is kept
    await expect(services.call('models.reconvert', { modelId })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/already has the fastest graph/) });
  }, 300_000);

  it('for a model set to WebGPU, offers the portable graph where WebGPU starts and writes it in the same dtype and quantization', async () => {
    await services.call('models.unload', { modelId }); // a loaded model's offer follows where it runs now (the CPU)
    services.store.settings.set(modelProviderSetting(modelId), 'webgpu');
    setProvidersProbe(services.context, async () => ['cpu']); // where WebGPU does not start, the model runs on the CPU
    expect((await listed()).speedUpgrade).toBeUndefined();
    await expect(services.call('models.reconvert', { modelId })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/already has the fastest graph/) });
    setProvidersProbe(services.context, async () => ['cpu', 'webgpu']); // as on a machine where WebGPU starts
    expect((await listed()).speedUpgrade).toMatchObject({ state: 'available', portable: true, why: expect.stringMatching(/^This model runs on WebGPU/) });
    const before = await readManifest(folder);

    const job = await services.call('models.reconvert', { modelId });
    expect(job.title).toBe('Re-convert “Old R1” for WebGPU');
    const final = await finished(job.id);
    expect(final).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^Re-converted “Old R1” to the portable graph \(its cache stays on the GPU\) in /) });
    const manifest = await readManifest(folder);
    expect(manifest).toMatchObject({ graph: FUSED_GRAPH, dtype: before.dtype, quantization: before.quantization, source: before.source });
    const after = await listed();
    expect(after).toMatchObject({ id: modelId, providerOverride: 'webgpu', convertedWith: { graph: FUSED_GRAPH } });
    expect(after.speedUpgrade).toBeUndefined();

    services.store.settings.set(modelProviderSetting(modelId), 'cpu'); // no GPU here; the portable graph answers the same
    const chat = await services.call('chats.create', { modelId });
    expect(await answer(chat.id)).toMatchObject({ status: 'complete', content: ANSWER });
  }, 300_000);

  it('for a portable folder that runs on the CPU, offers the default graph back', async () => {
    expect((await listed()).convertedWith).toMatchObject({ graph: FUSED_GRAPH });
    expect((await listed()).speedUpgrade).toMatchObject({ state: 'available', why: expect.stringMatching(/^This model runs on the CPU, and its folder holds the portable graph/) });
    await services.call('models.unload', { modelId });
    setProvidersProbe(services.context, async () => {
      throw new Error('no answer'); // nothing known about the providers (as in the CLI, without an engine): set to the CPU, it runs there
    });
    expect((await listed()).speedUpgrade).toMatchObject({ state: 'available', why: expect.stringMatching(/^This model runs on the CPU/) });
    const job = await services.call('models.reconvert', { modelId });
    expect(job.title).toBe('Re-convert “Old R1” for speed');
    expect(await finished(job.id)).toMatchObject({ state: 'succeeded', message: expect.stringMatching(/^Re-converted “Old R1” to the fused graph in /) });
    expect(await readManifest(folder)).toMatchObject({ graph: XKV_GRAPH });
    expect((await listed()).speedUpgrade).toBeUndefined();
    const chat = await services.call('chats.create', { modelId });
    expect(await answer(chat.id)).toMatchObject({ status: 'complete', content: ANSWER });
  }, 300_000);
});
