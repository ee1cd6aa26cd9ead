#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx distillery` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../electron/cli/index.ts');
process.exitCode = await runCli(process.argv);
