#!/usr/bin/env node
// Runs the built CLI (out/cli/distillery.mjs, plain JavaScript). `npm ci` builds it (`prepare`); in a source checkout
// it is rebuilt here first whenever a source file is newer than the build, so the command always runs the code you see.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const builder = path.join(root, 'scripts', 'build-cli.mjs');
const entry = path.join(root, 'out', 'cli', 'distillery.mjs');

if (existsSync(builder)) {
  const { buildCli, cliBuildIsStale } = await import(pathToFileURL(builder).href);
  if (cliBuildIsStale()) {
    try {
      await buildCli();
    } catch (error) {
      process.stderr.write(`Could not build the CLI (${error.message}). Run \`npm ci\` to install the build tools.\n`);
      process.exit(1);
    }
  }
}
if (!existsSync(entry)) {
  process.stderr.write('The CLI is not built: run `npm ci` (or `node scripts/build-cli.mjs`) in the Distillery folder.\n');
  process.exit(1);
}
await import(pathToFileURL(entry).href);
