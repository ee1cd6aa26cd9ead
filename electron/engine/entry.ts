/**
 * Where the engine's entry point is, in each mode:
 * - DISTILLERY_ENGINE_ENTRY set: that file (a .ts file is run through tsx).
 * - Source checkout (CLI, headless, tests): electron/engine/main.ts next to this file, run through tsx.
 * - Built app (electron-vite bundles this module into out/main/index.js): out/main/engine.js, plain JS.
 *   The desktop app starts that file with Electron's utilityProcess (electron/main), not with this module's fork.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface EngineEntry {
  entry: string;
  execArgv: string[];
}

export function tsxExecArgv(): string[] {
  const require = createRequire(import.meta.url);
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}

export function resolveEngineEntry(env: NodeJS.ProcessEnv = process.env): EngineEntry {
  const fromEnv = env.DISTILLERY_ENGINE_ENTRY;
  if (fromEnv) return entryFor(path.resolve(fromEnv));
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'main.ts'), path.join(here, 'engine.js')]) {
    if (existsSync(candidate)) return entryFor(candidate);
  }
  throw new Error(
    `Cannot find the engine entry point next to ${here} (main.ts or engine.js). ` +
      'Run from a source checkout, build the app with `npm run build`, or set DISTILLERY_ENGINE_ENTRY.',
  );
}

function entryFor(file: string): EngineEntry {
  return { entry: file, execArgv: file.endsWith('.ts') ? tsxExecArgv() : [] };
}
