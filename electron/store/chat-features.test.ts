// Migration 005: message versions as a tree, the chat's leaf, full-text search, Compare sessions and votes.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ftsQuery } from './chats';
import { migrate, migrations, openDatabase, type Store } from './index';

const opened: Store[] = [];
function open(): Store {
  const store = openDatabase(':memory:');
  opened.push(store);
  return store;
}
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

/** A chat "Q1 → A1 → Q2 → A2" with a second version of A2 and an edited Q2' → A2'. */
function branchyChat(store: Store) {
  const chat = store.chats.create({ title: 'Branches' });
  const say = (role: 'user' | 'assistant', content: string, parentId?: string) =>
    store.messages.create({ chatId: chat.id, role, content, parentId });
  const q1 = say('user', 'first question');
  const a1 = say('assistant', 'first answer', q1.id);
  const q2 = say('user', 'second question', a1.id);
  const a2 = say('assistant', 'second answer', q2.id);
  const a2b = say('assistant', 'second answer, again', q2.id);
  const q2edit = say('user', 'second question, edited', a1.id);
  const a2edit = say('assistant', 'answer to the edit', q2edit.id);
  return { chat, q1, a1, q2, a2, a2b, q2edit, a2edit };
}

describe('message versions', () => {
  it('walks a branch from its leaf and lists the versions of a message', () => {
    const store = open();
    const m = branchyChat(store);
    expect(store.messages.path(m.a2b.id).map((x) => x.content)).toEqual(['first question', 'first answer', 'second question', 'second answer, again']);
    expect(store.messages.path(m.a2edit.id).map((x) => x.id)).toEqual([m.q1.id, m.a1.id, m.q2edit.id, m.a2edit.id]);
    expect(store.messages.versions(m.a2).map((x) => x.id)).toEqual([m.a2.id, m.a2b.id]);
    expect(store.messages.versions(m.q2).map((x) => x.id)).toEqual([m.q2.id, m.q2edit.id]);
    expect(store.messages.versions(m.q1).map((x) => x.id)).toEqual([m.q1.id]);
    expect(store.messages.path(undefined)).toEqual([]);
  });

  it('finds the newest leaf under a version, and deleting a message deletes what follows it only', () => {
    const store = open();
    const m = branchyChat(store);
    expect(store.messages.newestUnder(m.q2.id)).toBe(m.a2b.id);
    expect(store.messages.newestUnder(m.a1.id)).toBe(m.a2edit.id);
    expect(store.messages.remove(m.q2.id)).toBe(true);
    expect(store.messages.listByChat(m.chat.id).map((x) => x.id)).toEqual([m.q1.id, m.a1.id, m.q2edit.id, m.a2edit.id]);
  });

  it('migrates an existing chat into one straight branch with its last message as leaf', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations.slice(0, 1));
    db.prepare("INSERT INTO chats VALUES ('c', 'Old chat', NULL, 1, 1)").run();
    const insert = db.prepare("INSERT INTO messages (id, chat_id, role, content, created_at, updated_at) VALUES (?, 'c', ?, ?, ?, ?)");
    insert.run('u1', 'user', 'hello there', 10, 10);
    insert.run('a1', 'assistant', 'general kenobi', 10, 10); // same millisecond: insertion order decides
    insert.run('u2', 'user', 'again', 20, 20);
    migrate(db);
    const parents = db.prepare('SELECT id, parent_id FROM messages ORDER BY rowid').all();
    expect(parents).toEqual([
      { id: 'u1', parent_id: null },
      { id: 'a1', parent_id: 'u1' },
      { id: 'u2', parent_id: 'a1' },
    ]);
    expect(db.prepare("SELECT leaf_id FROM chats WHERE id = 'c'").pluck().get()).toBe('u2');
    // rows that existed before the migration are searchable
    expect(db.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'kenobi'").all()).toHaveLength(1);
    db.close();
  });
});

describe('search', () => {
  it('finds words in titles and in finished messages, not in a reply still streaming', () => {
    const store = open();
    const m = branchyChat(store);
    const other = store.chats.create({ title: 'Pelican facts' });
    const live = store.messages.create({ chatId: other.id, role: 'assistant', status: 'streaming', content: 'albatross soon' });
    expect(store.chats.search('pelican')).toEqual([
      expect.objectContaining({ chatId: other.id, title: 'Pelican facts', snippet: '\u0002Pelican\u0003 facts' }),
    ]);
    expect(store.chats.search('albatross')).toEqual([]);
    store.messages.update(live.id, { status: 'complete', content: 'the albatross glides' });
    expect(store.chats.search('albatross')).toEqual([
      expect.objectContaining({ chatId: other.id, messageId: live.id, role: 'assistant', snippet: 'the \u0002albatross\u0003 glides' }),
    ]);
    expect(store.chats.search('again').map((h) => h.messageId)).toEqual([m.a2b.id]);
    expect(store.chats.search('edit').map((h) => h.messageId).sort()).toEqual([m.q2edit.id, m.a2edit.id].sort());
  });

  it('forgets deleted messages and chats, renamed titles, and takes operators literally', () => {
    const store = open();
    const m = branchyChat(store);
    store.messages.remove(m.q2.id); // cascades to both versions of its answer
    expect(store.chats.search('again')).toEqual([]);
    store.chats.update(m.chat.id, { title: 'Renamed thread' });
    expect(store.chats.search('branches')).toEqual([]);
    expect(store.chats.search('renamed')).toHaveLength(1);
    expect(store.chats.search('NOT "first OR *')).toEqual(expect.any(Array));
    expect(ftsQuery('a "b" -c')).toBe('"a"* "b"* "c"*');
    expect(ftsQuery(' ?! ')).toBeUndefined();
    store.chats.remove(m.chat.id);
    expect(store.chats.search('first')).toEqual([]);
    expect(store.db.prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'first'").pluck().get()).toBe(0);
  });
});

describe('instructions, compare sessions and votes', () => {
  it('keeps instructions and the leaf on the chat', () => {
    const store = open();
    const chat = store.chats.create({ title: 'Math' });
    expect(store.chats.setInstructions(chat.id, 'Be brief.')?.instructions).toBe('Be brief.');
    expect(store.chats.setInstructions(chat.id, null)?.instructions).toBeUndefined();
    const q = store.messages.create({ chatId: chat.id, role: 'user', content: 'q' });
    store.chats.setLeaf(chat.id, q.id);
    expect(store.chats.get(chat.id)?.leafId).toBe(q.id);
  });

  it('saves compare sessions and keeps them when a side chat is deleted', () => {
    const store = open();
    const left = store.chats.create({ title: 'L' });
    const right = store.chats.create({ title: 'R' });
    const session = store.compare.create({ title: 'Sum', leftChatId: left.id, rightChatId: right.id, expectedAnswer: '4' });
    expect(store.compare.update(session.id, { expectedAnswer: null })?.expectedAnswer).toBeUndefined();
    store.chats.remove(right.id);
    expect(store.compare.get(session.id)).toMatchObject({ leftChatId: left.id, title: 'Sum' });
    expect(store.compare.get(session.id)?.rightChatId).toBeUndefined();
    expect(store.compare.list().map((s) => s.id)).toEqual([session.id]);
  });

  it('saves a vote and its samples, replacing a sample written twice', () => {
    const store = open();
    const chat = store.chats.create({ title: 'V' });
    const vote = store.votes.create({ chatId: chat.id, modelId: 'm', prompt: [{ role: 'user', content: '2+2?' }], samples: 3 });
    store.votes.setJob(vote.id, 'job-1');
    store.votes.saveSample(vote.id, { index: 1, seed: 11, reasoning: 'r', content: '\\boxed{4}', status: 'complete' });
    store.votes.saveSample(vote.id, { index: 0, seed: 10, reasoning: 'r', content: 'x', status: 'error', error: 'boom' });
    store.votes.saveSample(vote.id, { index: 0, seed: 10, reasoning: 'r', content: '\\boxed{5}', status: 'complete' });
    expect(store.votes.byJob('job-1')?.id).toBe(vote.id);
    expect(store.votes.samples(vote.id).map((s) => [s.index, s.content])).toEqual([[0, '\\boxed{5}'], [1, '\\boxed{4}']]);
    expect(() => store.votes.create({ chatId: chat.id, modelId: 'm', prompt: [], samples: 65 })).toThrow(/CHECK/);
  });
});
