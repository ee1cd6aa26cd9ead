/**
 * The whole-model side of bench/xkv-attention.ts: a converted 1.5B folder's decode step (the decode benchmark's
 * cached q4 folder by default) as the converter writes it, against the same file rewritten to another cache layout,
 * same weights. The cache holds random rows: a step's cost does not depend on their values, and no 4,096-token
 * prefill is needed to reach the depth. Each side runs in its own process (one session, spinning workers, as in the
 * app), the sides alternate, and each figure is the median over runs of each run's median step.
 *
 *   npm run bench -- xkv-model [--model <converted folder>] [--variants blocked-v,f16-cache] [--runs N] [--steps N]
 *                              [--threads N] [--depths 32,1024,4096]
 *
 * Variants (rewrites of the written graph; the engine uses neither):
 *   blocked-v  past values held transposed in blocks of 256 rows ([blocks, d, 256]): P·V becomes a batched MatMul
 *              with the values as the A operand, read in place, summed over blocks (K and the bias padded to whole blocks)
 *   f16-cache  past keys and values fed as float16 (half the bytes), each cast to float32 just before its Gemm
 */
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { readManifest } from '../electron/convert/manifest';
import { XKV_NAMES } from '../electron/model/xkv-attention';
import { FIXTURE_ROOT } from '../electron/testing/fixtures';
import { f32ToF16Array } from '../electron/util/float16';
import { childJson } from './child-json';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const BLOCK = 256;
type Side = 'as written' | 'blocked-v' | 'f16-cache';
const INT64 = 7;
const FLOAT = 1;
const FLOAT16 = 10;

function defaultFolder(): string {
  const cached = readdirSync(FIXTURE_ROOT).find((name) => name.startsWith('bench-decode-q4-'));
  if (!cached) throw new Error('No converted 1.5B folder: run `npm run bench -- decode` once, or pass --model <folder>.');
  const root = join(FIXTURE_ROOT, cached);
  const inner = readdirSync(root, { withFileTypes: true }).find((entry) => entry.isDirectory());
  if (!inner) throw new Error(`${root} holds no converted folder: pass --model <folder>.`);
  return join(root, inner.name);
}

const isPast = (name: string, kind: 'key' | 'value') => name.startsWith('past.') && name.endsWith(`.${kind}`);

/** Every MatMul(P, past.*.value) → Transpose(ReduceSum(MatMul(Vᵀ blocks, Transpose(Reshape(P, [0, -1, B]))), 0)). */
function blockedValues(model: P.ModelProto): number {
  const graph = model.graph!;
  graph.initializer!.push({ name: 'blocked_v_shape', dims: [3], dataType: INT64, int64Data: [0, -1, BLOCK] } as P.ITensorProto as P.TensorProto);
  graph.initializer!.push({ name: 'blocked_v_axes', dims: [1], dataType: INT64, int64Data: [0] } as P.ITensorProto as P.TensorProto);
  const perm = (ints: number[]) => [{ name: 'perm', type: 7, ints }];
  const nodes: P.INodeProto[] = [];
  let rewritten = 0;
  for (const node of graph.node!) {
    const value = node.input?.[1] ?? '';
    if (node.opType !== 'MatMul' || !isPast(value, 'value')) {
      nodes.push(node);
      continue;
    }
    const o = node.output![0];
    nodes.push(
      { opType: 'Reshape', name: `${o}_blocks`, input: [node.input![0], 'blocked_v_shape'], output: [`${o}_blocks`] }, // [G, blocks, B]
      { opType: 'Transpose', name: `${o}_bt`, input: [`${o}_blocks`], output: [`${o}_bt`], attribute: perm([1, 2, 0]) }, // [blocks, B, G]
      { opType: 'MatMul', name: `${o}_mm`, input: [value, `${o}_bt`], output: [`${o}_mm`] }, // [blocks, d, G]
      { opType: 'ReduceSum', name: `${o}_sum`, input: [`${o}_mm`, 'blocked_v_axes'], output: [`${o}_sum`], attribute: [{ name: 'keepdims', type: 2, i: 0 }] },
      { opType: 'Transpose', name: `${o}_t`, input: [`${o}_sum`], output: [o], attribute: perm([1, 0]) }, // [G, d]
    );
    rewritten++;
  }
  graph.node = nodes as P.NodeProto[];
  for (const input of graph.input!) {
    if (!isPast(input.name!, 'value')) continue;
    const dims = input.type!.tensorType!.shape!.dim!;
    input.type!.tensorType!.shape!.dim = [{ dimParam: 'blocks' }, dims[1], { dimValue: BLOCK }] as P.TensorShapeProto.Dimension[];
  }
  return rewritten;
}

/** past.* inputs as float16, each cast to float32 right before its first reader (not all up front: 224 MB at 4k). */
function halfCache(model: P.ModelProto): number {
  const graph = model.graph!;
  const casts = new Map<string, P.INodeProto>();
  for (const input of graph.input!) {
    if (!isPast(input.name!, 'key') && !isPast(input.name!, 'value')) continue;
    input.type!.tensorType!.elemType = FLOAT16;
    casts.set(input.name!, { opType: 'Cast', name: `${input.name}_f32`, input: [input.name!], output: [`${input.name}_f32`], attribute: [{ name: 'to', type: 2, i: FLOAT }] });
  }
  const rewritten = casts.size;
  const nodes: P.INodeProto[] = [];
  for (const node of graph.node!) {
    for (const name of node.input!) {
      const cast = casts.get(name);
      if (cast) nodes.push(cast);
      casts.delete(name);
    }
    node.input = node.input!.map((name) => (isPast(name, 'key') || isPast(name, 'value') ? `${name}_f32` : name));
    nodes.push(node);
  }
  graph.node = nodes as P.NodeProto[];
  return rewritten;
}

/** The side's model file: the folder's own, or a rewritten copy in `dir` (its external data hard-linked). */
function sideModel(modelFile: string, side: Side, dir: string): string {
  if (side === 'as written') return modelFile;
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelFile));
  const rewritten = side === 'blocked-v' ? blockedValues(model) : halfCache(model);
  if (rewritten === 0) throw new Error(`${modelFile} has nothing to rewrite for ${side}: is it an external-cache graph (converter ≥ 1.2)?`);
  const patched = join(dir, basename(modelFile));
  writeFileSync(patched, onnxProto.onnx.ModelProto.encode(model).finish());
  linkSync(`${modelFile}_data`, join(dir, `${basename(modelFile)}_data`)); // ORT refuses external data outside the model's folder
  return patched;
}

interface Shape {
  layers: number;
  kvHeads: number;
  d: number;
  group: number;
}

/** One step's feeds at `depth` in the side's layout, from the same random rows. */
function feedsAt(side: Side, s: Shape, cache: Float32Array[], half: Uint16Array[], depth: number): Record<string, ort.Tensor> {
  const rows = depth + 1; // row 0 is the masked sink
  const fedRows = side === 'blocked-v' ? Math.ceil(rows / BLOCK) * BLOCK : rows; // whole blocks, the tail masked
  const bias = new Float32Array(fedRows).fill(-Infinity).fill(0, 1, rows);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from([42n]), [1, 1]),
    [XKV_NAMES.positionIds]: new ort.Tensor('int64', BigInt64Array.from([BigInt(depth)]), [1, 1]),
    [XKV_NAMES.pastBias]: new ort.Tensor('float32', bias, [1, fedRows]),
    [XKV_NAMES.causalBias]: new ort.Tensor('float32', new Float32Array(s.group), [s.group, 1, 1]),
  };
  for (let l = 0; l < s.layers; l++) {
    for (let h = 0; h < s.kvHeads; h++) {
      for (const [k, kind] of (['key', 'value'] as const).entries()) {
        const i = (l * s.kvHeads + h) * 2 + k;
        const n = fedRows * s.d;
        feeds[XKV_NAMES.past(l, h, kind)] =
          side === 'f16-cache' ? new ort.Tensor('float16', half[i].subarray(0, n), [fedRows, s.d])
          : side === 'blocked-v' && kind === 'value' ? new ort.Tensor('float32', cache[i].subarray(0, n), [fedRows / BLOCK, s.d, BLOCK]) // timing only: the rows are random either way
          : new ort.Tensor('float32', cache[i].subarray(0, n), [fedRows, s.d]);
      }
    }
  }
  return feeds;
}

/** In its own process: one side's median step (ms) at each depth. */
async function child(side: Side, folder: string, depths: number[], steps: number, threads: number): Promise<number[]> {
  const manifest = await readManifest(folder);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-xkv-model-'));
  try {
    const session = await ort.InferenceSession.create(sideModel(join(folder, manifest.modelFile), side, dir), { intraOpNumThreads: threads, graphOptimizationLevel: 'all', enableMemPattern: false });
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { num_hidden_layers: number; num_attention_heads: number; num_key_value_heads: number; hidden_size: number };
    const s: Shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, d: config.hidden_size / config.num_attention_heads, group: config.num_attention_heads / config.num_key_value_heads };
    const maxRows = Math.ceil((Math.max(...depths) + 1) / BLOCK) * BLOCK;
    const cache = Array.from({ length: s.layers * s.kvHeads * 2 }, () => Float32Array.from({ length: maxRows * s.d }, () => Math.random() - 0.5));
    const half = side === 'f16-cache' ? cache.map((c) => f32ToF16Array(c)) : [];
    const result: number[] = [];
    for (const depth of depths) {
      const feeds = feedsAt(side, s, cache, half, depth);
      for (let i = 0; i < 3; i++) await session.run(feeds); // warm-up at this shape
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
      result.push(median(times));
    }
    await session.release();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const steps = Number(arg('steps', '15'));
  const runs = Number(arg('runs', '3'));
  const threads = Number(arg('threads', String(availableParallelism())));
  const depths = arg('depths', '32,1024,4096').split(',').map(Number);
  const folder = arg('model', '') || defaultFolder();
  const sides: Side[] = ['as written', ...(arg('variants', 'blocked-v,f16-cache').split(',') as Side[])];
  const perSide = new Map<Side, number[][]>(sides.map((side) => [side, []]));
  for (let r = 0; r < runs; r++) {
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      const args = ['--child', side, '--model', folder, '--depths', depths.join(','), '--steps', String(steps), '--threads', String(threads)];
      perSide.get(side)!.push(await childJson<number[]>(import.meta.filename, args));
    }
  }
  const ms = (side: Side, i: number) => median(perSide.get(side)!.map((run) => run[i]));
  console.log(`${folder}: one decode step, ${threads} threads, each side in its own process, median of ${runs} alternating runs of ${steps} steps`);
  console.log(`| context | ${sides.map((s) => `${s} ms`).join(' | ')} | ${sides.slice(1).map((s) => `${s} speed-up`).join(' | ')} |`);
  console.log(`|---|${sides.map(() => '---|').join('')}${sides.slice(1).map(() => '---|').join('')}`);
  depths.forEach((depth, i) => {
    const base = ms(sides[0], i);
    console.log(`| ${depth} | ${sides.map((s) => ms(s, i).toFixed(1)).join(' | ')} | ${sides.slice(1).map((s) => `${(base / ms(s, i)).toFixed(2)}×`).join(' | ')} |`);
  });
  for (const side of sides) console.log(`${side}: runs ${perSide.get(side)!.map((run) => run.map((x) => x.toFixed(1)).join('/')).join(', ')} ms at ${depths.join('/')}`);
}

if (import.meta.filename === process.argv[1]) {
  if (process.argv.includes('--child')) {
    const side = arg('child', 'as written') as Side;
    console.log(JSON.stringify(await child(side, arg('model', ''), arg('depths', '').split(',').map(Number), Number(arg('steps', '15')), Number(arg('threads', '2')))));
  } else {
    await main();
  }
}
