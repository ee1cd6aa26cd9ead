// Lazy output tensors for the graph writer: each converts ONE source tensor when the writer asks for it, reading the
// source in row chunks and handing the writer chunks (`LazyTensor.chunks`), so peak memory is a few chunks (one band
// for a transposed weight), never a whole tensor — the 70B's 2.1 GB embedding and lm_head included.
import { chunkedTensor, DTYPE_BYTES, type LazyTensor } from '../onnx/graph';
import type { SafetensorsEntry } from '../model/safetensors';
import { transposeRowsInto } from '../model/weights';
import type { ConversionCounts } from '../util/float16';
import { allocQuantized, quantizeRowsInto, scalesAsF16Bits, type QuantizedWeight, type ScaleDtype } from './quantize';
import { ConvertError, TensorReader, checkFloatWeight, rowSpans } from './source';

export class CancelledError extends ConvertError {
  constructor() {
    super('Conversion cancelled.');
    this.name = 'CancelledError';
  }
}

/** Shared state of one conversion: cancellation, progress accounting and fp16 loss counts. */
export interface TensorJob {
  signal?: AbortSignal;
  /** Called after each chunk of source bytes is converted. */
  onSourceBytes?(bytes: number): void;
  /** Called once per source tensor when it is fully converted. */
  onTensorDone?(name: string): void;
  counts: ConversionCounts;
  /** Source bytes per read (default CHUNK_BYTES); tests make it tiny to exercise the chunking. */
  chunkBytes?: number;
  /** Output bytes per column band of a transposed weight (default BAND_BYTES); tests make it tiny. */
  bandBytes?: number;
}

export function throwIfCancelled(job: TensorJob): void {
  if (job.signal?.aborted) throw new CancelledError();
}

// Let the event loop run between chunks: a cancel message (engine IPC) can only arrive then.
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Output bytes of one column band of a transposed weight: the only whole-band buffer a conversion holds. */
export const BAND_BYTES = 256 * 1024 * 1024;

interface Span {
  reader: TensorReader;
  row: number;
  count: number;
}

/**
 * The tensor's row spans in order. The code after `yield` runs once the consumer asks for the next span, i.e. after
 * it has used (and the writer written) this one. `columns` is the width a band pass reads, for progress: the passes
 * over one tensor add up to its source bytes.
 */
async function* sourceSpans(entry: SafetensorsEntry, job: TensorJob, columns?: number): AsyncGenerator<Span> {
  const reader = new TensorReader(entry);
  const elementBytes = reader.dtype === 'F32' ? 4 : 2;
  try {
    for (const [row, count] of rowSpans(entry, job.chunkBytes)) {
      throwIfCancelled(job);
      yield { reader, row, count };
      job.onSourceBytes?.(count * (columns ?? reader.cols) * elementBytes);
      await yieldToEventLoop();
    }
  } finally {
    reader.close();
  }
}

const bytesOf = (a: Uint16Array | Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A weight as float32 or float16, same shape as the source (`dims` may reshape, e.g. a 1-D norm weight). */
export function floatTensor(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob, dims = entry.shape): LazyTensor {
  return chunkedTensor(dtype, dims, () => floatChunks(entry, dtype, job), `Tensor "${entry.name}"`);
}

// One output chunk per source span, in a buffer reused from span to span.
async function* floatChunks(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob): AsyncGenerator<Uint8Array> {
  checkFloatWeight(entry);
  let half: Uint16Array | undefined;
  for await (const { reader, row, count } of sourceSpans(entry, job)) {
    if (dtype === 'float32') {
      yield bytesOf(reader.readF32(row, count));
      continue;
    }
    const n = count * reader.cols;
    if (!half || half.length < n) half = new Uint16Array(n);
    reader.readF16Into(row, count, half.subarray(0, n), job.counts);
    yield bytesOf(half.subarray(0, n));
  }
  job.onTensorDone?.(entry.name);
}

/**
 * A linear weight [out, in] written transposed as [in, out] (MatMul's W), float32 or float16. Output row c is source
 * column c, so the output is made in bands of whole output rows (≤ BAND_BYTES each), one pass over the source per
 * band: memory stays one band, whatever the tensor's size.
 */
export function transposedFloatTensor(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob): LazyTensor {
  if (entry.shape.length !== 2) throw new ConvertError(`Tensor "${entry.name}" has shape [${entry.shape.join(', ')}]; expected a 2-D linear weight.`);
  const [rows, cols] = entry.shape;
  return chunkedTensor(dtype, [cols, rows], () => transposedChunks(entry, dtype, job), `Tensor "${entry.name}" (transposed)`);
}

async function* transposedChunks(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob): AsyncGenerator<Uint8Array> {
  checkFloatWeight(entry);
  const [rows, cols] = entry.shape;
  const elementBytes = DTYPE_BYTES[dtype];
  const bandCols = Math.max(1, Math.min(cols, Math.floor((job.bandBytes ?? BAND_BYTES) / (rows * elementBytes))));
  const alloc = (n: number) => (dtype === 'float16' ? new Uint16Array(n) : new Float32Array(n));
  const band = alloc(bandCols * rows); // [bandCols, rows]
  let block: Uint16Array | Float32Array | undefined; // [span rows, band width]
  for (let c0 = 0; c0 < cols; c0 += bandCols) {
    const width = Math.min(bandCols, cols - c0);
    for await (const { reader, row, count } of sourceSpans(entry, job, width)) {
      if (!block || block.length < count * width) block = alloc(count * width);
      const piece = block.subarray(0, count * width);
      reader.readColumnsInto(row, count, c0, c0 + width, piece, job.counts);
      transposeRowsInto(band, piece, row, count, width, rows);
    }
    yield bytesOf(band.subarray(0, width * rows));
  }
  job.onTensorDone?.(entry.name);
}

export interface QuantizedTensors {
  N: number;
  K: number;
  quantized: () => Promise<QuantizedWeight>;
  /** uint8 [N, kBlocks, blockSize/2] — MatMulNBits' B. */
  packed: LazyTensor;
  /** [N·kBlocks] (MatMulNBits) or [N, kBlocks] (GatherBlockQuantized). */
  scales: LazyTensor;
  /** uint8 [N, ceil(kBlocks/2)]; absent when symmetric. */
  zeroPoints?: LazyTensor;
}

export interface QuantizeJobOptions {
  blockSize: number;
  symmetric: boolean;
  scaleDtype: ScaleDtype;
  /** 'matmul': B [N, kBlocks, bs/2], scales [N·kBlocks]. 'gather': data [N, K/2], scales [N, kBlocks]. */
  layout: 'matmul' | 'gather';
}

/**
 * A linear weight [N, K] (HF [out, in]) quantized to 4 bits. The three output tensors share one quantization run.
 * The writer asks for `packed` first (it is created first): it streams out span by span while the small scales and
 * zero points (1/4 and 1/32 of its size) fill in whole, ready when it ends. Asked in another order, the run is done
 * in memory as one piece. Each part is released once handed over.
 */
export function quantizedTensors(entry: SafetensorsEntry, opts: QuantizeJobOptions, job: TensorJob): QuantizedTensors {
  if (entry.shape.length !== 2) {
    throw new ConvertError(`Tensor "${entry.name}" has shape [${entry.shape.join(', ')}]; a quantized weight must be 2-D [out, in].`);
  }
  const [N, K] = entry.shape;
  const kBlocks = Math.ceil(K / opts.blockSize);
  let whole: Promise<QuantizedWeight> | undefined;
  let streamed: QuantizedWeight | undefined; // scales and zero points left by streaming `packed`
  let handedOut = 0;
  const parts = opts.symmetric ? 2 : 3;
  const release = () => {
    if (++handedOut < parts) return;
    whole = undefined; // drop our references: the writer owns the bytes now
    streamed = undefined;
  };
  const quantized = () => {
    whole ??= runQuantization(entry, N, K, opts, job);
    return whole;
  };
  async function* packedChunks(): AsyncGenerator<Uint8Array> {
    if (whole) {
      yield (await whole).packed;
    } else {
      const result = allocQuantized(0, K, opts); // scales and zero points get their full size below
      result.N = N;
      result.scales = new Float32Array(N * kBlocks);
      if (!opts.symmetric) result.zeroPoints = new Uint8Array(N * Math.ceil(kBlocks / 2));
      const rowBytes = kBlocks * (opts.blockSize / 2);
      for await (const { reader, row, count } of sourceSpans(entry, job)) {
        if (result.packed.length < count * rowBytes) result.packed = new Uint8Array(count * rowBytes);
        quantizeRowsInto(reader.readF32(row, count), row, count, result, row);
        yield result.packed.subarray(0, count * rowBytes);
      }
      job.onTensorDone?.(entry.name);
      result.packed = new Uint8Array(0);
      streamed = result;
    }
    release();
  }
  const part = (pick: (q: QuantizedWeight) => Uint8Array) => async () => {
    const bytes = pick(streamed ?? (await quantized()));
    release();
    return bytes;
  };
  const scaleBytes = (q: QuantizedWeight) =>
    opts.scaleDtype === 'float16' ? new Uint8Array(scalesAsF16Bits(q).buffer) : new Uint8Array(q.scales.buffer);
  const gather = opts.layout === 'gather';
  const packedDims = gather ? [N, (kBlocks * opts.blockSize) / 2] : [N, kBlocks, opts.blockSize / 2];
  return {
    N,
    K,
    quantized,
    packed: chunkedTensor('uint8', packedDims, packedChunks, `Tensor "${entry.name}" (4-bit)`),
    scales: { dtype: opts.scaleDtype, dims: gather ? [N, kBlocks] : [N * kBlocks], bytes: part(scaleBytes) },
    zeroPoints: opts.symmetric
      ? undefined
      : { dtype: 'uint8', dims: [N, Math.ceil(kBlocks / 2)], bytes: part((q) => q.zeroPoints!) },
  };
}

async function runQuantization(entry: SafetensorsEntry, N: number, K: number, opts: QuantizeJobOptions, job: TensorJob) {
  const out = allocQuantized(N, K, opts);
  for await (const { reader, row, count } of sourceSpans(entry, job)) quantizeRowsInto(reader.readF32(row, count), row, count, out);
  job.onTensorDone?.(entry.name);
  return out;
}
