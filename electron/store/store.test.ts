import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_JOB_MESSAGE, latestSchemaVersion, migrate, migrations, openDatabase, type Store } from './index';

const opened: Store[] = [];
const dirs: string[] = [];
function open(file = ':memory:') {
  const store = openDatabase(file);
  opened.push(store);
  return store;
}
function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'distillery-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('store on :memory:', () => {
  it('migrates to the latest schema with foreign keys on', () => {
    const store = open();
    expect(store.schemaVersion()).toBe(latestSchemaVersion);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['chats', 'downloads', 'jobs', 'messages', 'models', 'settings']);
  });

  it('stores chats with messages and deletes messages with their chat', () => {
    const store = open();
    const chat = store.chats.create({ title: 'First', modelId: 'm1', now: 1000 });
    expect(chat).toEqual({ id: chat.id, title: 'First', modelId: 'm1', createdAt: 1000, updatedAt: 1000 });
    const user = store.messages.create({ chatId: chat.id, role: 'user', content: 'What is 2+2?' });
    const answer = store.messages.create({ chatId: chat.id, role: 'assistant', status: 'streaming' });
    store.messages.update(answer.id, { reasoning: 'Two plus two…', content: '4', status: 'complete', stats: { tokens: 12 } });
    const messages = store.messages.listByChat(chat.id);
    expect(messages.map((m) => m.id)).toEqual([user.id, answer.id]);
    expect(messages[1]).toMatchObject({ content: '4', reasoning: 'Two plus two…', status: 'complete', stats: { tokens: 12 } });
    expect(store.chats.update(chat.id, { title: 'Renamed', modelId: null })).toMatchObject({ title: 'Renamed' });
    expect(store.chats.get(chat.id)?.modelId).toBeUndefined();
    expect(store.chats.remove(chat.id)).toBe(true);
    expect(store.messages.listByChat(chat.id)).toEqual([]);
  });

  it('rejects a message for a missing chat and an invalid status', () => {
    const store = open();
    expect(() => store.messages.create({ chatId: 'missing', role: 'user' })).toThrow(/FOREIGN KEY/);
    const chat = store.chats.create({ title: 't' });
    expect(() => store.messages.create({ chatId: chat.id, role: 'user', status: 'bogus' as never })).toThrow(/CHECK/);
  });

  it('keeps models, jobs and settings', () => {
    const store = open();
    const base = store.models.add({ name: 'Qwen 1.5B', path: '/m/a', arch: 'qwen2', dtype: 'int4', sizeBytes: 10, source: 'converted' });
    const tuned = store.models.add({
      name: 'Tuned', path: '/m/b', arch: 'qwen2', dtype: 'int4', sizeBytes: 11, source: 'trained', derivedFrom: base.id,
      manifest: { files: ['onnx/model.onnx'] },
    });
    expect(store.models.getByPath('/m/b')).toMatchObject({ id: tuned.id, derivedFrom: base.id, manifest: { files: ['onnx/model.onnx'] } });
    expect(() => store.models.add({ name: 'dup', path: '/m/a', arch: 'qwen2', dtype: 'fp32', sizeBytes: 1, source: 'imported' })).toThrow(/UNIQUE/);
    store.models.remove(base.id);
    expect(store.models.get(tuned.id)?.derivedFrom).toBeUndefined();

    const job = store.jobs.create({ kind: 'diagnostics', title: 'Test job', params: { steps: 3 } });
    expect(job).toMatchObject({ state: 'queued', progress: 0, params: { steps: 3 } });
    store.jobs.update(job.id, { state: 'running', progress: 1.7 });
    expect(store.jobs.get(job.id)?.progress).toBe(1); // clamped into [0, 1]
    expect(store.jobs.list().map((j) => j.id)).toEqual([job.id]);

    store.settings.set('theme', 'dark');
    store.settings.set('window', { width: 800 });
    store.settings.set('theme', 'light');
    expect(store.settings.all()).toEqual({ theme: 'light', window: { width: 800 } });
  });
});

describe('store on a file', () => {
  it('uses WAL and marks rows left running or streaming by a crash as interrupted', () => {
    const file = path.join(tempDir(), 'nested', 'distillery.db');
    const first = open(file);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const chat = first.chats.create({ title: 'c' });
    const streaming = first.messages.create({ chatId: chat.id, role: 'assistant', content: 'partial', status: 'streaming' });
    const running = first.jobs.create({ kind: 'diagnostics', title: 'j', state: 'running' });
    const done = first.jobs.create({ kind: 'diagnostics', title: 'k', state: 'succeeded' });
    first.close(); // as if the app had died here

    const second = open(file);
    expect(second.recovered).toEqual({ jobs: 1, messages: 1 });
    expect(second.messages.get(streaming.id)).toMatchObject({ status: 'interrupted', content: 'partial' });
    expect(second.jobs.get(running.id)).toMatchObject({ state: 'interrupted', message: INTERRUPTED_JOB_MESSAGE });
    expect(second.jobs.get(done.id)?.state).toBe('succeeded');
  });

  it('keeps paused jobs paused across a restart, and migrates version-1 jobs into the table that allows it', () => {
    const file = path.join(tempDir(), 'v1.db');
    const raw = new Database(file);
    migrate(raw, migrations.slice(0, 1));
    raw.prepare("INSERT INTO jobs (id, kind, state, title, created_at, updated_at) VALUES ('old', 'convert', 'succeeded', 'Old job', 1, 1)").run();
    raw.prepare("INSERT INTO jobs (id, kind, state, title, created_at, updated_at) VALUES ('test', 'dummy', 'cancelled', 'Test job', 2, 2)").run();
    expect(() => raw.prepare("UPDATE jobs SET state = 'paused' WHERE id = 'old'").run()).toThrow(/CHECK/);
    raw.close();

    const first = open(file);
    expect(first.jobs.get('old')).toMatchObject({ kind: 'convert', state: 'succeeded', title: 'Old job' });
    expect(first.jobs.get('test')).toMatchObject({ kind: 'diagnostics', state: 'cancelled' });
    const paused = first.jobs.create({ kind: 'download', title: 'p', state: 'running' });
    first.jobs.update(paused.id, { state: 'paused', progress: 0.4 });
    first.close();

    const second = open(file);
    expect(second.recovered.jobs).toBe(0);
    expect(second.jobs.get(paused.id)).toMatchObject({ state: 'paused', progress: 0.4 });
  });

  it('refuses a database from a newer version and a damaged file, keeping the file', () => {
    const dir = tempDir();
    const newer = path.join(dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(newer)).toThrow(/schema version 999.*Update Distillery/);

    const damaged = path.join(dir, 'damaged.db');
    writeFileSync(damaged, 'this is not sqlite'.repeat(100));
    expect(() => openDatabase(damaged)).toThrow(/Cannot open the database .*damaged\.db.*move it aside/);
  });

  it('applies only pending migrations, each once', () => {
    const db = new Database(':memory:');
    const steps = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (y)' },
    ];
    expect(migrate(db, steps.slice(0, 1))).toEqual([1]);
    expect(migrate(db, steps)).toEqual([2]);
    expect(migrate(db, steps)).toEqual([]);
    db.close();
  });
});
