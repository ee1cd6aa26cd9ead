// What the desktop app needs before `npm start` / `npm run dev` can run it, checked up front so that a missing piece
// is one line saying what is missing and what to do (instead of a download attempt or a node-gyp stack trace).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SERVE_HINT = '`npm run serve` runs the same app in a browser without it.';

/** Electron 45's installer (@electron/get) needs this Node; the app itself runs on Electron's own Node. */
export const ELECTRON_INSTALL_NODE = [22, 12];

export function nodeAtLeast([major, minor], version = process.versions.node) {
  const [m, n] = version.split('.').map(Number);
  return m > major || (m === major && n >= minor);
}

/** The Electron binary, as node_modules/electron records it; undefined when it was never downloaded. */
export function electronBinary(electronDir, env = process.env) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return existsSync(env.ELECTRON_OVERRIDE_DIST_PATH) ? env.ELECTRON_OVERRIDE_DIST_PATH : undefined;
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** One line, or undefined when the binary is there. */
export function missingBinaryMessage(electronDir, electronVersion, env = process.env, nodeVersion = process.versions.node) {
  if (electronBinary(electronDir, env)) return undefined;
  const fetch = nodeAtLeast(ELECTRON_INSTALL_NODE, nodeVersion)
    ? '`npm rebuild electron` downloads it (needs access to github.com)'
    : `\`npm rebuild electron\` downloads it, with Node ≥ ${ELECTRON_INSTALL_NODE.join('.')} (this is ${nodeVersion}) and access to github.com`;
  return `The Electron ${electronVersion} binary is not installed (skipped at install or no network): ${fetch}. ${SERVE_HINT}`;
}

/** node-gyp's output reduced to its cause, in one line. */
export function nodeGypFailureMessage(log, electronVersion) {
  // only the error lines: node-gyp's info lines name Python and the headers URL on every run
  const output = log
    .split('\n')
    .filter((line) => /ERR!|error|not found/i.test(line))
    .join('\n');
  if (/network connectivity|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|socket hang up|\b40[34]\b|unable to get local issuer/i.test(output)) {
    return `Could not download Electron ${electronVersion}'s headers from https://electronjs.org/headers (no network?); the desktop app needs them once to build better-sqlite3. ${SERVE_HINT}`;
  }
  if (/find any Python|python3?: not found|Python is not set/i.test(output)) return `Building better-sqlite3 for Electron needs python3. ${SERVE_HINT}`;
  if (/make: not found|not found: make|g\+\+|c\+\+: not found|No such file or directory.*(cc|c\+\+)|compiler/i.test(output)) {
    return `Building better-sqlite3 for Electron needs make and a C++ compiler. ${SERVE_HINT}`;
  }
  return `Building better-sqlite3 for Electron ${electronVersion} failed (log: build/native-electron/node-gyp.log). ${SERVE_HINT}`;
}
