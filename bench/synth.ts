// `npm run bench -- synth <folder>`: writes the synthetic R1-Distill-Qwen-1.5B-shaped checkpoint the decode benchmark
// uses (same seed, same bytes), for anyone who wants to reproduce its figures with other tools.
import { resolve } from 'node:path';
import { R1_QWEN_1_5B, writeSyntheticCheckpoint } from './synth-checkpoint';

const folder = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (!folder) {
  console.error('usage: npm run bench -- synth <folder>');
  process.exit(2);
}
const started = performance.now();
const bytes = writeSyntheticCheckpoint(resolve(folder), R1_QWEN_1_5B, { seed: 1 });
console.log(`wrote ${resolve(folder)}: ${(bytes / 1e9).toFixed(2)} GB of bf16 weights in ${((performance.now() - started) / 1000).toFixed(1)} s`);
