/** Repository of the messages table. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, fromRow, toJson } from './json';

export type MessageRole = 'system' | 'user' | 'assistant';
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'error' | 'interrupted';

export interface MessageRecord {
  id: string;
  chatId: string;
  /** The message this one follows; absent for a chat's first message (or first versions of it). */
  parentId?: string;
  role: MessageRole;
  content: string;
  reasoning?: string;
  status: MessageStatus;
  stats?: Record<string, unknown>;
  error?: string;
  createdAt: number;
  updatedAt: number;
}

interface MessageRow {
  id: string;
  chat_id: string;
  parent_id: string | null;
  role: MessageRole;
  content: string;
  reasoning: string | null;
  status: MessageStatus;
  stats: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface NewMessage {
  chatId: string;
  parentId?: string;
  role: MessageRole;
  content?: string;
  reasoning?: string;
  status?: MessageStatus;
  stats?: Record<string, unknown>;
  id?: string;
}

export interface MessagePatch {
  content?: string;
  reasoning?: string;
  status?: MessageStatus;
  stats?: Record<string, unknown>;
  error?: string;
}

const toRecord = (row: MessageRow): MessageRecord => compact({ ...fromRow(row), stats: fromJson<Record<string, unknown>>(row.stats) });

export function messagesRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO messages (id, chat_id, parent_id, role, content, reasoning, status, stats, error, created_at, updated_at)
       VALUES (@id, @chat_id, @parent_id, @role, @content, @reasoning, @status, @stats, NULL, @now, @now)`,
    ),
    /** The branch that ends at a message, first message first. */
    path: db.prepare<[string], MessageRow>(
      `WITH RECURSIVE up (id, depth) AS (
         SELECT ?, 0 UNION ALL SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id WHERE m.parent_id IS NOT NULL
       ) SELECT messages.* FROM up JOIN messages ON messages.id = up.id ORDER BY up.depth DESC`,
    ),
    /** Versions of a message: the messages that follow the same parent, oldest first. */
    siblings: db.prepare<[string, string | null], MessageRow>(
      'SELECT * FROM messages WHERE chat_id = ? AND parent_id IS ? ORDER BY created_at, rowid',
    ),
    /** The newest message under a message (itself included): a leaf, since a reply is always newer than its question. */
    newestUnder: db.prepare<[string], { id: string }>(
      `WITH RECURSIVE sub (id) AS (SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
       SELECT messages.id FROM sub JOIN messages ON messages.id = sub.id ORDER BY messages.created_at DESC, messages.rowid DESC LIMIT 1`,
    ),
    byId: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    byChat: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE chat_id = ? ORDER BY created_at, rowid'),
    update: db.prepare(
      `UPDATE messages SET content = @content, reasoning = @reasoning, status = @status, stats = @stats,
       error = @error, updated_at = @now WHERE id = @id`,
    ),
    remove: db.prepare<[string]>('DELETE FROM messages WHERE id = ?'),
    /** After a crash nothing is streaming any more: keep the partial text, mark it. */
    interruptStreaming: db.prepare<[number]>(
      "UPDATE messages SET status = 'interrupted', updated_at = ? WHERE status = 'streaming'",
    ),
  };

  return {
    create(input: NewMessage): MessageRecord {
      const id = input.id ?? randomUUID();
      statements.insert.run({
        id,
        chat_id: input.chatId,
        parent_id: input.parentId ?? null,
        role: input.role,
        content: input.content ?? '',
        reasoning: input.reasoning ?? null,
        status: input.status ?? 'complete',
        stats: toJson(input.stats),
        now: Date.now(),
      });
      return this.get(id)!;
    },
    get(id: string): MessageRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    listByChat(chatId: string): MessageRecord[] {
      return statements.byChat.all(chatId).map(toRecord);
    },
    /** The branch from the chat's first message to `leafId` (empty when there is no such message). */
    path(leafId: string | undefined): MessageRecord[] {
      return leafId ? statements.path.all(leafId).map(toRecord) : [];
    },
    /** The versions of a message (itself among them), oldest first. */
    versions(message: MessageRecord): MessageRecord[] {
      return statements.siblings.all(message.chatId, message.parentId ?? null).filter((m) => m.role === message.role).map(toRecord);
    },
    newestUnder(id: string): string | undefined {
      return statements.newestUnder.get(id)?.id;
    },
    update(id: string, patch: MessagePatch): MessageRecord | undefined {
      const message = this.get(id);
      if (!message) return undefined;
      const next = { ...message, ...patch };
      statements.update.run({
        id,
        content: next.content,
        reasoning: next.reasoning ?? null,
        status: next.status,
        stats: toJson(next.stats),
        error: next.error ?? null,
        now: Date.now(),
      });
      return this.get(id);
    },
    /** Deletes the message and (by foreign key cascade) every message that follows it in any branch. */
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
    interruptStreaming(): number {
      return statements.interruptStreaming.run(Date.now()).changes;
    },
  };
}
export type MessagesRepository = ReturnType<typeof messagesRepository>;
