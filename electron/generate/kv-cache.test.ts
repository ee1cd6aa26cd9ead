// The KV cache that ONNX Runtime owns: one buffer per layer bound as past and present (converter's fused graph),
// against the same model driven with a growing past; the longest-common-prefix reuse across turns; and the older
// standard graph still decoding (growing past) with the same decoder class.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convertedModel, fusedModel, makeTinyModel } from '../testing/fixtures';
import { runPerPosition } from '../testing/decoder-logits';
import { inspectModelFolder, type ModelFolderInfo } from './model-files';
import { OrtDecoder } from './ort-decoder';
import { argmax } from './sampler';

let fused: ModelFolderInfo;
let standard: ModelFolderInfo;
beforeAll(async () => {
  const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 11 });
  fused = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp32' })).onnxDir);
  standard = inspectModelFolder((await convertedModel(hfDir, { dtype: 'fp32' })).onnxDir);
}, 240_000);

async function decoderFor(info: ModelFolderInfo, contextLength = 96, prefillChunk = 7): Promise<OrtDecoder> {
  const session = await ort.InferenceSession.create(info.variants[0].onnxPath);
  return new OrtDecoder(session, info.shape, { prefillChunk, contextLength, sharedCache: info.variants[0].sharedKvCache });
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const prompt = Array.from({ length: 30 }, (_, i) => 1000 + ((i * 7919) % 90000));

describe('KV cache owned by ONNX Runtime (fused graph)', () => {
  it('the converter marks its folder for the shared cache; older folders are not', () => {
    expect(fused.variants[0].sharedKvCache).toBe(true);
    expect(standard.variants[0].sharedKvCache).toBe(false);
  });

  it('a chunked prefill and greedy steps in one buffer give the logits of a growing past; ORT writes in place', async () => {
    const decoder = await decoderFor(fused);
    expect(decoder.sharedCache).toBe(true);
    const buffers = [...(decoder as unknown as { past: Map<string, ort.Tensor> }).past.values()];
    const ids = [...prompt];
    const rows = [Float32Array.from(await decoder.forward(ids))];
    for (let step = 0; step < 5; step++) {
      ids.push(argmax(rows[rows.length - 1]));
      rows.push(Float32Array.from(await decoder.forward([ids[ids.length - 1]])));
    }
    const reference = await runPerPosition(await ort.InferenceSession.create(fused.variants[0].onnxPath), ids);
    const vocab = rows[0].length;
    rows.forEach((row, k) => {
      const at = prompt.length - 1 + k;
      expect(maxDiff(row, reference.subarray(at * vocab, (at + 1) * vocab))).toBeLessThan(1e-4);
    });
    // the same tensors, still the loaded context long, now hold the keys of every position run and nothing beyond
    const after = [...(decoder as unknown as { past: Map<string, ort.Tensor> }).past.values()];
    expect(after.every((t, i) => t === buffers[i] && t.dims[2] === 96)).toBe(true);
    const key = after[0].data as Float32Array;
    const headDim = fused.shape.headDim;
    expect(key.subarray(0, ids.length * headDim).some((x) => x !== 0)).toBe(true);
    expect(key.subarray(ids.length * headDim, 96 * headDim).every((x) => x === 0)).toBe(true);
    expect(decoder.cacheBytes).toBe(2 * fused.shape.layers * fused.shape.kvHeads * 96 * headDim * 4);
  }, 120_000);

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
