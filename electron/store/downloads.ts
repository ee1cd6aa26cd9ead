/** Repository of the downloads table: a hub snapshot fetched into the shared cache, and what Distillery wrote there. */
import type Database from 'better-sqlite3';
import { compact } from './json';

export interface DownloadFileRecord {
  path: string;
  etag: string;
  size: number;
}

export interface DownloadRecord {
  id: string;
  repo: string;
  revision: string;
  commit?: string;
  cacheDir: string;
  /** The snapshot files this download needs. */
  files: DownloadFileRecord[];
  /** Blob names (sha256 or git oid) whose bytes Distillery wrote: the only ones it may delete. */
  written: string[];
  modelId?: string;
  createdAt: number;
  updatedAt: number;
}

interface DownloadRow {
  id: string;
  repo: string;
  revision: string;
  commit_sha: string | null;
  cache_dir: string;
  files: string;
  written: string;
  model_id: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: DownloadRow): DownloadRecord =>
  compact({
    id: row.id,
    repo: row.repo,
    revision: row.revision,
    commit: row.commit_sha ?? undefined,
    cacheDir: row.cache_dir,
    files: JSON.parse(row.files) as DownloadFileRecord[],
    written: JSON.parse(row.written) as string[],
    modelId: row.model_id ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

export function downloadsRepository(db: Database.Database) {
  const statements = {
    upsert: db.prepare(
      `INSERT INTO downloads (id, repo, revision, commit_sha, cache_dir, files, written, model_id, created_at, updated_at)
       VALUES (@id, @repo, @revision, @commit_sha, @cache_dir, @files, '[]', NULL, @now, @now)
       ON CONFLICT (id) DO UPDATE SET commit_sha = excluded.commit_sha, files = excluded.files, updated_at = excluded.updated_at`,
    ),
    byId: db.prepare<[string], DownloadRow>('SELECT * FROM downloads WHERE id = ?'),
    byModel: db.prepare<[string], DownloadRow>('SELECT * FROM downloads WHERE model_id = ? ORDER BY created_at'),
    all: db.prepare<[], DownloadRow>('SELECT * FROM downloads ORDER BY created_at'),
    setWritten: db.prepare<[string, number, string]>('UPDATE downloads SET written = ?, updated_at = ? WHERE id = ?'),
    setModel: db.prepare<[string | null, number, string]>('UPDATE downloads SET model_id = ?, updated_at = ? WHERE id = ?'),
    remove: db.prepare<[string]>('DELETE FROM downloads WHERE id = ?'),
  };

  const get = (id: string): DownloadRecord | undefined => {
    const row = statements.byId.get(id);
    return row && toRecord(row);
  };

  return {
    get,
    /** Creates the record, or updates its commit and file list when the download runs again. */
    save(input: { id: string; repo: string; revision: string; commit?: string; cacheDir: string; files: DownloadFileRecord[] }): DownloadRecord {
      statements.upsert.run({ id: input.id, repo: input.repo, revision: input.revision, commit_sha: input.commit ?? null, cache_dir: input.cacheDir, files: JSON.stringify(input.files), now: Date.now() });
      return get(input.id)!;
    },
    /** Notes that Distillery wrote this blob (called as each verified file lands). */
    addWritten(id: string, etag: string): void {
      db.transaction(() => {
        const record = get(id);
        if (!record || record.written.includes(etag)) return;
        statements.setWritten.run(JSON.stringify([...record.written, etag]), Date.now(), id);
      })();
    },
    setModel(id: string, modelId: string | undefined): void {
      statements.setModel.run(modelId ?? null, Date.now(), id);
    },
    byModel(modelId: string): DownloadRecord[] {
      return statements.byModel.all(modelId).map(toRecord);
    },
    list(): DownloadRecord[] {
      return statements.all.all().map(toRecord);
    },
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
  };
}
export type DownloadsRepository = ReturnType<typeof downloadsRepository>;
