// Streaming initializers through the writer: a chunked LazyTensor must land byte for byte where a whole buffer
// would, and a stream of the wrong length must be refused with the tensor's name.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkedTensor, collectChunks, Graph, type LazyTensor } from './graph';
import * as op from './ops';
import { writeModel } from './write';

const dir = mkdtempSync(join(tmpdir(), 'distillery-onnx-chunked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const weightValues = (seed: number, count: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 31 + i * 0.7));

/** Yields `bytes` in pieces of `size`, all through ONE reused buffer, as the converter's producers do. */
async function* reusedChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  const scratch = new Uint8Array(size);
  for (let at = 0; at < bytes.byteLength; at += size) {
    const n = Math.min(size, bytes.byteLength - at);
    scratch.set(bytes.subarray(at, at + n));
    yield scratch.subarray(0, n);
    scratch.fill(0xee); // anything a consumer failed to copy is now garbage
  }
}

function wholeTensor(dims: number[], data: Float32Array): LazyTensor {
  return { dtype: 'float32', dims, bytes: () => new Uint8Array(data.buffer.slice(0)) };
}

function streamedTensor(dims: number[], data: Float32Array, chunkSize: number): LazyTensor {
  const bytes = new Uint8Array(data.buffer);
  return chunkedTensor('float32', dims, () => reusedChunks(bytes, chunkSize), 'test weight');
}

/** y = x · W0 · W1 · W2 (+ b) with 4×4 weights: several tensors, so data files split between them. */
function chain(make: (dims: number[], data: Float32Array) => LazyTensor): Graph {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 4]); // [batch, 4]
  let h = x;
  for (let i = 0; i < 3; i++) h = op.matMul(g, h, g.initializer(`w${i}`, make([4, 4], weightValues(i, 16)))); // [batch, 4]
  h = op.add(g, h, g.initializer('b', make([4], weightValues(9, 4)))); // [batch, 4]
  g.output(h, 'y');
  return g;
}

const writeOptions = { inlineLimitBytes: 1, alignment: 32, chunkBytes: 150 };

function folderBytes(folder: string): Record<string, string> {
  return Object.fromEntries(readdirSync(folder).sort().map((f) => [f, readFileSync(join(folder, f)).toString('hex')]));
}

describe('chunked initializers', () => {
  it('write files byte-identical to whole-buffer initializers, across data-file splits', async () => {
    const wholeDir = mkdtempSync(join(dir, 'whole-'));
    const streamDir = mkdtempSync(join(dir, 'stream-'));
    const whole = await writeModel(chain(wholeTensor), join(wholeDir, 'model.onnx'), writeOptions);
    // 7-byte chunks: never aligned to elements, so chunk boundaries cut floats in half.
    const streamed = await writeModel(chain((dims, data) => streamedTensor(dims, data, 7)), join(streamDir, 'model.onnx'), writeOptions);
    expect(streamed.dataFiles).toEqual(whole.dataFiles);
    expect(whole.dataFiles.length).toBeGreaterThan(1);
    expect(streamed.externalBytes).toBe(whole.externalBytes);
    expect(folderBytes(streamDir)).toEqual(folderBytes(wholeDir));

    const session = await ort.InferenceSession.create(join(streamDir, 'model.onnx'));
    const x = Float32Array.from([1, 2, 3, 4, -1, 0.5, 0, 2]);
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [2, 4]) });
    await session.release();
    // Independent reference: the same chain in float64.
    const W = [0, 1, 2].map((i) => weightValues(i, 16));
    const b = weightValues(9, 4);
    for (let row = 0; row < 2; row++) {
      let v = Array.from(x.subarray(row * 4, row * 4 + 4));
      for (const w of W) v = [0, 1, 2, 3].map((c) => v.reduce((sum, xi, k) => sum + xi * w[k * 4 + c], 0));
      v.forEach((value, c) => expect((y.data as Float32Array)[row * 4 + c]).toBeCloseTo(value + b[c], 4));
    }
  });

  it('rejects a stream shorter than dtype × dims, naming the tensor', async () => {
    const g = chain(wholeTensor);
    const short = weightValues(1, 15); // 60 bytes where float32[4, 4] needs 64
    g.initializers.get('w1')!.source = chunkedTensor('float32', [4, 4], () => reusedChunks(new Uint8Array(short.buffer), 8));
    await expect(writeModel(g, join(mkdtempSync(join(dir, 'short-')), 'model.onnx'), writeOptions)).rejects.toThrow(
      /Initializer "w1" \(float32\[4, 4\]\): the streamed data is 60 bytes, but its dtype and shape need exactly 64/,
    );
  });

  it('rejects a stream longer than dtype × dims before writing past its slot', async () => {
    const g = chain(wholeTensor);
    const long = weightValues(1, 20);
    let chunksPulled = 0;
    g.initializers.get('w2')!.source = chunkedTensor('float32', [4, 4], async function* () {
      for await (const chunk of reusedChunks(new Uint8Array(long.buffer), 16)) {
        chunksPulled++;
        yield chunk;
      }
    });
    await expect(writeModel(g, join(mkdtempSync(join(dir, 'long-')), 'model.onnx'), writeOptions)).rejects.toThrow(
      /Initializer "w2" \(float32\[4, 4\]\): the streamed data is at least 80 bytes, but its dtype and shape need exactly 64/,
    );
    expect(chunksPulled).toBe(5); // stopped at the first chunk that overflowed
  });

  it('bytes() of a chunked tensor copies every chunk and checks the length', async () => {
    const data = weightValues(3, 10);
    const t = streamedTensor([10], data, 12);
    expect(Array.from(new Float32Array((await t.bytes()).buffer))).toEqual(Array.from(data));
    const wrong = chunkedTensor('float32', [11], () => reusedChunks(new Uint8Array(data.buffer), 12), 'Tensor "x"');
    await expect(wrong.bytes()).rejects.toThrow(/Tensor "x" float32\[11\]: the streamed data is 40 bytes, but .* exactly 44/);
    await expect(collectChunks(reusedChunks(new Uint8Array(8), 4), 4, 'y')).rejects.toThrow(/y: .* at least 8 bytes/);
  });
});
