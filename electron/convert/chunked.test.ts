// The converter's tensors stream as chunks (LazyTensor.chunks): transposed weights in column bands, 4-bit weights
// span by span. Each streamed form must equal the whole-tensor reference exactly, count progress and fp16 losses
// exactly once, and hold no more than one band / one span of output at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsCheckpoint, writeSafetensors } from '../model/safetensors';
import { bf16ToF16Table, convertBf16ToF16, type ConversionCounts } from '../util/float16';
import { quantizeMatMulNBits, scalesAsF16Bits } from './quantize';
import { floatTensor, quantizedTensors, transposedFloatTensor, type TensorJob } from './tensors';

let dir: string;
const [N, K] = [45, 70];
// Mostly ordinary weights, plus values that overflow float16 and values that flush to zero, to check loss counts.
const values = Float32Array.from({ length: N * K }, (_, i) => (i % 97 === 0 ? 1e6 : i % 89 === 0 ? 1e-9 : Math.cos(i * 0.61) * 0.2));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-chunked-'));
  writeSafetensors(join(dir, 'model.safetensors'), {
    w: { dtype: 'BF16', shape: [N, K], data: values },
    f: { dtype: 'F32', shape: [N, K], data: values },
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Recorded {
  job: TensorJob;
  sourceBytes: () => number;
  done: string[];
}

function recordingJob(over: Partial<TensorJob> = {}): Recorded {
  let bytes = 0;
  const done: string[] = [];
  const job: TensorJob = {
    counts: { overflowed: 0, flushedToZero: 0 },
    chunkBytes: 6 * K * 2, // 6 bf16 rows per span
    bandBytes: 11 * N * 2, // 11 fp16 output rows per band: 7 bands, the last one narrower
    onSourceBytes: (n) => (bytes += n),
    onTensorDone: (name) => done.push(name),
    ...over,
  };
  return { job, sourceBytes: () => bytes, done };
}

async function streamAll(chunks: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  return { bytes: Buffer.concat(parts), sizes: parts.map((p) => p.byteLength) };
}

describe('transposed weights in column bands', () => {
  it('float16 from bf16: exact [in, out] layout, one chunk per band, progress and loss counts counted once', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('w');
    const stored = new Uint16Array(entry.readBytes().slice().buffer);
    const r = recordingJob();
    const t = transposedFloatTensor(entry, 'float16', r.job);
    expect(t.dims).toEqual([K, N]);
    const { bytes, sizes } = await streamAll(t.chunks!());
    expect(sizes).toEqual([...Array(6).fill(11 * N * 2), 4 * N * 2]);
    const out = new Uint16Array(bytes.buffer, bytes.byteOffset, N * K);
    const table = bf16ToF16Table();
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) expect(out[k * N + n]).toBe(table[stored[n * K + k]]);
    expect(r.sourceBytes()).toBe(entry.byteLength);
    expect(r.done).toEqual(['w']);
    const reference: ConversionCounts = { overflowed: 0, flushedToZero: 0 };
    convertBf16ToF16(stored, new Uint16Array(stored.length), reference);
    expect(reference.overflowed).toBeGreaterThan(0);
    expect(reference.flushedToZero).toBeGreaterThan(0);
    expect(r.job.counts).toEqual(reference);
  });

  it('float32 from F32 reproduces the source exactly, with a band wider than the tensor too', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('f');
    for (const bandBytes of [3 * N * 4, 1e9]) {
      const out = new Float32Array((await transposedFloatTensor(entry, 'float32', recordingJob({ bandBytes }).job).bytes()).buffer);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) expect(out[k * N + n]).toBe(values[n * K + k]);
    }
  });
});

describe('plain float tensors', () => {
  it('stream one chunk per source span, equal to the whole conversion', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('w');
    const r = recordingJob();
    const { bytes, sizes } = await streamAll(floatTensor(entry, 'float16', r.job).chunks!());
    expect(sizes).toEqual([...Array(7).fill(6 * K * 2), 3 * K * 2]);
    const stored = new Uint16Array(entry.readBytes().slice().buffer);
    expect(Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, N * K))).toEqual(Array.from(stored, (b) => bf16ToF16Table()[b]));
    expect(r.sourceBytes()).toBe(entry.byteLength);
  });
});

describe('4-bit weights streamed span by span', () => {
  for (const [symmetric, scaleDtype] of [[true, 'float32'], [false, 'float16']] as const) {
    it(`packed chunks, then scales${symmetric ? '' : ' and zero points'} (${scaleDtype}) equal one whole quantization`, async () => {
      const entry = SafetensorsCheckpoint.open(dir).get('f');
      const r = recordingJob({ chunkBytes: 5 * K * 4 });
      const q = quantizedTensors(entry, { blockSize: 16, symmetric, scaleDtype, layout: 'matmul' }, r.job);
      const whole = quantizeMatMulNBits(values, N, K, { blockSize: 16, symmetric, scaleDtype });
      const { bytes, sizes } = await streamAll(q.packed.chunks!());
      expect(sizes).toEqual(Array(9).fill(5 * whole.kBlocks * 8));
      expect(Buffer.from(bytes).equals(Buffer.from(whole.packed))).toBe(true);
      const scales = await q.scales.bytes();
      const expectedScales = scaleDtype === 'float16' ? scalesAsF16Bits(whole) : whole.scales;
      expect(Buffer.from(scales).equals(Buffer.from(expectedScales.buffer))).toBe(true);
      if (!symmetric) expect(Array.from(await q.zeroPoints!.bytes())).toEqual(Array.from(whole.zeroPoints!));
      // One pass over the source: the scales came from the packed stream, not a second quantization.
      expect(r.sourceBytes()).toBe(entry.byteLength);
      expect(r.done).toEqual(['f']);
    });
  }

  it('scales asked first still work (one in-memory run shared by all parts)', async () => {
    const entry = SafetensorsCheckpoint.open(dir).get('f');
    const r = recordingJob();
    const q = quantizedTensors(entry, { blockSize: 32, symmetric: true, scaleDtype: 'float32', layout: 'gather' }, r.job);
    const whole = quantizeMatMulNBits(values, N, K, { blockSize: 32, symmetric: true });
    expect(Array.from(new Float32Array((await q.scales.bytes()).buffer))).toEqual(Array.from(whole.scales));
    expect(Buffer.from(await q.packed.bytes()).equals(Buffer.from(whole.packed))).toBe(true);
    expect(r.sourceBytes()).toBe(entry.byteLength);
  });
});
