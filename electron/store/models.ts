/** Repository of the models table (the registry of model folders the app can run). */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { compact, fromJson, toJson } from './json';

export interface ModelRecord {
  id: string;
  name: string;
  path: string;
  arch: string;
  dtype: string;
  sizeBytes: number;
  /** Where it came from: 'converted', 'imported', 'trained', ... */
  source: string;
  derivedFrom?: string;
  manifest?: Record<string, unknown>;
  addedAt: number;
}

interface ModelRow {
  id: string;
  name: string;
  path: string;
  arch: string;
  dtype: string;
  size_bytes: number;
  source: string;
  derived_from: string | null;
  manifest: string | null;
  added_at: number;
}

export type NewModel = Omit<ModelRecord, 'id' | 'addedAt'> & { id?: string };

const toRecord = (row: ModelRow): ModelRecord =>
  compact({
    id: row.id,
    name: row.name,
    path: row.path,
    arch: row.arch,
    dtype: row.dtype,
    sizeBytes: row.size_bytes,
    source: row.source,
    derivedFrom: row.derived_from ?? undefined,
    manifest: fromJson<Record<string, unknown>>(row.manifest),
    addedAt: row.added_at,
  });

export function modelsRepository(db: Database.Database) {
  const statements = {
    insert: db.prepare(
      `INSERT INTO models (id, name, path, arch, dtype, size_bytes, source, derived_from, manifest, added_at)
       VALUES (@id, @name, @path, @arch, @dtype, @size_bytes, @source, @derived_from, @manifest, @added_at)`,
    ),
    byId: db.prepare<[string], ModelRow>('SELECT * FROM models WHERE id = ?'),
    byPath: db.prepare<[string], ModelRow>('SELECT * FROM models WHERE path = ?'),
    all: db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY added_at, rowid'),
    update: db.prepare(
      'UPDATE models SET name = @name, size_bytes = @size_bytes, manifest = @manifest WHERE id = @id',
    ),
    remove: db.prepare<[string]>('DELETE FROM models WHERE id = ?'),
  };

  return {
    add(input: NewModel): ModelRecord {
      const id = input.id ?? randomUUID();
      statements.insert.run({
        id,
        name: input.name,
        path: input.path,
        arch: input.arch,
        dtype: input.dtype,
        size_bytes: input.sizeBytes,
        source: input.source,
        derived_from: input.derivedFrom ?? null,
        manifest: toJson(input.manifest),
        added_at: Date.now(),
      });
      return this.get(id)!;
    },
    get(id: string): ModelRecord | undefined {
      const row = statements.byId.get(id);
      return row && toRecord(row);
    },
    getByPath(path: string): ModelRecord | undefined {
      const row = statements.byPath.get(path);
      return row && toRecord(row);
    },
    list(): ModelRecord[] {
      return statements.all.all().map(toRecord);
    },
    update(id: string, patch: { name?: string; sizeBytes?: number; manifest?: Record<string, unknown> }) {
      const model = this.get(id);
      if (!model) return undefined;
      statements.update.run({
        id,
        name: patch.name ?? model.name,
        size_bytes: patch.sizeBytes ?? model.sizeBytes,
        manifest: toJson(patch.manifest ?? model.manifest),
      });
      return this.get(id);
    },
    remove(id: string): boolean {
      return statements.remove.run(id).changes > 0;
    },
  };
}
export type ModelsRepository = ReturnType<typeof modelsRepository>;
