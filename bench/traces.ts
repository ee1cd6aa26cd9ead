/**
 * Trace-import memory benchmark: generates a 100 MB and a 1 GB JSONL (mixed formats, some broken lines) and a
 * multi-row-group Parquet file (OpenR1-shaped rows), then imports each in its own child process and prints the
 * child's peak RSS (the target: under 500 MB whatever the input size), its time and throughput. Files are generated
 * in the temp folder and removed afterwards.
 *
 *   npm run bench -- traces            # all three
 *   npx tsx bench/traces.ts --sizes 100,1000 --parquet-rows 60000
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { importTraces } from '../electron/traces';
import { writeParquet, type ParquetColumn } from '../electron/testing/parquet-writer';
import { mulberry32 } from '../electron/util/prng';

const RSS_LIMIT_MB = 500;

/**
 * Peak RSS of this process: Linux VmHWM, which starts afresh at exec. (getrusage's maxRSS does not: a child spawned
 * by a parent holding a big generated file would report the parent's size.)
 */
function peakRssMb(): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** One record line of a random shape; ~1 in 200 broken. */
function recordLine(i: number, r: () => number): string {
  const words = (n: number) => Array.from({ length: n }, (_, k) => `w${(i * 31 + k) % 997}`).join(' ');
  const reasoning = words(100 + Math.floor(r() * 600));
  const roll = r();
  if (roll < 0.005) return `{"question": "broken ${i}", "reasoning": "${reasoning.slice(0, 40)}`;
  if (roll < 0.4) return JSON.stringify({ question: `Q${i}: ${words(12)}`, reasoning, answer: `\\boxed{${i}}` });
  if (roll < 0.7) return JSON.stringify({ messages: [{ role: 'user', content: `Q${i}: ${words(12)}` }, { role: 'assistant', content: `<think>\n${reasoning}\n</think>\n\n\\boxed{${i}}` }] });
  if (roll < 0.85) return JSON.stringify({ conversations: [{ from: 'user', value: `Q${i}` }, { from: 'assistant', value: `<|begin_of_thought|>\n\n${reasoning}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${i}\n\n<|end_of_solution|>` }] });
  return JSON.stringify({ problem: `Q${i}`, generations: [`<think>${reasoning}</think> ${i}`, `<think>${words(50)}</think> no`], correctness_math_verify: [true, false] });
}

async function writeJsonl(file: string, megabytes: number): Promise<void> {
  const out = createWriteStream(file);
  const r = mulberry32(megabytes);
  const target = megabytes * 1_000_000;
  let written = 0;
  for (let i = 0; written < target; i++) {
    const line = `${recordLine(i, r)}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const OPENR1_COLUMNS: ParquetColumn[] = [
  { name: 'problem', kind: 'string' }, { name: 'solution', kind: 'string' }, { name: 'answer', kind: 'string' },
  { name: 'generations', kind: 'list', item: 'string' }, { name: 'correctness_math_verify', kind: 'list', item: 'bool' },
];

function writeOpenR1Parquet(file: string, rows: number, rowGroupSize: number): void {
  const r = mulberry32(7);
  const words = (i: number, n: number) => Array.from({ length: n }, (_, k) => `t${(i * 17 + k) % 991}`).join(' ');
  const data = Array.from({ length: rows }, (_, i) => ({
    problem: `Problem ${i}: ${words(i, 20)}`, solution: words(i + 1, 80), answer: `${i}`,
    generations: [0, 1, 2].map((g) => `<think>\n${words(i + g, 150 + Math.floor(r() * 300))}\n</think>\n\n\\boxed{${i}}`),
    correctness_math_verify: [true, r() < 0.5, false],
  }));
  writeParquet(file, OPENR1_COLUMNS, data, rowGroupSize);
}

/** Child mode: import one file and print {peakRssMb, seconds, report summary} as JSON. */
async function child(input: string, out: string): Promise<void> {
  const start = performance.now();
  const report = await importTraces([input], out);
  const seconds = (performance.now() - start) / 1000;
  const { records, accepted, repaired, skipped, duplicates, examples } = report;
  process.stdout.write(`${JSON.stringify({ peakRssMb: peakRssMb(), seconds, records, accepted, repaired, skipped, duplicates, examples })}\n`);
}

function measure(label: string, input: string, dir: string): boolean {
  const bytes = statSync(input).size;
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', input, '--out', join(dir, 'out.jsonl')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) {
    console.log(`${label}: import failed\n${run.stderr}`);
    return false;
  }
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { peakRssMb: number; seconds: number; records: number; examples: number; skipped: number };
  const ok = result.peakRssMb < RSS_LIMIT_MB;
  console.log(`${label.padEnd(34)} ${(bytes / 1e6).toFixed(0).padStart(6)} MB  peak RSS ${result.peakRssMb.toFixed(0).padStart(4)} MiB ${ok ? '(< 500)' : '(OVER 500)'}` +
    `  ${result.seconds.toFixed(1)} s  ${(bytes / 1e6 / result.seconds).toFixed(1)} MB/s  ${result.records.toLocaleString('en-US')} records → ${result.examples.toLocaleString('en-US')} examples, ${result.skipped} skipped`);
  rmSync(join(dir, 'out.jsonl'), { force: true });
  return ok;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { child: { type: 'string' }, out: { type: 'string' }, sizes: { type: 'string', default: '100,1000' }, 'parquet-rows': { type: 'string', default: '60000' } } });
  if (values.child) return child(values.child, values.out!);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-traces-'));
  let ok = true;
  try {
    for (const mb of values.sizes.split(',').map(Number)) {
      const file = join(dir, `traces-${mb}MB.jsonl`);
      await writeJsonl(file, mb);
      ok = measure(`JSONL ${mb} MB`, file, dir) && ok;
      rmSync(file);
    }
    const rows = Number(values['parquet-rows']);
    const parquet = join(dir, 'openr1.parquet');
    writeOpenR1Parquet(parquet, rows, 2000);
    ok = measure(`Parquet ${rows} rows, ${Math.ceil(rows / 2000)} row groups`, parquet, dir) && ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!ok) process.exitCode = 1;
}

await main();
