/**
 * safetensors: an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw
 * little-endian tensor bytes. The reader parses only the header and reads each tensor on demand at its offset, so a
 * 140 GB checkpoint never sits in memory. Sharded checkpoints are joined through model.safetensors.index.json.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { bf16ToF32Array, f16ToF32Array, f32ToBf16Array, f32ToF16Array } from '../util/float16';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const SAFETENSORS_DTYPE_BYTES: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** One tensor of a checkpoint; the bytes are read only when asked for. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  file: string;
  /** Absolute byte offset of the first byte in `file`. */
  offset: number;
  byteLength: number;
  /** Raw little-endian bytes, exactly as stored. */
  readBytes(): Uint8Array;
  /** Raw bytes of `count` rows (along the first dim) from row `start`. */
  readRowBytes(start: number, count: number): Uint8Array;
  /** Values widened to float32 (F32/F16/BF16 only). */
  readFloat32(): Float32Array;
  /** `count` rows from row `start`, widened to float32: lets a converter stream a huge tensor in blocks. */
  readFloat32Rows(start: number, count: number): Float32Array;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Parse and validate the header of one .safetensors file. */
export function readSafetensorsHeader(file: string): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  const fd = openOrThrow(file);
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new SafetensorsError(`${file}: truncated safetensors file (${fileSize} bytes, need at least 8).`);
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > fileSize - 8 || headerLength > MAX_HEADER_BYTES) {
      throw new SafetensorsError(`${file}: header length ${headerLength} exceeds the file size ${fileSize}: the file is truncated or not safetensors.`);
    }
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    const header = parseHeaderJson(file, headerBytes.toString('utf8'));
    const dataStart = 8 + headerLength;
    const entries = parseEntries(file, header, dataStart, fileSize - dataStart);
    const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
    return { entries, metadata };
  } finally {
    closeSync(fd);
  }
}

function openOrThrow(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (error) {
    throw new SafetensorsError(`${file}: cannot open (${(error as Error).message}).`);
  }
}

function parseHeaderJson(file: string, text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new SafetensorsError(`${file}: the header is not valid JSON (${(error as Error).message}): not a safetensors file?`);
  }
}

function parseEntries(file: string, header: Record<string, unknown>, dataStart: number, dataSize: number): SafetensorsEntry[] {
  const entries: SafetensorsEntry[] = [];
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDType;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
      throw new SafetensorsError(`${file}: tensor "${name}" has unknown dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}).`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${file}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new SafetensorsError(`${file}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as [number, number];
    const expectedBytes = (shape as number[]).reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[dtype];
    if (end < begin || end - begin !== expectedBytes) {
      throw new SafetensorsError(`${file}: tensor "${name}" data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype}[${shape.join(', ')}] needs ${expectedBytes}.`);
    }
    if (end > dataSize) {
      throw new SafetensorsError(`${file}: tensor "${name}" ends at byte ${end} of the data but the file holds only ${dataSize}: the file is truncated.`);
    }
    ranges.push({ name, begin, end });
    entries.push(makeEntry(file, name, dtype, shape as number[], dataStart + begin, end - begin));
  }
  checkNoOverlap(file, ranges);
  return entries;
}

function checkNoOverlap(file: string, ranges: { name: string; begin: number; end: number }[]): void {
  const sorted = [...ranges].filter((r) => r.end > r.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new SafetensorsError(`${file}: tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap (bytes ${sorted[i].begin}–${sorted[i - 1].end}): the file is corrupt.`);
    }
  }
}

function makeEntry(file: string, name: string, dtype: SafetensorsDType, shape: number[], offset: number, byteLength: number): SafetensorsEntry {
  const rowBytes = shape.length ? byteLength / Math.max(shape[0], 1) : byteLength;
  const what = `${file}: tensor "${name}"`;
  const readRange = (start: number, length: number): Uint8Array => {
    const bytes = new Uint8Array(length);
    const fd = openOrThrow(file);
    try {
      let done = 0;
      while (done < length) {
        const n = readSync(fd, bytes, done, Math.min(length - done, 1 << 30), offset + start + done);
        if (n === 0) throw new SafetensorsError(`${what} is cut short (the file shrank while reading?).`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  };
  const readRowBytes = (start: number, count: number): Uint8Array => {
    const rows = shape.length ? shape[0] : 1;
    if (start < 0 || count < 0 || start + count > rows) throw new SafetensorsError(`${what}: rows ${start}..${start + count} are outside its ${rows} rows.`);
    return readRange(start * rowBytes, count * rowBytes);
  };
  return {
    name, dtype, shape, file, offset, byteLength,
    readBytes: () => readRange(0, byteLength),
    readRowBytes,
    readFloat32: () => bytesToFloat32(readRange(0, byteLength), dtype, what),
    readFloat32Rows: (start, count) => bytesToFloat32(readRowBytes(start, count), dtype, what),
  };
}

/** Widen raw F32/F16/BF16 little-endian bytes to a Float32Array. */
export function bytesToFloat32(bytes: Uint8Array, dtype: SafetensorsDType, what = 'tensor'): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
    case 'F16':
      return f16ToF32Array(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case 'BF16':
      return bf16ToF32Array(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.slice().buffer));
    default:
      throw new SafetensorsError(`${what} has dtype ${dtype}; expected a float tensor (F32, F16 or BF16).`);
  }
}

/**
 * The file an index entry names, which must stay inside the checkpoint folder: the index is data from a download, and
 * `../elsewhere.safetensors` would read (and the manifest would then record) a file that is not part of the model.
 */
function shardPath(indexFile: string, folder: string, shard: unknown): string {
  const leaves = (reason: string): never => {
    throw new SafetensorsError(`${indexFile}: the weight_map entry ${JSON.stringify(shard)} ${reason}: shards must be files inside the checkpoint folder.`);
  };
  if (typeof shard !== 'string' || shard === '') return leaves('is not a file name');
  if (isAbsolute(shard) || /^[A-Za-z]:/.test(shard) || shard.includes('\\') || shard.includes('\0')) return leaves('is not a relative path');
  const root = resolve(folder);
  const file = resolve(root, shard);
  if (!file.startsWith(root + sep)) return leaves('leaves the folder');
  return file;
}

/** A checkpoint: one .safetensors file, a sharded set with an index, or a folder holding either. */
export class SafetensorsCheckpoint {
  private constructor(
    readonly entries: Map<string, SafetensorsEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  /** Open a .safetensors file, a model.safetensors.index.json, or a folder containing one of them. */
  static open(path: string): SafetensorsCheckpoint {
    if (path.endsWith('.json')) return SafetensorsCheckpoint.openIndex(path);
    if (path.endsWith('.safetensors')) {
      const { entries, metadata } = readSafetensorsHeader(path);
      return new SafetensorsCheckpoint(new Map(entries.map((e) => [e.name, e])), metadata);
    }
    const index = join(path, 'model.safetensors.index.json');
    if (existsSync(index)) return SafetensorsCheckpoint.openIndex(index);
    const single = join(path, 'model.safetensors');
    if (existsSync(single)) return SafetensorsCheckpoint.open(single);
    throw new SafetensorsError(`${path}: no model.safetensors or model.safetensors.index.json found: point at a Hugging Face model folder.`);
  }

  private static openIndex(indexFile: string): SafetensorsCheckpoint {
    let weightMap: Record<string, string>;
    try {
      const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { weight_map?: Record<string, string> };
      if (!index.weight_map || typeof index.weight_map !== 'object') throw new Error('it has no "weight_map" object');
      weightMap = index.weight_map;
    } catch (error) {
      throw new SafetensorsError(`${indexFile}: unreadable index (${(error as Error).message}).`);
    }
    const folder = indexFile.slice(0, indexFile.length - basename(indexFile).length);
    const entries = new Map<string, SafetensorsEntry>();
    const metadata: Record<string, string> = {};
    for (const shard of new Set(Object.values(weightMap))) {
      const parsed = readSafetensorsHeader(shardPath(indexFile, folder, shard));
      Object.assign(metadata, parsed.metadata);
      for (const entry of parsed.entries) entries.set(entry.name, entry);
    }
    for (const [name, shard] of Object.entries(weightMap)) {
      const entry = entries.get(name);
      if (!entry) throw new SafetensorsError(`${indexFile}: the index puts "${name}" in ${shard}, but that shard does not contain it.`);
    }
    return new SafetensorsCheckpoint(entries, metadata);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): SafetensorsEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new SafetensorsError(`The checkpoint has no tensor "${name}".`);
    return entry;
  }
}

/** Tensor to write: F32 takes a Float32Array; F16/BF16 take raw bits (Uint16Array) or float32 values to convert. */
export interface SafetensorsInput {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array;
}

/** Write a .safetensors file (header padded to 8 bytes, tensors in the order given). */
export function writeSafetensors(file: string, tensors: Record<string, SafetensorsInput>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const bytes = encodeTensor(name, tensor);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  writeFileSync(file, Buffer.concat([prefix, headerBytes, ...blobs]));
}

function encodeTensor(name: string, tensor: SafetensorsInput): Uint8Array {
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== count) {
    throw new SafetensorsError(`writeSafetensors: "${name}" has ${tensor.data.length} values but shape [${tensor.shape.join(', ')}] needs ${count}.`);
  }
  let data: ArrayBufferView = tensor.data;
  const isFloatSource = tensor.data instanceof Float32Array || tensor.data instanceof Float64Array;
  if (tensor.dtype === 'BF16' && isFloatSource) data = f32ToBf16Array(tensor.data as Float32Array);
  else if (tensor.dtype === 'F16' && isFloatSource) data = f32ToF16Array(tensor.data as Float32Array);
  else if (tensor.dtype === 'F32' && tensor.data instanceof Float64Array) data = Float32Array.from(tensor.data);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength !== count * SAFETENSORS_DTYPE_BYTES[tensor.dtype]) {
    throw new SafetensorsError(`writeSafetensors: "${name}" data type does not match dtype ${tensor.dtype}.`);
  }
  return bytes;
}
