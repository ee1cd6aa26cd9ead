/**
 * Jobs can be paused: the state CHECK gains 'paused' (SQLite changes a CHECK only by rebuilding the table). The test
 * job of Settings › Diagnostics is now the job kind 'diagnostics' (it was 'dummy').
 */
import type { Migration } from './types';

export const jobPaused: Migration = {
  version: 2,
  name: 'job_paused',
  sql: `
    CREATE TABLE jobs_next (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL,
      state       TEXT NOT NULL
                  CHECK (state IN ('queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted')),
      title       TEXT NOT NULL,
      progress    REAL NOT NULL DEFAULT 0,
      message     TEXT,
      params      TEXT,
      result      TEXT,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    INSERT INTO jobs_next (id, kind, state, title, progress, message, params, result, created_at, updated_at)
      SELECT id, CASE kind WHEN 'dummy' THEN 'diagnostics' ELSE kind END, state, title, progress, message, params, result,
             created_at, updated_at FROM jobs;
    DROP TABLE jobs;
    ALTER TABLE jobs_next RENAME TO jobs;
    CREATE INDEX jobs_by_created ON jobs (created_at DESC);
  `,
};
