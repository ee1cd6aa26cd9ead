import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../electron/contract/inference';
import { applyMessage, emptyConversation } from './chatMessages';
import { replaceBranch, snippetParts, textToCopy, versionPosition } from './messageVersions';

const msg = (id: string, role: ChatMessage['role'], parentId?: string, over: Partial<ChatMessage> = {}): ChatMessage => ({
  id, chatId: 'c1', role, content: `${id} text`, status: 'complete', createdAt: 100, updatedAt: 100,
  ...(parentId ? { parentId } : {}),
  ...over,
});

const branch = [
  msg('q1', 'user', undefined, { createdAt: 100 }),
  msg('a1', 'assistant', 'q1', { createdAt: 110 }),
  msg('q2', 'user', 'a1', { createdAt: 120 }),
  msg('a2', 'assistant', 'q2', { createdAt: 130 }),
];

describe('replaceBranch', () => {
  it('keeps the branch for a message that continues it', () => {
    expect(replaceBranch(branch, msg('q3', 'user', 'a2'))).toBe(branch);
  });
  it('drops the old reply when a regenerated one arrives for the same question', () => {
    expect(replaceBranch(branch, msg('a2b', 'assistant', 'q2', { versionIds: ['a2', 'a2b'] })).map((m) => m.id)).toEqual(['q1', 'a1', 'q2']);
  });
  it('drops the old question and what followed when an edited question arrives', () => {
    expect(replaceBranch(branch, msg('q2b', 'user', 'a1', { versionIds: ['q2', 'q2b'] })).map((m) => m.id)).toEqual(['q1', 'a1']);
    expect(replaceBranch(branch, msg('q1b', 'user', undefined, { versionIds: ['q1', 'q1b'] }))).toEqual([]);
  });
  it('leaves known messages and versions not on screen alone', () => {
    expect(replaceBranch(branch, msg('a1', 'assistant', 'q1', { versionIds: ['a1', 'zz'] }))).toBe(branch);
    expect(replaceBranch(branch, msg('x', 'assistant', 'elsewhere', { versionIds: ['y', 'x'] }))).toBe(branch);
  });
  it('is what applyMessage does with a new version, which then shows in place of the old one', () => {
    let s = emptyConversation('c1');
    for (const m of branch) s = applyMessage(s, m, 0);
    s = applyMessage(s, msg('a2b', 'assistant', 'q2', { status: 'streaming', createdAt: 200, versionIds: ['a2', 'a2b'] }), 0);
    expect(s.messages.map((m) => m.id)).toEqual(['q1', 'a1', 'q2', 'a2b']);
  });
});

describe('versionPosition', () => {
  it('says where a version stands, with its neighbours', () => {
    expect(versionPosition(msg('b', 'assistant', 'q', { versionIds: ['a', 'b', 'c'] }))).toEqual({ index: 2, count: 3, previousId: 'a', nextId: 'c' });
    expect(versionPosition(msg('a', 'assistant', 'q', { versionIds: ['a', 'b'] }))).toEqual({ index: 1, count: 2, previousId: undefined, nextId: 'b' });
    expect(versionPosition(msg('a', 'assistant', 'q'))).toBeUndefined();
  });
});

describe('textToCopy', () => {
  const reply = msg('a', 'assistant', 'q', { reasoning: ' Let me add. ', content: 'It is \\boxed{4}.' });
  it('copies the answer, the thinking, or both', () => {
    expect(textToCopy(reply, 'answer')).toBe('It is \\boxed{4}.');
    expect(textToCopy(reply, 'thinking')).toBe('Let me add.');
    expect(textToCopy(reply, 'both')).toBe('<think>\nLet me add.\n</think>\n\nIt is \\boxed{4}.');
    expect(textToCopy({ ...reply, reasoning: '' }, 'both')).toBe('It is \\boxed{4}.');
    expect(textToCopy(msg('q', 'user'), 'both')).toBe('q text');
  });
});

describe('snippetParts', () => {
  it('splits matches out of a snippet, as text', () => {
    expect(snippetParts('the \u0002albatross\u0003 <b>glides</b>')).toEqual([
      { text: 'the ', match: false },
      { text: 'albatross', match: true },
      { text: ' <b>glides</b>', match: false },
    ]);
    expect(snippetParts('no match')).toEqual([{ text: 'no match', match: false }]);
  });
});
