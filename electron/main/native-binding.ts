/**
 * better-sqlite3 is a native addon: node_modules holds the build for Node (tests, headless, CLI); the desktop app needs
 * one built for Electron's ABI, which scripts/rebuild-native-electron.mjs puts in build/native-electron/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ELECTRON_NATIVE_DIR = path.join('build', 'native-electron');
export const SQLITE_BINDING_FILE = 'better_sqlite3.node';

/** The Electron build of better-sqlite3 if it exists under `appRoot`, else undefined (better-sqlite3's own lookup). */
export function electronSqliteBinding(appRoot: string): string | undefined {
  const file = path.join(appRoot, ELECTRON_NATIVE_DIR, SQLITE_BINDING_FILE);
  return existsSync(file) ? file : undefined;
}

export const MISSING_BINDING_HINT =
  'better-sqlite3 is not built for Electron. Run `node scripts/rebuild-native-electron.mjs` ' +
  '(or `npm start`, which runs it when needed), then start the app again.';
