/**
 * `npm run bench`: runs every benchmark, one child process each (so each one's peak RSS is its own).
 * Each benchmark prints its own figures and the ratio against the baseline it measures in the same run.
 *
 *   npm run bench                     # all of them
 *   npm run bench -- generate         # only the named ones (blocks, compare, convert, decode, generate, train, train-sample, traces, ui-long-trace, xkv-attention, xkv-model; gpu-decode and prefill-profile only when named)
 *   npm run bench -- decode --reps 3  # other arguments go to the benchmarks
 *   npm run bench -- synth <folder>   # write the decode benchmark's synthetic 1.5B checkpoint, nothing else
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const all = ['blocks', 'compare', 'convert', 'decode', 'generate', 'train', 'train-sample', 'traces', 'ui-long-trace', 'finetune-chat', 'xkv-attention', 'xkv-model'];
/** Run only when named: they need what a plain run lacks (gpu-decode: a GPU and two converted folders; prefill-profile: folders). */
const onDemand = ['gpu-decode', 'prefill-profile'];
const args = process.argv.slice(2);
const run = (file: string, rest: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, file), ...rest], { stdio: 'inherit' });

if (args[0] === 'synth') {
  process.exit(run('synth.ts', args.slice(1)).status ?? 1);
}
const known = [...all, ...onDemand];
const named = args.filter((a) => known.includes(a));
const rest = args.filter((a) => !known.includes(a));
const unknown = rest.filter((a, i) => !a.startsWith('-') && !rest[i - 1]?.startsWith('--'));
const selected = named.length ? named : all;

let failed = 0;
for (const name of unknown) {
  console.error(`bench: no benchmark named '${name}' (have: ${known.join(', ')}, synth)`);
  failed++;
}
for (const name of failed ? [] : selected) {
  const file = join(benchDir, `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n##### bench/${name}.ts`);
  if (run(`${name}.ts`, rest).status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
