/**
 * Where a prefill chunk's time goes, per ONNX op type (ONNX Runtime's own profiler), for converted folders of the same
 * checkpoint side by side (e.g. the default graph and its `--portable` twin): each folder in its own process, in turn,
 * through the engine's decoder (the same chunking as the app). The first folder is the baseline of the ratio.
 *
 *   npm run bench -- prefill-profile --folders <a>,<b> [--depth 512] [--chunk 512] [--threads 2]
 *
 * `depth`: tokens already in the cache before the profiled chunk (0: a prompt's first chunk).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readManifest } from '../electron/convert/manifest';
import { inspectModelFolder, pickVariant } from '../electron/generate/model-files';
import { decoderFor } from '../electron/generate/model-pool';
import { sessionOptions } from '../electron/generate/providers';
import { childJson } from './child-json';
import { tokenAt } from './side-schedule';

interface Profile {
  folder: string;
  graph: string;
  runMs: number;
  /** Kernel milliseconds per op type, largest first. */
  ops: [string, number][];
}

interface ProfilerEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

const ids = (count: number, from = 0) => Array.from({ length: count }, (_, i) => tokenAt(from + i));

/** One folder: a warm-up, `depth` tokens without profiling of interest, then the profiled chunk's last run. */
async function profileFolder(folder: string, depth: number, chunk: number, threads: number): Promise<Profile> {
  const model = inspectModelFolder(folder);
  const variant = pickVariant(model, undefined, false);
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-prefill-profile-')), 'profile');
  const session = await ort.InferenceSession.create(variant.onnxPath, { ...sessionOptions('cpu', threads), enableProfiling: true, profileFilePrefix: prefix });
  const decoder = decoderFor(session, model.shape, { prefillChunk: chunk, contextLength: depth + chunk + 64 });
  await decoder.forward(ids(8));
  decoder.reset();
  if (depth) await decoder.forward(ids(depth));
  await decoder.forward(ids(chunk, depth));
  session.endProfiling();
  const dir = path.dirname(prefix);
  const file = path.join(dir, fs.readdirSync(dir).find((name) => name.endsWith('.json'))!);
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as ProfilerEvent[];
  fs.rmSync(dir, { recursive: true, force: true });
  await session.release();
  const last = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').at(-1)!;
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < last.ts) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000);
  }
  const graph = (await readManifest(folder)).graph ?? 'standard';
  return { folder, graph, runMs: last.dur / 1000, ops: [...byOp].sort((a, b) => b[1] - a[1]) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { folders: { type: 'string' }, depth: { type: 'string', default: '512' }, chunk: { type: 'string', default: '512' }, threads: { type: 'string', default: '2' } }, strict: false });
  const folders = String(values.folders ?? '').split(',').filter(Boolean);
  if (!folders.length) throw new Error('Pass --folders <a converted folder>[,<another conversion of the same checkpoint>…].');
  const [depth, chunk, threads] = [values.depth, values.chunk, values.threads].map(Number);
  const profiles: Profile[] = [];
  for (const folder of folders) profiles.push(await childJson<Profile>(import.meta.filename, ['--child', folder, String(depth), String(chunk), String(threads)]));
  const base = profiles[0].runMs;
  console.log(`a ${chunk}-token prefill chunk after ${depth} tokens, ${threads} threads, ONNX Runtime's profiler (its last run):`);
  for (const p of profiles) {
    const kernels = p.ops.reduce((sum, [, ms]) => sum + ms, 0);
    console.log(`\n${p.folder} (${p.graph}): run ${p.runMs.toFixed(0)} ms (${(chunk / (p.runMs / 1000)).toFixed(1)} tok/s; ÷ first folder ${(p.runMs / base).toFixed(2)}), kernels ${kernels.toFixed(0)} ms`);
    console.log('| op | ms | share |\n|---|---|---|');
    for (const [op, ms] of p.ops.slice(0, 12)) console.log(`| ${op} | ${ms.toFixed(1)} | ${((100 * ms) / kernels).toFixed(1)}% |`);
  }
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--child')) {
    const [folder, depth, chunk, threads] = process.argv.slice(process.argv.indexOf('--child') + 1);
    console.log(JSON.stringify(await profileFolder(folder, Number(depth), Number(chunk), Number(threads))));
  } else {
    await main();
  }
}
