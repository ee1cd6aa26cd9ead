// The KV cache that ONNX Runtime owns: one buffer per layer bound as past and present (converter's fused graph), seen
// by ORT through a view that grows with the context, against the same model driven with a growing past; the longest-common-prefix reuse across turns; and the older
// standard graph still decoding (growing past) with the same decoder class.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convertedModel, fusedModel, makeTinyModel } from '../testing/fixtures';
import { runPerPosition } from '../testing/decoder-logits';
import { inspectModelFolder, type ModelFolderInfo } from './model-files';
import { capacityFor, SharedKvCache } from './kv-cache';
import { OrtDecoder } from './ort-decoder';
import { argmax } from './sampler';

let fused: ModelFolderInfo;
let standard: ModelFolderInfo;
beforeAll(async () => {
  const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 11 });
  fused = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp32' })).onnxDir);
  standard = inspectModelFolder((await convertedModel(hfDir, { dtype: 'fp32' })).onnxDir);
}, 240_000);

async function decoderFor(info: ModelFolderInfo, contextLength = 96, prefillChunk = 7, initialCapacity?: number): Promise<OrtDecoder> {
  const session = await ort.InferenceSession.create(info.variants[0].onnxPath);
  return new OrtDecoder(session, info.shape, { prefillChunk, contextLength, sharedCache: info.variants[0].sharedKvCache, initialCapacity });
}

const sharedCacheOf = (decoder: OrtDecoder) => (decoder as unknown as { shared: SharedKvCache }).shared;

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const prompt = Array.from({ length: 30 }, (_, i) => 1000 + ((i * 7919) % 90000));

describe('KV cache owned by ONNX Runtime (fused graph)', () => {
  it('the converter marks its folder for the shared cache; older folders are not', () => {
    expect(fused.variants[0].sharedKvCache).toBe(true);
    expect(standard.variants[0].sharedKvCache).toBe(false);
  });

  it('a chunked prefill and greedy steps in one buffer give the logits of a growing past; ORT writes in place', async () => {
    // a first view of 8 positions: the prompt and the steps cross many growths, each moving every head's rows
    const decoder = await decoderFor(fused, 96, 7, 8);
    expect(decoder.sharedCache).toBe(true);
    const ids = [...prompt];
    const rows = [Float32Array.from(await decoder.forward(ids))];
    const capacities = [decoder.cacheCapacity];
    for (let step = 0; step < 5; step++) {
      ids.push(argmax(rows[rows.length - 1]));
      rows.push(Float32Array.from(await decoder.forward([ids[ids.length - 1]])));
      capacities.push(decoder.cacheCapacity);
    }
    const reference = await runPerPosition(await ort.InferenceSession.create(fused.variants[0].onnxPath), ids);
    const vocab = rows[0].length;
    rows.forEach((row, k) => {
      const at = prompt.length - 1 + k;
      expect(maxDiff(row, reference.subarray(at * vocab, (at + 1) * vocab))).toBeLessThan(1e-4);
    });
    // ORT sees a view that holds the context with at most a quarter to spare, not the loaded 96 positions
    capacities.forEach((c, k) => expect(c).toBe(capacityFor(prompt.length + k, 96, 8)));
    expect(capacities[capacities.length - 1]).toBeLessThan(96);
    // the views are of the buffers allocated once, and ORT wrote every position of every head into them
    const views = [...sharedCacheOf(decoder).tensors(ids.length, ids.length).values()];
    const { kvHeads, headDim } = fused.shape;
    const capacity = decoder.cacheCapacity;
    for (const view of views) {
      const data = view.data as Float32Array;
      expect(view.dims).toEqual([1, kvHeads, capacity, headDim]);
      expect(data.buffer.byteLength).toBe(kvHeads * 96 * headDim * 4);
      for (let head = 0; head < kvHeads; head++) {
        for (let position = 0; position < ids.length; position++) {
          const row = data.subarray((head * capacity + position) * headDim, (head * capacity + position + 1) * headDim);
          expect(row.some((x) => x !== 0)).toBe(true);
        }
      }
    }
    expect(decoder.cacheBytes).toBe(2 * fused.shape.layers * kvHeads * 96 * headDim * 4);
  }, 120_000);

  it('a reset starts again from the smallest view', async () => {
    const decoder = await decoderFor(fused, 96, 7, 8);
    await decoder.forward(prompt);
    expect(decoder.cacheCapacity).toBe(capacityFor(prompt.length, 96, 8));
    expect(decoder.reuse([5, 6, 7])).toBe(0);
    const logits = Float32Array.from(await decoder.forward([5, 6, 7]));
    expect(decoder.cacheCapacity).toBe(8);
    const fresh = await decoderFor(fused);
    expect(maxDiff(logits, await fresh.forward([5, 6, 7]))).toBeLessThan(1e-4);
  }, 60_000);

  it('a follow-up prefills only the tokens after the common prefix, with the logits of a fresh prefill', async () => {
    const decoder = await decoderFor(fused);
    await decoder.forward(prompt);
    const followUp = [...prompt, 5, 6, 7, 8, 9];
    const before = decoder.tokensRun;
    const kept = decoder.reuse(followUp);
    const logits = Float32Array.from(await decoder.forward(followUp.slice(kept)));
    expect(kept).toBe(prompt.length);
    expect(decoder.tokensRun - before).toBe(followUp.length - prompt.length);
    const fresh = await decoderFor(fused);
    expect(maxDiff(logits, await fresh.forward(followUp))).toBeLessThan(1e-4);
  }, 120_000);

  it('a regenerate (earlier tokens changed) cuts the cache at the first difference and runs only the rest', async () => {
    const decoder = await decoderFor(fused);
    await decoder.forward([...prompt, 11, 12, 13]);
    const edited = [...prompt.slice(0, 20), 42, 43, ...prompt.slice(22)];
    const before = decoder.tokensRun;
    const kept = decoder.reuse(edited);
    const logits = Float32Array.from(await decoder.forward(edited.slice(kept)));
    expect(kept).toBe(20);
    expect(decoder.tokensRun - before).toBe(edited.length - 20);
    expect(decoder.length).toBe(edited.length);
    const fresh = await decoderFor(fused);
    expect(maxDiff(logits, await fresh.forward(edited))).toBeLessThan(1e-4);
    // the same prompt again: all but its last token are kept, so there are fresh logits to sample from
    expect(decoder.reuse(edited)).toBe(edited.length - 1);
  }, 120_000);

  it('says the context is full instead of writing past the buffer', async () => {
    const decoder = await decoderFor(fused, 32);
    await decoder.forward(prompt);
    await expect(decoder.forward([1, 2, 3])).rejects.toThrow(/context is full.*32-token context/);
  }, 60_000);
});

describe('the shared cache\'s view', () => {
  it('holds the context with at most a quarter to spare, from the smallest view up to the loaded length', () => {
    expect(capacityFor(1, 4096)).toBe(256);
    expect(capacityFor(256, 4096)).toBe(256);
    expect(capacityFor(257, 4096)).toBe(320);
    expect(capacityFor(1000, 4096)).toBe(1024);
    expect(capacityFor(4000, 4096)).toBe(4096);
    expect(capacityFor(30_000, 30_100)).toBe(30_100);
    let previous = 0;
    for (let total = 256; total <= 40_000; total += 37) {
      const c = capacityFor(total, 1 << 20);
      expect(c).toBeGreaterThanOrEqual(Math.max(total, previous));
      expect(c).toBeLessThanOrEqual(1.25 * total);
      previous = c;
    }
  });

  it('keeps every head\'s rows when it grows, in the one buffer allocated up front', () => {
    const [kvHeads, headDim] = [3, 2];
    const cache = new SharedKvCache(['past_key_values.0.key'], 'float32', kvHeads, headDim, 64, 4);
    const view = (total: number, used: number) => cache.tensors(total, used).get('past_key_values.0.key')!;
    const first = view(3, 0);
    expect(first.dims).toEqual([1, kvHeads, 4, headDim]);
    const value = (head: number, position: number, i: number) => 1000 * head + 10 * position + i + 1;
    const data = first.data as Float32Array;
    for (let head = 0; head < kvHeads; head++) {
      for (let p = 0; p < 3; p++) for (let i = 0; i < headDim; i++) data[(head * 4 + p) * headDim + i] = value(head, p, i);
    }
    const grown = view(9, 3);
    const capacity = cache.capacity;
    expect(capacity).toBe(10);
    expect(grown.dims).toEqual([1, kvHeads, capacity, headDim]);
    const moved = grown.data as Float32Array;
    expect(moved.buffer).toBe(data.buffer);
    for (let head = 0; head < kvHeads; head++) {
      for (let p = 0; p < 3; p++) for (let i = 0; i < headDim; i++) expect(moved[(head * capacity + p) * headDim + i]).toBe(value(head, p, i));
    }
    expect(view(10, 9)).toBe(grown); // still fits: the same tensor, nothing moved
    expect(() => view(65, 9)).toThrow(/do not fit/);
    cache.release();
    expect(() => view(1, 0)).toThrow(/unloaded/);
  });
});

describe('older (standard graph) folders', () => {
  it('decode with a growing past and reuse a prompt that extends the cache', async () => {
    const decoder = await decoderFor(standard);
    expect(decoder.sharedCache).toBe(false);
    const first = Float32Array.from(await decoder.forward(prompt));
    const reference = await runPerPosition(await ort.InferenceSession.create(standard.variants[0].onnxPath), prompt);
    const vocab = first.length;
    expect(maxDiff(first, reference.subarray((prompt.length - 1) * vocab))).toBeLessThan(1e-4);
    expect(decoder.reuse([...prompt, 1, 2])).toBe(prompt.length);
    expect(decoder.reuse([5, ...prompt])).toBe(0); // a growing cache is not cut: it starts over
    expect(decoder.length).toBe(0);
  }, 120_000);
});
