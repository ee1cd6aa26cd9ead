/** Repository of saved Compare sessions: two chats (one per side) and an optional expected answer. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { fromRow } from './json';

export interface CompareSessionRecord {
  id: string;
  title: string;
  leftChatId?: string;
  rightChatId?: string;
  expectedAnswer?: string;
  createdAt: number;
  updatedAt: number;
}

interface CompareRow {
  id: string;
  title: string;
  left_chat_id: string | null;
  right_chat_id: string | null;
  expected_answer: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: CompareRow): CompareSessionRecord => fromRow(row);

export interface CompareSessionPatch {
  title?: string;
  leftChatId?: string | null;
  rightChatId?: string | null;
  expectedAnswer?: string | null;
}

export function compareRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO compare_sessions (id, title, left_chat_id, right_chat_id, expected_answer, created_at, updated_at)
       VALUES (@id, @title, @left, @right, @expected, @now, @now)`,
    ),
    byId: db.prepare<[string], CompareRow>('SELECT * FROM compare_sessions WHERE id = ?'),
    all: db.prepare<[], CompareRow>('SELECT * FROM compare_sessions ORDER BY updated_at DESC, rowid DESC'),
    update: db.prepare(
      `UPDATE compare_sessions SET title = @title, left_chat_id = @left, right_chat_id = @right,
       expected_answer = @expected, updated_at = @now WHERE id = @id`,
    ),
    remove: db.prepare<[string]>('DELETE FROM compare_sessions WHERE id = ?'),
  };

  return {
    create(input: { title: string; leftChatId?: string; rightChatId?: string; expectedAnswer?: string }): CompareSessionRecord {
      const id = randomUUID();
      statements.insert.run({
        id,
        title: input.title,
        left: input.leftChatId ?? null,
        right: input.rightChatId ?? null,
        expected: input.expectedAnswer ?? null,
        now: Date.now(),
      });
      return this.get(id)!;
    },
    get(id: string): CompareSessionRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    list(): CompareSessionRecord[] {
      return statements.all.all().map(toRecord);
    },
    update(id: string, patch: CompareSessionPatch): CompareSessionRecord | undefined {
      const current = this.get(id);
      if (!current) return undefined;
      const pick = <T>(value: T | null | undefined, old: T | undefined) => (value === undefined ? (old ?? null) : value);
      statements.update.run({
        id,
        title: patch.title ?? current.title,
        left: pick(patch.leftChatId, current.leftChatId),
        right: pick(patch.rightChatId, current.rightChatId),
        expected: pick(patch.expectedAnswer, current.expectedAnswer),
        now: Date.now(),
      });
      return this.get(id);
    },
    /** Forgets the session; its two chats stay (they are ordinary chats, listed in Chat). */
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
  };
}
export type CompareRepository = ReturnType<typeof compareRepository>;
