// models.remove over a real engine process: the engine, not the service's memory of loads, says what is loaded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { externalDataOf } from '../generate/model-files';
import type { LoadedModelInfo } from '../generate/model-pool';
import { scriptedOnnxModel } from '../testing/model-folders';
import { createServices, httpStatusFor, type Services } from './index';

let dataDir: string;
let engine: EngineHost;
let services: Services;
let modelDir: string;

beforeAll(async () => {
  modelDir = await scriptedOnnxModel();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-models-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0-test' });
  await engine.start();
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const engineLoaded = async () => (await engine.request<LoadedModelInfo[]>('generate.loaded')).map((m) => m.modelId);

describe('models.remove', () => {
  it('unloads a model the engine loaded outside models.load (a generation that then failed)', async () => {
    const model = await services.call('models.add', { path: modelDir });
    // what generate.run does before it generates; when the generation then fails, no one records the load
    await engine.request('generate.load', { modelId: model.id, dir: modelDir, contextLength: 512 });
    expect(await engineLoaded()).toEqual([model.id]);
    await expect(services.call('models.remove', { modelId: model.id })).resolves.toEqual({ removed: true });
    expect(await engineLoaded()).toEqual([]);
  });

  it('removes a model that is not loaded, and one loaded through models.load', async () => {
    const idle = await services.call('models.add', { path: modelDir });
    await expect(services.call('models.remove', { modelId: idle.id })).resolves.toEqual({ removed: true });
    const used = await services.call('models.add', { path: modelDir });
    await services.call('models.load', { modelId: used.id, contextLength: 512 });
    await expect(services.call('models.remove', { modelId: used.id })).resolves.toEqual({ removed: true });
    expect(await engineLoaded()).toEqual([]);
    expect(await services.call('models.list', {})).toEqual([]);
  });
});

describe('models.add', () => {
  it('refuses a folder whose tokenizer.json is garbage with model_invalid (422), naming the file', async () => {
    const broken = path.join(dataDir, 'broken-tokenizer');
    fs.cpSync(modelDir, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'BPE' } }));
    const refused = services.call('models.add', { path: broken });
    await expect(refused).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining(path.join(broken, 'tokenizer.json')) });
    expect(httpStatusFor('model_invalid')).toBe(422);
    expect(await services.call('models.list', {})).toEqual([]);
  });

  it('refuses a folder with a NaN in an external-data weight (422, naming the file and the tensor), and accepts it intact', async () => {
    const damaged = path.join(dataDir, 'nan-weight');
    fs.cpSync(modelDir, damaged, { recursive: true });
    const onnxPath = path.join(damaged, 'onnx', 'model.onnx');
    const weight = (onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath)).graph?.initializer ?? []).find(
      (i) => i.dataType === onnxProto.onnx.TensorProto.DataType.FLOAT && externalDataOf(i, onnxPath),
    )!;
    const { location, offset } = externalDataOf(weight, onnxPath)!;
    const dataFile = path.join(damaged, 'onnx', location);
    const intact = fs.readFileSync(dataFile);
    const fd = fs.openSync(dataFile, 'r+');
    fs.writeSync(fd, new Uint8Array(new Float32Array([NaN]).buffer), 0, 4, offset + 8);
    fs.closeSync(fd);
    const refused = services.call('models.add', { path: damaged });
    await expect(refused).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining(`${dataFile}: tensor "${weight.name}" holds NaN`) });
    expect(await services.call('models.list', {})).toEqual([]);

    fs.writeFileSync(dataFile, intact);
    const added = await services.call('models.add', { path: damaged });
    expect(await services.call('models.list', {})).toEqual([expect.objectContaining({ id: added.id, path: damaged })]);
    await services.call('models.remove', { modelId: added.id });
  }, 300_000); // reads the folder's weights twice: seconds alone, minutes on a shared, loaded machine
});
