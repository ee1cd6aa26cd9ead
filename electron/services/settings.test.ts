// settings.* (provider default and per-model override, used by models.load) and "fine-tuned from" in the registry,
// over a real engine process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../convert/convert';
import { EngineHost } from '../engine/host';
import { scriptedOnnxModel } from '../testing/model-folders';
import { SafetensorsCheckpoint } from '../model/safetensors';
import { makeTinyModel } from '../testing/fixtures';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { adapterConfig, initLoraTensors, peftKey, writeAdapter, type NamedTensor } from '../train/adapter';
import { mergeAdapterIntoModel } from '../train/merge-folder';
import { createServices, type Services } from './index';
import { DERIVED_FILE, modelProviderSetting, registryFor } from './models';

let root: string;
let engine: EngineHost;
let services: Services;
let scripted: string;

beforeAll(async () => {
  scripted = await scriptedOnnxModel();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-settings-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = createServices({ dataDir: path.join(root, 'data'), engineHost: engine, transport: 'http', version: '0.0.0-test' });
  await engine.start();
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A copy of the scripted model folder, so each test registers a model of its own. */
function copyOfScripted(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(scripted, dir, { recursive: true });
  return dir;
}

describe('execution provider settings', () => {
  it('defaults to auto, stores a choice, and clears it with auto', async () => {
    await expect(services.call('settings.get', {})).resolves.toEqual({ inference: { provider: 'auto', threads: 0 } });
    await expect(services.call('settings.setProvider', { provider: 'cpu' })).resolves.toEqual({ settings: { inference: { provider: 'cpu', threads: 0 } } });
    await expect(services.call('settings.get', {})).resolves.toEqual({ inference: { provider: 'cpu', threads: 0 } });
    await services.call('settings.setProvider', { provider: 'auto' });
    await expect(services.call('settings.get', {})).resolves.toEqual({ inference: { provider: 'auto', threads: 0 } });
  });

  it('stores a CPU thread count that the next load asks for; 0 is automatic', async () => {
    await expect(services.call('settings.setThreads', { threads: 3 })).resolves.toEqual({ inference: { provider: 'auto', threads: 3 } });
    const model = await services.call('models.add', { path: copyOfScripted('threads'), name: 'Threads' });
    const registry = registryFor(services.context);
    expect(registry.loadParams(model.id).threads).toBe(3);
    expect(registry.loadParams(model.id, { threads: 1 }).threads).toBe(1);
    await expect(services.call('settings.setThreads', { threads: 0 })).resolves.toEqual({ inference: { provider: 'auto', threads: 0 } });
    expect(registry.loadParams(model.id).threads).toBeUndefined();
    await expect(services.dispatch('settings.setThreads', { threads: -1 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('refuses unknown providers and models', async () => {
    await expect(services.dispatch('settings.setProvider', { provider: 'tpu' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(services.dispatch('settings.setProvider', { provider: 'cpu', extra: 1 })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(services.call('settings.setProvider', { provider: 'cpu', modelId: 'no-such-model' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reads a damaged stored value as auto', async () => {
    services.context.store.settings.set('inference.provider', 'quantum');
    await expect(services.call('settings.get', {})).resolves.toEqual({ inference: { provider: 'auto', threads: 0 } });
    services.context.store.settings.remove('inference.provider');
  });

  it('uses a model override at the next load, ahead of the default, and shows it in ModelInfo', async () => {
    const model = await services.call('models.add', { path: copyOfScripted('override'), name: 'Override' });
    expect(model.providerOverride).toBeUndefined();
    const info = await services.call('engine.info', {});
    const dml = info.executionProviders.find((p) => p.name === 'dml');

    await services.call('settings.setProvider', { provider: 'dml' });
    const set = await services.call('settings.setProvider', { provider: 'cpu', modelId: model.id });
    expect(set.model).toMatchObject({ id: model.id, providerOverride: 'cpu' });
    expect((await services.call('models.list', {})).find((m) => m.id === model.id)?.providerOverride).toBe('cpu');
    const forcedCpu = await services.call('models.load', { modelId: model.id });
    expect(forcedCpu).toMatchObject({ provider: 'cpu', fallbacks: [] }); // the 'dml' default was not tried

    // auto on the model clears the override: the default (dml) applies at the next load
    const cleared = await services.call('settings.setProvider', { provider: 'auto', modelId: model.id });
    expect(cleared.model?.providerOverride).toBeUndefined();
    expect(services.context.store.settings.get(modelProviderSetting(model.id))).toBeUndefined();
    await services.call('models.unload', { modelId: model.id });
    const withDefault = await services.call('models.load', { modelId: model.id });
    if (dml?.available) expect(withDefault.provider).toBe('dml');
    else expect(withDefault.fallbacks.map((f) => f.provider)).toContain('dml');
    await services.call('models.unload', { modelId: model.id });
    await services.call('settings.setProvider', { provider: 'auto' });
  }, 180_000); // two loads and a provider probe in the engine process: minutes on a loaded 2-core machine

  it('forgets a model\'s override when the model is removed', async () => {
    const model = await services.call('models.add', { path: copyOfScripted('removed') });
    await services.call('settings.setProvider', { provider: 'webgpu', modelId: model.id });
    await services.call('models.remove', { modelId: model.id });
    expect(services.context.store.settings.get(modelProviderSetting(model.id))).toBeUndefined();
  }, 180_000);
});

describe('fine-tuned models in the registry', () => {
  it('lists a merged model as derived from the registered model converted from its base', async () => {
    const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 21 });
    const baseOnnx = path.join(root, 'base-onnx');
    await convertCheckpoint(hfDir, baseOnnx, { dtype: 'fp32' });
    const base = await services.call('models.add', { path: baseOnnx, name: 'Tiny base' });

    const adapterDir = path.join(root, 'adapter');
    writeAdapter(adapterDir, adapterConfig({ rank: 2, alpha: 4, targets: ['q_proj'] }, hfDir), nonzeroAdapter(hfDir, 2));
    const merged = path.join(root, 'merged');
    await mergeAdapterIntoModel(hfDir, adapterDir, merged);

    const derived = await services.call('models.add', { path: merged });
    expect(derived).toMatchObject({
      derivedFrom: base.id,
      baseName: 'Tiny base',
      baseFolder: path.resolve(hfDir),
      adapter: path.resolve(adapterDir),
      source: 'fine-tuned',
    });
    expect((await services.call('models.list', {})).find((m) => m.id === derived.id)?.derivedFrom).toBe(base.id);
  }, 300_000);

  it('keeps the base folder when the base is not registered, and ignores a damaged note', async () => {
    const orphan = copyOfScripted('orphan');
    fs.writeFileSync(path.join(orphan, DERIVED_FILE), JSON.stringify({ base: '/models/Never-Registered', adapter: '/a/adapter' }));
    const info = await services.call('models.add', { path: orphan });
    expect(info.derivedFrom).toBeUndefined();
    expect(info).toMatchObject({ baseFolder: '/models/Never-Registered', baseName: 'Never-Registered', adapter: '/a/adapter', source: 'fine-tuned' });

    const damaged = copyOfScripted('damaged');
    fs.writeFileSync(path.join(damaged, DERIVED_FILE), '{ not json');
    const plain = await services.call('models.add', { path: damaged });
    expect(plain).not.toHaveProperty('baseFolder');
    expect(plain.source).toBe('imported');
  });
});

/** A LoRA adapter on every layer's q_proj with B ≠ 0 (a zero B would merge to the base unchanged). */
function nonzeroAdapter(hfDir: string, rank: number): Map<string, NamedTensor> {
  const checkpoint = SafetensorsCheckpoint.open(hfDir);
  const trainables = checkpoint
    .names()
    .filter((name) => name.endsWith('self_attn.q_proj.weight'))
    .flatMap((name) => {
      const [out, inp] = checkpoint.get(name).shape;
      const module = name.slice(0, -'.weight'.length);
      return [
        { name: peftKey(module, 'A'), shape: [rank, inp], which: 'A' as const },
        { name: peftKey(module, 'B'), shape: [out, rank], which: 'B' as const },
      ];
    });
  const tensors = initLoraTensors(trainables, 5);
  for (const t of trainables.filter((x) => x.which === 'B')) tensors.get(t.name)!.data.fill(0.01);
  return tensors;
}
