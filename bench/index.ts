/**
 * `npm run bench`: runs every benchmark, one child process each (so each one's peak RSS is its own).
 * Each benchmark prints its own figures and the ratio against the baseline it measures in the same run.
 *
 *   npm run bench                 # all of them
 *   npm run bench -- generate     # only the named ones (convert, generate, train, traces, ui-long-trace)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const all = ['convert', 'generate', 'train', 'traces', 'ui-long-trace'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = wanted.length ? wanted : all;

let failed = 0;
for (const name of selected) {
  const file = join(benchDir, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`bench: no benchmark named '${name}' (have: ${all.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n##### bench/${name}.ts`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
