/**
 * Two models in one engine, as the Compare screen runs them: two replies at once, each model's steps taking turns on
 * the engine's one JS thread (every generation yields to the event loop between tokens). Each model's ONNX Runtime
 * session has its own worker threads; by default they keep spinning for a while after a run ends, and in Compare that
 * is exactly when the other model runs. The engine hands the models turns of a slice of time (turns.ts); this bench
 * measures one model alone and two models taking turns of several slices (0: every run, as before turns), with
 * ONNX Runtime's default waiting (`spin`) and with `session.force_spinning_stop` (`stop`: workers spin inside a run
 * and sleep after it), each case in its own process, interleaved. Rates are both models' tokens over the span from
 * the first step of either to the last of both, per model. The model is the decode benchmark's synthetic 1.5B in
 * the default q4 (written and converted on first use, then cached).
 *
 *   npm run bench -- compare [--model <converted folder>] [--reps N] [--steps N] [--depth N] [--threads N] [--slices 0,100,250]
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { yieldToEventLoop } from '../electron/engine/yield';
import { ModelPool } from '../electron/generate/model-pool';
import { DEFAULT_TURN_SLICE_MS } from '../electron/generate/turns';
import { argmax } from '../electron/generate/sampler';
import { childJson } from './child-json';
import { converted, synthCheckpoint } from './decode';
import { tokenAt } from './side-schedule';

type Wait = 'spin' | 'stop';
type Layout = 'solo' | 'pair';
interface ChildResult {
  /** Per model: when its first step started and its last ended (ms, one clock for both), and the steps taken. */
  models: { start: number; end: number; steps: number }[];
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One generation's worth of greedy steps on `modelId`, yielding between tokens as the engine's generator does. */
async function reply(pool: ModelPool, modelId: string, depth: number, steps: number): Promise<ChildResult['models'][number]> {
  return pool.run(modelId, async (m) => {
    m.decoder.reset();
    let next = argmax(await m.decoder.forward(Array.from({ length: depth }, (_, i) => tokenAt(i))));
    await yieldToEventLoop();
    const start = performance.now();
    for (let s = 0; s < steps; s++) {
      next = argmax(await m.decoder.forward([next]));
      await yieldToEventLoop();
    }
    return { start, end: performance.now(), steps };
  });
}

async function childMain(c: Case, dir: string, threads: number, depth: number, steps: number): Promise<void> {
  // the bench states the spinning value, whatever the app's default is
  const sessionFactory = (path: string, options: ort.InferenceSession.SessionOptions) =>
    ort.InferenceSession.create(path, { ...options, extra: { session: { force_spinning_stop: c.wait === 'stop' ? '1' : '0' } } });
  const pool = new ModelPool({ sessionFactory, turnSliceMs: c.sliceMs });
  const ids = c.layout === 'pair' ? ['left', 'right'] : ['left'];
  for (const modelId of ids) await pool.load({ modelId, dir, provider: 'cpu', contextLength: depth + steps + 64, threads });
  await Promise.all(ids.map((id) => reply(pool, id, 8, 2))); // warm-up: first-run allocations, thread start
  const models = await Promise.all(ids.map((id) => reply(pool, id, depth, steps)));
  for (const id of ids) await pool.unload(id);
  const out: ChildResult = { models };
  console.log(JSON.stringify(out));
}

interface Case {
  wait: Wait;
  layout: Layout;
  /** Turn slice between the two models (0: they alternate every run, as before turns). */
  sliceMs: number;
}
const label = (c: Case) => `${c.layout === 'solo' ? 'one model' : 'two models taking turns (Compare)'}, ${c.wait === 'spin' ? 'spinning (default)' : 'force_spinning_stop'}${c.layout === 'pair' ? `, ${c.sliceMs ? `${c.sliceMs} ms turns` : 'alternating every token'}` : ''}`;

async function main(): Promise<void> {
  const dir = arg('model', '') || (await converted(await synthCheckpoint()));
  const threads = Number(arg('threads', String(availableParallelism())));
  const reps = Number(arg('reps', '3'));
  const steps = Number(arg('steps', '24'));
  const depth = Number(arg('depth', '32'));
  const slices = arg('slices', `0,${DEFAULT_TURN_SLICE_MS}`).split(',').map(Number);
  const cases: Case[] = [
    { wait: 'spin', layout: 'solo', sliceMs: DEFAULT_TURN_SLICE_MS },
    { wait: 'stop', layout: 'solo', sliceMs: DEFAULT_TURN_SLICE_MS },
    ...slices.map((sliceMs): Case => ({ wait: 'spin', layout: 'pair', sliceMs })),
    { wait: 'stop', layout: 'pair', sliceMs: 0 },
    { wait: 'stop', layout: 'pair', sliceMs: DEFAULT_TURN_SLICE_MS },
  ];
  const rates = new Map<string, number[]>();
  console.log(`model ${dir} · threads ${threads} · ${steps} greedy steps after a ${depth}-token prompt · ${reps} interleaved runs`);
  for (let rep = 0; rep < reps; rep++) {
    for (const c of rep % 2 === 0 ? cases : [...cases].reverse()) {
      const r = await childJson<ChildResult>(import.meta.filename, ['--child', c.wait, c.layout, String(c.sliceMs), dir, String(threads), String(depth), String(steps)]);
      // both models' tokens over the span from the first step of either to the last of both: with long turns one
      // model finishes a turn earlier than the other, so each model's own first-to-last span would flatter both
      const span = Math.max(...r.models.map((m) => m.end)) - Math.min(...r.models.map((m) => m.start));
      const perModel = (1000 * r.models.reduce((sum, m) => sum + m.steps, 0)) / span / r.models.length;
      rates.set(label(c), [...(rates.get(label(c)) ?? []), perModel]);
      console.log(`  rep ${rep + 1} ${label(c)}: ${perModel.toFixed(1)} tok/s per model`);
    }
  }
  const solo = median(rates.get(label(cases[0]))!);
  console.log('\n| case | tok/s per model (median) | ÷ one model alone, spinning | ÷ a fair half of it |\n|---|---|---|---|');
  for (const c of cases) {
    const rate = median(rates.get(label(c))!);
    const fair = c.layout === 'pair' ? (2 * rate) / solo : rate / solo;
    console.log(`| ${label(c)} | ${rate.toFixed(1)} | ${(rate / solo).toFixed(2)} | ${c.layout === 'pair' ? fair.toFixed(2) : '—'} |`);
  }
}

// only as this file's own child: other benches import it, and their children take --child too
const childAt = import.meta.filename === process.argv[1] ? process.argv.indexOf('--child') : -1;
if (childAt >= 0) {
  const [wait, layout, sliceMs, dir, threads, depth, steps] = process.argv.slice(childAt + 1);
  await childMain({ wait: wait as Wait, layout: layout as Layout, sliceMs: Number(sliceMs) }, dir, Number(threads), Number(depth), Number(steps));
} else {
  await main();
}
