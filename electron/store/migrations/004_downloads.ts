/**
 * Downloads from the Hugging Face hub: which snapshot each one fetched into the shared cache, which blobs Distillery
 * itself wrote there (only those may ever be deleted), and the model that came out of it.
 */
import type { Migration } from './types';

export const downloads: Migration = {
  version: 4,
  name: 'downloads',
  sql: `
    CREATE TABLE downloads (
      id          TEXT PRIMARY KEY,
      repo        TEXT NOT NULL,
      revision    TEXT NOT NULL,
      commit_sha  TEXT,
      cache_dir   TEXT NOT NULL,
      files       TEXT NOT NULL DEFAULT '[]',
      written     TEXT NOT NULL DEFAULT '[]',
      model_id    TEXT REFERENCES models (id) ON DELETE SET NULL,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX downloads_by_model ON downloads (model_id);
  `,
};
