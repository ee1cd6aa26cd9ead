// Lazy output tensors for the graph writer: each converts ONE source tensor when the writer asks for its bytes,
// reading the source in row chunks, so peak memory is one output tensor plus one chunk — never the model.
import type { LazyTensor } from '../onnx/graph';
import type { SafetensorsEntry } from '../model/safetensors';
import type { ConversionCounts } from './fp16';
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
}

export function throwIfCancelled(job: TensorJob): void {
  if (job.signal?.aborted) throw new CancelledError();
}

// Let the event loop run between chunks: a cancel message (engine IPC) can only arrive then.
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function forEachSpan(entry: SafetensorsEntry, job: TensorJob, fn: (reader: TensorReader, row: number, count: number) => void) {
  const reader = new TensorReader(entry);
  try {
    for (const [row, count] of rowSpans(entry, job.chunkBytes)) {
      throwIfCancelled(job);
      fn(reader, row, count);
      job.onSourceBytes?.(count * reader.cols * (reader.dtype === 'F32' ? 4 : 2));
      await yieldToEventLoop();
    }
  } finally {
    reader.close();
  }
  job.onTensorDone?.(entry.name);
}

/** A weight as float32 or float16, same shape as the source (`dims` may reshape, e.g. a 1-D norm weight). */
export function floatTensor(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob, dims = entry.shape): LazyTensor {
  return {
    dtype,
    dims,
    bytes: async () => {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      checkFloatWeight(entry);
      if (dtype === 'float16') {
        const out = new Uint16Array(count);
        await forEachSpan(entry, job, (r, row, n) => r.readF16Into(row, n, out.subarray(row * r.cols, (row + n) * r.cols), job.counts));
        return new Uint8Array(out.buffer);
      }
      const out = new Float32Array(count);
      await forEachSpan(entry, job, (r, row, n) => out.set(r.readF32(row, n), row * r.cols));
      return new Uint8Array(out.buffer);
    },
  };
}

/** A linear weight [out, in] written transposed as [in, out] (MatMul's W), float32 or float16, read in row chunks. */
export function transposedFloatTensor(entry: SafetensorsEntry, dtype: 'float32' | 'float16', job: TensorJob): LazyTensor {
  if (entry.shape.length !== 2) throw new ConvertError(`Tensor "${entry.name}" has shape [${entry.shape.join(', ')}]; expected a 2-D linear weight.`);
  const [rows, cols] = entry.shape;
  return {
    dtype,
    dims: [cols, rows],
    bytes: async () => {
      checkFloatWeight(entry);
      const out = dtype === 'float16' ? new Uint16Array(rows * cols) : new Float32Array(rows * cols);
      let half: Uint16Array | undefined;
      await forEachSpan(entry, job, (reader, row, n) => {
        let chunk: Uint16Array | Float32Array;
        if (dtype === 'float16') {
          if (!half || half.length < n * cols) half = new Uint16Array(n * cols);
          chunk = half.subarray(0, n * cols);
          reader.readF16Into(row, n, chunk, job.counts);
        } else {
          chunk = reader.readF32(row, n);
        }
        transposeInto(chunk, n, cols, out, rows, row);
      });
      return new Uint8Array(out.buffer);
    },
  };
}

const TILE = 32;

// out[c, rowOffset + r] = chunk[r, c], in 32×32 tiles so both sides stay in cache.
function transposeInto(chunk: ArrayLike<number>, n: number, cols: number, out: Uint16Array | Float32Array, rows: number, rowOffset: number): void {
  for (let r0 = 0; r0 < n; r0 += TILE) {
    const r1 = Math.min(n, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        const base = c * rows + rowOffset;
        for (let r = r0; r < r1; r++) out[base + r] = chunk[r * cols + c];
      }
    }
  }
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
 * A linear weight [N, K] (HF [out, in]) quantized to 4 bits. The three output tensors share one quantization run:
 * whichever the writer asks for first triggers it, and each part is released once handed over.
 */
export function quantizedTensors(entry: SafetensorsEntry, opts: QuantizeJobOptions, job: TensorJob): QuantizedTensors {
  if (entry.shape.length !== 2) {
    throw new ConvertError(`Tensor "${entry.name}" has shape [${entry.shape.join(', ')}]; a quantized weight must be 2-D [out, in].`);
  }
  const [N, K] = entry.shape;
  const kBlocks = Math.ceil(K / opts.blockSize);
  let pending: Promise<QuantizedWeight> | undefined;
  let handedOut = 0;
  const parts = opts.symmetric ? 2 : 3;
  const quantized = () => {
    pending ??= runQuantization(entry, N, K, opts, job);
    return pending;
  };
  const part = (pick: (q: QuantizedWeight) => Uint8Array) => async () => {
    const bytes = pick(await quantized());
    if (++handedOut === parts) pending = undefined; // drop our reference: the writer owns the bytes now
    return bytes;
  };
  const scaleBytes = (q: QuantizedWeight) =>
    opts.scaleDtype === 'float16' ? new Uint8Array(scalesAsF16Bits(q).buffer) : new Uint8Array(q.scales.buffer);
  const gather = opts.layout === 'gather';
  return {
    N,
    K,
    quantized,
    packed: { dtype: 'uint8', dims: gather ? [N, (kBlocks * opts.blockSize) / 2] : [N, kBlocks, opts.blockSize / 2], bytes: part((q) => q.packed) },
    scales: { dtype: opts.scaleDtype, dims: gather ? [N, kBlocks] : [N * kBlocks], bytes: part(scaleBytes) },
    zeroPoints: opts.symmetric
      ? undefined
      : { dtype: 'uint8', dims: [N, Math.ceil(kBlocks / 2)], bytes: part((q) => q.zeroPoints!) },
  };
}

async function runQuantization(entry: SafetensorsEntry, N: number, K: number, opts: QuantizeJobOptions, job: TensorJob) {
  const out = allocQuantized(N, K, opts);
  await forEachSpan(entry, job, (reader, row, count) => quantizeRowsInto(reader.readF32(row, count), row, count, out));
  return out;
}
