/**
 * Chat features: message versions (a tree: each message points at the one it follows, the chat remembers the leaf of
 * the branch on screen), per-chat instructions, full-text search (FTS5 over chat titles and finished messages),
 * saved Compare sessions, and majority-vote runs with their samples.
 */
import type { Migration } from './types';

export const chatFeatures: Migration = {
  version: 5,
  name: 'chat_features',
  sql: `
    ALTER TABLE messages ADD COLUMN parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE;
    -- Existing chats are one straight branch: each message follows the one before it.
    UPDATE messages SET parent_id = (
      SELECT p.id FROM messages p
      WHERE p.chat_id = messages.chat_id
        AND (p.created_at < messages.created_at OR (p.created_at = messages.created_at AND p.rowid < messages.rowid))
      ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1
    );
    CREATE INDEX messages_by_parent ON messages (parent_id);

    ALTER TABLE chats ADD COLUMN leaf_id TEXT;
    ALTER TABLE chats ADD COLUMN instructions TEXT;
    UPDATE chats SET leaf_id = (
      SELECT m.id FROM messages m WHERE m.chat_id = chats.id ORDER BY m.created_at DESC, m.rowid DESC LIMIT 1
    );

    -- Search indexes finished messages only: a streaming reply is saved every few hundred ms and re-indexing a long
    -- thought that often would take the CPU the engine needs.
    CREATE VIRTUAL TABLE messages_fts USING fts5 (content, reasoning, content = 'messages', content_rowid = 'rowid');
    INSERT INTO messages_fts (rowid, content, reasoning)
      SELECT rowid, content, coalesce(reasoning, '') FROM messages WHERE status <> 'streaming';
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status <> 'streaming' BEGIN
      INSERT INTO messages_fts (rowid, content, reasoning) VALUES (new.rowid, new.content, coalesce(new.reasoning, ''));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status <> 'streaming' BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.rowid, old.content, coalesce(old.reasoning, ''));
    END;
    CREATE TRIGGER messages_fts_unindex AFTER UPDATE OF content, reasoning, status ON messages
      WHEN old.status <> 'streaming' BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.rowid, old.content, coalesce(old.reasoning, ''));
    END;
    CREATE TRIGGER messages_fts_reindex AFTER UPDATE OF content, reasoning, status ON messages
      WHEN new.status <> 'streaming' BEGIN
      INSERT INTO messages_fts (rowid, content, reasoning) VALUES (new.rowid, new.content, coalesce(new.reasoning, ''));
    END;

    CREATE VIRTUAL TABLE chats_fts USING fts5 (title, content = 'chats', content_rowid = 'rowid');
    INSERT INTO chats_fts (rowid, title) SELECT rowid, title FROM chats;
    CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN
      INSERT INTO chats_fts (rowid, title) VALUES (new.rowid, new.title);
    END;
    CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN
      INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
    END;
    CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats BEGIN
      INSERT INTO chats_fts (chats_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
      INSERT INTO chats_fts (rowid, title) VALUES (new.rowid, new.title);
    END;

    CREATE TABLE compare_sessions (
      id               TEXT PRIMARY KEY,
      title            TEXT NOT NULL,
      left_chat_id     TEXT REFERENCES chats (id) ON DELETE SET NULL,
      right_chat_id    TEXT REFERENCES chats (id) ON DELETE SET NULL,
      expected_answer  TEXT,
      created_at       INTEGER NOT NULL,
      updated_at       INTEGER NOT NULL
    );
    CREATE INDEX compare_sessions_by_updated ON compare_sessions (updated_at DESC);

    CREATE TABLE votes (
      id          TEXT PRIMARY KEY,
      job_id      TEXT,
      chat_id     TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
      message_id  TEXT REFERENCES messages (id) ON DELETE SET NULL,
      model_id    TEXT NOT NULL,
      prompt      TEXT NOT NULL,
      samples     INTEGER NOT NULL CHECK (samples BETWEEN 1 AND 64),
      settings    TEXT,
      created_at  INTEGER NOT NULL
    );
    CREATE INDEX votes_by_message ON votes (message_id, created_at);

    CREATE TABLE vote_samples (
      vote_id    TEXT NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
      idx        INTEGER NOT NULL,
      seed       INTEGER NOT NULL,
      reasoning  TEXT NOT NULL DEFAULT '',
      content    TEXT NOT NULL DEFAULT '',
      status     TEXT NOT NULL CHECK (status IN ('complete', 'stopped', 'error')),
      stats      TEXT,
      error      TEXT,
      PRIMARY KEY (vote_id, idx)
    );
  `,
};
