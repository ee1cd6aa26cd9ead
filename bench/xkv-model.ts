/**
 * The whole-model side of bench/xkv-attention.ts: a converted 1.5B folder's decode step (the decode benchmark's
 * cached q4 folder by default) as converter 1.2.0 wrote it (scores = q·Kᵀ) against the same file with each
 * past-scores Gemm rewritten to K·qᵀ (what 1.2.1 writes), same weights. The cache holds random rows: a step's cost
 * does not depend on their values, and no 4,096-token prefill is needed to reach the depth. Interleaved, medians.
 *
 *   npm run bench -- xkv-model [--model <converted folder>] [--steps N] [--threads N] [--depths 32,1024,4096] [--clock wall|cpu]
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

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function defaultFolder(): string {
  const cached = readdirSync(FIXTURE_ROOT).find((name) => name.startsWith('bench-decode-q4-'));
  if (!cached) throw new Error('No converted 1.5B folder: run `npm run bench -- decode` once, or pass --model <folder>.');
  const root = join(FIXTURE_ROOT, cached);
  const inner = readdirSync(root, { withFileTypes: true }).find((entry) => entry.isDirectory());
  if (!inner) throw new Error(`${root} holds no converted folder: pass --model <folder>.`);
  return join(root, inner.name);
}

/** The model with every `Gemm(q, past.*.key, transB)` turned into `Transpose(Gemm(past.*.key, q, transB))`. */
function keysFirst(model: P.ModelProto): number {
  const graph = model.graph!;
  const column = 'past_bias_column';
  graph.initializer!.push({ name: 'past_bias_column_shape', dims: [2], dataType: 7, int64Data: [-1, 1] } as P.ITensorProto as P.TensorProto);
  const nodes: P.INodeProto[] = [{ opType: 'Reshape', name: 'past_bias_column', input: [XKV_NAMES.pastBias, 'past_bias_column_shape'], output: [column] }];
  let rewritten = 0;
  for (const node of graph.node!) {
    const key = node.input?.[1] ?? '';
    if (node.opType !== 'Gemm' || !key.startsWith('past.') || !key.endsWith('.key')) {
      nodes.push(node);
      continue;
    }
    const scoresT = `${node.output![0]}_keys_first`;
    nodes.push({ ...node, input: [key, node.input![0], column], output: [scoresT] });
    nodes.push({ opType: 'Transpose', name: `${node.name}_transpose`, input: [scoresT], output: [node.output![0]], attribute: [{ name: 'perm', type: 7, ints: [1, 0] }] });
    rewritten++;
  }
  graph.node = nodes as P.NodeProto[];
  return rewritten;
}

async function main(): Promise<void> {
  const steps = Number(arg('steps', '15'));
  const threads = Number(arg('threads', String(availableParallelism())));
  const clock = arg('clock', 'wall');
  const depths = arg('depths', '32,1024,4096').split(',').map(Number);
  const folder = arg('model', '') || defaultFolder();
  const manifest = await readManifest(folder);
  const modelFile = join(folder, manifest.modelFile);
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-xkv-model-'));
  try {
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(modelFile));
    const rewritten = keysFirst(model);
    if (rewritten === 0) throw new Error(`${modelFile} has no q·Kᵀ past-scores Gemm to rewrite (converter ${manifest.converter.version}).`);
    const patched = join(dir, basename(modelFile));
    writeFileSync(patched, onnxProto.onnx.ModelProto.encode(model).finish());
    linkSync(`${modelFile}_data`, join(dir, `${basename(modelFile)}_data`)); // a hard link: ORT refuses external data outside the model's folder, symlinks resolved
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, graphOptimizationLevel: 'all' };
    const sides = [
      { name: 'q·Kᵀ (1.2.0)', session: await ort.InferenceSession.create(modelFile, options) },
      { name: 'K·qᵀ (1.2.1)', session: await ort.InferenceSession.create(patched, options) },
    ];
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { num_hidden_layers: number; num_attention_heads: number; num_key_value_heads: number; hidden_size: number };
    const [layers, kvHeads, d, group] = [config.num_hidden_layers, config.num_key_value_heads, config.hidden_size / config.num_attention_heads, config.num_attention_heads / config.num_key_value_heads];
    const maxRows = Math.max(...depths) + 1;
    const cache = Array.from({ length: layers * kvHeads * 2 }, () => Float32Array.from({ length: maxRows * d }, () => Math.random() - 0.5));
    console.log(`${folder}: ${rewritten} Gemms rewritten · one decode step, ${threads} threads, ${clock} clock, median of ${steps} interleaved`);
    console.log(`| context | ${sides.map((s) => `${s.name} ms`).join(' | ')} | speed-up |\n|---|---|---|---|`);
    const perDepth: number[][] = [];
    for (const depth of depths) {
      const rows = depth + 1; // row 0 is the masked sink
      const bias = new Float32Array(rows);
      bias[0] = -Infinity;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from([42n]), [1, 1]),
        [XKV_NAMES.positionIds]: new ort.Tensor('int64', BigInt64Array.from([BigInt(depth)]), [1, 1]),
        [XKV_NAMES.pastBias]: new ort.Tensor('float32', bias, [1, rows]),
        [XKV_NAMES.causalBias]: new ort.Tensor('float32', new Float32Array(group), [group, 1, 1]),
      };
      for (let l = 0; l < layers; l++) {
        for (let h = 0; h < kvHeads; h++) {
          for (const [k, kind] of (['key', 'value'] as const).entries()) {
            feeds[XKV_NAMES.past(l, h, kind)] = new ort.Tensor('float32', cache[(l * kvHeads + h) * 2 + k].subarray(0, rows * d), [rows, d]);
          }
        }
      }
      const times = sides.map(() => [] as number[]);
      for (const side of sides) await side.session.run(feeds); // warm-up at this shape
      for (let s = 0; s < steps; s++) {
        for (const i of s % 2 ? [1, 0] : [0, 1]) {
          const side = sides[i]; // alternating which side goes first: no order bias
          const [t, cpu] = [performance.now(), process.cpuUsage()];
          await side.session.run(feeds);
          const used = process.cpuUsage(cpu);
          times[i].push(clock === 'cpu' ? (used.user + used.system) / 1000 : performance.now() - t);
        }
      }
      const ms = times.map(median);
      perDepth.push(ms);
      console.log(`| ${depth} | ${ms.map((m) => m.toFixed(1)).join(' | ')} | ${(ms[0] / ms[1]).toFixed(2)}× |`);
    }
    const last = perDepth.length - 1;
    console.log(`step at ${depths[0]} ÷ step at ${depths[last]} (decode rate kept deep in the context): ${sides.map((s, i) => `${s.name} ${(perDepth[0][i] / perDepth[last][i]).toFixed(2)}`).join(' · ')}`);
    for (const side of sides) await side.session.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
