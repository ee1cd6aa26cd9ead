/**
 * Which 4-bit format, the speed side (the quality side is electron/convert/block-size.test.ts): the matrix work of
 * one R1-Distill-Qwen-1.5B decode step — 28 layers of packed q/k/v, o, packed gate/up and down, then lm_head, as
 * MatMulNBits with accuracy level 4 and float32 scales, exactly the shapes the converter writes — for block 32, 64
 * and 128 without zero points and block 64 with them (the default), interleaved, medians. Random packed weights:
 * speed does not depend on the values. "Read" bits: ONNX Runtime's CPU kernel prepacks each matrix with a float32
 * block sum beside each float32 scale (the zero point folded into the sum), and reads both every step.
 *
 * One more row: ONNX Runtime's older 4-bit op, `MatMulFpQ4` (MLAS's Q4 blobs: a float32 scale and 16 bytes of codes
 * per block of 32, read as stored, 5.0 bits), whose kernel multiplies in float32. It reads fewer bytes than
 * MatMulNBits at block 32 and still loses to it by ~3× (2026-12-05): arithmetic, not bytes, bounds it.
 *
 *   npm run bench -- blocks [--steps N] [--threads N]
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph, makeTensor, type Value } from '../electron/onnx/graph';
import * as op from '../electron/onnx/ops';
import { writeModel } from '../electron/onnx/write';
import { bitsPerWeight } from './decode';
import { interleavedOptions } from './interleaved';
import { R1_QWEN_1_5B } from './synth-checkpoint';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

interface Variant {
  blockSize: number;
  symmetric: boolean;
  /** MatMulFpQ4 instead of MatMulNBits (block 32, symmetric only). */
  fpQ4?: boolean;
}
const VARIANTS: Variant[] = [
  { blockSize: 32, symmetric: true },
  { blockSize: 64, symmetric: true },
  { blockSize: 64, symmetric: false },
  { blockSize: 128, symmetric: true },
  { blockSize: 32, symmetric: true, fpQ4: true },
];
const label = (v: Variant) => (v.fpQ4 ? `${v.blockSize}, MatMulFpQ4` : `${v.blockSize}${v.symmetric ? '' : ' + zero points'}`);
/** MLAS's BlkQ4Sym blob: a float32 scale, then 16 bytes of 4-bit codes (block 32). */
const FPQ4_BLOB_BYTES = 20;

function matMulFpQ4(g: Graph, x: Value, K: number, N: number): Value {
  const blobs = N * Math.ceil(K / 32);
  const packed = new Uint8Array(blobs * FPQ4_BLOB_BYTES);
  randomFillSync(packed);
  const view = new DataView(packed.buffer);
  for (let i = 0; i < blobs; i++) view.setFloat32(i * FPQ4_BLOB_BYTES, 0.01, true);
  const B = g.initializer(`w${g.initializers.size}`, makeTensor('uint8', [packed.length], packed));
  const shape = g.initializer(`b${g.initializers.size}`, makeTensor('int64', [2], BigInt64Array.from([BigInt(K), BigInt(N)])));
  return g.node('MatMulFpQ4', [x, B, shape], [{ dtype: 'float32', shape: [1, 1, N] }], { blk_quant_type: 0 }, { domain: 'com.microsoft' })[0];
}

function matMulNBits(g: Graph, x: Value, K: number, N: number, { blockSize, symmetric, fpQ4 }: Variant): Value {
  if (fpQ4) return matMulFpQ4(g, x, K, N);
  const kBlocks = Math.ceil(K / blockSize);
  const packed = new Uint8Array(N * kBlocks * (blockSize / 2));
  randomFillSync(packed);
  const scales = new Float32Array(N * kBlocks).fill(0.01);
  const B = g.initializer(`w${g.initializers.size}`, makeTensor('uint8', [N, kBlocks, blockSize / 2], packed));
  const s = g.initializer(`s${g.initializers.size}`, makeTensor('float32', [N * kBlocks], scales));
  const inputs = [x, B, s];
  if (!symmetric) inputs.push(g.initializer(`z${g.initializers.size}`, makeTensor('uint8', [N, Math.ceil(kBlocks / 2)], new Uint8Array(N * Math.ceil(kBlocks / 2)).fill(0x88))));
  return g.node('MatMulNBits', inputs, [{ dtype: 'float32', shape: [1, 1, N] }], { K, N, bits: 4, block_size: blockSize, accuracy_level: 4 }, { domain: 'com.microsoft' })[0];
}

/** The step's matrices, chained (slices keep each input the right width). Returns the model file. */
async function stepModel(dir: string, variant: Variant): Promise<string> {
  const { hidden, intermediate, heads, kvHeads, layers, vocabSize } = R1_QWEN_1_5B;
  const kv = (hidden / heads) * kvHeads;
  const g = new Graph();
  let h = g.input('x', 'float32', [1, 1, hidden]);
  const cut = (v: Value, n: number) => op.slice(g, v, [0], [n], [-1]);
  for (let l = 0; l < layers; l++) {
    const qkv = matMulNBits(g, h, hidden, hidden + 2 * kv, variant);
    const o = matMulNBits(g, cut(qkv, hidden), hidden, hidden, variant);
    const gateUp = matMulNBits(g, o, hidden, 2 * intermediate, variant);
    h = matMulNBits(g, cut(gateUp, intermediate), intermediate, hidden, variant);
  }
  g.output(matMulNBits(g, h, hidden, vocabSize, variant), 'logits');
  const file = join(dir, `step-${variant.blockSize}-${variant.symmetric ? 'sym' : 'asym'}${variant.fpQ4 ? '-fpq4' : ''}.onnx`);
  await writeModel(g, file, {});
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const steps = Number(arg('steps', '15'));
  const threads = Number(arg('threads', String(availableParallelism())));
  const dir = mkdtempSync(join(tmpdir(), 'distillery-bench-blocks-'));
  try {
    const sessions = new Map<Variant, ort.InferenceSession>();
    for (const v of VARIANTS) sessions.set(v, await ort.InferenceSession.create(await stepModel(dir, v), interleavedOptions({ intraOpNumThreads: threads, graphOptimizationLevel: 'all' })));
    const x = new ort.Tensor('float32', Float32Array.from({ length: R1_QWEN_1_5B.hidden }, (_, i) => Math.sin(i)), [1, 1, R1_QWEN_1_5B.hidden]);
    const times = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    for (const v of VARIANTS) await sessions.get(v)!.run({ x }); // warm-up
    for (let s = 0; s < steps; s++) {
      for (const v of VARIANTS) {
        const t = performance.now();
        await sessions.get(v)!.run({ x });
        times.get(v)!.push(performance.now() - t);
      }
    }
    const base = median(times.get(VARIANTS[0])!);
    console.log(`matrix work of one 1.5B decode step (MatMulNBits, accuracy level 4, fp32 scales; last row MatMulFpQ4; ${threads} threads, median of ${steps} interleaved):`);
    console.log('| block | bits per weight stored | read | ms per step | speed vs block 32 |\n|---|---|---|---|---|');
    for (const v of VARIANTS) {
      const stored = bitsPerWeight({ ...v, as: 'stored' });
      const read = v.fpQ4 ? stored : bitsPerWeight({ ...v, as: 'read' });
      const ms = median(times.get(v)!);
      console.log(`| ${label(v)} | ${stored.toFixed(2)} | ${read.toFixed(2)} | ${ms.toFixed(1)} | ${(base / ms).toFixed(2)}× |`);
    }
    for (const s of sessions.values()) await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
