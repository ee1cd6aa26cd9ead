// The OpenAI-compatible API of headless mode, driven by the official `openai` npm client.
import fs from 'node:fs';
import http from 'node:http';
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

  it('honours stop: the answer ends before the first stop sequence, streamed or not', async () => {
    const plain = await client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], stop: ['boxed', 'zzz'] });
    expect(plain.choices[0].message.content).toBe('The answer is \\');
    expect(plain.choices[0].finish_reason).toBe('stop');
    const stream = await client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], stop: 'answer is', stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('The ');
    expect(finish).toBe('stop');
  });

  it('refuses n > 1, tools and response_format with a 400 naming the parameter, never a silent subset', async () => {
    const base = { model: 'r1-scripted', messages: [{ role: 'user' as const, content: 'hi' }] };
    await expect(client.chat.completions.create({ ...base, n: 2 })).rejects.toMatchObject({ status: 400, param: 'n', message: expect.stringMatching(/n = 2 is not supported/) });
    const tool = { type: 'function' as const, function: { name: 'add', parameters: { type: 'object', properties: {} } } };
    await expect(client.chat.completions.create({ ...base, tools: [tool] })).rejects.toMatchObject({ status: 400, param: 'tools', message: expect.stringMatching(/not supported/) });
    await expect(client.chat.completions.create({ ...base, response_format: { type: 'json_object' } })).rejects.toMatchObject({ status: 400, param: 'response_format', message: expect.stringMatching(/not supported/) });
    const fine = await client.chat.completions.create({ ...base, n: 1, response_format: { type: 'text' } });
    expect(fine.choices).toHaveLength(1);
  });

  it('answers /v1 errors in OpenAI’s shape with type and param: malformed JSON, 413, bad fields, 401', async () => {
    const post = (body: string, key = server.token) =>
      fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body });
    const malformed = await post('{"model": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { message: expect.stringMatching(/not valid JSON/), type: 'invalid_request_error', param: null, code: 'bad_request' } });
    const huge = await post(JSON.stringify({ model: 'r1-scripted', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: 'too_large' } });
    const badRole = await post(JSON.stringify({ model: 'r1-scripted', messages: [{ role: 'robot', content: 'hi' }] }));
    expect(await badRole.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages[0].role' } });
    const unauthorized = await post('{}', 'wrong');
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: 'unauthorized' } });
  });

  it('a prompt longer than the model’s context is a 400 naming both lengths', async () => {
    const [model] = await services.call('models.list', {});
    await services.call('models.unload', { modelId: model.id });
    await services.call('models.load', { modelId: model.id, contextLength: 64 });
    const long = 'many words '.repeat(100);
    await expect(client.chat.completions.create({ model: 'r1-scripted', messages: [{ role: 'user', content: long }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/The prompt has \d+ tokens but the model was loaded with a \d+-token context/),
    });
  });

  it('a client gone before its generation would start never starts one (its close event has already fired)', async () => {
    const call = services.call.bind(services);
    const start = services.generation.start.bind(services.generation);
    const started: string[] = [];
    let clientLeft!: () => void;
    const left = new Promise<void>((resolve) => (clientLeft = resolve));
    // the request is read; the client leaves while the model is being looked up
    services.call = (async (method: string, input: unknown) => {
      if (method === 'models.list') await left;
      return call(method as never, input as never);
    }) as typeof services.call;
    services.generation.start = ((request: Parameters<typeof start>[0]) => {
      started.push(request.modelId);
      return start(request);
    }) as typeof start;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      const request = http.request(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      });
      request.on('error', () => undefined);
      request.end(JSON.stringify({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 32768 }));
      await pause(300);
      request.destroy();
      await pause(300);
      clientLeft();
      await pause(500);
      expect(started).toEqual([]);
    } finally {
      services.call = call;
      services.generation.start = start;
    }
  });

  it('streams waiting for the engine get heartbeats; on shutdown every open stream ends with an error event and [DONE]', async () => {
    const second = await startServer({ services, port: 0, heartbeatMs: 50 });
    const restarted = engine.restart(); // the request below waits for the new engine: a queued stream
    const response = await fetch(`${second.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${second.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 32768 }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes(': heartbeat')) text += decoder.decode((await reader.read()).value);
    await second.close();
    await restarted;
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += decoder.decode(part.value);
    const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    expect(JSON.parse(events.at(-2)!)).toMatchObject({ error: { code: 'server_shutdown', type: 'server_error' } });
  }, 120_000);

  it('a stream asked for while the engine is down is refused with 503 before any stream starts', async () => {
    await engine.stop();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'r1-scripted', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toMatchObject({ error: { type: 'server_error', code: 'engine_stopped' } });
  });
});
