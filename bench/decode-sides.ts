// The two sides of the decode benchmark, each run in its own child process (so each peak RSS is its own):
// Distillery through the engine's own ModelPool + decoder (the code the app runs), and llama.cpp through
// node-llama-cpp. Both are driven by the same schedule of token ids and report the same figures.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModelPool } from '../electron/generate/model-pool';
import { argmax } from '../electron/generate/sampler';

/** What a side can do: start over, prefill (no logits wanted), and one greedy step that returns the next token. */
export interface SideDriver {
  reset(): Promise<void>;
  prefill(ids: number[]): Promise<void>;
  /** Feeds `id` and returns the greedy next token. */
  step(id: number): Promise<number>;
  close(): Promise<void>;
}

export interface SideResult {
  /** Tokens per second of a 512-token prefill from an empty context. */
  prefillTokS: number;
  /** Per decoding depth: each step's milliseconds. */
  steps: Record<string, number[]>;
  peakRssMB: number;
  loadMs: number;
}

export interface Schedule {
  depths: number[];
  stepsPerDepth: number;
  prefillTokens: number;
  contextSize: number;
  threads: number;
  /** Distillery's tokens per prefill run (default: the app's). */
  prefillChunk?: number;
}

/** Token ids well inside the ordinary vocabulary, the same on both sides. */
export const tokenAt = (i: number): number => 1000 + ((i * 7919) % 140000);
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => tokenAt(from + i));

export async function runSchedule(driver: SideDriver, schedule: Schedule): Promise<Omit<SideResult, 'peakRssMB' | 'loadMs'>> {
  await driver.reset();
  await driver.prefill(ids(0, 8)); // warm-up: first-run allocations and thread pool start
  await driver.step(tokenAt(8));
  await driver.reset();
  let t = performance.now();
  await driver.prefill(ids(0, schedule.prefillTokens));
  const prefillTokS = schedule.prefillTokens / ((performance.now() - t) / 1000);
  await driver.reset();
  const steps: Record<string, number[]> = {};
  let length = 0;
  for (const depth of schedule.depths) {
    if (depth - 1 > length) await driver.prefill(ids(length, depth - 1));
    length = Math.max(length, depth - 1);
    let next = tokenAt(length);
    const times: number[] = [];
    for (let s = 0; s < schedule.stepsPerDepth; s++) {
      t = performance.now();
      next = await driver.step(next);
      times.push(performance.now() - t);
      length++;
    }
    steps[String(depth)] = times;
  }
  return { prefillTokS, steps };
}

export async function distillerySide(dir: string, schedule: Schedule): Promise<SideDriver & { loadMs: number }> {
  const pool = new ModelPool();
  const t = performance.now();
  await pool.load({ modelId: 'bench', dir, provider: 'cpu', contextLength: schedule.contextSize, threads: schedule.threads, prefillChunk: schedule.prefillChunk });
  const loadMs = performance.now() - t;
  const inModel = <T>(fn: Parameters<typeof pool.run<T>>[1]) => pool.run('bench', fn);
  return {
    loadMs,
    reset: () => inModel(async (m) => m.decoder.reset()),
    prefill: (tokens) => inModel(async (m) => void (await m.decoder.forward(tokens))),
    step: (id) => inModel(async (m) => argmax(await m.decoder.forward([id]))),
    close: async () => void (await pool.unload('bench')),
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- node-llama-cpp is an optional bench peer, loaded untyped */
export async function llamaSide(ggufFile: string, schedule: Schedule): Promise<SideDriver & { loadMs: number }> {
  const peers = join(import.meta.dirname, 'peers', 'package.json');
  const entry = createRequire(peers).resolve('node-llama-cpp');
  const { getLlama } = (await import(pathToFileURL(entry).href)) as any;
  const t = performance.now();
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: schedule.threads, logLevel: 'error' });
  const model = await llama.loadModel({ modelPath: ggufFile, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: schedule.contextSize,
    batchSize: 512,
    threads: schedule.threads,
    // float32 KV on both sides: Distillery's q4 graph keeps its cache in the activation type (float32)
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  const sequence = context.getSequence();
  const loadMs = performance.now() - t;
  let generator: AsyncGenerator<number> | undefined;
  let pendingInput: number | undefined;
  const stopGenerator = async () => {
    await generator?.return(undefined);
    generator = undefined;
  };
  return {
    loadMs,
    reset: async () => {
      await stopGenerator();
      await sequence.clearHistory();
    },
    prefill: async (tokens) => {
      await stopGenerator();
      await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    },
    // The first step of a run opens a greedy generator fed with its input token; later steps take its next token
    // (which the generator feeds back itself, exactly like the Distillery side feeds its argmax back).
    step: async (id) => {
      if (!generator || pendingInput !== id) {
        await stopGenerator();
        generator = sequence.evaluate([id], { temperature: 0 }) as AsyncGenerator<number>;
      }
      const { value, done } = await generator.next();
      if (done) throw new Error('llama.cpp stopped generating.');
      pendingInput = value;
      return value;
    },
    close: async () => {
      await stopGenerator();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** Child entry: `decode-sides.ts <distillery|llama> <path> <schedule json>` prints one SideResult line. */
async function main(): Promise<void> {
  const [side, path, scheduleJson] = process.argv.slice(2);
  const schedule = JSON.parse(scheduleJson) as Schedule;
  const driver = side === 'llama' ? await llamaSide(path, schedule) : await distillerySide(path, schedule);
  const result = await runSchedule(driver, schedule);
  await driver.close();
  const out: SideResult = { ...result, peakRssMB: process.resourceUsage().maxRSS / 1024, loadMs: driver.loadMs };
  console.log(JSON.stringify(out));
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await main();
