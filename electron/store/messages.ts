/** Repository of the messages table. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, toJson } from './json';

export type MessageRole = 'system' | 'user' | 'assistant';
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'error' | 'interrupted';

export interface MessageRecord {
  id: string;
  chatId: string;
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

const toRecord = (row: MessageRow): MessageRecord =>
  compact({
    id: row.id,
    chatId: row.chat_id,
    role: row.role,
    content: row.content,
    reasoning: row.reasoning ?? undefined,
    status: row.status,
    stats: fromJson<Record<string, unknown>>(row.stats),
    error: row.error ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

export function messagesRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO messages (id, chat_id, role, content, reasoning, status, stats, error, created_at, updated_at)
       VALUES (@id, @chat_id, @role, @content, @reasoning, @status, @stats, NULL, @now, @now)`,
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
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
    interruptStreaming(): number {
      return statements.interruptStreaming.run(Date.now()).changes;
    },
  };
}
export type MessagesRepository = ReturnType<typeof messagesRepository>;
