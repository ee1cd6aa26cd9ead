/** Repository of the chats table. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { fromRow } from './json';

export interface ChatRecord {
  id: string;
  title: string;
  modelId?: string;
  /** The last message of the branch on screen (messages form a tree once replies are regenerated or edited). */
  leafId?: string;
  /** Put into the user turns sent to the model (R1 takes no system prompt). */
  instructions?: string;
  createdAt: number;
  updatedAt: number;
}

interface ChatRow {
  id: string;
  title: string;
  model_id: string | null;
  leaf_id: string | null;
  instructions: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: ChatRow): ChatRecord => fromRow(row);

/** One search hit: a chat whose title matched, or a message of it (with a snippet around the match). */
export interface ChatSearchHit {
  chatId: string;
  title: string;
  messageId?: string;
  role?: string;
  /** The matched text with the match between \u0002 and \u0003 (the UI highlights it, as text). */
  snippet: string;
  updatedAt: number;
}

/** A user's words as an FTS5 query: every word must occur (as a prefix), quotes and operators taken literally. */
export function ftsQuery(text: string): string | undefined {
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words.slice(0, 12).map((w) => `"${w}"*`).join(' ');
}

export function chatsRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare<[string, string, string | null, number, number]>(
      'INSERT INTO chats (id, title, model_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    ),
    byId: db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE id = ?'),
    all: db.prepare<[], ChatRow>('SELECT * FROM chats ORDER BY updated_at DESC, rowid DESC'),
    update: db.prepare<[string, string | null, number, string]>(
      'UPDATE chats SET title = ?, model_id = ?, updated_at = ? WHERE id = ?',
    ),
    touch: db.prepare<[number, string]>('UPDATE chats SET updated_at = ? WHERE id = ?'),
    setLeaf: db.prepare<[string | null, string]>('UPDATE chats SET leaf_id = ? WHERE id = ?'),
    setInstructions: db.prepare<[string | null, number, string]>('UPDATE chats SET instructions = ?, updated_at = ? WHERE id = ?'),
    searchTitles: db.prepare<[string, number], { id: string; title: string; snippet: string; updated_at: number }>(
      `SELECT c.id, c.title, highlight(chats_fts, 0, char(2), char(3)) AS snippet, c.updated_at
       FROM chats_fts JOIN chats c ON c.rowid = chats_fts.rowid
       WHERE chats_fts MATCH ? ORDER BY rank LIMIT ?`,
    ),
    searchMessages: db.prepare<
      [string, number],
      { id: string; chat_id: string; role: string; title: string; content_snippet: string; reasoning_snippet: string; updated_at: number }
    >(
      `SELECT m.id, m.chat_id, m.role, c.title,
              snippet(messages_fts, 0, char(2), char(3), '…', 16) AS content_snippet,
              snippet(messages_fts, 1, char(2), char(3), '…', 16) AS reasoning_snippet, c.updated_at
       FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid JOIN chats c ON c.id = m.chat_id
       WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?`,
    ),
    remove: db.prepare<[string]>('DELETE FROM chats WHERE id = ?'),
  };

  return {
    create(input: { title: string; modelId?: string; id?: string; now?: number }): ChatRecord {
      const id = input.id ?? randomUUID();
      const now = input.now ?? Date.now();
      statements.insert.run(id, input.title, input.modelId ?? null, now, now);
      return this.get(id)!;
    },
    get(id: string): ChatRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    list(): ChatRecord[] {
      return statements.all.all().map(toRecord);
    },
    update(id: string, patch: { title?: string; modelId?: string | null }): ChatRecord | undefined {
      const chat = this.get(id);
      if (!chat) return undefined;
      const modelId = patch.modelId === undefined ? (chat.modelId ?? null) : patch.modelId;
      statements.update.run(patch.title ?? chat.title, modelId, Date.now(), id);
      return this.get(id);
    },
    touch(id: string, now = Date.now()): void {
      statements.touch.run(now, id);
    },
    setLeaf(id: string, leafId: string | null): void {
      statements.setLeaf.run(leafId, id);
    },
    setInstructions(id: string, instructions: string | null): ChatRecord | undefined {
      statements.setInstructions.run(instructions, Date.now(), id);
      return this.get(id);
    },
    /** Chats whose title or messages contain every word of `text`; best matches first, titles before messages. */
    search(text: string, limit = 50): ChatSearchHit[] {
      const query = ftsQuery(text);
      if (!query) return [];
      const titles = statements.searchTitles.all(query, limit).map(
        (r): ChatSearchHit => ({ chatId: r.id, title: r.title, snippet: r.snippet, updatedAt: r.updated_at }),
      );
      const messages = statements.searchMessages.all(query, limit).map(
        (r): ChatSearchHit => ({
          chatId: r.chat_id,
          title: r.title,
          messageId: r.id,
          role: r.role,
          snippet: r.content_snippet.includes('\u0002') ? r.content_snippet : r.reasoning_snippet,
          updatedAt: r.updated_at,
        }),
      );
      return [...titles, ...messages].slice(0, limit);
    },
    /** Deletes the chat and (by foreign key cascade) its messages. */
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
  };
}
export type ChatsRepository = ReturnType<typeof chatsRepository>;
