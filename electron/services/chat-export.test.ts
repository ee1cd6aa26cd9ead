/** Chats → canonical traces: finished replies with reasoning become traces, earlier turns answers-only; the CLI too. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../cli/index';
import { ExportTracesOutput } from '../contract/traces';
import { openDatabase, type Store } from '../store';
import { CanonicalTrace, checkTraces } from '../traces';
import { exportChatTraces } from './chat-export';
import { dataPaths } from './paths';

const dir = mkdtempSync(join(tmpdir(), 'distillery-chat-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two chats: a two-turn conversation (second reply with an earlier turn) and one with replies that must be left out. */
function fill(store: Store): { math: string; broken: string } {
  const math = store.chats.create({ title: 'Math' }).id;
  const say = (chatId: string, role: 'user' | 'assistant', content: string, extra: { reasoning?: string; status?: 'complete' | 'stopped' | 'error' } = {}) =>
    store.messages.create({ chatId, role, content, status: extra.status ?? 'complete', reasoning: extra.reasoning });
  say(math, 'user', 'What is 2 + 2?');
  say(math, 'assistant', 'The answer is \\boxed{4}.', { reasoning: 'Two and two make four.' });
  say(math, 'user', 'And doubled?');
  say(math, 'assistant', '8', { reasoning: 'Four times two.' });
  const broken = store.chats.create({ title: 'Broken' }).id;
  say(broken, 'user', 'Tell me a story.');
  say(broken, 'assistant', 'Once upon', { reasoning: 'A story…', status: 'stopped' });
  say(broken, 'user', 'No thinking?');
  say(broken, 'assistant', 'Right.', { reasoning: '' });
  say(broken, 'user', 'Last one');
  say(broken, 'assistant', 'Done.', { reasoning: 'ok' });
  return { math, broken };
}

describe('chats.exportTraces', () => {
  it('turns finished replies with reasoning into canonical traces, with the earlier turns answers-only', () => {
    const store = openDatabase(':memory:');
    const { math, broken } = fill(store);
    const result = ExportTracesOutput.parse(exportChatTraces(store, [math, broken]));
    expect(result).toMatchObject({ chats: 2, traces: 3, skipped: 2 });
    const traces = result.jsonl.trimEnd().split('\n').map((l) => CanonicalTrace.parse(JSON.parse(l)));
    expect(traces[0]).toEqual({ question: 'What is 2 + 2?', reasoning: 'Two and two make four.', answer: 'The answer is \\boxed{4}.', source: { file: `chat:${math}`, row: 1 } });
    expect(traces[1]).toMatchObject({ question: 'And doubled?', turns: [{ role: 'user', content: 'What is 2 + 2?' }, { role: 'assistant', content: 'The answer is \\boxed{4}.' }] });
    // turns are the history the model saw (the chat's own rule: a stopped reply with an answer stays in it)
    expect(traces[2]).toMatchObject({ question: 'Last one', answer: 'Done.', turns: [
      { role: 'user', content: 'Tell me a story.' }, { role: 'assistant', content: 'Once upon' },
      { role: 'user', content: 'No thinking?' }, { role: 'assistant', content: 'Right.' },
    ] });
    expect(exportChatTraces(store).chats).toBe(2);
    expect(() => exportChatTraces(store, ['nope'])).toThrow(/No chat with id nope/);
    store.close();
  });

  it('distillery chats export writes the JSONL, which the importer reads back as canonical traces', async () => {
    const home = join(dir, 'home');
    const store = openDatabase(dataPaths(home).db);
    const { math } = fill(store);
    store.close();
    const out = join(dir, 'chats.jsonl');
    const previous = process.env.DISTILLERY_HOME;
    process.env.DISTILLERY_HOME = home;
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['node', 'distillery', 'chats', 'export', '--chat', math, '--out', out])).toBe(0);
      writeFileSync(join(dir, 'keep.jsonl'), 'mine');
      expect(await runCli(['node', 'distillery', 'chats', 'export', '--out', join(dir, 'keep.jsonl')])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/keep\.jsonl exists: choose another --out, or add --force/);
      expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain(`Wrote 2 traces from 1 chat(s) to ${out}`);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      if (previous === undefined) delete process.env.DISTILLERY_HOME;
      else process.env.DISTILLERY_HOME = previous;
    }
    expect(readFileSync(join(dir, 'keep.jsonl'), 'utf8')).toBe('mine');
    const report = await checkTraces([out]);
    expect(report).toMatchObject({ records: 2, accepted: 2, examples: 2, byFormat: { plain: 2 } });
  });
});
