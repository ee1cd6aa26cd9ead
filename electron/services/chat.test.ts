// models.* and chats.* over a real engine process running a scripted model (greedy output = a known text).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatDelta, ChatMessage } from '../contract/inference';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { scriptedOnnxModel } from '../testing/model-folders';
import type { MessageRecord } from '../store';
import { historyFor } from './chat';
import { createServices, type Services } from './index';

const LONG_SCRIPT =
  'Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo ' +
  'sierra tango uniform victor whiskey xray yankee zulu apple banana cherry elderberry fig grape honeydew kiwi lemon ' +
  'mango nectarine orange peach quince raspberry strawberry tangerine.\n</think>\n\nDone.';
const GREEDY = { temperature: 0 };

let dataDir: string;
let engine: EngineHost;
let services: Services;
let shortModel: string;
let longModel: string;

function open(): Services {
  return createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0-test' });
}

async function waitFor(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends and collects the reply's deltas and final message; `onFirstDelta` runs once, mid-stream. */
async function sendAndCollect(chatId: string, content: string, onFirstDelta?: (messageId: string) => void) {
  const deltas: ChatDelta[] = [];
  let final: ChatMessage | undefined;
  let fired = false;
  const offDelta = services.events.on('chat.delta', (d) => {
    if (d.chatId !== chatId) return;
    deltas.push(d);
    if (!fired && onFirstDelta) {
      fired = true;
      onFirstDelta(d.messageId);
    }
  });
  const offMessage = services.events.on('chat.message', (m) => {
    if (m.chatId === chatId && m.role === 'assistant' && m.status !== 'streaming') final = m;
  });
  const sent = await services.call('chats.send', { chatId, content, settings: GREEDY });
  await waitFor(() => final !== undefined);
  offDelta();
  offMessage();
  return { sent, deltas, final: final! };
}

beforeAll(async () => {
  [shortModel, longModel] = await Promise.all([scriptedOnnxModel(), scriptedOnnxModel(LONG_SCRIPT)]);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-chat-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = open();
  await engine.start();
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('models registry', () => {
  it('refuses a corrupt folder with an error naming the file', async () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-broken-'));
    fs.cpSync(shortModel, broken, { recursive: true });
    fs.truncateSync(path.join(broken, 'onnx', 'model.onnx_data'), 1000);
    await expect(services.call('models.add', { path: broken })).rejects.toMatchObject({ code: 'model_invalid' });
    await expect(services.call('models.add', { path: broken })).rejects.toThrow(/Weight file truncated: .*model\.onnx_data/);
    fs.rmSync(broken, { recursive: true, force: true });
  });

  it('adds, lists, loads (reporting provider and dtype) and removes', async () => {
    const added = await services.call('models.add', { path: shortModel, name: 'scripted' });
    expect(added).toMatchObject({ name: 'scripted', arch: 'qwen2', dtype: 'fp32', dtypes: ['fp32'], source: 'imported' });
    expect(await services.call('models.add', { path: shortModel })).toMatchObject({ id: added.id }); // idempotent
    const loaded = await services.call('models.load', { modelId: added.id, contextLength: 1024 });
    expect(loaded).toMatchObject({ modelId: added.id, provider: 'cpu', dtype: 'fp32', contextLength: 1024 });
    const listed = await services.call('models.list', {});
    expect(listed.find((m) => m.id === added.id)?.loaded?.provider).toBe('cpu');
    await expect(services.call('models.unload', { modelId: added.id })).resolves.toEqual({ unloaded: true });
    await expect(services.call('models.remove', { modelId: added.id })).resolves.toEqual({ removed: true });
    expect(await services.call('models.list', {})).toEqual([]);
    expect(fs.existsSync(shortModel)).toBe(true);
  });
});

describe('chats', () => {
  it('streams thinking then the answer, and stores the message with its stats', async () => {
    const model = await services.call('models.add', { path: shortModel });
    const chat = await services.call('chats.create', { modelId: model.id });
    const { sent, deltas, final } = await sendAndCollect(chat.id, 'What is 2+2?');
    expect(sent.assistantMessage.status).toBe('streaming');
    const firstAnswer = deltas.findIndex((d) => d.type === 'answer');
    expect(firstAnswer).toBeGreaterThan(0);
    expect(deltas.slice(0, firstAnswer).every((d) => d.type === 'reasoning')).toBe(true);
    expect(final).toMatchObject({ status: 'complete', reasoning: 'Let me add.', content: 'The answer is \\boxed{4}.' });
    expect(final.stats).toMatchObject({ provider: 'cpu', dtype: 'fp32', finishReason: 'stop', thinkingTokens: 5, modelId: model.id });
    expect(final.stats?.decodeTokensPerSecond).toBeGreaterThan(0);
    // each delta carries its own token count (the engine batches pieces): they add up to the tokens generated, less
    // the end-of-sequence token, which brings no text
    const streamedTokens = deltas.reduce((sum, d) => sum + d.tokens, 0);
    expect(streamedTokens).toBe(final.stats!.completionTokens! - 1);
    // `</think>` is announced once, with the figures the final stats keep (the header does not jump at the end)
    const thoughts = deltas.filter((d) => d.thought);
    expect(thoughts.map((d) => d.thought)).toEqual([{ ms: final.stats!.thinkingMs, tokens: final.stats!.thinkingTokens }]);
    expect(deltas.indexOf(thoughts[0])).toBe(firstAnswer - 1);
    const stored = await services.call('chats.get', { chatId: chat.id });
    expect(stored.chat.title).toBe('What is 2+2?');
    expect(stored.messages.map((m) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'complete']]);
    expect(stored.messages[1].stats?.thinkingTokens).toBe(5);
    // a second turn works (history goes back without the reasoning)
    const second = await sendAndCollect(chat.id, 'And 3+3?');
    expect(second.final.status).toBe('complete');
  });

  it('stops a reply midway: partial text kept, marked stopped, intact after reopening the database', async () => {
    const model = await services.call('models.add', { path: longModel });
    const chat = await services.call('chats.create', { modelId: model.id, title: 'stop test' });
    const { final } = await sendAndCollect(chat.id, 'Say the alphabet.', (messageId) => {
      void services.call('chats.stop', { messageId });
    });
    expect(final.status).toBe('stopped');
    expect(final.reasoning?.startsWith('Alpha')).toBe(true);
    expect(final.reasoning!.length).toBeLessThan(LONG_SCRIPT.indexOf('</think>'));
    expect(final.content).toBe('');
    await services.close();
    services = open();
    const reopened = await services.call('chats.get', { chatId: chat.id });
    expect(reopened.messages[1]).toMatchObject({ status: 'stopped', reasoning: final.reasoning });
  });

  it('kill -9 of the engine mid-stream: the message becomes an error with its partial text, and the engine restarts', async () => {
    const model = (await services.call('models.list', {})).find((m) => m.path === longModel)!;
    const chat = await services.call('chats.create', { modelId: model.id });
    const pid = engine.status().pid!;
    const { final } = await sendAndCollect(chat.id, 'Say it again.', () => process.kill(pid, 'SIGKILL'));
    expect(final.status).toBe('error');
    expect(final.error).toMatch(/engine/i);
    expect(final.reasoning?.startsWith('Alpha')).toBe(true);
    const stored = (await services.call('chats.get', { chatId: chat.id })).messages[1];
    expect(stored).toMatchObject({ status: 'error', reasoning: final.reasoning });
    await waitFor(() => engine.status().state === 'ready' && engine.status().pid !== pid);
    const again = await sendAndCollect(chat.id, 'Once more.');
    expect(again.final.status).toBe('complete');
    expect(again.final.content).toBe('Done.');
  });

  it('refuses unknown chats and a chat without a model', async () => {
    await expect(services.call('chats.get', { chatId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    const chat = await services.call('chats.create', {});
    await expect(services.call('chats.send', { chatId: chat.id, content: 'hi' })).rejects.toThrow(/no model/);
  });

  it('renames a chat (title trimmed) and refuses an empty title', async () => {
    const chat = await services.call('chats.create', { title: 'First' });
    const renamed = await services.call('chats.rename', { chatId: chat.id, title: '  Adding numbers  ' });
    expect(renamed.title).toBe('Adding numbers');
    expect((await services.call('chats.get', { chatId: chat.id })).chat.title).toBe('Adding numbers');
    await expect(services.dispatch('chats.rename', { chatId: chat.id, title: '   ' })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(services.call('chats.rename', { chatId: 'nope', title: 'x' })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('historyFor', () => {
  let clock = 0;
  const message = (role: MessageRecord['role'], content: string, status: MessageRecord['status'] = 'complete'): MessageRecord => ({
    id: `m${++clock}`, chatId: 'c', role, content, status, reasoning: role === 'assistant' ? 'thought' : undefined, createdAt: clock, updatedAt: clock,
  });

  it('replays only finished answers, dropping a failed reply together with the question it answered', () => {
    const history = historyFor([
      message('system', 'Be brief.'),
      message('user', 'q1'),
      message('assistant', 'a1'),
      message('user', 'q2'),
      message('assistant', 'half an ans', 'error'),
      message('user', 'q3'),
      message('assistant', 'partial', 'interrupted'),
      message('user', 'q4'),
      message('assistant', 'stopped early', 'stopped'),
      message('user', 'q5'),
      message('assistant', '', 'stopped'), // stopped while thinking: no answer
      message('user', 'q6'),
      message('assistant', '  ', 'complete'), // the token limit hit inside the thought
    ]);
    expect(history).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q4' },
      { role: 'assistant', content: 'stopped early' },
    ]);
  });

  it('never puts two user turns in a row (a Retry after an error sends the question once)', () => {
    const history = historyFor([message('user', 'q'), message('assistant', 'oops', 'error')]);
    const turns = [...history, { role: 'user', content: 'q' }];
    expect(turns).toEqual([{ role: 'user', content: 'q' }]);
  });
});
