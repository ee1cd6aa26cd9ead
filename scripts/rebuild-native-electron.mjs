#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into build/native-electron/better_sqlite3.node.
//
// node_modules keeps its Node build (tests, the headless server and the CLI load that one); the desktop app's main
// process loads this file through better-sqlite3's `nativeBinding` option. The sources are copied to a scratch folder
// first, so node-gyp never touches node_modules/better-sqlite3/build.
//
// Usage: node scripts/rebuild-native-electron.mjs [--if-missing]
//   --if-missing  do nothing when a build for the installed Electron and better-sqlite3 versions is already there
//                 (`npm start` and `npm run dev` call it this way).
// Needs: python3, make and a C++ compiler, and network access to https://electronjs.org/headers (Electron's headers).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingBinaryMessage, nodeGypFailureMessage } from './electron-preflight.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const outDir = path.join(root, 'build', 'native-electron');
const outFile = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'better_sqlite3.json');

function fail(message) {
  console.error(`rebuild-native-electron: ${message}`);
  process.exit(1);
}

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** node-gyp: npm tells scripts where its bundled copy is; otherwise look beside npm, then in node_modules. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((file) => file && existsSync(file));
}

const electronVersion = versionOf('electron');
const sqliteVersion = versionOf('better-sqlite3');
if (!electronVersion) fail('the electron package is not installed; run `npm ci` first.');
if (!sqliteVersion) fail('the better-sqlite3 package is not installed; run `npm ci` first.');
const wanted = { electron: electronVersion, 'better-sqlite3': sqliteVersion, platform: process.platform, arch: process.arch };

const noBinary = missingBinaryMessage(path.dirname(require.resolve('electron/package.json')), electronVersion);
if (noBinary) fail(noBinary);

if (process.argv.includes('--if-missing') && existsSync(outFile) && existsSync(stampFile)) {
  const built = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (Object.entries(wanted).every(([key, value]) => built[key] === value)) process.exit(0);
  console.log('rebuild-native-electron: Electron or better-sqlite3 changed since the last build; rebuilding.');
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) fail('cannot find node-gyp. Run this through npm (`npm start`) or install it: `npm install -g node-gyp`.');

const sourceDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const workDir = path.join(outDir, 'work');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
cpSync(sourceDir, workDir, {
  recursive: true,
  filter: (file) => !/[\\/](build|node_modules)([\\/]|$)/.test(path.relative(sourceDir, file).replace(/^/, '/')),
});

console.log(`rebuild-native-electron: building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} …`);
// npm may point node-gyp at Node's own headers (npm_config_nodedir); for Electron they must come from --dist-url.
const env = { ...process.env };
for (const key of Object.keys(env)) if (/^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i.test(key)) delete env[key];
const result = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
  // node-gyp's own output goes to a log: on failure the user gets one line with the cause, and the log for details
  { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
const builtFile = path.join(workDir, 'build', 'Release', 'better_sqlite3.node');
const gypLog = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
writeFileSync(path.join(outDir, 'node-gyp.log'), gypLog);
if (result.status !== 0 || !existsSync(builtFile)) {
  rmSync(workDir, { recursive: true, force: true });
  fail(nodeGypFailureMessage(gypLog, electronVersion));
}
copyFileSync(builtFile, outFile);
writeFileSync(stampFile, JSON.stringify({ ...wanted, builtAt: new Date().toISOString() }, null, 2) + '\n');
rmSync(workDir, { recursive: true, force: true });
console.log(`rebuild-native-electron: wrote ${path.relative(root, outFile)}`);
