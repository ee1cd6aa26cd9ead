// Reading a checkpoint tensor in row chunks straight from its .safetensors file, so converting even the 70B's
// embedding (128256 × 8192, 2.1 GB in bf16) never holds more than one chunk of the source in memory.
import { closeSync, openSync, readSync } from 'node:fs';
import type { SafetensorsEntry } from '../model/safetensors';
import { firstNonFinite } from '../util/finite';
import { bf16ToF32Into, convertBf16ToF16, convertF32ToF16, f16BitsToF32, f32ToF16Bits, type ConversionCounts } from '../util/float16';

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

export type FloatSourceDType = 'BF16' | 'F16' | 'F32';
const FLOAT_SOURCE_BYTES: Record<FloatSourceDType, number> = { BF16: 2, F16: 2, F32: 4 };

/** Source bytes read per chunk: small enough to stay far below the memory target, big enough for fast reads. */
export const CHUNK_BYTES = 16 * 1024 * 1024;

/** A weight must be a float tensor: anything else means the folder is not the checkpoint we think it is. */
export function checkFloatWeight(entry: SafetensorsEntry): FloatSourceDType {
  if (entry.dtype === 'BF16' || entry.dtype === 'F16' || entry.dtype === 'F32') return entry.dtype;
  throw new ConvertError(
    `Tensor "${entry.name}" in ${entry.file} has dtype ${entry.dtype}; model weights must be BF16, F16 or F32. ` +
      'Is this an already-quantized checkpoint? Convert from the original Hugging Face weights.',
  );
}

/** Rows × columns of the tensor seen as 2-D (a 1-D tensor is one row). */
export function rowsAndCols(entry: SafetensorsEntry): { rows: number; cols: number } {
  if (entry.shape.length === 0) return { rows: 1, cols: 1 };
  if (entry.shape.length === 1) return { rows: 1, cols: entry.shape[0] };
  return { rows: entry.shape[0], cols: entry.shape.slice(1).reduce((a, b) => a * b, 1) };
}

/** Yields [firstRow, rowCount] spans covering the tensor, each about CHUNK_BYTES of source. */
export function* rowSpans(entry: SafetensorsEntry, chunkBytes = CHUNK_BYTES): Generator<[number, number]> {
  const { rows, cols } = rowsAndCols(entry);
  const rowBytes = Math.max(1, cols * FLOAT_SOURCE_BYTES[checkFloatWeight(entry)]);
  const perChunk = Math.max(1, Math.floor(chunkBytes / rowBytes));
  for (let r = 0; r < rows; r += perChunk) yield [r, Math.min(perChunk, rows - r)];
}

/** An open source tensor: read row spans as raw bytes, float32 values or float16 bits. */
export class TensorReader {
  private fd: number | undefined;
  private scratch: ArrayBuffer | undefined;
  private scratchF32: Float32Array | undefined;
  readonly dtype: FloatSourceDType;
  readonly rows: number;
  readonly cols: number;

  constructor(readonly entry: SafetensorsEntry) {
    this.dtype = checkFloatWeight(entry);
    ({ rows: this.rows, cols: this.cols } = rowsAndCols(entry));
  }

  private elementBytes(): number {
    return FLOAT_SOURCE_BYTES[this.dtype];
  }

  readRaw(rowStart: number, rowCount: number): Uint8Array {
    const length = rowCount * this.cols * this.elementBytes();
    const position = this.entry.offset + rowStart * this.cols * this.elementBytes();
    // One reused, 8-byte aligned buffer per reader: callers consume a span before reading the next, and fresh
    // 16 MB buffers per span would pile up faster than the garbage collector returns them.
    if (!this.scratch || this.scratch.byteLength < length) this.scratch = new ArrayBuffer(Math.ceil(length / 8) * 8);
    const bytes = new Uint8Array(this.scratch, 0, length);
    this.fd ??= openOrThrow(this.entry);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, bytes, done, length - done, position + done);
      if (n === 0) {
        throw new ConvertError(`${this.entry.file}: tensor "${this.entry.name}" is cut short at byte ${position + done}: the shard is truncated. Download it again.`);
      }
      done += n;
    }
    this.checkFinite(bytes, rowStart);
    return bytes;
  }

  /** A NaN or infinity in a weight is a damaged checkpoint: refused, naming the file, not found by the first chat. */
  private checkFinite(bytes: Uint8Array, rowStart: number): void {
    const bad = firstNonFinite(bytes, this.dtype);
    if (bad >= 0) {
      const row = rowStart + Math.floor(bad / this.cols);
      throw new ConvertError(`${this.entry.file}: tensor "${this.entry.name}" holds NaN or infinite values (row ${row}): the checkpoint is damaged. Download it again.`);
    }
  }

  /** Rows as float32 values. The array is reused by the next read on this reader: consume it first. */
  readF32(rowStart: number, rowCount: number): Float32Array {
    const raw = this.readRaw(rowStart, rowCount);
    const count = rowCount * this.cols;
    if (this.dtype === 'F32') return new Float32Array(raw.buffer, 0, count);
    const bits = new Uint16Array(raw.buffer, 0, count);
    if (!this.scratchF32 || this.scratchF32.length < count) this.scratchF32 = new Float32Array(count);
    const out = this.scratchF32.subarray(0, count);
    if (this.dtype === 'BF16') bf16ToF32Into(bits, out);
    else for (let i = 0; i < count; i++) out[i] = f16BitsToF32(bits[i]);
    return out;
  }

  /** Rows as float16 bits, written into `dst` (length rowCount·cols). */
  readF16Into(rowStart: number, rowCount: number, dst: Uint16Array, counts?: ConversionCounts): void {
    const raw = this.readRaw(rowStart, rowCount);
    const count = rowCount * this.cols;
    if (this.dtype === 'F16') dst.set(new Uint16Array(raw.buffer, 0, count));
    else if (this.dtype === 'BF16') convertBf16ToF16(new Uint16Array(raw.buffer, 0, count), dst, counts);
    else convertF32ToF16(new Float32Array(raw.buffer, 0, count), dst, counts);
  }

  /**
   * Columns [colStart, colEnd) of rows [rowStart, rowStart + rowCount), converted to float32 values or float16 bits
   * (by `dst`'s type) into `dst` as [rowCount, colEnd − colStart]. Only those columns are converted, so the fp16 loss
   * counts stay exact when a tensor is read in column bands.
   */
  readColumnsInto(rowStart: number, rowCount: number, colStart: number, colEnd: number, dst: Float32Array | Uint16Array, counts?: ConversionCounts): void {
    const raw = this.readRaw(rowStart, rowCount);
    const count = rowCount * this.cols;
    const src = this.dtype === 'F32' ? new Float32Array(raw.buffer, 0, count) : new Uint16Array(raw.buffer, 0, count);
    const width = colEnd - colStart;
    for (let r = 0; r < rowCount; r++) {
      const from = src.subarray(r * this.cols + colStart, r * this.cols + colEnd);
      const to = dst.subarray(r * width, (r + 1) * width);
      if (to instanceof Uint16Array) this.toF16(from, to, counts);
      else this.toF32(from, to);
    }
  }

  private toF16(src: Float32Array | Uint16Array, dst: Uint16Array, counts?: ConversionCounts): void {
    if (src instanceof Float32Array) convertF32ToF16(src, dst, counts);
    else if (this.dtype === 'BF16') convertBf16ToF16(src, dst, counts);
    else dst.set(src);
  }

  private toF32(src: Float32Array | Uint16Array, dst: Float32Array): void {
    if (src instanceof Float32Array) dst.set(src);
    else if (this.dtype === 'BF16') bf16ToF32Into(src, dst);
    else for (let i = 0; i < src.length; i++) dst[i] = f16BitsToF32(src[i]);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function openOrThrow(entry: SafetensorsEntry): number {
  try {
    return openSync(entry.file, 'r');
  } catch (error) {
    throw new ConvertError(`Cannot open ${entry.file} to read "${entry.name}": ${(error as Error).message}`);
  }
}

// Re-exported so callers converting scalars (e.g. a norm weight) need only this module.
export { f32ToF16Bits };
