/** Repository of the settings table: key → JSON value. */
import type Database from 'better-sqlite3';
import { fromJson } from './json';

export function settingsRepository(db: Database.Database) {
  const statements = {
    byKey: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    all: db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings ORDER BY key'),
    upsert: db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    remove: db.prepare<[string]>('DELETE FROM settings WHERE key = ?'),
  };

  return {
    get<T = unknown>(key: string): T | undefined {
      return fromJson<T>(statements.byKey.get(key)?.value);
    },
    set(key: string, value: unknown): void {
      if (value === undefined) throw new Error(`Setting '${key}' cannot be undefined; use remove() to clear it.`);
      statements.upsert.run(key, JSON.stringify(value));
    },
    all(): Record<string, unknown> {
      return Object.fromEntries(statements.all.all().map(({ key, value }) => [key, fromJson(value)]));
    },
    remove(key: string): boolean {
      return statements.remove.run(key).changes > 0;
    },
  };
}
export type SettingsRepository = ReturnType<typeof settingsRepository>;
