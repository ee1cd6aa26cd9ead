/**
 * Where Distillery keeps its data. DISTILLERY_HOME overrides everything (tests use a temp dir). Otherwise the
 * platform's user-data dir, computed here without Electron so headless mode and the CLI agree with the desktop app
 * (whose main passes app.getPath('userData'), the same folder).
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Distillery';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  return path.posix.join(env.XDG_CONFIG_HOME || path.posix.join(home, '.config'), APP_DIR_NAME);
}

export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DISTILLERY_HOME ? path.resolve(env.DISTILLERY_HOME) : defaultDataDir(env);
}

export interface DataPaths {
  root: string;
  /** Model folders the app builds or imports. */
  models: string;
  /** The SQLite database. */
  db: string;
  logs: string;
  /** Fine-tuning runs: checkpoints, adapters, the imported training data. */
  runs: string;
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    models: path.join(root, 'models'),
    db: path.join(root, 'distillery.db'),
    logs: path.join(root, 'logs'),
    runs: path.join(root, 'runs'),
  };
}

export function ensureDataDirs(root: string): DataPaths {
  const paths = dataPaths(root);
  for (const dir of [paths.root, paths.models, paths.logs]) mkdirSync(dir, { recursive: true });
  return paths;
}
