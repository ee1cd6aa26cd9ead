// The logits of every position of a prompt from a converted decoder, for parity tests. The fused graph computes
// lm_head for the last position only, so the prompt is fed one token at a time through the KV cache (a growing past:
// the way transformers.js drives it), which also exercises the cache. Works for the older full-logits graph too.
import * as ort from 'onnxruntime-node';
import { XKV_NAMES } from '../model/xkv-attention';
import { XkvDecoder } from '../generate/xkv-decoder';
import { f16ToF32Array } from '../util/float16';

export async function logitsPerPosition(onnxFile: string, ids: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnxFile);
  try {
    return await runPerPosition(session, ids);
  } finally {
    await session.release();
  }
}

export async function runPerPosition(session: ort.InferenceSession, ids: number[]): Promise<Float32Array> {
  if (session.inputNames.includes(XKV_NAMES.past(0, 0, 'key'))) return externalPerPosition(session, ids);
  const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v, BigInt), [1, v.length]);
  const past: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values') || !meta.isTensor) continue;
    const half = meta.type === 'float16';
    const [, kvHeads, , headDim] = meta.shape as number[];
    past[meta.name] = new ort.Tensor(half ? 'float16' : 'float32', half ? new Uint16Array(0) : new Float32Array(0), [1, kvHeads, 0, headDim]);
  }
  const hasPositions = session.inputNames.includes('position_ids');
  let out: Float32Array | undefined;
  for (let t = 0; t < ids.length; t++) {
    const feeds: Record<string, ort.Tensor> = { input_ids: i64([ids[t]]), attention_mask: i64(new Array(t + 1).fill(1)), ...past };
    if (hasPositions) feeds.position_ids = i64([t]);
    const result = await session.run(feeds);
    for (const name of Object.keys(past)) past[name] = result[name.replace('past_key_values.', 'present.')];
    const logits = result.logits;
    const vocab = Number(logits.dims[logits.dims.length - 1]);
    const raw = logits.data as Float32Array | Uint16Array;
    const row = raw.subarray(raw.length - vocab);
    out ??= new Float32Array(ids.length * vocab);
    out.set(logits.type === 'float16' ? f16ToF32Array(row as Uint16Array) : (row as Float32Array), t * vocab);
  }
  return out!;
}

/** The external-cache graph, one token a step through the engine's own decoder (its shape read from the inputs). */
async function externalPerPosition(session: ort.InferenceSession, ids: number[]): Promise<Float32Array> {
  const meta = (name: string) => session.inputMetadata.find((m) => m.name === name) as { shape: (number | string)[] } | undefined;
  const count = (name: (i: number) => string) => { let n = 0; while (session.inputNames.includes(name(n))) n++; return n; };
  const layers = count((i) => XKV_NAMES.past(i, 0, 'key'));
  const kvHeads = count((h) => XKV_NAMES.past(0, h, 'key'));
  const headDim = Number(meta(XKV_NAMES.past(0, 0, 'key'))!.shape[1]);
  const group = Number(meta(XKV_NAMES.causalBias)!.shape[0]);
  const shape = { arch: 'external', layers, heads: group * kvHeads, kvHeads, headDim, vocabSize: 0, maxPositions: ids.length };
  const decoder = new XkvDecoder(session, shape, { contextLength: ids.length, prefillChunk: 1 });
  let out: Float32Array | undefined;
  for (let t = 0; t < ids.length; t++) {
    const row = await decoder.forward([ids[t]]);
    out ??= new Float32Array(ids.length * row.length);
    out.set(row, t * row.length);
  }
  return out!;
}
