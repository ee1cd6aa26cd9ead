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
 *   blocked-v  (1.2 folders; converter 1.3 writes it) past values held transposed in blocks of 256 rows ([blocks, d, 256]): P·V becomes a batched MatMul
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
import { XKV_GRAPH, XKV_V2_GRAPH } from '../electron/model/fused-decoder';
import { VALUE_BLOCK as BLOCK, XKV_NAMES } from '../electron/model/xkv-attention';
import { FIXTURE_ROOT } from '../electron/testing/fixtures';
import { f16ToF32Array, f32ToF16Array } from '../electron/util/float16';
import { mulberry32 } from '../electron/util/prng';
import { transposedBlocks } from './blocked-layout';
import { childJson } from './child-json';
import { feedsAt, valueBlockOf, type Shape } from './xkv-feeds';

type Side = 'as written' | 'blocked-v' | 'f16-cache';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// TensorProto data types and AttributeProto types, as onnx.proto numbers them
const [FLOAT, INT64, FLOAT16] = [1, 7, 10];
const [ATTR_INT, ATTR_INTS] = [2, 7];
/**
 * Largest difference (relative to their largest) in layer 1's new keys (computed from layer 0's attention over the cache) from the graph as
 * written that still counts as the same computation (summation order; the cache holds float16 values on every side).
 * Not the logits: 28 layers of random weights amplify a float32 reordering to a few percent of them.
 */
const TOLERANCE: Record<Side, number> = { 'as written': 0, 'blocked-v': 1e-5, 'f16-cache': 1e-5 };

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
  const perm = (ints: number[]) => [{ name: 'perm', type: ATTR_INTS, ints }];
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
      { opType: 'ReduceSum', name: `${o}_sum`, input: [`${o}_mm`, 'blocked_v_axes'], output: [`${o}_sum`], attribute: [{ name: 'keepdims', type: ATTR_INT, i: 0 }] },
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

/**
 * past.* inputs as float16, each cast to float32 right before its first reader (not all up front: 224 MB at 4k). A
 * reader may be an If whose branches read it (converter 1.4): the cast goes before the If, the branches read the cast.
 */
function halfCache(model: P.ModelProto): number {
  const graph = model.graph!;
  const casts = new Map<string, P.INodeProto>();
  for (const input of graph.input!) {
    if (!isPast(input.name!, 'key') && !isPast(input.name!, 'value')) continue;
    input.type!.tensorType!.elemType = FLOAT16;
    casts.set(input.name!, { opType: 'Cast', name: `${input.name}_f32`, input: [input.name!], output: [`${input.name}_f32`], attribute: [{ name: 'to', type: ATTR_INT, i: FLOAT }] });
  }
  const rewritten = casts.size;
  const nodes: P.INodeProto[] = [];
  for (const node of graph.node!) {
    for (const name of readsOf(node)) {
      const cast = casts.get(name);
      if (cast) nodes.push(cast);
      casts.delete(name);
    }
    readCastPast(node);
    nodes.push(node);
  }
  graph.node = nodes as P.NodeProto[];
  return rewritten;
}

/** Subgraphs (If branches) a node holds. */
const branchesOf = (node: P.INodeProto): P.IGraphProto[] => (node.attribute ?? []).flatMap((a) => (a.g ? [a.g] : []));

/** The values a node reads, those its branches read included. */
function readsOf(node: P.INodeProto): string[] {
  return [...node.input!, ...branchesOf(node).flatMap((g) => (g.node ?? []).flatMap(readsOf))];
}

/** The node (and its branches' nodes) read each past.* through its float32 cast. */
function readCastPast(node: P.INodeProto): void {
  node.input = node.input!.map((name) => (isPast(name, 'key') || isPast(name, 'value') ? `${name}_f32` : name));
  for (const g of branchesOf(node)) (g.node ?? []).forEach(readCastPast);
}

/** The side's model file: the folder's own, or a rewritten copy in `dir` (its external data hard-linked). */
function sideModel(modelFile: string, side: Side, dir: string): string {
  if (side === 'as written') return modelFile;
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelFile));
  const rewritten = side === 'blocked-v' ? blockedValues(model) : halfCache(model);
  if (rewritten === 0) throw new Error(`${modelFile} has nothing to rewrite for ${side}: is it an external-cache graph (converter ≥ 1.2; blocked-v needs 1.2's values as rows)?`);
  const patched = join(dir, basename(modelFile));
  writeFileSync(patched, onnxProto.onnx.ModelProto.encode(model).finish());
  linkSync(`${modelFile}_data`, join(dir, `${basename(modelFile)}_data`)); // ORT refuses external data outside the model's folder
  return patched;
}

/**
 * The cache rows in the side's layout (key, value per layer and kv head), the same numbers on every side: seeded,
 * and float16 values, so that the float16 side holds exactly what the others do.
 */
function sideCache(side: Side, block: number, s: Shape, maxRows: number): (Float32Array | Uint16Array)[] {
  const rng = mulberry32(7);
  const rows = Array.from({ length: s.layers * s.kvHeads * 2 }, () => f16ToF32Array(f32ToF16Array(Float32Array.from({ length: maxRows * s.d }, () => rng() - 0.5))));
  const laidOut = block ? rows.map((c, i) => (i % 2 ? transposedBlocks(c, s.d, block) : c)) : rows;
  return side === 'f16-cache' ? laidOut.map((c) => f32ToF16Array(c)) : laidOut;
}

interface ChildResult {
  /** Median step (ms) at each depth. */
  ms: number[];
  /** Layer 1's new keys at the first depth: every side must compute what the graph as written does. */
  keys: number[];
}

/** In its own process: one side's median step at each depth. */
async function child(side: Side, folder: string, depths: number[], steps: number, threads: number): Promise<ChildResult> {
  const manifest = await readManifest(folder);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-xkv-model-'));
  try {
    const session = await ort.InferenceSession.create(sideModel(join(folder, manifest.modelFile), side, dir), { intraOpNumThreads: threads, graphOptimizationLevel: 'all', enableMemPattern: false });
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { num_hidden_layers: number; num_attention_heads: number; num_key_value_heads: number; hidden_size: number };
    const s: Shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, d: config.hidden_size / config.num_attention_heads, group: config.num_attention_heads / config.num_key_value_heads };
    const maxRows = Math.ceil((Math.max(...depths) + 1) / 1024) * 1024; // whole blocks of any layout up to 1,024 rows
    const block = side === 'blocked-v' ? BLOCK : valueBlockOf(session);
    const cache = sideCache(side, block, s, maxRows);
    const ms: number[] = [];
    let keys: number[] = [];
    for (const depth of depths) {
      const feeds = feedsAt(block, s, cache, depth, session.inputNames);
      const out = await session.run(feeds); // and warm-up at this shape
      if (!keys.length) keys = Array.from(out[XKV_NAMES.fresh(1, 'key')].data as Float32Array);
      for (let i = 0; i < 2; i++) await session.run(feeds);
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
      ms.push(median(times));
    }
    await session.release();
    return { ms, keys };
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
  // a 1.3 folder already holds Vᵀ blocks: blocked-v rewrites 1.2's rows only
  const writtenGraph = (await readManifest(folder)).graph;
  const blockedAsWritten = writtenGraph === XKV_GRAPH || writtenGraph === XKV_V2_GRAPH;
  const sides: Side[] = ['as written', ...(arg('variants', blockedAsWritten ? 'f16-cache' : 'blocked-v,f16-cache').split(',') as Side[])];
  const perSide = new Map<Side, number[][]>(sides.map((side) => [side, []]));
  const keys = new Map<Side, number[]>();
  for (let r = 0; r < runs; r++) {
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      const args = ['--child', side, '--model', folder, '--depths', depths.join(','), '--steps', String(steps), '--threads', String(threads)];
      const result = await childJson<ChildResult>(import.meta.filename, args);
      perSide.get(side)!.push(result.ms);
      keys.set(side, result.keys);
    }
  }
  const reference = keys.get('as written')!;
  const scale = Math.max(...reference.map(Math.abs));
  const differences = sides.slice(1).map((side) => {
    const diff = keys.get(side)!.reduce((m, x, i) => Math.max(m, Math.abs(x - reference[i])), 0) / scale;
    if (!(diff <= TOLERANCE[side])) throw new Error(`${side} does not compute what the graph as written does: layer 1's new keys differ by ${diff} of their largest at ${depths[0]} tokens.`);
    return `${side} ${diff.toExponential(1)}`;
  });
  const ms = (side: Side, i: number) => median(perSide.get(side)!.map((run) => run[i]));
  console.log(`${folder}: one decode step, ${threads} threads, each side in its own process, median of ${runs} alternating runs of ${steps} steps`);
  console.log(`largest difference in layer 1's new keys from the graph as written, relative to their largest (same cache, ${depths[0]} tokens): ${differences.join(' · ')}`);
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
