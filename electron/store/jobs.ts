/**
 * Repository of the jobs table (long-running work: conversions, training, downloads, votes, the diagnostics job).
 * A paused job stays paused across restarts; only work that was running when the app stopped becomes interrupted.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, toJson } from './json';

export type JobState = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface JobRecord {
  id: string;
  kind: string;
  state: JobState;
  title: string;
  progress: number;
  message?: string;
  params?: unknown;
  result?: unknown;
  createdAt: number;
  updatedAt: number;
}

interface JobRow {
  id: string;
  kind: string;
  state: JobState;
  title: string;
  progress: number;
  message: string | null;
  params: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobPatch {
  state?: JobState;
  progress?: number;
  message?: string;
  result?: unknown;
}

const toRecord = (row: JobRow): JobRecord =>
  compact({
    id: row.id,
    kind: row.kind,
    state: row.state,
    title: row.title,
    progress: row.progress,
    message: row.message ?? undefined,
    params: fromJson(row.params),
    result: fromJson(row.result),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

export const INTERRUPTED_JOB_MESSAGE = 'Distillery stopped while this job ran. Start it again.';

export function jobsRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO jobs (id, kind, state, title, progress, message, params, result, created_at, updated_at)
       VALUES (@id, @kind, @state, @title, 0, NULL, @params, NULL, @now, @now)`,
    ),
    byId: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    recent: db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?'),
    update: db.prepare(
      `UPDATE jobs SET state = @state, progress = @progress, message = @message, result = @result,
       updated_at = @now WHERE id = @id`,
    ),
    interruptUnfinished: db.prepare<[string, number]>(
      "UPDATE jobs SET state = 'interrupted', message = ?, updated_at = ? WHERE state IN ('queued', 'running')",
    ),
  };

  return {
    create(input: { kind: string; title: string; params?: unknown; state?: JobState; id?: string }): JobRecord {
      const id = input.id ?? randomUUID();
      statements.insert.run({
        id,
        kind: input.kind,
        state: input.state ?? 'queued',
        title: input.title,
        params: toJson(input.params),
        now: Date.now(),
      });
      return this.get(id)!;
    },
    get(id: string): JobRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    /** Newest first. */
    list(limit = 200): JobRecord[] {
      return statements.recent.all(limit).map(toRecord);
    },
    update(id: string, patch: JobPatch): JobRecord | undefined {
      const job = this.get(id);
      if (!job) return undefined;
      const next = { ...job, ...patch };
      statements.update.run({
        id,
        state: next.state,
        progress: Math.min(1, Math.max(0, next.progress)),
        message: next.message ?? null,
        result: toJson(next.result),
        now: Date.now(),
      });
      return this.get(id);
    },
    interruptUnfinished(): number {
      return statements.interruptUnfinished.run(INTERRUPTED_JOB_MESSAGE, Date.now()).changes;
    },
  };
}
export type JobsRepository = ReturnType<typeof jobsRepository>;
