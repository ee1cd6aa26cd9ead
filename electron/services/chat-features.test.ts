// chats.regenerate / edit / selectVersion / deleteMessage / search / exportMarkdown / setInstructions and the Compare
// verdict, over a real engine process running scripted models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATH_INSTRUCTIONS } from '../contract/chat';
import type { ChatMessage } from '../contract/inference';
import { EngineHost } from '../engine/host';
import { nodeEngineSpawner } from '../engine/spawn-node';
import { scriptedOnnxModel } from '../testing/model-folders';
import { historyFor } from './chat';
import { exportFileName } from './chat-markdown';
import { createServices, type Services } from './index';

const GREEDY = { temperature: 0 };
const FIVE = 'Two and three.\n</think>\n\nSo it is $\\boxed{5}$.';
const FIVE_AGAIN = 'Adding.\n</think>\n\nThe sum is \\boxed{\\dfrac{10}{2}}.';

let dataDir: string;
let engine: EngineHost;
let services: Services;
let four: string; // model ids
let five: string;
let fiveAgain: string;

async function finished(messageId: string): Promise<ChatMessage> {
  return new Promise((resolve) => {
    const off = services.events.on('chat.message', (m) => {
      if (m.id === messageId && m.status !== 'streaming') {
        off();
        resolve(m);
      }
    });
  });
}

async function ask(chatId: string, content: string, extra: { modelId?: string } = {}) {
  const sent = await services.call('chats.send', { chatId, content, settings: GREEDY, ...extra });
  const reply = await finished(sent.assistantMessage.id);
  return { question: sent.userMessage, reply };
}

beforeAll(async () => {
  const [a, b, c] = await Promise.all([scriptedOnnxModel(), scriptedOnnxModel(FIVE), scriptedOnnxModel(FIVE_AGAIN)]);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-chatf-'));
  engine = new EngineHost({ spawn: nodeEngineSpawner(), restartDelaysMs: [50] });
  services = createServices({ dataDir, engineHost: engine, transport: 'http', version: '0.0.0-test' });
  await engine.start();
  four = (await services.call('models.add', { path: a, name: 'Four' })).id;
  five = (await services.call('models.add', { path: b, name: 'Five' })).id;
  fiveAgain = (await services.call('models.add', { path: c, name: 'Five again' })).id;
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  await services?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('versions of a message', () => {
  it('regenerate adds a reply beside the old one; edit-and-resend keeps the old branch as a version', async () => {
    const chat = await services.call('chats.create', { modelId: four });
    const first = await ask(chat.id, 'What is 2+2?');
    const second = await ask(chat.id, 'And 2+3?');

    // regenerate the second reply with another model: a new version under the same question
    const regen = await services.call('chats.regenerate', { messageId: second.reply.id, modelId: five, settings: GREEDY });
    const regenerated = await finished(regen.assistantMessage.id);
    expect(regenerated).toMatchObject({ parentId: second.question.id, content: 'So it is $\\boxed{5}$.', versionIds: [second.reply.id, regenerated.id] });
    let view = await services.call('chats.get', { chatId: chat.id });
    expect(view.messages.map((m) => m.id)).toEqual([first.question.id, first.reply.id, second.question.id, regenerated.id]);

    // edit the second question: a new branch; the old question (with both its replies) stays as version 1
    const edited = await services.call('chats.edit', { messageId: second.question.id, content: 'And 3+3?', settings: GREEDY });
    await finished(edited.assistantMessage.id);
    view = await services.call('chats.get', { chatId: chat.id });
    // (the chat's model is Five now: regenerating with another model switches the chat to it)
    expect(view.messages.map((m) => m.content)).toEqual(['What is 2+2?', 'The answer is \\boxed{4}.', 'And 3+3?', 'So it is $\\boxed{5}$.']);
    expect(view.messages[2].versionIds).toEqual([second.question.id, edited.userMessage.id]);

    // back to the first version of the question: its newest reply (the regenerated one) comes back with it
    view = await services.call('chats.selectVersion', { messageId: second.question.id });
    expect(view.messages.map((m) => m.id)).toEqual([first.question.id, first.reply.id, second.question.id, regenerated.id]);
    view = await services.call('chats.selectVersion', { messageId: second.reply.id });
    expect(view.messages.at(-1)?.id).toBe(second.reply.id);

    // a follow-up continues the branch on screen
    const third = await ask(chat.id, 'Thanks');
    expect(third.question.parentId).toBe(second.reply.id);

    // deleting the version on screen shows the newest other version; what followed it goes too
    view = await services.call('chats.deleteMessage', { messageId: second.reply.id });
    expect(view.messages.map((m) => m.id)).toEqual([first.question.id, first.reply.id, second.question.id, regenerated.id]);
    expect(view.messages[3].versionIds).toBeUndefined();
    const all = services.store.messages.listByChat(chat.id).map((m) => m.id);
    expect(all).not.toContain(third.question.id);
    expect(all).toContain(edited.userMessage.id);

    await expect(services.call('chats.regenerate', { messageId: first.question.id })).rejects.toThrow(/Only a reply/);
    await expect(services.call('chats.edit', { messageId: first.reply.id, content: 'x' })).rejects.toThrow(/Only your own/);
  });

  it('history sent to the model follows the branch and carries the instructions in each user turn', async () => {
    const chat = await services.call('chats.create', { modelId: four });
    const plain = await ask(chat.id, 'What is 2+2?');
    const withMath = await services.call('chats.setInstructions', { chatId: chat.id, instructions: `  ${MATH_INSTRUCTIONS} ` });
    expect(withMath.instructions).toBe(MATH_INSTRUCTIONS);
    const regen = await services.call('chats.regenerate', { messageId: plain.reply.id, settings: GREEDY });
    const instructed = await finished(regen.assistantMessage.id);
    // the same question, now with DeepSeek's math line in the user turn: the prompt grew by that line's tokens
    expect(instructed.stats!.promptTokens!).toBeGreaterThan(plain.reply.stats!.promptTokens! + 10);
    expect((await services.call('chats.setInstructions', { chatId: chat.id, instructions: '   ' })).instructions).toBeUndefined();
    const user = (content: string) => ({ role: 'user' as const, content });
    const reply = (content: string) => ({ role: 'assistant' as const, content });
    const now = { createdAt: 0, updatedAt: 0, chatId: 'c', status: 'complete' as const };
    expect(historyFor([{ id: '1', ...now, ...user('q') }, { id: '2', ...now, ...reply('a') }], 'Be brief.')).toEqual([user('q\n\nBe brief.'), reply('a')]);
  });
});

describe('search and export', () => {
  it('finds a word inside an old answer version and a title, and exports the branch as Markdown', async () => {
    const chat = await services.call('chats.create', { modelId: five, title: 'Pelican arithmetic' });
    const { reply } = await ask(chat.id, 'Add two and three');
    await services.call('chats.regenerate', { messageId: reply.id, modelId: four, settings: GREEDY }).then((r) => finished(r.assistantMessage.id));
    const hits = (await services.call('chats.search', { query: 'so it IS' })).filter((h) => h.chatId === chat.id);
    expect(hits).toEqual([expect.objectContaining({ chatId: chat.id, messageId: reply.id, role: 'assistant', snippet: expect.stringContaining('\u0002So\u0003') })]);
    expect((await services.call('chats.search', { query: 'pelican' })).map((h) => [h.chatId, h.messageId])).toEqual([[chat.id, undefined]]);
    expect(await services.call('chats.search', { query: '' })).toEqual([]);

    // the trace export takes every version of a reply, each with the question it answered
    const traces = await services.call('chats.exportTraces', { chatIds: [chat.id] });
    expect(traces.traces).toBe(2);
    expect(traces.jsonl.trim().split('\n').map((line) => JSON.parse(line) as { question: string; answer: string }).map((t) => [t.question, t.answer])).toEqual([
      ['Add two and three', 'So it is $\\boxed{5}$.'],
      ['Add two and three', 'The answer is \\boxed{4}.'],
    ]);

    const exported = await services.call('chats.exportMarkdown', { chatId: chat.id });
    expect(exported.fileName).toBe('pelican-arithmetic.md');
    expect(exported.markdown).toContain('# Pelican arithmetic');
    expect(exported.markdown).toContain('## You\n\nAdd two and three');
    expect(exported.markdown).toMatch(/## Four\n\n\*\*Thinking · 5 tokens · [\d.]+ s\*\*\n\n> Let me add\.\n\nThe answer is \\boxed\{4\}\./);
    expect(exported.markdown).not.toContain('Two and three'); // the other version is not on screen
    expect(exportFileName('../../etc/passwd', 'md')).toBe('etc-passwd.md');
    expect(exportFileName('???', 'md')).toBe('chat.md');
  });
});

describe('compare verdict', () => {
  it('normalises both boxed answers, says whether they agree and checks them against the expected answer', async () => {
    const left = await services.call('chats.create', { modelId: five });
    const right = await services.call('chats.create', { modelId: fiveAgain });
    expect(await services.call('compare.verdict', { leftChatId: left.id, rightChatId: right.id })).toEqual({ ready: false });
    await ask(left.id, 'What is 2+3?');
    const rightTurn = await ask(right.id, 'What is 2+3?');
    const verdict = await services.call('compare.verdict', { leftChatId: left.id, rightChatId: right.id, expectedAnswer: '5' });
    expect(verdict).toMatchObject({
      ready: true,
      agree: true,
      expectedAnswer: '5',
      left: { boxed: '5', normalized: '5', correct: true, modelId: five, thinkingTokens: expect.any(Number), answerTokens: expect.any(Number) },
      right: { boxed: '\\dfrac{10}{2}', normalized: '\\frac{10}{2}', correct: true, modelId: fiveAgain },
    });
    expect(verdict.left!.thinkingRatio).toBeCloseTo(verdict.left!.thinkingTokens! / verdict.left!.answerTokens!);
    expect(verdict.left!.tokensPerSecond).toBeGreaterThan(0);

    // re-run the right side with another model: the verdict follows the version on screen
    const rerun = await services.call('chats.regenerate', { messageId: rightTurn.reply.id, modelId: four, settings: GREEDY });
    await finished(rerun.assistantMessage.id);
    const after = await services.call('compare.verdict', { leftChatId: left.id, rightChatId: right.id, expectedAnswer: '5' });
    expect(after).toMatchObject({ ready: true, agree: false, left: { correct: true }, right: { boxed: '4', correct: false, modelId: four } });

    const saved = await services.call('compare.save', { title: '2+3', leftChatId: left.id, rightChatId: right.id, expectedAnswer: ' 5 ' });
    expect(saved.expectedAnswer).toBe('5');
    const cleared = await services.call('compare.save', { sessionId: saved.id, expectedAnswer: '' });
    expect(cleared.expectedAnswer).toBeUndefined();
    expect((await services.call('compare.list', {})).map((s) => s.id)).toContain(saved.id);
    await expect(services.call('compare.save', { leftChatId: 'missing' })).rejects.toThrow(/no chat/);
    expect(await services.call('compare.delete', { sessionId: saved.id })).toEqual({ deleted: true });
  });
});
