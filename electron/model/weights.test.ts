import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f16BitsToF32 } from '../util/float16';
import { SafetensorsCheckpoint, writeSafetensors } from './safetensors';
import { lazyWeight, memoryWeights } from './weights';

const dir = mkdtempSync(join(tmpdir(), 'distillery-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lazyWeight', () => {
  const values = Float32Array.from({ length: 5 * 3 }, (_, i) => i - 7.5); // [5, 3]
  const expectedT = [0, 3, 6, 9, 12, 1, 4, 7, 10, 13, 2, 5, 8, 11, 14].map((i) => values[i]); // [3, 5]

  it('transposes [out, in] to [in, out] block by block, reading rows from a safetensors file', async () => {
    const file = join(dir, 'w.safetensors');
    writeSafetensors(file, { w: { dtype: 'BF16', shape: [5, 3], data: values } });
    const entry = SafetensorsCheckpoint.open(file).get('w');
    expect(Array.from(entry.readFloat32Rows(1, 2))).toEqual(Array.from(values.subarray(3, 9)));
    expect(() => entry.readFloat32Rows(4, 2)).toThrow(/rows 4..6 are outside its 5 rows/);
    for (const block of [1, 4, 7, 1000]) {
      const lazy = lazyWeight(entry, 'float32', true, block);
      expect(lazy.dims).toEqual([3, 5]);
      const bytes = await lazy.bytes();
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 15))).toEqual(expectedT);
    }
  });

  it('converts to float16 and float64 without transposing', async () => {
    const weight = memoryWeights({ w: { shape: [5, 3], data: values } }).get('w');
    const half = await lazyWeight(weight, 'float16', false, 4).bytes();
    expect(Array.from(new Uint16Array(half.buffer, half.byteOffset, 15), f16BitsToF32)).toEqual(Array.from(values));
    const wide = await lazyWeight(weight, 'float64', true, 3).bytes();
    expect(Array.from(new Float64Array(wide.buffer, wide.byteOffset, 15))).toEqual(expectedT);
    expect(() => lazyWeight(memoryWeights({ v: { shape: [3], data: new Float32Array(3) } }).get('v'), 'float32', true)).toThrow(/must be 2-D/);
  });

  it('streams untransposed weights in row blocks with the same bytes as the whole buffer; transposed ones do not stream', async () => {
    const file = join(dir, 'stream.safetensors');
    writeSafetensors(file, { w: { dtype: 'F16', shape: [5, 3], data: values } });
    const entry = SafetensorsCheckpoint.open(file).get('w');
    for (const dtype of ['float32', 'float16', 'float64'] as const) {
      for (const block of [1, 4, 7, 1000]) {
        const lazy = lazyWeight(entry, dtype, false, block);
        const chunks: Uint8Array[] = [];
        for await (const chunk of lazy.chunks!()) chunks.push(chunk.slice()); // the producer may reuse chunk memory
        expect(chunks.length).toBe(Math.ceil(5 / Math.max(1, Math.floor(block / 3))));
        expect(Buffer.concat(chunks)).toEqual(Buffer.from(await lazy.bytes()));
      }
    }
    expect(lazyWeight(entry, 'float32', true).chunks).toBeUndefined();
  });
});
