/**
 * One decoder session with its KV cache: feed token ids, get the logits of the last position.
 *
 * This class drives the transformers.js decoder convention (onnx-runtime-notes.md): input_ids, attention_mask,
 * position_ids (optional), past_key_values.{i}.key|value → logits, present.{i}.key|value, with a growing past (the
 * presents of one run are the pasts of the next). Hub exports and folders converted with `--portable` (or before
 * converter 1.2) use it; the converter's default graph keeps the cache in the engine's buffers (xkv-decoder.ts).
 * A preallocated past bound as the present too would not help here: onnxruntime-node copies every fetched output
 * back into a fresh JavaScript buffer, so a cache of the loaded context length would be copied on every token.
 * On WebGPU the presents can stay on the GPU (sessionOptions' `deviceOutputs`): they come back as 'gpu-buffer'
 * tensors, are fed back as they are, and each is released as soon as the next step has replaced it.
 * The prompt is prefilled in chunks, so logits stay [1, chunk, vocab] at most (the fused graph returns one row).
 * The decoder remembers the tokens its cache holds: `reuse()` keeps the prompt when the next one extends it.
 */
import * as ort from 'onnxruntime-node';
import { f16ToF32Array } from '../util/float16';
import { prefillChunkAt } from './memory';
import type { DecoderShape } from './model-files';

export interface DecoderModel {
  /**
   * Appends `ids` to the context and returns the logits that predict the token after the last one. When `signal`
   * aborts during a chunked prefill, it stops after the current chunk: the context then holds only part of `ids`
   * and the logits are not worth sampling (the caller is stopping anyway).
   */
  forward(ids: number[], signal?: AbortSignal): Promise<Float32Array>;
  /** Tokens in the KV cache. */
  readonly length: number;
  /** Forgets the context (next forward starts from position 0). */
  reset(): void;
  /**
   * Keeps the longest prefix of the cached tokens that `ids` starts with (at most ids.length − 1, so the last token
   * is always run and gives fresh logits) and drops the rest. Returns how many of `ids` need not be run again.
   */
  reuse(ids: readonly number[]): number;
}

export interface OrtDecoderOptions {
  /** A fixed prefill chunk (tests, the bench); by default prefillChunkAt picks one for each depth. */
  prefillChunk?: number;
  /** Most tokens the context may hold (the loaded context length). */
  contextLength?: number;
  /** Inputs fed unchanged to every run besides the decoder's own (a LoRA adapter's tensors, for a graph that takes them). */
  extraFeeds?: Record<string, ort.Tensor>;
  /** Awaited before each run: the engine's turns between loaded models (turns.ts). */
  turn?: () => Promise<void>;
}

type KvType = 'float32' | 'float16';

export class OrtDecoder implements DecoderModel {
  private past = new Map<string, ort.Tensor>();
  /** The tokens whose keys/values the cache holds, in order. */
  private tokens: number[] = [];
  private readonly kvType: KvType;
  private readonly hasPositionIds: boolean;
  private readonly chunkAt: (held: number) => number;
  private readonly contextLength: number;
  private readonly extraFeeds: Record<string, ort.Tensor>;
  private readonly turn?: () => Promise<void>;
  /** Tokens run through the model since creation (prefill and decode): lets tests see what a reuse saved. */
  tokensRun = 0;
  /** All ones, never written after it is filled: each step's attention_mask is a view of its first `total` entries. */
  private ones = new BigInt64Array(0);

  constructor(
    readonly session: ort.InferenceSession,
    private readonly shape: DecoderShape,
    options: OrtDecoderOptions = {},
  ) {
    const fixed = options.prefillChunk;
    this.chunkAt = fixed ? () => fixed : (held) => prefillChunkAt(shape, held);
    this.contextLength = options.contextLength ?? shape.maxPositions;
    this.extraFeeds = options.extraFeeds ?? {};
    this.turn = options.turn;
    this.hasPositionIds = session.inputNames.includes('position_ids');
    this.kvType = detectKvType(session);
    for (const name of ['input_ids', 'attention_mask', 'past_key_values.0.key']) {
      if (!session.inputNames.includes(name)) {
        throw new Error(`The model has no "${name}" input: it is not a decoder with a KV cache in transformers.js layout. Re-convert it with Distillery.`);
      }
    }
    this.reset();
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Bytes the cache holds now (in JavaScript or GPU memory). */
  get cacheBytes(): number {
    let total = 0;
    for (const t of this.past.values()) total += t.size * (this.kvType === 'float16' ? 2 : 4);
    return total;
  }

  reset(): void {
    this.releaseDevicePast();
    this.tokens = [];
    const { kvHeads, headDim } = this.shape;
    this.past = new Map();
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value']) {
        const data = this.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
        this.past.set(`past_key_values.${i}.${kind}`, new ort.Tensor(this.kvType, data, [1, kvHeads, 0, headDim]));
      }
    }
  }

  /** Drops the cache buffers (the model is being unloaded). */
  dispose(): void {
    this.releaseDevicePast();
    this.past = new Map();
    this.tokens = [];
  }

  reuse(ids: readonly number[]): number {
    let common = 0;
    const limit = Math.min(this.tokens.length, ids.length - 1);
    while (common < limit && this.tokens[common] === ids[common]) common++;
    if (common === this.tokens.length) return common;
    this.reset(); // a growing cache cannot be cut without copying it: start over unless the prompt extends it
    return 0;
  }

  forward(ids: number[], signal?: AbortSignal): Promise<Float32Array> {
    return forwardInChunks(ids, { held: this.tokens.length, contextLength: this.contextLength, chunkAt: this.chunkAt, signal, turn: this.turn }, (part) => this.runChunk(part));
  }

  /** GPU memory is not the garbage collector's: a cache kept there is released as soon as it is replaced or dropped. */
  private releaseDevicePast(): void {
    for (const tensor of this.past.values()) releaseOnDevice(tensor);
  }

  /** [1, total] ones, without allocating and filling the whole context's mask on every decoded token. */
  private attentionMask(total: number): ort.Tensor {
    if (this.ones.length < total) this.ones = new BigInt64Array(Math.max(total, 2 * this.ones.length, 1024)).fill(1n);
    return new ort.Tensor('int64', this.ones.subarray(0, total), [1, total]);
  }

  private async runChunk(ids: number[]): Promise<Float32Array> {
    const seq = ids.length;
    const cached = this.tokens.length;
    const total = cached + seq;
    const feeds: Record<string, ort.Tensor> = {
      ...this.extraFeeds,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, seq]),
      attention_mask: this.attentionMask(total),
    };
    if (this.hasPositionIds) {
      const positions = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) positions[i] = BigInt(cached + i);
      feeds.position_ids = new ort.Tensor('int64', positions, [1, seq]);
    }
    for (const [name, tensor] of this.past) feeds[name] = tensor;
    const out = await this.session.run(feeds);
    for (const name of this.past.keys()) {
      const present = out[presentOf(name)];
      if (!present) throw new Error(`The model did not return ${presentOf(name)}: re-convert it.`);
      releaseOnDevice(this.past.get(name));
      this.past.set(name, present);
    }
    this.tokensRun += seq;
    for (const id of ids) this.tokens.push(id);
    return lastRow(out.logits, seq);
  }
}

/**
 * Both decoders' forward(): refuses a prompt the context cannot hold, then runs it in chunks (a stop asked during a
 * long prefill takes effect between chunks) and returns the last chunk's logits.
 */
export async function forwardInChunks(
  ids: number[],
  o: { held: number; contextLength: number; chunkAt: (held: number) => number; signal?: AbortSignal; turn?: () => Promise<void> },
  runChunk: (ids: number[]) => Promise<Float32Array>,
): Promise<Float32Array> {
  const run = async (part: number[]) => {
    await o.turn?.();
    return runChunk(part);
  };
  if (ids.length === 0) throw new Error('forward() needs at least one token.');
  if (o.held + ids.length > o.contextLength) {
    throw new Error(`The context is full: ${o.held + ids.length} tokens do not fit the ${o.contextLength}-token context the model was loaded with. Start a new chat or load the model with a longer context.`);
  }
  let start = o.chunkAt(o.held);
  let logits = await run(ids.slice(0, start));
  while (start < ids.length && !o.signal?.aborted) {
    const end = start + o.chunkAt(o.held + start);
    logits = await run(ids.slice(start, end));
    start = end;
  }
  return logits;
}

function releaseOnDevice(tensor: ort.Tensor | undefined): void {
  if (tensor?.location === 'gpu-buffer') tensor.dispose();
}

const presentOf = (pastName: string) => pastName.replace('past_key_values.', 'present.');

function detectKvType(session: ort.InferenceSession): KvType {
  const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  return meta && meta.isTensor && meta.type === 'float16' ? 'float16' : 'float32';
}

/** Logits [1, seq, vocab] (float32 or float16) → the last position's row as float32. */
function lastRow(logits: ort.Tensor | undefined, seq: number): Float32Array {
  if (!logits) throw new Error('The model returned no "logits" output: re-convert it.');
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const rows = logits.dims.length === 3 ? Number(logits.dims[1]) : seq;
  const offset = (rows - 1) * vocab;
  if (logits.type === 'float16') return f16ToF32Array((logits.data as Uint16Array).subarray(offset, offset + vocab));
  // a view, not a copy: the output buffer is this step's own and is not reused by ORT
  return (logits.data as Float32Array).subarray(offset, offset + vocab);
}
