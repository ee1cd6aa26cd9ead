/** First schema: chats, messages, models, jobs, settings. Times are ms since the epoch; JSON columns hold text. */
import type { Migration } from './types';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    CREATE TABLE chats (
      id          TEXT PRIMARY KEY,
      title       TEXT NOT NULL,
      model_id    TEXT,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX chats_by_updated ON chats (updated_at DESC);

    CREATE TABLE messages (
      id          TEXT PRIMARY KEY,
      chat_id     TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
      role        TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
      content     TEXT NOT NULL DEFAULT '',
      reasoning   TEXT,
      status      TEXT NOT NULL DEFAULT 'complete'
                  CHECK (status IN ('complete', 'streaming', 'stopped', 'error', 'interrupted')),
      stats       TEXT,
      error       TEXT,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX messages_by_chat ON messages (chat_id, created_at);

    CREATE TABLE models (
      id            TEXT PRIMARY KEY,
      name          TEXT NOT NULL,
      path          TEXT NOT NULL UNIQUE,
      arch          TEXT NOT NULL,
      dtype         TEXT NOT NULL,
      size_bytes    INTEGER NOT NULL DEFAULT 0,
      source        TEXT NOT NULL,
      derived_from  TEXT REFERENCES models (id) ON DELETE SET NULL,
      manifest      TEXT,
      added_at      INTEGER NOT NULL
    );

    CREATE TABLE jobs (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL,
      state       TEXT NOT NULL
                  CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
      title       TEXT NOT NULL,
      progress    REAL NOT NULL DEFAULT 0,
      message     TEXT,
      params      TEXT,
      result      TEXT,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX jobs_by_created ON jobs (created_at DESC);

    CREATE TABLE settings (
      key    TEXT PRIMARY KEY,
      value  TEXT NOT NULL
    );
  `,
};
