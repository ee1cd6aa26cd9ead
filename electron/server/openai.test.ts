// The OpenAI-compatible API of headless mode, driven by the official `openai` npm client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NEW_TOKENS } from '../contract/inference';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { scriptedOnnxModel } from '../testing/model-folders';
import { createServices, type Services } from '../services';
import { startServer, type RunningServer } from './server';

let dataDir: string;
let modelDir: string;
let engine: EngineHost;
let services: Services;
let server: RunningServer;
let client: OpenAI;

beforeAll(async () => {
  modelDir = await scriptedOnnxModel();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-openai-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner() });
  services = createServices({ dataDir, engineHost: engine, transport: 'http' });
  await engine.start();
  await services.call('models.add', { path: modelDir, name: 'r1-scripted' });
  server = await startServer({ services, port: 0 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.token, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await server?.close();
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

type ReasoningDelta = { content?: string | null; reasoning_content?: string };

describe('OpenAI-compatible API', () => {
  it('lists the models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['r1-scripted']);
    expect(models.data[0].owned_by).toBe('distillery');
  });

  it('streams reasoning_content then content, with usage counting reasoning tokens', async () => {
    const stream = await client.chat.completions.create({
      model: 'r1-scripted',
      messages: [{ role: 'user', content: 'What is 2+2?' }],
      stream: true,
      temperature: 0,
      stream_options: { include_usage: true },
    });
    const kinds: string[] = [];
    let reasoning = '';
    let content = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta as ReasoningDelta;
      if (delta.reasoning_content) {
        reasoning += delta.reasoning_content;
        kinds.push('r');
      }
      if (delta.content) {
        content += delta.content;
        kinds.push('c');
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(reasoning).toBe('Let me add.');
    expect(content).toBe('The answer is \\boxed{4}.');
    expect(kinds.join('')).toMatch(/^r+c+$/);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(5);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it('answers without streaming, reasoning_content in the message', async () => {
    const completion = await client.chat.completions.create({
      model: 'r1-scripted',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] },
      ],
      temperature: 0,
    });
    const message = completion.choices[0].message as typeof completion.choices[0]['message'] & { reasoning_content?: string };
    expect(message.content).toBe('The answer is \\boxed{4}.');
    expect(message.reasoning_content).toBe('Let me add.');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(5);
  });

  it('reports length when max_tokens cuts the thought', async () => {
    const completion = await client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(2);
    expect(completion.choices[0].message.content).toBe('');
  });

  it('rejects a wrong key and an unknown model', async () => {
    const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('refuses max_tokens beyond what a reply can generate with a 400 naming the limit, streamed or not', async () => {
    for (const stream of [false, true]) {
      const tooMany = client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100_000, stream });
      await expect(tooMany).rejects.toMatchObject({ status: 400, message: expect.stringContaining(`at most ${MAX_NEW_TOKENS}`) });
    }
    await expect(
      client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: MAX_NEW_TOKENS + 1 }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('maps engine errors to HTTP statuses by code: a corrupt model folder is a 422, not a 500', async () => {
    const corrupt = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-openai-corrupt-'));
    try {
      fs.cpSync(modelDir, corrupt, { recursive: true });
      await services.call('models.add', { path: corrupt, name: 'r1-corrupt' });
      fs.truncateSync(path.join(corrupt, 'onnx', 'model.onnx_data'), 1000);
      await expect(
        client.chat.completions.create({ model: 'r1-corrupt', messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toMatchObject({ status: 422, code: 'model_invalid' });
    } finally {
      fs.rmSync(corrupt, { recursive: true, force: true });
    }
  });
});
