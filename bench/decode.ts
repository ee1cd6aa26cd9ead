/**
 * Decode benchmark against llama.cpp: a synthetic R1-Distill-Qwen-1.5B-shaped checkpoint (cached), converted with
 * Distillery's default q4, and a Q4_0 GGUF of the same weights for llama.cpp (node-llama-cpp, a bench-only peer in
 * bench/peers, installed on first use). Both sides run the same token schedule in separate child processes,
 * interleaved, same thread count, same context size, float32 KV cache on both: decode at 32 / 1,024 / 4,096 tokens of
 * context and a 512-token prefill. Prints medians, ratios, peak RSS and the share of the memory-bandwidth bound
 * (bytes read per token ÷ the machine's copy bandwidth, measured natively with the same thread count on 1 GB buffers).
 * Then the app rows (bench/decode-app.ts): `distillery run --json` after a 1,000-token prompt, greedy and at R1's
 * sampling, and the test-sized long-context row.
 *
 *   npm run bench -- decode [--reps N] [--steps N] [--threads N] [--no-llama] [--no-app] [--block-size 64]
 *   npm run bench -- decode --app-only   # the app rows alone (no llama.cpp figure to compare with)
 *   npm run bench -- decode --prefill-chunks 128,256,512 [--prefill-tokens 2048]   # Distillery's prefill rate per chunk size, nothing else
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../electron/convert/convert';
import { readManifest } from '../electron/convert/manifest';
import { cachedFolder, FIXTURE_ROOT } from '../electron/testing/fixtures';
import { childJson } from './child-json';
import { appRows } from './decode-app';
import type { Schedule, SideResult } from './side-schedule';
import { writeQ4_0Gguf } from './gguf';
import { filesUnder, warmPageCache } from './page-cache';
import { R1_QWEN_1_5B, writeSyntheticCheckpoint } from './synth-checkpoint';

const BENCH = import.meta.dirname;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x: number, digits = 1) => x.toFixed(digits);

/** The cached synthetic checkpoint (3.5 GB, rewritten only when its generator changes). */
export function synthCheckpoint(): Promise<string> {
  // keyed on the generator's own source, not on electron/testing (which changes often and would rewrite 3.5 GB)
  const generator = readFileSync(join(BENCH, 'synth-checkpoint.ts'), 'utf8');
  return cachedFolder('bench-synth-qwen2-1.5b', { shape: R1_QWEN_1_5B, seed: 1, generator }, [], (dir) => {
    writeSyntheticCheckpoint(dir, R1_QWEN_1_5B, { seed: 1 });
  });
}

/** The default q4 conversion, or with `blockSize` another block size (cached separately). */
export async function converted(src: string, blockSize?: number): Promise<string> {
  const key = blockSize === undefined ? { src } : { src, blockSize };
  const dir = await cachedFolder('bench-decode-q4', key, ['model', 'onnx', 'convert'], async (staging) => {
    console.log(`converting the synthetic checkpoint with ${blockSize === undefined ? 'the default q4' : `q4 block ${blockSize}`} (cached afterwards)…`);
    await convertCheckpoint(src, join(staging, 'model'), { dtype: 'q4', blockSize });
  });
  return join(dir, 'model');
}

async function gguf(src: string): Promise<string> {
  const dir = await cachedFolder('bench-decode-gguf', { src, version: 1 }, [], (staging) => {
    console.log('writing the Q4_0 GGUF of the same weights (cached afterwards)…');
    writeQ4_0Gguf(src, join(staging, 'model-q4_0.gguf'));
  });
  return join(dir, 'model-q4_0.gguf');
}

function ensurePeers(): void {
  if (existsSync(join(BENCH, 'peers', 'node_modules', 'node-llama-cpp', 'package.json'))) return;
  console.log('installing node-llama-cpp into bench/peers (first use; never one of the app\'s dependencies)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: join(BENCH, 'peers'), stdio: 'inherit' });
  if (run.status !== 0) throw new Error('npm install in bench/peers failed: the llama.cpp side needs the package registry once.');
}

/** Copy bandwidth (bytes read + written per second) with `threads` threads on 1 GB buffers, measured in C. */
function copyBandwidth(threads: number): number {
  const exe = join(FIXTURE_ROOT, 'bench-copy-bandwidth');
  mkdirSync(FIXTURE_ROOT, { recursive: true });
  execFileSync('cc', ['-O2', '-pthread', '-o', exe, join(BENCH, 'native', 'copy-bandwidth.c')]);
  const out = JSON.parse(execFileSync(exe, [String(threads), '1024'], { encoding: 'utf8' })) as { bytesPerSecond: number };
  return out.bytesPerSecond;
}

function child(side: 'distillery' | 'llama', path: string, schedule: Schedule): Promise<SideResult> {
  return childJson<SideResult>(join(BENCH, 'decode-sides.ts'), [side, path, JSON.stringify(schedule)]);
}

/** How Distillery's 4-bit weights sit in memory: as the folder stores them, or as ONNX Runtime's CPU kernel reads them. */
export interface WeightFormat {
  blockSize: number;
  symmetric: boolean;
  /**
   * 'stored': 4-bit codes + a float32 scale (+ a 4-bit zero point) per block. 'read': MatMulNBits prepacks each matrix
   * for its int8 kernel (accuracy level 4) as 4-bit codes + a float32 scale + a float32 block sum per block (the zero
   * point folded into the sum), and reads all of it every step (MLAS's CompInt8 layout: the sums feed a second,
   * float32 product with the activations' block sums).
   */
  as: 'stored' | 'read';
}

/** Bits per weight of a 4-bit matrix in `format`. */
export function bitsPerWeight(format: WeightFormat): number {
  const perBlock = format.as === 'read' ? 64 : 32 + (format.symmetric ? 0 : 4);
  return 4 + perBlock / format.blockSize;
}

/** Bytes a decode step reads: every weight once (one embedding row) plus the KV cache at `depth`. */
function bytesPerToken(kind: 'distillery' | 'llama', format: WeightFormat, depth: number): number {
  const s = R1_QWEN_1_5B;
  const headDim = s.hidden / s.heads;
  const kv = s.kvHeads * headDim;
  const matrices = s.layers * (s.hidden * (s.hidden + 2 * kv) + s.hidden * s.hidden + 3 * s.hidden * s.intermediate) + s.vocabSize * s.hidden;
  const quantBytes = kind === 'llama' ? (matrices / 32) * 18 : (matrices * bitsPerWeight(format)) / 8;
  const smallBytes = 4 * (s.layers * (2 * s.hidden + s.hidden + 2 * kv) + s.hidden) + 2 * s.hidden;
  const kvBytes = 2 * s.layers * kv * depth * 4;
  return quantBytes + smallBytes + kvBytes;
}

async function main(): Promise<void> {
  const threads = Number(arg('threads') ?? availableParallelism());
  const reps = Number(arg('reps') ?? 2);
  const schedule: Schedule = { depths: [32, 1024, 4096], stepsPerDepth: Number(arg('steps') ?? 12), prefillTokens: Number(arg('prefill-tokens') ?? 512), contextSize: 4608, threads };
  const src = await synthCheckpoint();
  const onnxDir = await converted(src, arg('block-size') === undefined ? undefined : Number(arg('block-size')));
  const warmed = async (files: string[]) => {
    const { bytes, seconds } = await warmPageCache(files);
    console.log(`page cache warmed: ${fmt(bytes / 2 ** 30, 2)} GiB of model files read in ${fmt(seconds)} s (bench/page-cache.ts says why)`);
  };
  await warmed(filesUnder(onnxDir));
  const chunks = arg('prefill-chunks');
  if (chunks) return prefillChunks(onnxDir, schedule, chunks.split(',').map(Number));
  if (flag('app-only')) return appRows(onnxDir, [], threads);
  const manifest = await readManifest(onnxDir);
  const format = { blockSize: manifest.quantization?.blockSize ?? 32, symmetric: manifest.quantization?.symmetric ?? true };
  const withLlama = !flag('no-llama');
  let ggufFile = '';
  if (withLlama) {
    ensurePeers();
    ggufFile = await gguf(src);
    await warmed([ggufFile]);
  }
  const bandwidth = copyBandwidth(threads);
  console.log(`threads ${threads} · context ${schedule.contextSize} · KV cache float32 on both sides · copy bandwidth ${fmt(bandwidth / 1e9)} GB/s (${threads} threads, 1 GB buffers)`);
  const stored = bitsPerWeight({ ...format, as: 'stored' });
  const read = bitsPerWeight({ ...format, as: 'read' });
  console.log(`precision per tensor kind: embedding fp16 | F16 · projections q4 block ${format.blockSize} fp32 scales${format.symmetric ? '' : ' + 4-bit zero points'} (${fmt(stored, 2)} bits stored, ${fmt(read, 2)} as ONNX Runtime's CPU kernel reads them) | Q4_0 (4.5 bits) · lm_head same as projections · norms/biases fp32 | F32`);
  const runs: Record<'distillery' | 'llama', SideResult[]> = { distillery: [], llama: [] };
  for (let rep = 0; rep < reps; rep++) {
    const order: ('distillery' | 'llama')[] = rep % 2 === 0 ? ['distillery', 'llama'] : ['llama', 'distillery'];
    for (const side of order) {
      if (side === 'llama' && !withLlama) continue;
      const r = await child(side, side === 'llama' ? ggufFile : onnxDir, schedule);
      runs[side].push(r);
      console.log(`  rep ${rep + 1} ${side}: prefill ${fmt(r.prefillTokS)} tok/s, ${schedule.depths.map((d) => `@${d} ${fmt(1000 / median(r.steps[d]))}`).join(' ')} tok/s, peak RSS ${fmt(r.peakRssMB, 0)} MiB`);
    }
  }
  printTable(runs, schedule, format, bandwidth);
  if (!flag('no-app')) await appRows(onnxDir, withLlama ? runs.llama : [], threads);
}

/** Prefill tok/s of a 512-token prompt per chunk size (the depth list is empty: no decoding). */
async function prefillChunks(onnxDir: string, schedule: Schedule, chunks: number[]): Promise<void> {
  const rates = new Map<number, number[]>(chunks.map((c) => [c, []]));
  for (let rep = 0; rep < Number(arg('reps') ?? 2); rep++) {
    for (const chunk of chunks) rates.get(chunk)!.push((await child('distillery', onnxDir, { ...schedule, depths: [], prefillChunk: chunk })).prefillTokS);
  }
  console.log(`| prefill chunk | tok/s, ${schedule.prefillTokens}-token prompt (median) |\n|---|---|`);
  for (const [chunk, r] of rates) console.log(`| ${chunk} | ${fmt(median(r))} |`);
}

function printTable(runs: Record<'distillery' | 'llama', SideResult[]>, schedule: Schedule, format: Omit<WeightFormat, 'as'>, bandwidth: number): void {
  const decodeRate = (rs: SideResult[], depth: number) => (rs.length ? 1000 / median(rs.flatMap((r) => r.steps[depth])) : NaN);
  const rows: string[] = ['| figure | Distillery | llama.cpp | ratio |', '|---|---|---|---|'];
  const ours = runs.distillery;
  const theirs = runs.llama;
  const line = (name: string, a: number, b: number, digits = 1) => rows.push(`| ${name} | ${fmt(a, digits)} | ${Number.isNaN(b) ? '—' : fmt(b, digits)} | ${Number.isNaN(b) ? '—' : fmt(a / b, 2)} |`);
  for (const depth of schedule.depths) line(`decode tok/s at ${depth} tokens of context`, decodeRate(ours, depth), decodeRate(theirs, depth));
  line(`prefill tok/s, ${schedule.prefillTokens} tokens`, median(ours.map((r) => r.prefillTokS)), theirs.length ? median(theirs.map((r) => r.prefillTokS)) : NaN);
  const share = (rs: SideResult[], kind: 'distillery' | 'llama', as: WeightFormat['as']) => (decodeRate(rs, 32) * bytesPerToken(kind, { ...format, as }, 32)) / bandwidth;
  const llamaShare = theirs.length ? fmt(100 * share(theirs, 'llama', 'read'), 0) + '%' : '—';
  rows.push(`| share of the bandwidth bound at 32 tokens, weights as stored | ${fmt(100 * share(ours, 'distillery', 'stored'), 0)}% | ${llamaShare} | |`);
  rows.push(`| the same, weights as the CPU kernels read them | ${fmt(100 * share(ours, 'distillery', 'read'), 0)}% | ${llamaShare} | |`);
  line('decode at 4,096 ÷ decode at 32', decodeRate(ours, 4096) / decodeRate(ours, 32), decodeRate(theirs, 4096) / decodeRate(theirs, 32), 2);
  line('peak RSS, MiB', Math.max(...ours.map((r) => r.peakRssMB)), theirs.length ? Math.max(...theirs.map((r) => r.peakRssMB)) : NaN, 0);
  console.log(`\nmedians over ${ours.length} interleaved runs × ${schedule.stepsPerDepth} steps per depth:\n${rows.join('\n')}`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
