/**
 * Fine-tuning runs as history: one row per run (its config, where it stands, its outcome and adapter) and one row per
 * optimizer step or validation pass, so a run's curves survive restarts and can be reopened.
 */
import type { Migration } from './types';

export const trainRuns: Migration = {
  version: 3,
  name: 'train_runs',
  sql: `
    CREATE TABLE train_runs (
      id               TEXT PRIMARY KEY,
      name             TEXT NOT NULL,
      job_id           TEXT,
      base_model_id    TEXT NOT NULL,
      base_name        TEXT NOT NULL,
      checkpoint       TEXT NOT NULL,
      out_dir          TEXT NOT NULL,
      config           TEXT NOT NULL,
      state            TEXT NOT NULL
                       CHECK (state IN ('running', 'paused', 'interrupted', 'cancelled', 'failed', 'completed')),
      message          TEXT,
      step             INTEGER NOT NULL DEFAULT 0,
      total_steps      INTEGER NOT NULL DEFAULT 0,
      records          TEXT,
      samples          TEXT,
      evaluation       TEXT,
      phase            TEXT,
      adapter_path     TEXT,
      merged_model_id  TEXT,
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    );
    CREATE INDEX train_runs_by_created ON train_runs (created_at DESC);

    CREATE TABLE train_metrics (
      run_id       TEXT NOT NULL REFERENCES train_runs (id) ON DELETE CASCADE,
      kind         TEXT NOT NULL CHECK (kind IN ('train', 'validation')),
      step         INTEGER NOT NULL,
      loss         REAL NOT NULL,
      lr           REAL,
      grad_norm    REAL,
      tokens       INTEGER,
      tokens_per_s REAL,
      at           INTEGER NOT NULL,
      PRIMARY KEY (run_id, kind, step)
    );
  `,
};
