// What both sides of the decode benchmarks share: the driver a side offers, the token schedule, and the loop that
// times it. No child entry here (gpu-decode is bundled into one file with it).

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
