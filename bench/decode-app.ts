// The decode benchmark's app rows: the same converted model through `distillery run --json` (engine process, model
// pool, sampler, splitter, events), greedy and at R1's default sampling, after a ~1,000-token prompt; and the
// test-sized long-context row (a 2-layer hidden-48 model: one step at 30,000 tokens of context against one at 1,000)
// and its memory growth over a long thought (bench/decode-memory.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelPool } from '../electron/generate/model-pool';
import { inspectModelFolder } from '../electron/generate/model-files';
import { OrtDecoder, type DecoderModel } from '../electron/generate/ort-decoder';
import { OrtCandidateFinder } from '../electron/generate/candidates';
import { Sampler, argmax, createRng } from '../electron/generate/sampler';
import type { SideResult } from './side-schedule';
import { memoryGrowthRow, testSizedFolder } from './decode-memory';
import { PEAK_FACTOR, peakedCopy, samplerPaths } from './peaked-model';

const ROOT = join(import.meta.dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface RunStats {
  promptTokens: number;
  decodeTokensPerSecond: number;
  loopOverheadPct: number;
  completionTokens: number;
}

function distilleryRun(dir: string, home: string, prompt: string, threads: number, extra: string[]): { stats: RunStats; answer: string; reasoning: string } {
  const args = ['bin/distillery.mjs', 'run', dir, prompt, '--json', '--max-tokens', '48', '--threads', String(threads), ...extra];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, DISTILLERY_HOME: home, DISTILLERY_NO_OPEN: '1' }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`distillery run failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout) as { stats: RunStats; answer: string; reasoning: string };
}

/** Runs alternate (greedy, sampled, sampled, greedy, …) and each figure is a median: one 48-token run is a few seconds. */
const APP_PAIRS = 3;

export async function appRows(onnxDir: string, llamaRuns: SideResult[], threads: number): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'distillery-bench-home-'));
  try {
    const llama = llamaRuns.length ? 1000 / median(llamaRuns.flatMap((r) => r.steps['1024'])) : NaN;
    appTable('the synthetic model (random weights: flat next-token rows, every sampled step takes the exact pass)', appPairs(onnxDir, home, threads), llama);
    // the same weights with peaked rows, as a trained model's: what sampling costs on a real model
    const peaked = await peakedCopy(onnxDir);
    const paths = await samplerPaths(peaked, threads);
    appTable(`the same model with lm_head ×${PEAK_FACTOR} (peaked rows: ${paths.candidates} of ${paths.candidates + paths.exact} sampled steps decided by the candidates in a probe)`,
      appPairs(peaked, home, threads), llama);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  await samplerRow();
  await longContextRow(threads);
  await memoryGrowthRow(threads);
}

type AppRun = ReturnType<typeof distilleryRun>;

/** APP_PAIRS alternating greedy and sampled runs through `distillery run` after a ~1,000-token prompt. */
function appPairs(dir: string, home: string, threads: number): { greedy: AppRun[]; sampled: AppRun[] } {
  const prompt = 'The quick brown fox jumps over the lazy dog while counting sheep. '.repeat(75);
  const greedy: AppRun[] = [];
  const sampled: AppRun[] = [];
  for (let pair = 0; pair < APP_PAIRS; pair++) {
    const runGreedy = () => greedy.push(distilleryRun(dir, home, prompt, threads, ['--temperature', '0']));
    const runSampled = () => sampled.push(distilleryRun(dir, home, prompt, threads, ['--seed', '7']));
    for (const run of pair % 2 === 0 ? [runGreedy, runSampled] : [runSampled, runGreedy]) run();
  }
  return { greedy, sampled };
}

function appTable(model: string, { greedy, sampled }: { greedy: AppRun[]; sampled: AppRun[] }, llama: number): void {
  const rate = (runs: AppRun[]) => median(runs.map((r) => r.stats.decodeTokensPerSecond));
  const outside = (runs: AppRun[]) => median(runs.map((r) => r.stats.loopOverheadPct));
  const g = rate(greedy);
  const s = rate(sampled);
  const first = greedy[0].stats;
  console.log(`\nthrough the app, ${model} (distillery run --json, ${first.promptTokens}-token prompt, ${first.completionTokens} tokens; medians of ${APP_PAIRS} runs each, alternating):`);
  console.log('| figure | Distillery | llama.cpp @1,024 | ratio |\n|---|---|---|---|');
  console.log(`| decodeTokensPerSecond, greedy | ${g.toFixed(1)} | ${llama.toFixed(1)} | ${(g / llama).toFixed(2)} |`);
  console.log(`| decodeTokensPerSecond, temperature 0.6 top-p 0.95 | ${s.toFixed(1)} | | ${(s / g).toFixed(2)} of greedy |`);
  console.log(`| share of the step outside the model, greedy / sampled | ${outside(greedy).toFixed(1)}% / ${outside(sampled).toFixed(1)}% | | |`);
  // The model does the same work per token either way, so (1 − sampled share) ÷ (1 − greedy share) is the rate ratio
  // with the machine's speed cancelled out: each share is a ratio of two times within one run, where the rates
  // above compare runs seconds apart (±15% on this machine).
  console.log(`| sampled ÷ greedy from the shares outside the model | ${((100 - outside(sampled)) / (100 - outside(greedy))).toFixed(3)} | | |`);
  console.log(`runs (tok/s): greedy ${greedy.map((r) => r.stats.decodeTokensPerSecond.toFixed(1)).join(', ')}; sampled ${sampled.map((r) => r.stats.decodeTokensPerSecond.toFixed(1)).join(', ')}`);
  const texts = new Set(sampled.map((r) => r.reasoning + r.answer));
  console.log(`same seed → same text: ${texts.size === 1 ? 'yes' : 'NO'} (${sampled.length} runs with seed 7)`);
}

/**
 * The sampler alone at R1's settings, per token over a 151,936-entry row, against argmax. The synthetic model's rows
 * are flat (random weights: every sampled step takes the exact pass); a trained model's are peaked (decided by the
 * native candidates), so the app rows above are the worst case.
 */
async function samplerRow(): Promise<void> {
  const vocab = 151_936;
  const r = createRng(1);
  const peaked = Float32Array.from({ length: vocab }, (_, i) => (i % 997 === 1 ? 12 : 0) + r() * 4 + (r() < 0.001 ? 6 : 0));
  const flat = Float32Array.from({ length: vocab }, () => (r() + r() + r() - 1.5) * 2);
  const finder = await OrtCandidateFinder.create(vocab);
  const perToken = async (fn: () => unknown) => {
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    return median(times.slice(50));
  };
  const rows: string[] = [];
  for (const [name, row] of [['peaked (a trained model)', peaked], ['flat (random weights)', flat]] as const) {
    const sampler = new Sampler({ temperature: 0.6, topP: 0.95, seed: 3 }, finder);
    const sampled = await perToken(() => sampler.next(row));
    const greedy = await perToken(() => argmax(row));
    rows.push(`| ${name} | ${greedy.toFixed(2)} ms | ${sampled.toFixed(2)} ms | ${sampler.paths.candidates} / ${sampler.paths.exact} |`);
  }
  await finder.release();
  console.log(`\nthe sampler alone, per token (median of 250 after 50 warm-up):\n| row | argmax | temperature 0.6, top-p 0.95 | steps by candidates / exact pass |\n|---|---|---|---|\n${rows.join('\n')}`);
}

/** Test-sized row: a step deep into a long thought should cost about what a step near the start costs. */
export async function longContextRow(threads: number): Promise<void> {
  const pool = new ModelPool();
  await pool.load({ modelId: 'tiny', dir: await testSizedFolder(false), provider: 'cpu', contextLength: 30_100, threads });
  const external = await stepTimes((fn) => pool.run('tiny', (model) => fn(model.decoder)));
  await pool.unload('tiny');
  // the same weights in the portable graph (transformers.js layout, a growing past): what the per-step copy costs
  const info = inspectModelFolder(await testSizedFolder(true));
  const session = await ort.InferenceSession.create(info.variants[0].onnxPath, { intraOpNumThreads: threads });
  const growing = new OrtDecoder(session, info.shape, { prefillChunk: 256, contextLength: 30_100 });
  const copied = await stepTimes((fn) => fn(growing));
  await session.release();
  const kvBytesAt = (depth: number) => 2 * info.shape.layers * info.shape.kvHeads * info.shape.headDim * depth * 4;
  console.log(`\ntest-sized row (2 layers, hidden 48, q4), median step:`);
  console.log('| KV cache | at 1,000 tokens | at 30,000 tokens | ratio (target ≤ 2) |\n|---|---|---|---|');
  console.log(`| engine-owned buffers, read in place (default graph) | ${external.at1k.toFixed(3)} ms | ${external.at30k.toFixed(3)} ms | ${(external.at30k / external.at1k).toFixed(2)} |`);
  console.log(`| growing past/present (portable graph) | ${copied.at1k.toFixed(3)} ms | ${copied.at30k.toFixed(3)} ms | ${(copied.at30k / copied.at1k).toFixed(2)} |`);
  console.log(`per-step copy cost of a growing cache at 30,000 tokens: ${(copied.at30k - external.at30k).toFixed(2)} ms for ${(kvBytesAt(30_000) / 1e6).toFixed(1)} MB of KV each way`);
}

async function stepTimes(within: (fn: (decoder: DecoderModel) => Promise<number>) => Promise<number>): Promise<{ at1k: number; at30k: number }> {
  const stepAt = (depth: number) =>
    within(async (decoder) => {
      const model = { decoder };
      const ids = Array.from({ length: depth - model.decoder.length }, (_, i) => 1000 + ((i * 31) % 5000));
      if (ids.length) await model.decoder.forward(ids);
      const times: number[] = [];
      let next = 1000;
      for (let s = 0; s < 40; s++) {
        const t = performance.now();
        next = argmax(await model.decoder.forward([next]));
        times.push(performance.now() - t);
      }
      return median(times);
    });
  // a throw-away pass first: the first steps after loading pay for allocation and page faults, not for the context
  await stepAt(1000);
  await within(async (decoder) => (decoder.reset(), 0));
  const at1k = await stepAt(1000);
  const at30k = await stepAt(30_000);
  return { at1k, at30k };
}
