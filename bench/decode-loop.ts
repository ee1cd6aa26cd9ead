// A bare greedy decode loop on ONNX Runtime (no transformers.js), in the I/O layout the converter writes:
// input_ids / attention_mask / position_ids, past_key_values.{i}.key|value → logits, present.{i}.key|value.
import * as ort from 'onnxruntime-node';

export interface DecodeShape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

export interface DecodeResult {
  promptTokens: number;
  newTokens: number;
  prefillMs: number;
  decodeMs: number;
  tokensPerSecond: number;
  loadMs: number;
}

function argmaxLast(logits: ort.Tensor): number {
  const [, seq, vocab] = logits.dims as number[];
  const data = logits.data as Float32Array | Uint16Array;
  const base = (seq - 1) * vocab;
  let best = 0;
  let bestValue = -Infinity;
  const f16 = logits.type === 'float16';
  for (let v = 0; v < vocab; v++) {
    const x = f16 ? halfToFloat((data as Uint16Array)[base + v]) : (data as Float32Array)[base + v];
    if (x > bestValue) {
      bestValue = x;
      best = v;
    }
  }
  return best;
}

function halfToFloat(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

export async function greedyDecode(onnxFile: string, shape: DecodeShape, promptTokens = 16, newTokens = 32): Promise<DecodeResult> {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(onnxFile, { executionProviders: ['cpu'] });
  const loadMs = performance.now() - t0;
  const kvType = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  const kvDtype = kvType && 'type' in kvType && kvType.type === 'float16' ? 'float16' : 'float32';
  const hasPositions = session.inputNames.includes('position_ids');
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < shape.layers; i++) {
    for (const kind of ['key', 'value']) {
      const empty = kvDtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor(kvDtype, empty, [1, shape.kvHeads, 0, shape.headDim]);
    }
  }
  let ids = Array.from({ length: promptTokens }, (_, i) => 1000 + i * 37);
  let total = 0;
  let prefillMs = 0;
  let decodeStart = 0;
  for (let step = 0; step <= newTokens; step++) {
    const start = performance.now();
    const seq = ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids, [1, seq]),
      attention_mask: int64(new Array(total + seq).fill(1), [1, total + seq]),
      ...past,
    };
    if (hasPositions) feeds.position_ids = int64(Array.from({ length: seq }, (_, i) => total + i), [1, seq]);
    const out = await session.run(feeds);
    total += seq;
    past = {};
    for (let i = 0; i < shape.layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    ids = [argmaxLast(out.logits)];
    if (step === 0) {
      prefillMs = performance.now() - start;
      decodeStart = performance.now();
    }
  }
  const decodeMs = performance.now() - decodeStart;
  await session.release();
  return { promptTokens, newTokens, prefillMs, decodeMs, tokensPerSecond: (newTokens * 1000) / decodeMs, loadMs };
}
