/**
 * The store: one SQLite database in the data dir (better-sqlite3, WAL, foreign keys on), one repository per table.
 *
 * better-sqlite3 is a native addon. Node (tests, headless, CLI) loads the build in node_modules. The Electron main
 * passes `nativeBinding`: a better_sqlite3.node built for Electron's ABI (scripts/rebuild-native-electron.mjs).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chatsRepository } from './chats';
import { compareRepository } from './compare';
import { jobsRepository } from './jobs';
import { messagesRepository } from './messages';
import { migrate, schemaVersion } from './migrations';
import { modelsRepository } from './models';
import { settingsRepository } from './settings';
import { trainRunsRepository } from './train-runs';
import { votesRepository } from './votes';

export interface OpenDatabaseOptions {
  /** Path to a better_sqlite3.node to load instead of the one in node_modules (Electron's ABI). */
  nativeBinding?: string;
}

export interface Store {
  readonly db: Database.Database;
  readonly chats: ReturnType<typeof chatsRepository>;
  readonly messages: ReturnType<typeof messagesRepository>;
  readonly models: ReturnType<typeof modelsRepository>;
  readonly jobs: ReturnType<typeof jobsRepository>;
  readonly settings: ReturnType<typeof settingsRepository>;
  readonly trainRuns: ReturnType<typeof trainRunsRepository>;
  readonly compare: ReturnType<typeof compareRepository>;
  readonly votes: ReturnType<typeof votesRepository>;
  /** What the crash recovery on open found: rows left running/streaming by a previous run. */
  readonly recovered: { jobs: number; messages: number; runs: number };
  schemaVersion(): number;
  close(): void;
}

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw new Error(describeOpenFailure(file, error));
  }
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return buildStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

function buildStore(db: Database.Database): Store {
  const store = {
    db,
    chats: chatsRepository(db),
    messages: messagesRepository(db),
    models: modelsRepository(db),
    jobs: jobsRepository(db),
    settings: settingsRepository(db),
    trainRuns: trainRunsRepository(db),
    compare: compareRepository(db),
    votes: votesRepository(db),
  };
  const recovered = db.transaction(() => ({
    jobs: store.jobs.interruptUnfinished(),
    messages: store.messages.interruptStreaming(),
    runs: store.trainRuns.interruptRunning(),
  }))();
  return {
    ...store,
    recovered,
    schemaVersion: () => schemaVersion(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function describeOpenFailure(file: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(reason)) {
    return (
      `better-sqlite3 is built for another runtime (${reason.split('\n')[0]}). ` +
      'For Node (tests, headless): `npm rebuild better-sqlite3`. For the desktop app: `node scripts/rebuild-native-electron.mjs`.'
    );
  }
  return (
    `Cannot open the database ${file}: ${reason}. ` +
    'If the file is damaged, move it aside (Distillery creates a new one) or restore it from a backup.'
  );
}

export type { ChatRecord, ChatSearchHit } from './chats';
export type { CompareSessionRecord, CompareSessionPatch } from './compare';
export type { VoteRecord, VoteSampleRecord } from './votes';
export type { MessageRecord, MessageRole, MessageStatus, NewMessage, MessagePatch } from './messages';
export type { ModelRecord, NewModel } from './models';
export type { JobRecord, JobState, JobPatch } from './jobs';
export type { TrainRunRecord, TrainRunState, TrainRunPatch, StepRow } from './train-runs';
export { INTERRUPTED_JOB_MESSAGE } from './jobs';
export { latestSchemaVersion, migrate, migrations } from './migrations';
