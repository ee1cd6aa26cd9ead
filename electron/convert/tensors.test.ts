import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, readFile, truncate } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import { bf16ToF16Table } from '../util/float16';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from './quantize';
import { CancelledError, floatTensor, quantizedTensors, type TensorJob } from './tensors';
import { checkFloatWeight } from './source';
import { checkFreeSpace } from './disk';
import { describeSourceFiles, readManifest, writeManifest, type Manifest } from './manifest';
import { ProgressTracker, type ConvertProgress } from './progress';

let dir: string;
const [N, K] = [37, 96];
const values = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 0.37) * 0.3);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-tensors-'));
  writeSafetensors(join(dir, 'model.safetensors'), {
    w: { dtype: 'BF16', shape: [N, K], data: values },
    f: { dtype: 'F32', shape: [N, K], data: values },
    ids: { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n]) },
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const job = (over: Partial<TensorJob> = {}): TensorJob => ({ counts: { overflowed: 0, flushedToZero: 0 }, chunkBytes: 7 * K, ...over });

describe('lazy output tensors (chunked reads)', () => {
  it('fp16 from bf16 equals the table conversion of the stored bits, across many chunks', async () => {
    const ckpt = SafetensorsCheckpoint.open(dir);
    const entry = ckpt.get('w');
    const stored = new Uint16Array(entry.readBytes().slice().buffer);
    let bytes = 0;
    const done: string[] = [];
    const t = floatTensor(entry, 'float16', job({ onSourceBytes: (n) => (bytes += n), onTensorDone: (n) => done.push(n) }));
    const out = new Uint16Array((await t.bytes()).buffer);
    const table = bf16ToF16Table();
    expect(Array.from(out)).toEqual(Array.from(stored, (b) => table[b]));
    expect(bytes).toBe(entry.byteLength);
    expect(done).toEqual(['w']);
  });

  it('fp32 output reproduces an F32 source exactly', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('f');
    const out = new Float32Array((await floatTensor(entry, 'float32', job()).bytes()).buffer);
    expect(Array.from(out)).toEqual(Array.from(values));
  });

  it('chunked quantization equals quantizing the whole weight at once', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('f');
    const q = quantizedTensors(entry, { blockSize: 32, symmetric: false, scaleDtype: 'float32', layout: 'matmul' }, job());
    const whole = quantizeMatMulNBits(values, N, K, { blockSize: 32, symmetric: false });
    expect(q.packed.dims).toEqual([N, 3, 16]);
    expect(Array.from(await q.packed.bytes())).toEqual(Array.from(whole.packed));
    expect(Array.from(new Float32Array((await q.scales.bytes()).buffer))).toEqual(Array.from(whole.scales));
    expect(Array.from(await q.zeroPoints!.bytes())).toEqual(Array.from(whole.zeroPoints!));
    expect(dequantizeMatMulNBits(await q.quantized()).length).toBe(N * K);
  });

  it('rejects a non-float weight with a message naming the tensor and dtype', () => {
    const entry = SafetensorsCheckpoint.open(dir).get('ids');
    expect(() => checkFloatWeight(entry)).toThrow(/"ids".*dtype I64.*BF16, F16 or F32/);
  });

  it('stops with CancelledError when the signal is aborted', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('w');
    const controller = new AbortController();
    let chunks = 0;
    const t = floatTensor(entry, 'float16', job({ signal: controller.signal, onSourceBytes: () => ++chunks === 2 && controller.abort() }));
    await expect(t.bytes()).rejects.toBeInstanceOf(CancelledError);
    expect(chunks).toBe(2);
  });

  it('reports a shard truncated after it was opened', async () => {
    const copy = join(dir, 'copy.safetensors');
    await writeFile(copy, await readFile(join(dir, 'model.safetensors')));
    const entry = SafetensorsCheckpoint.open(copy).get('f');
    await truncate(copy, entry.offset + 100);
    await expect(floatTensor(entry, 'float32', job()).bytes()).rejects.toThrow(/truncated/);
  });
});

describe('free disk check', () => {
  it('fails before starting, naming the bytes needed and free', async () => {
    const free = async () => 1_000_000;
    await expect(checkFreeSpace(join(dir, 'out'), 5_000_000, free)).rejects.toThrow(/needs about \d+ bytes .* only 1000000 bytes/);
    await expect(checkFreeSpace(join(dir, 'out'), 5_000_000, async () => 1e12)).resolves.toBeUndefined();
  });
});

describe('manifest', () => {
  it('records streamed sha256 and sizes, and reads back validated', async () => {
    const files = await describeSourceFiles(dir, ['model.safetensors']);
    const expected = createHash('sha256').update(await readFile(join(dir, 'model.safetensors'))).digest('hex');
    expect(files[0].sha256).toBe(expected);
    const manifest: Manifest = {
      format: 'distillery-model', formatVersion: 1, converter: { name: 'distillery-convert', version: '1.0.0' },
      createdAt: new Date().toISOString(), dtype: 'q4', modelFile: 'onnx/model_q4.onnx', architecture: 'qwen2',
      source: { folder: dir, files },
      quantization: { method: 'MatMulNBits', bits: 4, blockSize: 32, symmetric: true, accuracyLevel: 4, embeddings: 'fp16', lmHead: 'q4' },
      fp16: null, outputBytes: 123,
    };
    const out = await mkdtemp(join(tmpdir(), 'distillery-manifest-'));
    await writeManifest(out, manifest);
    expect(await readManifest(out)).toEqual(manifest);
    await writeFile(join(out, 'distillery.json'), '{"format":"distillery-model"}');
    await expect(readManifest(out)).rejects.toThrow(/corrupt/);
    await rm(out, { recursive: true });
    await expect(readManifest(out)).rejects.toThrow(/no distillery.json/);
  });
});

describe('progress', () => {
  it('computes fraction and ETA from bytes', () => {
    let t = 0;
    const seen: ConvertProgress[] = [];
    const p = new ProgressTracker('convert', 2, 1000, (e) => seen.push(e), 0, () => t);
    t = 2000;
    p.addBytes(250);
    expect(seen.at(-1)).toMatchObject({ fraction: 0.25, etaMs: 6000, bytesDone: 250 });
    p.tensorDone();
    p.addBytes(750);
    p.tensorDone();
    expect(seen.at(-1)).toMatchObject({ fraction: 1, tensorsDone: 2, etaMs: 0 });
  });
});

describe('transposed linear weights', () => {
  it('writes [in, out] for MatMul, float16 and float32, across chunks and tiles', async () => {
    const { transposedFloatTensor } = await import('./tensors');
    const { f16BitsToF32 } = await import('../util/float16');
    const entry = SafetensorsCheckpoint.open(dir).get('f'); // [37, 96]
    const t32 = transposedFloatTensor(entry, 'float32', job());
    expect(t32.dims).toEqual([K, N]);
    const out32 = new Float32Array((await t32.bytes()).buffer);
    const out16 = new Uint16Array((await transposedFloatTensor(entry, 'float16', job()).bytes()).buffer);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        expect(out32[k * N + n]).toBe(values[n * K + k]);
        expect(Math.abs(f16BitsToF32(out16[k * N + n]) - values[n * K + k])).toBeLessThanOrEqual(Math.abs(values[n * K + k]) * 2 ** -11);
      }
    }
  });
});
