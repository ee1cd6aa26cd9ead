/**
 * Decode on a GPU provider deep into a context: where the KV cache lives between steps decides the speed there.
 * onnxruntime-node keeps outputs on the device only for WebGPU ('gpu-buffer'); every other output, and every input
 * held in JavaScript memory, crosses the bus on each run. Same weights on every side (a 1.5B-shaped q4 folder, the
 * default graph and its `--portable` twin); the cache holds random rows (a step's cost does not depend on them).
 *
 *   npm run bench -- gpu-decode --xkv <folder> [--portable <folder>] [--provider webgpu] [--depths 1024,8192,16384]
 *                               [--steps 12] [--sides engine,engine-portable,host-kv,device-kv,copied-kv]
 *                               [--gguf <the decode bench's Q4_0 GGUF> --llama-gpu vulkan|cuda]
 *                               [--fused-prefill auto|on|off]
 *
 * Sides (each in its own process):
 *   engine     the app's path on the default graph (XkvDecoder): a 1,024-token prefill, then greedy steps (both rates);
 *              its prefill chunks run GroupQueryAttention where the app does (auto: the CPU) or as --fused-prefill says
 *   engine-portable  the same on the portable graph (OrtDecoder, presents kept on the device where the provider can)
 *   host-kv    the default graph at each depth: the engine's cache buffers fed whole each step (uploaded each run)
 *   device-kv  the portable graph with every present kept on the device and fed back: per step only the token, the
 *              mask and the logits cross (WebGPU only)
 *   copied-kv  the portable graph with every present copied to host memory and fed back (CUDA and DirectML, any graph)
 *   llama-f32, llama-f16fa  (with --gguf) llama.cpp on the same GPU through node-llama-cpp's prebuilt Vulkan or CUDA
 *              backend (bench/peers, installed by `npm run bench -- decode`; BENCH_PEERS_DIR where this file was bundled
 *              elsewhere), every layer offloaded: a float32 cache without flash attention (what the CPU bench compares),
 *              or llama.cpp's own GPU choice, a float16 cache with flash attention. A 1,024-token prefill, then greedy
 *              steps from each depth.
 * Before timing, host-kv's logits at the first depth are compared with the CPU provider's on the same feeds, and
 * device-kv's last logits with copied-kv's (the same computation, the cache in another place).
 */
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readManifest } from '../electron/convert/manifest';
import type { ProviderName } from '../electron/contract/generation';
import { inspectModelFolder, presentOutputs, readDecoderShape, type DecoderShape } from '../electron/generate/model-files';
import { decoderFor } from '../electron/generate/model-pool';
import { fusedPrefillOn } from '../electron/generate/xkv-decoder';
import { XKV_NAMES } from '../electron/model/xkv-attention';
import { createSessionWithFallback, sessionOptions } from '../electron/generate/providers';
import { argmax } from '../electron/generate/sampler';
import { f16ToF32Array, f32ToF16Array } from '../electron/util/float16';
import { childJson } from './child-json';
import { llamaSide, type LlamaGpu } from './llama-side';
import { runSchedule, tokenAt, type Schedule } from './side-schedule';
import { feedsAt, valueBlockOf } from './xkv-feeds';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Side = 'engine' | 'engine-portable' | 'host-kv' | 'device-kv' | 'copied-kv' | 'llama-f32' | 'llama-f16fa';

interface SideResult {
  side: Side;
  provider: string;
  loadS: number;
  /** Median step (ms) at each depth (host-kv, device-kv, copied-kv). */
  ms?: number[];
  /** The last step's logits at the first depth (host-kv) or at the last depth (device-kv, copied-kv), for the checks. */
  logits?: number[];
  /** engine, engine-portable, llama-*: prefill tok/s (1,024 tokens); engine sides: decode tok/s after it. */
  prefillTps?: number;
  /** engine: whether its prefill chunks ran GroupQueryAttention (fused_prefill). */
  fusedPrefill?: boolean;
  decodeTps?: number;
}

/** A session as the app makes it, with `deviceOutputs` kept on the GPU where the provider can (sessionOptions). */
async function open(folder: string, provider: ProviderName, deviceOutputs: string[] = []): Promise<{ session: ort.InferenceSession; shape: DecoderShape; loadS: number }> {
  const manifest = await readManifest(folder);
  const t = performance.now();
  const session = await ort.InferenceSession.create(join(folder, manifest.modelFile), sessionOptions(provider, undefined, deviceOutputs));
  return { session, shape: readDecoderShape(folder), loadS: (performance.now() - t) / 1000 };
}

/** Random values in [−0.5, 0.5), tiled from one block: filling a gigabyte value by value would take longer than the bench. */
function randomRows(length: number): Float32Array {
  const block = Float32Array.from({ length: 1 << 16 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 0.5);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += block.length) out.set(block.subarray(0, Math.min(block.length, length - i)), i);
  return out;
}

async function timeSteps(steps: number, run: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 2; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** The default graph at each depth, its cache fed from host memory as XkvDecoder feeds it. */
async function hostKv(folder: string, provider: ProviderName, depths: number[], steps: number): Promise<SideResult> {
  const { session, shape, loadS } = await open(folder, provider);
  const s = { layers: shape.layers, kvHeads: shape.kvHeads, d: shape.headDim, group: shape.heads / shape.kvHeads };
  const block = valueBlockOf(session);
  const rows = Math.ceil((Math.max(...depths) + 1) / 1024) * 1024 * shape.headDim; // whole blocks of any layout
  const cache = Array.from({ length: shape.layers * shape.kvHeads * 2 }, () => randomRows(rows));
  const ms: number[] = [];
  let logits: number[] = [];
  for (const depth of depths) {
    const feeds = feedsAt(block, s, cache, depth, session.inputNames);
    if (!logits.length) logits = Array.from((await session.run(feeds)).logits.data as Float32Array);
    ms.push(await timeSteps(steps, async () => void (await session.run(feeds))));
  }
  await session.release();
  return { side: 'host-kv', provider, loadS, ms, logits };
}

/** The portable graph stepping from each depth, its presents fed back from the device or from host memory. */
async function portableKv(side: 'device-kv' | 'copied-kv', folder: string, provider: ProviderName, depths: number[], steps: number): Promise<SideResult> {
  const presents = presentOutputs(inspectModelFolder(folder).variants[0]);
  const { session, shape, loadS } = await open(folder, provider, side === 'device-kv' ? presents : []);
  const half = session.inputMetadata.some((m) => m.name === 'past_key_values.0.key' && m.isTensor && m.type === 'float16');
  const cacheTensor = (dims: number[]) => {
    const values = randomRows(dims.reduce((a, b) => a * b, 1));
    return half ? new ort.Tensor('float16', f32ToF16Array(values), dims) : new ort.Tensor('float32', values, dims);
  };
  const ms: number[] = [];
  let last: ort.Tensor | undefined;
  for (const depth of depths) {
    let past: Record<string, ort.Tensor> = {};
    for (let l = 0; l < shape.layers; l++) {
      for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = cacheTensor([1, shape.kvHeads, depth, shape.headDim]);
    }
    let held = depth;
    const step = async () => {
      const feeds: Record<string, ort.Tensor> = {
        ...past,
        input_ids: new ort.Tensor('int64', BigInt64Array.from([42n]), [1, 1]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(held + 1).fill(1n), [1, held + 1]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from([BigInt(held)]), [1, 1]),
      };
      const out = await session.run(feeds);
      const next: Record<string, ort.Tensor> = {};
      for (const name of Object.keys(past)) {
        if (side === 'device-kv' && held > depth) past[name].dispose(); // the previous step's present, on the device
        next[name] = out[name.replace('past_key_values.', 'present.')];
      }
      past = next;
      held++;
      last = out.logits;
    };
    ms.push(await timeSteps(steps, step));
    if (side === 'device-kv') for (const tensor of Object.values(past)) tensor.dispose();
  }
  await session.release();
  const data = last!.data as Float32Array | Uint16Array;
  return { side, provider, loadS, ms, logits: Array.from(data instanceof Uint16Array ? f16ToF32Array(data) : data) };
}

/**
 * The app's own path: the folder inspected, the session made as the model pool makes it (presents on the device
 * where the provider can keep them), the decoder class the graph calls for; a 1,024-token prefill, then greedy steps.
 */
async function engine(side: 'engine' | 'engine-portable', folder: string, provider: ProviderName, steps: number): Promise<SideResult> {
  const info = inspectModelFolder(folder);
  const variant = info.variants[0];
  const t0 = performance.now();
  const { session, provider: used } = await createSessionWithFallback(variant.onnxPath, provider, { deviceOutputs: presentOutputs(variant) });
  if (used !== provider) throw new Error(`${provider} did not start (ran on ${used})`);
  const loadS = (performance.now() - t0) / 1000;
  const fused = arg('fused-prefill', 'auto');
  const options = { contextLength: 4096, fusedPrefill: fused === 'auto' ? fusedPrefillOn(used) : fused === 'on' };
  const decoder = decoderFor(session, info.shape, options);
  const prompt = Array.from({ length: 1024 }, (_, i) => 1000 + ((i * 7919) % 30000));
  await decoder.forward(prompt.slice(0, 300)); // warm-up at the prefill and decode shapes
  await decoder.forward([argmax(await decoder.forward([5]))]);
  decoder.reset();
  let t = performance.now();
  let logits = await decoder.forward(prompt);
  const prefillTps = prompt.length / ((performance.now() - t) / 1000);
  logits = await decoder.forward([argmax(logits)]);
  t = performance.now();
  for (let i = 0; i < steps; i++) logits = await decoder.forward([argmax(logits)]);
  const decodeTps = steps / ((performance.now() - t) / 1000);
  const hasBranch = session.inputNames.includes(XKV_NAMES.fusedPrefill);
  decoder.dispose();
  await session.release();
  return { side, provider, loadS, prefillTps, decodeTps, fusedPrefill: hasBranch ? options.fusedPrefill : undefined };
}

/** llama.cpp on the same GPU and weights (the decode bench's GGUF): a 1,024-token prefill, then greedy steps from each depth. */
async function llamaOnGpu(side: 'llama-f32' | 'llama-f16fa', gguf: string, backend: LlamaGpu['backend'], depths: number[], steps: number): Promise<SideResult> {
  const schedule: Schedule = { depths, stepsPerDepth: steps + 2, prefillTokens: 1024, contextSize: Math.max(...depths) + steps + 64, threads: os.availableParallelism() };
  const gpu: LlamaGpu = side === 'llama-f32' ? { backend, kvType: 'F32', flashAttention: false } : { backend, kvType: 'F16', flashAttention: true };
  const driver = await llamaSide(gguf, schedule, gpu);
  // the backend builds its pipelines on first use: a prompt-sized batch and a few steps before anything is timed
  await driver.prefill(Array.from({ length: 600 }, (_, i) => tokenAt(i)));
  for (let i = 0, next = tokenAt(600); i < 3; i++) next = await driver.step(next);
  const result = await runSchedule(driver, schedule);
  await driver.close();
  const ms = depths.map((depth) => median(result.steps[String(depth)].slice(2)));
  return { side, provider: `llama.cpp ${backend}`, loadS: driver.loadMs / 1000, ms, prefillTps: result.prefillTokS };
}

function relativeDifference(a: number[], b: number[]): number {
  const scale = b.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0) / scale;
}

async function main(): Promise<void> {
  const provider = arg('provider', 'webgpu');
  const depths = arg('depths', '1024,8192,16384');
  const steps = arg('steps', '12');
  const gguf = arg('gguf', '');
  const sides = arg('sides', `engine,engine-portable,host-kv,device-kv,copied-kv${gguf ? ',llama-f32,llama-f16fa' : ''}`).split(',') as Side[];
  if (sides.some((side) => side.startsWith('llama-')) && !gguf) throw new Error('The llama sides need --gguf <the decode bench\'s Q4_0 GGUF of the same checkpoint>.');
  const folders = { xkv: arg('xkv', ''), portable: arg('portable', '') };
  const needsPortable = sides.some((side) => side === 'engine-portable' || side === 'device-kv' || side === 'copied-kv');
  if (!folders.xkv) throw new Error('Pass --xkv <a converted folder>.');
  if (needsPortable && !folders.portable) throw new Error('The engine-portable, device-kv and copied-kv sides need --portable <the same checkpoint converted with `distillery convert --portable`>.');
  const llama = ['--gguf', gguf, '--llama-gpu', arg('llama-gpu', 'vulkan')];
  const runSide = (side: Side, p = provider) =>
    childJson<SideResult>(import.meta.filename, ['--child', side, '--provider', p, '--xkv', folders.xkv, '--portable', folders.portable, '--depths', depths, '--steps', steps, '--fused-prefill', arg('fused-prefill', 'auto'), ...llama]);
  const results = new Map<Side, SideResult>();
  for (const side of sides) {
    try {
      results.set(side, await runSide(side));
      console.error(`${side}: ${JSON.stringify({ ...results.get(side), logits: undefined })}`);
    } catch (error) {
      console.log(`${side} failed on ${provider}: ${(error as Error).message}`); // the other sides still say something
    }
  }
  const d = depths.split(',');
  console.log(`${provider}, ${folders.xkv} and its portable twin; median of ${steps} steps; model load: ${[...results.values()].map((r) => `${r.side} ${r.loadS.toFixed(1)} s`).join(', ')}`);
  const host = results.get('host-kv');
  if (host?.logits) {
    const cpu = await runSide('host-kv', 'cpu');
    const same = argmax(Float32Array.from(host.logits)) === argmax(Float32Array.from(cpu.logits!));
    console.log(`host-kv logits against the CPU provider at ${d[0]}: largest difference ${relativeDifference(host.logits, cpu.logits!).toExponential(1)} of the largest, same top token: ${same}; CPU step ${cpu.ms!.map((x) => x.toFixed(1)).join(' / ')} ms`);
  }
  const device = results.get('device-kv');
  const copied = results.get('copied-kv');
  if (device?.logits && copied?.logits) console.log(`device-kv against copied-kv, last step: largest difference ${relativeDifference(device.logits, copied.logits).toExponential(1)} of the largest`);
  for (const side of ['engine', 'engine-portable'] as const) {
    const r = results.get(side);
    if (r) console.log(`${side} (${side === 'engine' ? `default graph, XkvDecoder, ${r.fusedPrefill === undefined ? 'no prefill branch' : `fused prefill ${r.fusedPrefill ? 'on' : 'off'}`}` : 'portable graph, OrtDecoder'}): prefill 1,024 tokens ${r.prefillTps!.toFixed(1)} tok/s, decode after it ${r.decodeTps!.toFixed(1)} tok/s`);
  }
  for (const side of ['llama-f32', 'llama-f16fa'] as const) {
    const r = results.get(side);
    if (r) console.log(`${side} (${r.provider}, ${side === 'llama-f32' ? 'float32 cache' : 'float16 cache, flash attention'}): prefill 1,024 tokens ${r.prefillTps!.toFixed(1)} tok/s`);
  }
  const timed = sides.filter((s) => results.get(s)?.ms);
  if (!timed.length) return;
  console.log(`| context | ${timed.map((s) => `${s} ms (tok/s)`).join(' | ')} |`);
  console.log(`|---|${timed.map(() => '---|').join('')}`);
  d.forEach((depth, i) => console.log(`| ${depth} | ${timed.map((s) => `${results.get(s)!.ms![i].toFixed(1)} (${(1000 / results.get(s)!.ms![i]).toFixed(1)})`).join(' | ')} |`));
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--child')) {
    const side = arg('child', 'host-kv') as Side;
    const provider = arg('provider', 'webgpu') as ProviderName;
    const depths = arg('depths', '1024').split(',').map(Number);
    const steps = Number(arg('steps', '12'));
    const result =
      side === 'engine' ? await engine(side, arg('xkv', ''), provider, steps * 2)
      : side === 'engine-portable' ? await engine(side, arg('portable', ''), provider, steps * 2)
      : side === 'host-kv' ? await hostKv(arg('xkv', ''), provider, depths, steps)
      : side === 'llama-f32' || side === 'llama-f16fa' ? await llamaOnGpu(side, arg('gguf', ''), arg('llama-gpu', 'vulkan') as LlamaGpu['backend'], depths, steps)
      : await portableKv(side, arg('portable', ''), provider, depths, steps);
    console.log(JSON.stringify(result));
  } else {
    await main();
  }
}
