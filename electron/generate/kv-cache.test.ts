// The KV cache the engine owns (the converter's default graph): the past is read in place from the engine's buffers
// and only the new tokens' keys/values come back. Checked against the same weights in the portable graph driven with
// a growing past (GroupQueryAttention, another decoder class), plus the longest-common-prefix reuse across turns.
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convertedModel, fusedModel, makeTinyModel } from '../testing/fixtures';
import { runPerPosition } from '../testing/decoder-logits';
import { inspectModelFolder, type ModelFolderInfo } from './model-files';
import { OrtDecoder } from './ort-decoder';
import { XkvDecoder } from './xkv-decoder';
import { argmax } from './sampler';

let external: ModelFolderInfo;
let externalRows: ModelFolderInfo;
let portable: ModelFolderInfo;
let standard: ModelFolderInfo;
beforeAll(async () => {
  const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 11 });
  external = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp32' })).onnxDir);
  externalRows = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp32', valueLayout: 'rows' })).onnxDir);
  portable = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp32', portable: true })).onnxDir);
  standard = inspectModelFolder((await convertedModel(hfDir, { dtype: 'fp32' })).onnxDir);
}, 240_000);

type Layout = 'blocks' | 'rows';
const folderOf = (layout: Layout) => (layout === 'blocks' ? external : externalRows);

async function externalDecoder(layout: Layout, contextLength = 96, prefillChunk = 7, fusedPrefill = true): Promise<XkvDecoder> {
  const folder = folderOf(layout);
  const session = await ort.InferenceSession.create(folder.variants[0].onnxPath);
  return new XkvDecoder(session, folder.shape, { prefillChunk, contextLength, fusedPrefill });
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/**
 * Prefills `prompt`, takes `steps` greedy steps, and checks every row of logits against the portable graph run
 * position by position over the same tokens (another graph and decoder class, same weights). Returns the tokens.
 */
async function expectPortableLogits(decoder: XkvDecoder, prompt: number[], steps: number): Promise<number[]> {
  const ids = [...prompt];
  const rows = [Float32Array.from(await decoder.forward(ids))];
  for (let step = 0; step < steps; step++) {
    ids.push(argmax(rows[rows.length - 1]));
    rows.push(Float32Array.from(await decoder.forward([ids[ids.length - 1]])));
  }
  const reference = await runPerPosition(await ort.InferenceSession.create(portable.variants[0].onnxPath), ids);
  const vocab = rows[0].length;
  rows.forEach((row, k) => {
    const at = prompt.length - 1 + k;
    expect(maxDiff(row, reference.subarray(at * vocab, (at + 1) * vocab))).toBeLessThan(1e-4);
  });
  return ids;
}
const prompt = Array.from({ length: 30 }, (_, i) => 1000 + ((i * 7919) % 90000));

// values as Vᵀ blocks (converter 1.3+, fed in whole blocks of 256 rows) and as rows (folders converted by 1.2)
describe.each(['blocks', 'rows'] as const)('KV cache owned by the engine (the converter\'s graph, values as %s)', (layout) => {
  it('a chunked prefill and greedy steps give the logits of the portable graph with a growing past', async () => {
    const decoder = await externalDecoder(layout);
    const ids = await expectPortableLogits(decoder, prompt, 5);
    // the buffers hold the loaded context (+ the sink row; whole blocks of 256 rows for blocked values) and rows only
    // up to what was run
    const buffers = (decoder as unknown as { buffers: { key: Float32Array }[][] }).buffers;
    const { headDim, layers, kvHeads } = folderOf(layout).shape;
    const capacity = layout === 'blocks' ? 256 : 97;
    const key = buffers[0][0].key;
    expect(key.length).toBe(capacity * headDim);
    expect(key.subarray(headDim, (ids.length + 1) * headDim).some((x) => x !== 0)).toBe(true);
    expect(key.subarray((ids.length + 1) * headDim).every((x) => x === 0)).toBe(true);
    expect(decoder.cacheBytes).toBe(2 * layers * kvHeads * capacity * headDim * 4);
  }, 120_000);

  it('a follow-up prefills only the tokens after the common prefix, with the logits of a fresh prefill', async () => {
    const decoder = await externalDecoder(layout);
    await decoder.forward(prompt);
    const followUp = [...prompt, 5, 6, 7, 8, 9];
    const before = decoder.tokensRun;
    const kept = decoder.reuse(followUp);
    const logits = Float32Array.from(await decoder.forward(followUp.slice(kept)));
    expect(kept).toBe(prompt.length);
    expect(decoder.tokensRun - before).toBe(followUp.length - prompt.length);
    const fresh = await externalDecoder(layout);
    expect(maxDiff(logits, await fresh.forward(followUp))).toBeLessThan(1e-4);
  }, 120_000);

  it('a regenerate (earlier tokens changed) cuts the cache at the first difference and runs only the rest', async () => {
    const decoder = await externalDecoder(layout);
    await decoder.forward([...prompt, 11, 12, 13]);
    const edited = [...prompt.slice(0, 20), 42, 43, ...prompt.slice(22)];
    const before = decoder.tokensRun;
    const kept = decoder.reuse(edited);
    const logits = Float32Array.from(await decoder.forward(edited.slice(kept)));
    expect(kept).toBe(20);
    expect(decoder.tokensRun - before).toBe(edited.length - 20);
    expect(decoder.length).toBe(edited.length);
    const fresh = await externalDecoder(layout);
    expect(maxDiff(logits, await fresh.forward(edited))).toBeLessThan(1e-4);
    // the same prompt again: all but its last token are kept, so there are fresh logits to sample from
    expect(decoder.reuse(edited)).toBe(edited.length - 1);
  }, 120_000);

  it('says the context is full instead of writing past the buffer', async () => {
    const decoder = await externalDecoder(layout, 32);
    await decoder.forward(prompt);
    await expect(decoder.forward([1, 2, 3])).rejects.toThrow(/context is full.*32-token context/);
  }, 60_000);
});

// a prefill chunk runs GroupQueryAttention over the cached rows (fused_prefill, converter 1.4: the CPU) or the decode
// formulation (other providers); both must give the same logits
describe.each([true, false])('values as Vᵀ blocks across block boundaries (fused prefill: %s)', (fusedPrefill) => {
  it('a context past 256 rows gives the portable graph\'s logits, and rows left past a cut stay masked', async () => {
    const long = Array.from({ length: 300 }, (_, i) => 1000 + ((i * 7919) % 90000));
    const decoder = await externalDecoder('blocks', 600, 100, fusedPrefill); // chunks end at rows 101, 201, 301: the second crosses 256
    await expectPortableLogits(decoder, long, 3);
    // cut at 200: rows 201…303 still hold the old tokens' values, in the first block and the second
    const edited = [...long.slice(0, 200), 7, 8, 9];
    expect(decoder.reuse(edited)).toBe(200);
    const logits = Float32Array.from(await decoder.forward(edited.slice(200)));
    const fresh = await externalDecoder('blocks', 600, 100, !fusedPrefill); // the other formulation
    expect(maxDiff(logits, await fresh.forward(edited))).toBeLessThan(1e-4);
  }, 180_000);
});

describe('float16 activations and cache', () => {
  it('a chunked prefill through GroupQueryAttention gives the decode formulation\'s logits, one token at a time', async () => {
    const { hfDir } = await makeTinyModel({ arch: 'qwen2', seed: 11 });
    const half = inspectModelFolder((await fusedModel(hfDir, { dtype: 'fp16' })).onnxDir);
    const session = await ort.InferenceSession.create(half.variants[0].onnxPath);
    const chunked = Float32Array.from(await new XkvDecoder(session, half.shape, { prefillChunk: 7, contextLength: 96 }).forward(prompt));
    const reference = await runPerPosition(session, prompt); // every run one token: the decode formulation
    const vocab = chunked.length;
    const last = reference.subarray((prompt.length - 1) * vocab);
    // float16 rounding only (the fp16 conversion's own bound against fp32 is 0.02, convert.test)
    expect(maxDiff(chunked, last)).toBeLessThan(0.02);
    expect(argmax(chunked)).toBe(argmax(last));
  }, 120_000);
});

describe('portable and older (standard graph) folders', () => {
  for (const [name, folder] of [['portable', () => portable], ['standard', () => standard]] as const) {
    it(`${name}: decode with a growing past and reuse a prompt that extends the cache`, async () => {
      const info = folder();
      const session = await ort.InferenceSession.create(info.variants[0].onnxPath);
      const decoder = new OrtDecoder(session, info.shape, { prefillChunk: 7, contextLength: 96 });
      const first = Float32Array.from(await decoder.forward(prompt));
      const reference = await runPerPosition(await ort.InferenceSession.create(info.variants[0].onnxPath), prompt);
      const vocab = first.length;
      expect(maxDiff(first, reference.subarray((prompt.length - 1) * vocab))).toBeLessThan(1e-4);
      expect(decoder.reuse([...prompt, 1, 2])).toBe(prompt.length);
      expect(decoder.reuse([5, ...prompt])).toBe(0); // a growing cache is not cut: it starts over
      expect(decoder.length).toBe(0);
    }, 120_000);
  }
});

/**
 * The portable session as WebGPU with `deviceOutputs` answers: every present.* a 'gpu-buffer' tensor. Here each one
 * is a handle to the CPU tensor it stands for; feeding a released handle throws, as a freed GPU buffer would fail.
 */
function deviceResidentSession(real: ort.InferenceSession) {
  const live = new Map<object, ort.Tensor>();
  let released = 0;
  const run = async (feeds: Record<string, ort.Tensor>) => {
    const plain: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      if (tensor.location !== 'gpu-buffer') plain[name] = tensor;
      else plain[name] = live.get(tensor.gpuBuffer) ?? expect.fail(`${name} was fed after its buffer was released`);
    }
    const out = { ...(await real.run(plain)) };
    for (const name of Object.keys(out).filter((n) => n.startsWith('present.'))) {
      const handle = {};
      live.set(handle, out[name]);
      const dispose = () => (live.delete(handle), released++);
      out[name] = ort.Tensor.fromGpuBuffer(handle as unknown as ort.Tensor.GpuBufferType, { dataType: 'float32', dims: out[name].dims, dispose });
    }
    return out;
  };
  const session = { ...real, inputNames: real.inputNames, outputNames: real.outputNames, inputMetadata: real.inputMetadata, run } as unknown as ort.InferenceSession;
  return { session, live: () => live.size, released: () => released };
}

describe('a cache kept on the GPU (WebGPU, portable graph)', () => {
  it('is fed back as it is, gives the same logits, and each buffer is released once replaced', async () => {
    const path = portable.variants[0].onnxPath;
    const options = { prefillChunk: 7, contextLength: 96 };
    const plain = new OrtDecoder(await ort.InferenceSession.create(path), portable.shape, options);
    const gpu = deviceResidentSession(await ort.InferenceSession.create(path));
    const onDevice = new OrtDecoder(gpu.session, portable.shape, options);
    const pastCount = 2 * portable.shape.layers;
    let [a, b] = [await plain.forward(prompt), await onDevice.forward(prompt)];
    for (let step = 0; step < 4; step++) {
      expect(maxDiff(b, a)).toBe(0);
      const next = argmax(a);
      [a, b] = [await plain.forward([next]), await onDevice.forward([next])];
    }
    const runs = Math.ceil(prompt.length / 7) + 4;
    expect(gpu.live()).toBe(pastCount); // the cache in use, nothing else
    expect(gpu.released()).toBe((runs - 1) * pastCount); // every earlier present, once
    expect(onDevice.cacheBytes).toBe(plain.cacheBytes);
    expect(onDevice.reuse([5, ...prompt])).toBe(0); // a cut starts over, and frees the device cache
    expect(gpu.live()).toBe(0);
    await onDevice.forward(prompt.slice(0, 3));
    onDevice.dispose();
    expect(gpu.live()).toBe(0);
  }, 120_000);
});

