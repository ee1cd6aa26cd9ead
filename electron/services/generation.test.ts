// The generation service over a real engine process running scripted models (greedy output = a known text).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import type { LoadedModelInfo } from '../generate/model-pool';
import { scriptedOnnxModel } from '../testing/model-folders';
import type { GenerationPiece, GenerationRun } from './generation';
import { createServices, type Services } from './index';

const LONG_SCRIPT =
  'Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo ' +
  'sierra tango uniform victor whiskey xray yankee zulu apple banana cherry elderberry fig grape honeydew kiwi lemon ' +
  'mango nectarine orange peach quince raspberry strawberry tangerine.\n</think>\n\nDone.';
const GREEDY = { temperature: 0 };
const QUESTION = [{ role: 'user' as const, content: 'What is 2+2?' }];

let dataDir: string;
let engine: EngineHost;
let services: Services;
let shortDir: string;
let longDir: string;
let shortModel: string;
let longModel: string;

beforeAll(async () => {
  [shortDir, longDir] = await Promise.all([scriptedOnnxModel(), scriptedOnnxModel(LONG_SCRIPT)]);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-generation-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner() });
  services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0-test' });
  await engine.start();
  shortModel = (await services.call('models.add', { path: shortDir, name: 'short' })).id;
  longModel = (await services.call('models.add', { path: longDir, name: 'long' })).id;
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const engineLoaded = () => engine.request<LoadedModelInfo[]>('generate.loaded');

/** Reads every piece of a run (calling `onPiece` on each) and its result. */
async function collect(run: GenerationRun, onPiece?: (piece: GenerationPiece) => void) {
  const pieces: GenerationPiece[] = [];
  for await (const piece of run.pieces) {
    pieces.push(piece);
    onPiece?.(piece);
  }
  return { pieces, result: await run.result };
}

describe('generation service', () => {
  it('loads the model once for two calls, with the user’s threads setting, and remembers what was loaded', async () => {
    await services.call('settings.setThreads', { threads: 1 });
    try {
      // at the same time: the second call must find the model the first one loads, not load it again
      const [first, second] = await Promise.all([
        services.generation.start({ modelId: shortModel, messages: QUESTION, settings: GREEDY }).result,
        services.generation.start({ modelId: shortModel, messages: QUESTION, settings: GREEDY }).result,
      ]);
      expect(first.answer).toBe('The answer is \\boxed{4}.');
      expect(second.answer).toBe(first.answer);
      expect(first.model).toMatchObject({ modelId: shortModel, provider: 'cpu', threads: 1 });
      // a second load would have measured its own time and the memory free at that moment
      expect(second.model).toEqual(first.model);
      expect((await engineLoaded()).filter((m) => m.modelId === shortModel)).toEqual([first.model]);
      const listed = (await services.call('models.list', {})).find((m) => m.id === shortModel);
      expect(listed?.loaded).toMatchObject({ modelId: shortModel, provider: 'cpu', loadMs: first.model.loadMs });
    } finally {
      await services.call('settings.setThreads', { threads: 0 });
    }
  });

  it('streams the thought, its end, then the answer, in order, adding up to the result', async () => {
    const { pieces, result } = await collect(services.generation.start({ modelId: shortModel, messages: QUESTION, settings: GREEDY }));
    const kinds = pieces.map((p) => p.type).filter((type, i, all) => type !== all[i - 1]);
    expect(kinds).toEqual(['reasoning', 'thought', 'answer']);
    const text = (type: string) => pieces.flatMap((p) => (p.type === type && 'text' in p ? [p.text] : [])).join('');
    expect(text('reasoning')).toBe(result.reasoning);
    expect(text('answer')).toBe(result.answer);
    expect(pieces.find((p) => p.type === 'thought')).toEqual({ type: 'thought', ms: result.stats.thinkingMs, tokens: result.stats.thinkingTokens });
    const counts = pieces.filter((p) => p.type !== 'thought').map((p) => p.tokens);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(result.stats).toMatchObject({ finishReason: 'stop', thinkingTokens: 5 });
  });

  it('cancel() stops the engine mid-thought and the result keeps the text so far; an aborted signal does too', async () => {
    const full = LONG_SCRIPT.indexOf('</think>');
    const run = services.generation.start({ modelId: longModel, messages: QUESTION, settings: { ...GREEDY, maxNewTokens: 4096 } });
    const { result } = await collect(run, () => run.cancel());
    expect(result.stats.finishReason).toBe('stopped');
    expect(result.reasoning.startsWith('Alpha')).toBe(true);
    expect(result.reasoning.length).toBeLessThan(full);
    expect(result.answer).toBe('');

    const controller = new AbortController();
    const signalled = services.generation.start({ modelId: longModel, messages: QUESTION, settings: GREEDY, signal: controller.signal });
    const stopped = await collect(signalled, () => controller.abort());
    expect(stopped.result.stats.finishReason).toBe('stopped');
    expect(stopped.result.reasoning.length).toBeLessThan(full);

    // the engine is free again: a next call runs to the end
    const after = await services.generation.start({ modelId: longModel, messages: QUESTION, settings: GREEDY }).result;
    expect(after.answer).toBe('Done.');
  });

  it('a signal aborted before the start rejects as cancelled without running', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = services.generation.start({ modelId: shortModel, messages: QUESTION, signal: controller.signal });
    await expect(run.result).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('a model that fails to load rejects with model_invalid naming the file, and nothing is remembered as loaded', async () => {
    const corrupt = path.join(dataDir, 'corrupt');
    fs.cpSync(shortDir, corrupt, { recursive: true });
    const model = await services.call('models.add', { path: corrupt, name: 'corrupt' });
    fs.truncateSync(path.join(corrupt, 'onnx', 'model.onnx_data'), 1000);
    const run = services.generation.start({ modelId: model.id, messages: QUESTION, settings: GREEDY });
    await expect(run.result).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('model.onnx_data') });
    expect((await services.call('models.list', {})).find((m) => m.id === model.id)?.loaded).toBeUndefined();
  });

  it('refuses a model that is not registered at once, saying how to add one', () => {
    expect(() => services.generation.start({ modelId: 'nope', messages: QUESTION })).toThrow(
      expect.objectContaining({ code: 'not_found', message: expect.stringMatching(/no model with id nope.*models add/) }),
    );
  });
});
