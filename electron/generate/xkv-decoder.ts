/**
 * The decoder for the converter's external-KV graph (model/xkv-attention.ts): the cache is one buffer per layer, kv
 * head and key/value, of the loaded context length (+1 sink row), owned here. Each step feeds views of the rows in
 * use (ONNX Runtime reads them in place) and appends the few rows the graph returns for the new tokens, so a step
 * moves only the new tokens' keys and values: no copy of the cache, no garbage proportional to the context.
 * Any common prefix with the next prompt is kept (`reuse`), whatever was cut after it.
 * Values are held in the layout the folder's graph reads (xkv-attention.ts): Vᵀ blocks of 256 rows (converter 1.3+),
 * fed as whole blocks with `past_bias` masking the rows past the length, or plain rows (1.2 folders).
 */
import * as ort from 'onnxruntime-node';
import { VALUE_BLOCK, XKV_NAMES, type ValueLayout } from '../model/xkv-attention';
import { f16ToF32Array } from '../util/float16';
import { prefillChunkAt } from './memory';
import type { DecoderShape } from './model-files';
import { forwardInChunks, type DecoderModel } from './ort-decoder';

type KvType = 'float32' | 'float16';
type KvArray = Float32Array | Uint16Array;

const F16_NEG_INF = 0xfc00;

export interface XkvDecoderOptions {
  /** A fixed prefill chunk (tests, the bench); by default prefillChunkAt picks one for each depth. */
  prefillChunk?: number;
  /** Most tokens the cache holds (the loaded context length). */
  contextLength?: number;
  /** Awaited before each run: the engine's turns between loaded models (turns.ts). */
  turn?: () => Promise<void>;
  /**
   * Whether a prefill chunk runs GroupQueryAttention (graphs of converter 1.4+, xkv-attention.ts): measured faster on
   * the CPU; the model pool asks for it there only. Default true.
   */
  fusedPrefill?: boolean;
}

/**
 * Where a prefill chunk runs GroupQueryAttention: where it was measured faster (the CPU: README, "Prefill"). Nothing
 * else has been measured, and a GPU provider may have no kernel for a float32 graph's GroupQueryAttention (the
 * attention would then run on the CPU mid-graph).
 */
export function fusedPrefillOn(provider: string): boolean {
  return provider === 'cpu';
}

export class XkvDecoder implements DecoderModel {
  /** [layer][head] → key and value rows (row 0 is the masked sink). */
  private buffers: { key: KvArray; value: KvArray }[][] = [];
  private tokens: number[] = [];
  private readonly kvType: KvType;
  private readonly valueLayout: ValueLayout;
  /** Rows each buffer holds: the context and its sink row, rounded up to whole blocks for the blocked layout. */
  private readonly capacity: number;
  private readonly chunkAt: (held: number) => number;
  private readonly contextLength: number;
  private readonly turn?: () => Promise<void>;
  /** Each step's past_bias is a view of its first fed rows: −∞ for the sink and past the length, else 0. */
  private readonly pastBias: KvArray;
  private readonly negInf: number;
  private readonly causal = new Map<number, ort.Tensor>();
  /** The graph's fused_prefill feed; undefined for graphs without that input (converter 1.2, 1.3). */
  private readonly fusedPrefill?: ort.Tensor;
  /** Tokens run through the model since creation (prefill and decode): lets tests see what a reuse saved. */
  tokensRun = 0;

  constructor(
    readonly session: ort.InferenceSession,
    private readonly shape: DecoderShape,
    options: XkvDecoderOptions = {},
  ) {
    for (const name of ['input_ids', XKV_NAMES.positionIds, XKV_NAMES.pastBias, XKV_NAMES.causalBias, XKV_NAMES.past(0, 0, 'key')]) {
      if (!session.inputNames.includes(name)) throw new Error(`The model has no "${name}" input: it is not an external-cache decoder. Re-convert it with Distillery.`);
    }
    const fixed = options.prefillChunk;
    this.chunkAt = fixed ? () => fixed : (held) => prefillChunkAt(shape, held);
    this.contextLength = options.contextLength ?? shape.maxPositions;
    this.turn = options.turn;
    this.kvType = inputType(session, XKV_NAMES.past(0, 0, 'key'));
    this.valueLayout = inputRank(session, XKV_NAMES.past(0, 0, 'value')) === 3 ? 'blocks' : 'rows';
    this.capacity = this.valueLayout === 'blocks' ? wholeBlocks(this.contextLength + 1) : this.contextLength + 1;
    this.negInf = this.kvType === 'float16' ? F16_NEG_INF : -Infinity;
    this.pastBias = this.kvType === 'float16' ? new Uint16Array(this.capacity) : new Float32Array(this.capacity);
    if (session.inputNames.includes(XKV_NAMES.fusedPrefill)) this.fusedPrefill = new ort.Tensor('bool', Uint8Array.from([options.fusedPrefill === false ? 0 : 1]), [1]);
    this.allocate();
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Bytes of the cache buffers (allocated for the whole context; the OS backs only the rows written). */
  get cacheBytes(): number {
    return this.buffers.flat().reduce((sum, b) => sum + b.key.byteLength + b.value.byteLength, 0);
  }

  reset(): void {
    this.tokens = []; // the buffers are kept: rows past the length are never read
  }

  dispose(): void {
    this.buffers = [];
    this.tokens = [];
  }

  reuse(ids: readonly number[]): number {
    let common = 0;
    const limit = Math.min(this.tokens.length, ids.length - 1);
    while (common < limit && this.tokens[common] === ids[common]) common++;
    this.tokens.length = common; // later rows are simply overwritten
    return common;
  }

  forward(ids: number[], signal?: AbortSignal): Promise<Float32Array> {
    if (!this.buffers.length) return Promise.reject(new Error('The model was unloaded.'));
    return forwardInChunks(ids, { held: this.tokens.length, contextLength: this.contextLength, chunkAt: this.chunkAt, signal, turn: this.turn }, (part) => this.runChunk(part));
  }

  private allocate(): void {
    const rows = this.capacity * this.shape.headDim;
    const make = (): KvArray => (this.kvType === 'float16' ? new Uint16Array(rows) : new Float32Array(rows));
    this.buffers = Array.from({ length: this.shape.layers }, () => Array.from({ length: this.shape.kvHeads }, () => ({ key: make(), value: make() })));
  }

  private async runChunk(ids: number[]): Promise<Float32Array> {
    const seq = ids.length;
    const cached = this.tokens.length;
    const pastRows = cached + 1;
    const fedRows = this.valueLayout === 'blocks' ? wholeBlocks(pastRows) : pastRows;
    const d = this.shape.headDim;
    // rows past the length hold what an earlier, longer context left there (finite): masked like the sink
    this.pastBias.fill(0, 1, pastRows);
    this.pastBias.fill(this.negInf, pastRows, fedRows);
    this.pastBias[0] = this.negInf;
    const positions = new BigInt64Array(seq);
    for (let i = 0; i < seq; i++) positions[i] = BigInt(cached + i);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, seq]),
      [XKV_NAMES.positionIds]: new ort.Tensor('int64', positions, [1, seq]),
      [XKV_NAMES.pastBias]: new ort.Tensor(this.kvType, this.pastBias.subarray(0, fedRows), [1, fedRows]),
      [XKV_NAMES.causalBias]: this.causalBias(seq),
      ...(this.fusedPrefill && { [XKV_NAMES.fusedPrefill]: this.fusedPrefill }),
    };
    const valueDims = this.valueLayout === 'blocks' ? [fedRows / VALUE_BLOCK, d, VALUE_BLOCK] : [fedRows, d];
    this.buffers.forEach((heads, layer) => heads.forEach((b, h) => {
      feeds[XKV_NAMES.past(layer, h, 'key')] = new ort.Tensor(this.kvType, b.key.subarray(0, fedRows * d), [fedRows, d]);
      feeds[XKV_NAMES.past(layer, h, 'value')] = new ort.Tensor(this.kvType, b.value.subarray(0, fedRows * d), valueDims);
    }));
    const out = await this.session.run(feeds);
    this.buffers.forEach((heads, layer) => {
      for (const kind of ['key', 'value'] as const) {
        const fresh = out[XKV_NAMES.fresh(layer, kind)];
        if (!fresh) throw new Error(`The model did not return ${XKV_NAMES.fresh(layer, kind)}: re-convert it.`);
        const data = fresh.data as KvArray; // [kv, seq, d]
        heads.forEach((b, h) => {
          const rows = data.subarray(h * seq * d, (h + 1) * seq * d);
          if (kind === 'value' && this.valueLayout === 'blocks') appendTransposed(b.value, rows, pastRows, d);
          else b[kind].set(rows, pastRows * d);
        });
      }
    });
    this.tokensRun += seq;
    for (const id of ids) this.tokens.push(id);
    return lastRow(out.logits);
  }

  /** [group, seq, seq]: 0 on and below the diagonal, −∞ above, for each query head of a kv head (cached per chunk size). */
  private causalBias(seq: number): ort.Tensor {
    let tensor = this.causal.get(seq);
    if (!tensor) {
      const group = this.shape.heads / this.shape.kvHeads;
      const data = this.kvType === 'float16' ? new Uint16Array(group * seq * seq) : new Float32Array(group * seq * seq);
      const negInf = this.kvType === 'float16' ? F16_NEG_INF : -Infinity;
      for (let j = 0; j < group; j++) for (let r = 0; r < seq; r++) for (let c = r + 1; c < seq; c++) data[(j * seq + r) * seq + c] = negInf;
      tensor = new ort.Tensor(this.kvType, data, [group, seq, seq]);
      if (this.causal.size < 8) this.causal.set(seq, tensor);
    }
    return tensor;
  }
}

const wholeBlocks = (rows: number) => Math.ceil(rows / VALUE_BLOCK) * VALUE_BLOCK;

/** Writes rows [n, d] as rows first…first+n−1 of a Vᵀ-blocks buffer: row r, column c at (⌊r/B⌋·d + c)·B + r mod B. */
function appendTransposed(buffer: KvArray, rows: KvArray, first: number, d: number): void {
  for (let i = 0; i < rows.length / d; i++) {
    const r = first + i;
    const base = Math.floor(r / VALUE_BLOCK) * d * VALUE_BLOCK + (r % VALUE_BLOCK);
    for (let c = 0; c < d; c++) buffer[base + c * VALUE_BLOCK] = rows[i * d + c];
  }
}

function inputRank(session: ort.InferenceSession, name: string): number {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta && meta.isTensor ? meta.shape.length : 0;
}

function inputType(session: ort.InferenceSession, name: string): KvType {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta && meta.isTensor && meta.type === 'float16' ? 'float16' : 'float32';
}

/** Logits [1, 1, vocab] (float32 or float16) → float32. */
function lastRow(logits: ort.Tensor | undefined): Float32Array {
  if (!logits) throw new Error('The model returned no "logits" output: re-convert it.');
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const data = logits.data as Float32Array | Uint16Array;
  const offset = data.length - vocab;
  if (logits.type === 'float16') return f16ToF32Array((data as Uint16Array).subarray(offset, offset + vocab));
  return (data as Float32Array).subarray(offset, offset + vocab);
}
