// A Q4_0 GGUF (v3) of a Hugging Face qwen2/llama checkpoint, so llama.cpp runs the very weights Distillery converts.
// Written from the published format: header (magic, version, counts), typed key/value metadata, tensor infos (name,
// dims innermost first, ggml type, offset), then the tensor data, every tensor aligned to 32 bytes.
// Q4_0 block: 32 weights as one float16 scale d = (value of largest magnitude) / −8 and 16 bytes of 4-bit codes
// q = clamp(round(x/d) + 8, 0, 15); byte j holds weight j in its low nibble and weight j + 16 in its high nibble.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as dtypes from '../electron/util/float16';
import { SafetensorsCheckpoint, type SafetensorsEntry } from '../electron/model/safetensors';

const ALIGNMENT = 32;
const QK4_0 = 32;
const Q4_0_BLOCK_BYTES = 2 + QK4_0 / 2;

/** ggml tensor types used here. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2 } as const;
type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

/** GGUF metadata value types. */
const GGUF = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;

type MetaValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  | { type: 'str[]'; value: string[] }
  | { type: 'i32[]'; value: ArrayLike<number> };

/** Little-endian byte builder for the header. */
class Bytes {
  private chunks: Buffer[] = [];
  length = 0;
  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32s(values: ArrayLike<number>): void {
    const b = Buffer.alloc(4 * values.length);
    for (let i = 0; i < values.length; i++) b.writeInt32LE(values[i], 4 * i);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const body = Buffer.from(s, 'utf8');
    this.u64(body.length);
    this.push(body);
  }
  raw(b: Buffer): void {
    this.push(b);
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMeta(out: Bytes, key: string, v: MetaValue): void {
  out.str(key);
  switch (v.type) {
    case 'u32': out.u32(GGUF.UINT32); out.u32(v.value); break;
    case 'f32': out.u32(GGUF.FLOAT32); out.f32(v.value); break;
    case 'bool': out.u32(GGUF.BOOL); out.raw(Buffer.from([v.value ? 1 : 0])); break;
    case 'str': out.u32(GGUF.STRING); out.str(v.value); break;
    case 'str[]': out.u32(GGUF.ARRAY); out.u32(GGUF.STRING); out.u64(v.value.length); v.value.forEach((s) => out.str(s)); break;
    case 'i32[]': out.u32(GGUF.ARRAY); out.u32(GGUF.INT32); out.u64(v.value.length); out.i32s(v.value); break;
  }
}

/** Quantizes `values` (a whole number of 32-blocks) into Q4_0 blocks. */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  const blocks = values.length / QK4_0;
  if (!Number.isInteger(blocks)) throw new Error(`Q4_0 needs rows that are a multiple of ${QK4_0} values.`);
  const out = new Uint8Array(blocks * Q4_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * QK4_0;
    let extreme = 0;
    for (let j = 0; j < QK4_0; j++) if (Math.abs(values[base + j]) > Math.abs(extreme)) extreme = values[base + j];
    const d = extreme / -8;
    const inverse = d === 0 ? 0 : 1 / d;
    const at = b * Q4_0_BLOCK_BYTES;
    view.setUint16(at, dtypes.f32ToF16Bits(d), true);
    for (let j = 0; j < QK4_0 / 2; j++) {
      const lo = Math.min(15, Math.max(0, Math.round(values[base + j] * inverse) + 8));
      const hi = Math.min(15, Math.max(0, Math.round(values[base + j + 16] * inverse) + 8));
      out[at + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

/** Dequantizes Q4_0 blocks (for the writer's own test). */
export function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < count / QK4_0; b++) {
    const at = b * Q4_0_BLOCK_BYTES;
    const d = dtypes.f16BitsToF32(view.getUint16(at, true));
    for (let j = 0; j < QK4_0 / 2; j++) {
      out[b * QK4_0 + j] = ((bytes[at + 2 + j] & 15) - 8) * d;
      out[b * QK4_0 + j + 16] = ((bytes[at + 2 + j] >> 4) - 8) * d;
    }
  }
  return out;
}
interface PlannedTensor {
  name: string;
  /** ggml dims, innermost first. */
  dims: number[];
  type: GgmlType;
  source: SafetensorsEntry;
  bytes: number;
  offset: number;
}

function tensorBytes(count: number, type: GgmlType): number {
  if (type === GGML_TYPE.F32) return count * 4;
  if (type === GGML_TYPE.F16) return count * 2;
  return (count / QK4_0) * Q4_0_BLOCK_BYTES;
}

/** HF name → llama.cpp name for the qwen2/llama architectures. */
function ggufName(hf: string): string | undefined {
  if (hf === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hf === 'model.norm.weight') return 'output_norm.weight';
  if (hf === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  if (!m) return undefined;
  const map: Record<string, string> = {
    'input_layernorm.weight': 'attn_norm.weight', 'post_attention_layernorm.weight': 'ffn_norm.weight',
    'self_attn.q_proj.weight': 'attn_q.weight', 'self_attn.k_proj.weight': 'attn_k.weight', 'self_attn.v_proj.weight': 'attn_v.weight',
    'self_attn.q_proj.bias': 'attn_q.bias', 'self_attn.k_proj.bias': 'attn_k.bias', 'self_attn.v_proj.bias': 'attn_v.bias',
    'self_attn.o_proj.weight': 'attn_output.weight', 'mlp.gate_proj.weight': 'ffn_gate.weight', 'mlp.up_proj.weight': 'ffn_up.weight',
    'mlp.down_proj.weight': 'ffn_down.weight',
  };
  return map[m[2]] ? `blk.${m[1]}.${map[m[2]]}` : undefined;
}

/** Precision per tensor kind, matching Distillery's default q4: fp16 embedding, Q4_0 projections and lm_head. */
function ggmlTypeFor(hf: string, dims: number[]): GgmlType {
  if (hf === 'model.embed_tokens.weight') return GGML_TYPE.F16;
  if (dims.length === 2) return GGML_TYPE.Q4_0;
  return GGML_TYPE.F32;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- tokenizer.json and config.json are schemaless documents */
function vocabulary(hfDir: string, vocabSize: number): { tokens: string[]; types: Int32Array; bos: number; eos: number } {
  const tok = JSON.parse(readFileSync(join(hfDir, 'tokenizer.json'), 'utf8')) as any;
  const tokens: string[] = new Array(vocabSize);
  const types = new Int32Array(vocabSize).fill(5); // UNUSED: padding rows of the embedding
  for (const [text, id] of Object.entries(tok.model.vocab as Record<string, number>)) {
    tokens[id] = text;
    types[id] = 1; // NORMAL
  }
  for (const added of tok.added_tokens as { id: number; content: string; special: boolean }[]) {
    tokens[added.id] = added.content;
    types[added.id] = added.special ? 3 : 4; // CONTROL or USER_DEFINED
  }
  for (let i = 0; i < vocabSize; i++) tokens[i] ??= `[PAD${i}]`;
  const find = (text: string, fallback: number) => (tok.added_tokens as { id: number; content: string }[]).find((a) => a.content === text)?.id ?? fallback;
  return { tokens, types, bos: find('<｜begin▁of▁sentence｜>', 0), eos: find('<｜end▁of▁sentence｜>', 0) };
}

function merges(hfDir: string): string[] {
  const tok = JSON.parse(readFileSync(join(hfDir, 'tokenizer.json'), 'utf8')) as any;
  return (tok.model.merges as (string | [string, string])[]).map((m) => (typeof m === 'string' ? m : m.join(' ')));
}

export interface GgufSummary {
  file: string;
  bytes: number;
  /** Bytes per tensor kind, for the precision table and the bandwidth bound. */
  kinds: Record<'embedding' | 'projections' | 'lmHead' | 'norms', { type: string; bytes: number }>;
}

/** Writes `file` from the HF folder `hfDir` (qwen2 or llama). Weights are read and quantized one tensor at a time. */
export function writeQ4_0Gguf(hfDir: string, file: string): GgufSummary {
  const config = JSON.parse(readFileSync(join(hfDir, 'config.json'), 'utf8')) as any;
  const arch: string = config.model_type === 'qwen2' ? 'qwen2' : 'llama';
  const checkpoint = SafetensorsCheckpoint.open(hfDir);
  const planned: PlannedTensor[] = [];
  let offset = 0;
  for (const name of checkpoint.names()) {
    const ggml = ggufName(name);
    if (!ggml) throw new Error(`GGUF: no llama.cpp name for "${name}".`);
    const source = checkpoint.get(name);
    const dims = [...source.shape].reverse();
    const type = ggmlTypeFor(name, source.shape);
    const bytes = tensorBytes(source.shape.reduce((a, b) => a * b, 1), type);
    planned.push({ name: ggml, dims, type, source, bytes, offset });
    offset += Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
  }
  const { tokens, types, bos, eos } = vocabulary(hfDir, config.vocab_size);
  const meta: [string, MetaValue][] = [
    ['general.architecture', { type: 'str', value: arch }],
    ['general.name', { type: 'str', value: 'distillery-bench-synthetic' }],
    ['general.file_type', { type: 'u32', value: 2 }], // MOSTLY_Q4_0
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    [`${arch}.context_length`, { type: 'u32', value: config.max_position_embeddings }],
    [`${arch}.embedding_length`, { type: 'u32', value: config.hidden_size }],
    [`${arch}.block_count`, { type: 'u32', value: config.num_hidden_layers }],
    [`${arch}.feed_forward_length`, { type: 'u32', value: config.intermediate_size }],
    [`${arch}.attention.head_count`, { type: 'u32', value: config.num_attention_heads }],
    [`${arch}.attention.head_count_kv`, { type: 'u32', value: config.num_key_value_heads }],
    [`${arch}.rope.freq_base`, { type: 'f32', value: config.rope_theta }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: config.rms_norm_eps }],
    ['tokenizer.ggml.model', { type: 'str', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'str', value: arch === 'qwen2' ? 'qwen2' : 'llama-bpe' }],
    ['tokenizer.ggml.tokens', { type: 'str[]', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.merges', { type: 'str[]', value: merges(hfDir) }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: bos }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: eos }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
  const header = new Bytes();
  header.raw(Buffer.from('GGUF', 'ascii'));
  header.u32(3);
  header.u64(planned.length);
  header.u64(meta.length);
  for (const [key, value] of meta) writeMeta(header, key, value);
  for (const t of planned) {
    header.str(t.name);
    header.u32(t.dims.length);
    t.dims.forEach((d) => header.u64(d));
    header.u32(t.type);
    header.u64(t.offset);
  }
  const pad = (ALIGNMENT - (header.length % ALIGNMENT)) % ALIGNMENT;
  header.raw(Buffer.alloc(pad));
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    const head = header.concat();
    writeSync(fd, head);
    written += head.length;
    for (const t of planned) writeTensor(fd, t, (n) => (written += n));
  } finally {
    closeSync(fd);
  }
  return { file, bytes: written, kinds: kindsOf(planned) };
}

function writeTensor(fd: number, t: PlannedTensor, count: (n: number) => void): void {
  const rows = t.source.shape.length === 2 ? t.source.shape[0] : 1;
  const rowLength = t.source.shape.length === 2 ? t.source.shape[1] : t.source.shape[0];
  const rowsPerChunk = Math.max(1, Math.floor((1 << 22) / rowLength));
  for (let start = 0; start < rows; start += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - start);
    const values = t.source.shape.length === 2 ? t.source.readFloat32Rows(start, n) : t.source.readFloat32();
    let bytes: Uint8Array;
    if (t.type === GGML_TYPE.Q4_0) bytes = quantizeQ4_0(values);
    else if (t.type === GGML_TYPE.F16) bytes = new Uint8Array(dtypes.f32ToF16Array(values).buffer);
    else bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    writeSync(fd, bytes);
    count(bytes.length);
  }
  const pad = (ALIGNMENT - (t.bytes % ALIGNMENT)) % ALIGNMENT;
  if (pad) {
    writeSync(fd, Buffer.alloc(pad));
    count(pad);
  }
}

function kindsOf(planned: PlannedTensor[]): GgufSummary['kinds'] {
  const typeName = (t: GgmlType) => (t === GGML_TYPE.Q4_0 ? 'Q4_0' : t === GGML_TYPE.F16 ? 'F16' : 'F32');
  const kinds: GgufSummary['kinds'] = {
    embedding: { type: '', bytes: 0 }, projections: { type: '', bytes: 0 }, lmHead: { type: '', bytes: 0 }, norms: { type: '', bytes: 0 },
  };
  for (const t of planned) {
    const kind = t.name === 'token_embd.weight' ? 'embedding' : t.name === 'output.weight' ? 'lmHead' : t.dims.length === 2 ? 'projections' : 'norms';
    kinds[kind].bytes += t.bytes;
    kinds[kind].type = kinds[kind].type && kinds[kind].type !== typeName(t.type) ? 'mixed' : typeName(t.type);
  }
  return kinds;
}
