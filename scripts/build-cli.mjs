#!/usr/bin/env node
// Builds the CLI and its engine process into out/cli/ as plain JavaScript (esbuild, packages left in node_modules),
// so `npx distillery` starts without compiling TypeScript at run time. Runs at install (`prepare`) and again,
// on first use, whenever a source file is newer than the build (bin/distillery.mjs checks; see cliBuildIsStale).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliOut = path.join(repoRoot, 'out', 'cli');
export const cliEntry = path.join(cliOut, 'distillery.mjs');

/** Newest modification time of the sources the CLI is built from (electron/, the data it bundles from resources/, package.json). */
function newestSourceMs() {
  const walk = (dir, newest) => {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) newest = walk(full, newest);
      else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
    return newest;
  };
  const packageMs = statSync(path.join(repoRoot, 'package.json')).mtimeMs;
  return walk(path.join(repoRoot, 'resources'), walk(path.join(repoRoot, 'electron'), packageMs));
}

/** True when out/cli is missing or older than a source; false in an install without the sources. */
export function cliBuildIsStale() {
  if (!existsSync(path.join(repoRoot, 'electron'))) return false;
  if (!existsSync(cliEntry) || !existsSync(path.join(cliOut, 'engine.js'))) return true;
  return newestSourceMs() > Math.min(statSync(cliEntry).mtimeMs, statSync(path.join(cliOut, 'engine.js')).mtimeMs);
}

export async function buildCli() {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    write: false,
    // Bundled ESM has no require(); some modules use createRequire themselves, this covers the rest.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  };
  const [cli, engine] = await Promise.all([
    // Each command is its own chunk (electron/cli/index.ts imports them on demand): `--help` loads none of them.
    build({
      ...common,
      entryPoints: { distillery: path.join(repoRoot, 'electron', 'cli', 'main.ts') },
      outdir: cliOut,
      splitting: true,
      outExtension: { '.js': '.mjs' },
      // Chunks sit beside the entry, at the depth of the sources (electron/<folder>/), so paths that modules resolve
      // from their own location (package.json, out/renderer) are the same built and unbuilt.
      chunkNames: '[name]-[hash]',
    }),
    // The engine's entry point must sit beside the CLI: electron/engine/entry.ts looks for engine.js next to itself.
    build({ ...common, entryPoints: [path.join(repoRoot, 'electron', 'engine', 'main.ts')], outfile: path.join(cliOut, 'engine.js') }),
  ]);
  writeAtomically([...cli.outputFiles, ...engine.outputFiles]);
}

/**
 * Several processes may rebuild at once (parallel tests each start the CLI): each file is written under a private
 * name and renamed into place, chunks (content-hashed names) before the entry points that load them.
 */
function writeAtomically(files) {
  const isEntry = (file) => file.path === cliEntry || file.path === path.join(cliOut, 'engine.js');
  const ordered = [...files.filter((f) => !isEntry(f)), ...files.filter(isEntry)];
  for (const file of ordered) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, file.contents);
    renameSync(temp, file.path);
  }
  removeOldChunks(new Set(files.map((f) => f.path)));
}

// Chunks of earlier builds are removed once no process can still be loading them.
function removeOldChunks(current) {
  const cutoff = Date.now() - 10 * 60_000;
  for (const name of readdirSync(cliOut)) {
    const file = path.join(cliOut, name);
    if (/-[A-Z0-9]{8}\.mjs(\.map)?$/.test(name) && !current.has(file) && statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  await buildCli();
  process.stderr.write(`Built the CLI into ${path.relative(process.cwd(), cliOut) || cliOut} in ${Date.now() - started} ms.\n`);
}
