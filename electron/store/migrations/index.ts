/**
 * Numbered migrations, applied in order, each in its own transaction, recorded in PRAGMA user_version.
 * To change the schema: add migrations/00N_what.ts and append it here. Never edit a migration that has shipped.
 */
import type Database from 'better-sqlite3';
import { initial } from './001_initial';
import { jobPaused } from './002_job_paused';
import { downloads } from './004_downloads';
import type { Migration } from './types';

export const migrations: Migration[] = [initial, jobPaused, downloads];

export const latestSchemaVersion = migrations.at(-1)!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the pending migrations; returns the versions applied. */
export function migrate(db: Database.Database, all: Migration[] = migrations): number[] {
  const current = schemaVersion(db);
  const latest = all.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `This database has schema version ${current}, newer than this Distillery knows (${latest}). ` +
        'Update Distillery, or point DISTILLERY_HOME at another folder.',
    );
  }
  const applied: number[] = [];
  for (const migration of all) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
