/**
 * Which attention formulation reads the external KV cache fastest deep in the context: one decode step's attention
 * (one new token, R1-Distill-Qwen-1.5B shapes: 28 layers × 2 kv heads × 6 query heads each, head_dim 128) over a
 * cache of 32 / 1,024 / 4,096 / 8,192 rows, each layer and head reading its own buffers (so the cache comes from
 * memory, as in the real model), for each variant, interleaved, medians. Attention only: the weights' matrix work is
 * bench/blocks.ts, the whole model bench/decode.ts. Ratios within one run hold on a loaded machine; absolute ms don't.
 *
 *   npm run bench -- xkv-attention [--steps N] [--threads N] [--depths 32,1024,4096,8192] [--clock wall|cpu] [--block 256]
 *
 * Variants (per kv head; q is [group, d], K and V [rows, d]):
 *   q·Kᵀ     scores = Gemm(q, K, transB) [group, rows]; out = MatMul(P, V)   (converter 1.2.0)
 *   K·qᵀ     scoresᵀ = Gemm(K, q, transB) [rows, group]: the big K is the A operand, read in place, only q is packed;
 *            one small Transpose, Softmax on the last axis, out = MatMul(P, V)   (converter 1.2.1)
 *   K·qᵀ·Vᵀ·Pᵀ  as K·qᵀ, Softmax over axis 0, outᵀ = Gemm(V, Pᵀ, transA)
 *   K·qᵀ+Vᵀ  as K·qᵀ, and V held transposed in blocks of 256 rows ([blocks, d, 256]) so it is the A operand too:
 *            outᵀ per block = MatMul(Vᵀ block, Pᵀ block), summed over blocks (a cache layout the engine does not use)
 *   q·Kᵀ+Vᵀ  K held the same way, already q·Kᵀ's B layout: scores by block = MatMul(q, Kᵀ block)
 *   K·q per head / p·V per head / both per head   one Gemm per query head with a single row or column and alpha 1,
 *            the shapes for which MLAS reads the big operand in place without packing (its M = 1 kernels)
 * Sessions run without spinning workers (bench/interleaved.ts): with them, whichever variant ran second paid for the
 * first one's spinning, which made K·qᵀ+Vᵀ look 1.13–1.44× faster at 1k–4k rows before 2026-12-04.
 * XKV_VARIANTS=<names, comma-separated> runs a subset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph, type Value } from '../electron/onnx/graph';
import * as op from '../electron/onnx/ops';
import { writeModel } from '../electron/onnx/write';
import { transposedBlocks } from './blocked-layout';
import { interleavedOptions } from './interleaved';
import { R1_QWEN_1_5B } from './synth-checkpoint';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

// rows per block of the blocked layouts (--block)
const BLOCK = Number(arg('block', '256'));
const { layers, heads, kvHeads } = R1_QWEN_1_5B;
const d = R1_QWEN_1_5B.hidden / heads;
const group = heads / kvHeads;
const scale = 1 / Math.sqrt(d);

type Variant = 'q·Kᵀ' | 'K·qᵀ' | 'K·qᵀ·Vᵀ·Pᵀ' | 'K·qᵀ+Vᵀ' | 'q·Kᵀ+Vᵀ' | 'K·q per head' | 'p·V per head' | 'both per head';
const VARIANTS: Variant[] = (process.env.XKV_VARIANTS?.split(',') as Variant[] | undefined) ?? ['q·Kᵀ', 'K·qᵀ', 'K·qᵀ·Vᵀ·Pᵀ', 'K·qᵀ+Vᵀ', 'q·Kᵀ+Vᵀ', 'K·q per head', 'p·V per head', 'both per head'];
const blockedKey = (v: Variant) => v === 'q·Kᵀ+Vᵀ';
const blockedValue = (v: Variant) => v.endsWith('+Vᵀ');

/** One kv head's attention for one query token: [group, d]. */
function headAttention(g: Graph, variant: Variant, q: Value, key: Value, value: Value, bias: Value, biasColumn: Value): Value {
  if (blockedKey(variant)) {
    // key: [blocks, d, BLOCK], already the B layout of q·Kᵀ: scores by block [blocks, group, BLOCK] → [group, rows]
    const byBlock = op.matMul(g, op.mul(g, q, g.scalar('float32', scale)), key);
    const scores = op.add(g, op.reshape(g, op.transpose(g, byBlock, [1, 0, 2]), [group, -1], [group, 'rows']), bias);
    return blockedValueOut(g, op.softmax(g, scores, -1), value);
  }
  if (variant === 'q·Kᵀ') {
    const scores = op.gemm(g, q, key, { transB: true, alpha: scale, c: bias }); // [group, rows]
    return op.matMul(g, op.softmax(g, scores, -1), value);
  }
  const perHeadScores = variant === 'K·q per head' || variant === 'both per head';
  const perHeadValues = variant === 'p·V per head' || variant === 'both per head';
  const scoresT = perHeadScores ? scoresByHead(g, key, q, biasColumn) : op.gemm(g, key, q, { transB: true, alpha: scale, c: biasColumn }); // [rows, group]
  if (variant === 'K·qᵀ·Vᵀ·Pᵀ') {
    // softmax over the rows in place, then outᵀ = Vᵀ·Pᵀ with V the A operand (transA)
    const probsT = op.softmax(g, scoresT, 0);
    return op.transpose(g, op.gemm(g, value, probsT, { transA: true }), [1, 0]);
  }
  const probs = op.softmax(g, op.transpose(g, scoresT, [1, 0]), -1); // [group, rows]
  if (perHeadValues) return op.concat(g, op.split(g, probs, Array(group).fill(1), 0).map((p) => op.gemm(g, p, value)), 0);
  if (variant === 'K·qᵀ' || perHeadScores) return op.matMul(g, probs, value);
  return blockedValueOut(g, probs, value);
}

/**
 * One Gemm per query head, each with N = 1 (q as a [d, 1] column, alpha 1): MLAS's "column vector" case, which reads
 * K in place with its M = 1 kernel instead of packing q into a 16-wide panel of which only `group` lanes are used.
 */
function scoresByHead(g: Graph, key: Value, q: Value, biasColumn: Value): Value {
  const scaled = op.mul(g, q, g.scalar('float32', scale));
  const columns = op.split(g, scaled, Array(group).fill(1), 0).map((row) => op.gemm(g, key, op.reshape(g, row, [d, 1], [d, 1]), { c: biasColumn }));
  return op.concat(g, columns, 1); // [rows, group]
}

/** probs [group, rows] × value held as [blocks, d, BLOCK] → [group, d]. */
function blockedValueOut(g: Graph, probs: Value, value: Value): Value {
  const probsT = op.transpose(g, op.reshape(g, probs, [group, -1, BLOCK], [group, 'blocks', BLOCK]), [1, 2, 0]);
  const outT = op.reduceSum(g, op.matMul(g, value, probsT), [0], false); // [d, group]
  return op.transpose(g, outT, [1, 0]);
}

async function attentionModel(dir: string, variant: Variant): Promise<string> {
  const g = new Graph();
  const q = g.input('q', 'float32', [kvHeads, group, d]);
  const bias = g.input('bias', 'float32', [1, 'rows']);
  const biasColumn = op.reshape(g, bias, [-1, 1], ['rows', 1]);
  const qs = op.split(g, q, Array(kvHeads).fill(1), 0).map((x) => op.reshape(g, x, [group, d], [group, d]));
  const outs: Value[] = [];
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < kvHeads; h++) {
      const key = g.input(`k.${l}.${h}`, 'float32', blockedKey(variant) ? ['blocks', d, BLOCK] : ['rows', d]);
      const value = g.input(`v.${l}.${h}`, 'float32', blockedValue(variant) ? ['blocks', d, BLOCK] : ['rows', d]);
      outs.push(headAttention(g, variant, qs[h], key, value, bias, biasColumn));
    }
  }
  g.output(op.concat(g, outs, 0), 'out');
  const file = join(dir, `attention-${VARIANTS.indexOf(variant)}.onnx`);
  await writeModel(g, file, {});
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Cache {
  rows: Float32Array[]; // [rows, d] per layer × head × key/value
  blocked: Float32Array[]; // the same transposed in blocks, [blocks, d, BLOCK] per layer × head × key/value
}

/** Random cache contents, the same numbers in both layouts. */
function makeCache(maxRows: number): Cache {
  const rows: Float32Array[] = [];
  const blocked: Float32Array[] = [];
  for (let i = 0; i < layers * kvHeads; i++) {
    const key = Float32Array.from({ length: maxRows * d }, () => Math.random() - 0.5);
    const value = Float32Array.from({ length: maxRows * d }, () => Math.random() - 0.5);
    rows.push(key, value);
    blocked.push(transposedBlocks(key, d, BLOCK), transposedBlocks(value, d, BLOCK));
  }
  return { rows, blocked };
}

function feeds(variant: Variant, cache: Cache, depth: number, q: ort.Tensor): Record<string, ort.Tensor> {
  // the rows variants read exactly `depth` rows; the blocked one reads whole blocks, the tail masked by the bias
  const rows = blockedValue(variant) ? Math.ceil(depth / BLOCK) * BLOCK : depth;
  const bias = new Float32Array(rows).fill(-Infinity).fill(0, 0, depth);
  const out: Record<string, ort.Tensor> = { q, bias: new ort.Tensor('float32', bias, [1, rows]) };
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < kvHeads; h++) {
      const i = l * kvHeads + h;
      const tensor = (j: number, blocked: boolean) =>
        blocked
          ? new ort.Tensor('float32', cache.blocked[j].subarray(0, rows * d), [rows / BLOCK, d, BLOCK])
          : new ort.Tensor('float32', cache.rows[j].subarray(0, rows * d), [rows, d]);
      out[`k.${l}.${h}`] = tensor(2 * i, blockedKey(variant));
      out[`v.${l}.${h}`] = tensor(2 * i + 1, blockedValue(variant));
    }
  }
  return out;
}

async function main(): Promise<void> {
  const steps = Number(arg('steps', '15'));
  const threads = Number(arg('threads', String(availableParallelism())));
  // on a loaded machine a step's CPU time (with --threads 1) measures its work better than the wall clock does
  const clock = arg('clock', 'wall');
  const depths = arg('depths', '32,1024,4096,8192').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-xkv-'));
  try {
    const sessions = new Map<Variant, ort.InferenceSession>();
    for (const v of VARIANTS) sessions.set(v, await ort.InferenceSession.create(await attentionModel(dir, v), interleavedOptions({ intraOpNumThreads: threads, graphOptimizationLevel: 'all' })));
    const cache = makeCache(Math.ceil(Math.max(...depths) / BLOCK) * BLOCK);
    const q = new ort.Tensor('float32', Float32Array.from({ length: heads * d }, () => Math.random() - 0.5), [kvHeads, group, d]);
    // every variant computes the same attention: check before timing
    const reference = (await sessions.get(VARIANTS[0])!.run(feeds(VARIANTS[0], cache, depths[0], q))).out.data as Float32Array;
    for (const v of VARIANTS.slice(1)) {
      const got = (await sessions.get(v)!.run(feeds(v, cache, depths[0], q))).out.data as Float32Array;
      const err = got.reduce((m, x, i) => Math.max(m, Math.abs(x - reference[i])), 0);
      if (!(err < 1e-4)) throw new Error(`variant ${v} differs from ${VARIANTS[0]} by ${err}`);
    }
    console.log(`one decode step's attention, 1.5B shapes (${layers} layers × ${kvHeads} kv heads × ${group} query heads, d ${d}), ${threads} threads, ${clock} clock, median of ${steps} interleaved:`);
    console.log(`| context | ${VARIANTS.map((v) => `${v} ms`).join(' | ')} | ${VARIANTS.slice(1).map((v) => `${v} speed-up`).join(' | ')} |`);
    console.log(`|---|${VARIANTS.map(() => '---|').join('')}${VARIANTS.slice(1).map(() => '---|').join('')}`);
    for (const depth of depths) {
      const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
      const inputs = new Map(VARIANTS.map((v) => [v, feeds(v, cache, depth, q)]));
      for (const v of VARIANTS) await sessions.get(v)!.run(inputs.get(v)!); // warm-up at this shape
      for (let s = 0; s < steps; s++) {
        for (const v of s % 2 ? [...VARIANTS].reverse() : VARIANTS) {
          // alternating the order: no variant always runs first
          const [t, cpu] = [performance.now(), process.cpuUsage()];
          await sessions.get(v)!.run(inputs.get(v)!);
          const used = process.cpuUsage(cpu);
          times.get(v)!.push(clock === 'cpu' ? (used.user + used.system) / 1000 : performance.now() - t);
        }
      }
      const ms = VARIANTS.map((v) => median(times.get(v)!));
      console.log(`| ${depth} | ${ms.map((m) => m.toFixed(2)).join(' | ')} | ${ms.slice(1).map((m) => `${(ms[0] / m).toFixed(2)}×`).join(' | ')} |`);
    }
    for (const s of sessions.values()) await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
