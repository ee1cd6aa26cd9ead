// The decode benchmark's memory-growth row: what a long thought adds to the engine's memory besides its KV cache.
// The test-sized model decodes 24,000 greedy tokens in a child process (so the figure is that process's own), once
// with the app's session options and once with ONNX Runtime's memory pattern on (its default), which records a
// pattern per set of input shapes and keeps them all: a decoder's shapes grow by a row every step.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelPool } from '../electron/generate/model-pool';
import { argmax } from '../electron/generate/sampler';
import { convertCheckpoint } from '../electron/convert/convert';
import { cachedFolder, makeTinyModel } from '../electron/testing/fixtures';
import { childJson } from './child-json';

/** The test-sized model (2 layers, hidden 48) converted to q4: the default graph, or the portable one (cached). */
export async function testSizedFolder(portable: boolean): Promise<string> {
  // 3 heads of 16: GroupQueryAttention on CPU needs head_dim % 16 == 0
  const shape = { arch: 'qwen2' as const, seed: 3, hidden: 48, layers: 2, heads: 3, kvHeads: 1, intermediate: 96 };
  const { hfDir } = await makeTinyModel(shape);
  const dir = await cachedFolder(portable ? 'bench-long-context-q4-portable' : 'bench-long-context-q4', shape, ['model', 'onnx', 'convert'], async (staging) => {
    await convertCheckpoint(hfDir, join(staging, 'model'), { dtype: 'q4', portable });
  });
  return join(dir, 'model');
}

const STEPS = 24_000;
const CHECKPOINT = 2_000;

interface GrowthResult {
  /** Resident MiB after a full GC, every CHECKPOINT steps. */
  readings: { step: number; rss: number }[];
  /** KV cache bytes per token (the load-time estimate's). */
  kvBytesPerToken: number;
}

async function childMain(memPattern: boolean, dir: string, threads: number): Promise<void> {
  const sessionFactory = (path: string, options: ort.InferenceSession.SessionOptions) => ort.InferenceSession.create(path, { ...options, ...(memPattern ? { enableMemPattern: true } : {}) });
  const pool = new ModelPool({ sessionFactory });
  const info = await pool.load({ modelId: 'tiny', dir, provider: 'cpu', contextLength: STEPS + 64, threads });
  const rss = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().rss / 2 ** 20;
  };
  const readings = await pool.run('tiny', async (m) => {
    let next = argmax(await m.decoder.forward([1, 2, 3]));
    const taken: GrowthResult['readings'] = [];
    for (let step = 1; step <= STEPS; step++) {
      next = argmax(await m.decoder.forward([next]));
      if (step % CHECKPOINT === 0) taken.push({ step, rss: rss() });
    }
    return taken;
  });
  const out: GrowthResult = { readings, kvBytesPerToken: info.estimate.kvCacheBytes / info.contextLength };
  console.log(JSON.stringify(out));
}

function child(memPattern: boolean, dir: string, threads: number): Promise<GrowthResult> {
  // large blocks mmapped, so a freed logits row (600 KB) leaves the resident set at once instead of staying in
  // glibc's heap until a trim: without it the readings jump by ~100 MiB at random
  const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' };
  return childJson<GrowthResult>(import.meta.filename, ['--child', memPattern ? 'on' : 'off', dir, String(threads)], { nodeFlags: ['--expose-gc'], env });
}

/** Least-squares slope of resident MiB over steps (one reading can jump when the allocator returns memory). */
function slopePerStep(readings: GrowthResult['readings']): number {
  const n = readings.length;
  const mx = readings.reduce((a, r) => a + r.step, 0) / n;
  const my = readings.reduce((a, r) => a + r.rss, 0) / n;
  const sxy = readings.reduce((a, r) => a + (r.step - mx) * (r.rss - my), 0);
  const sxx = readings.reduce((a, r) => a + (r.step - mx) ** 2, 0);
  return sxy / sxx;
}

export async function memoryGrowthRow(threads: number): Promise<void> {
  const dir = await testSizedFolder(false);
  console.log(`\nmemory growth of a long thought, test-sized model (2 layers, hidden 48, q4), ${STEPS.toLocaleString('en')} greedy steps, resident memory after a full GC every ${CHECKPOINT.toLocaleString('en')}, least-squares slope over the second half:`);
  console.log('| session options | growth per 1,000 steps | of which KV cache rows | the rest |\n|---|---|---|---|');
  for (const memPattern of [false, true]) {
    const r = await child(memPattern, dir, threads);
    // the second half: the first steps still settle the allocator (one drop of ~100 MiB within the first 10,000)
    const grown = slopePerStep(r.readings.filter((x) => x.step > STEPS / 2)) * 1000;
    const kv = (r.kvBytesPerToken * 1000) / 2 ** 20;
    const label = memPattern ? "ORT's memory pattern on (its default)" : "the app's (memory pattern off)";
    console.log(`| ${label} | ${grown.toFixed(2)} MiB | ${kv.toFixed(2)} MiB | ${(grown - kv).toFixed(2)} MiB |`);
  }
}

// only as this file's own child: other benches import it, and their children take --child too
const childAt = import.meta.filename === process.argv[1] ? process.argv.indexOf('--child') : -1;
if (childAt >= 0) {
  const [mode, dir, threads] = process.argv.slice(childAt + 1);
  await childMain(mode === 'on', dir, Number(threads));
}
