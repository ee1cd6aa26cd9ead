// The two sides of the decode benchmark, each run in its own child process (so each peak RSS is its own):
// Distillery through the engine's own ModelPool + decoder (the code the app runs), and llama.cpp through
// node-llama-cpp. Both are driven by the same schedule of token ids and report the same figures.
import { ModelPool } from '../electron/generate/model-pool';
import { argmax } from '../electron/generate/sampler';
import { llamaSide } from './llama-side';
import { runSchedule, type Schedule, type SideDriver, type SideResult } from './side-schedule';

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
