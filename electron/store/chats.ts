/** Repository of the chats table. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact } from './json';

export interface ChatRecord {
  id: string;
  title: string;
  modelId?: string;
  createdAt: number;
  updatedAt: number;
}

interface ChatRow {
  id: string;
  title: string;
  model_id: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: ChatRow): ChatRecord =>
  compact({ id: row.id, title: row.title, modelId: row.model_id ?? undefined, createdAt: row.created_at, updatedAt: row.updated_at });

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
    /** Deletes the chat and (by foreign key cascade) its messages. */
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
  };
}
export type ChatsRepository = ReturnType<typeof chatsRepository>;
