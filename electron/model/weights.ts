/**
 * Where decoder weights come from: a safetensors checkpoint on disk, or Float32Arrays in memory (tests).
 * Reads are lazy: the graph builder only records how to fetch a tensor; the writer fetches it when streaming.
 */
import type { DType, LazyTensor } from '../onnx/graph';
import { validateWeightShapes, type ModelConfig } from './config';
import { f32ToF16Bits } from '../util/float16';
import { SafetensorsCheckpoint, type SafetensorsDType } from './safetensors';

export interface Weight {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Values widened to float32 (bf16/f16 are exact in f32). */
  readFloat32(): Float32Array;
  /** `count` rows (first dim) from row `start`, widened to float32. */
  readFloat32Rows(start: number, count: number): Float32Array;
}

export interface WeightSource {
  names(): string[];
  has(name: string): boolean;
  get(name: string): Weight;
}

/** Weights of a Hugging Face folder (model.safetensors or a sharded index). */
export function checkpointWeights(folder: string): WeightSource {
  return SafetensorsCheckpoint.open(folder);
}

/** In-memory weights for tests: name → { shape, data }. */
export function memoryWeights(tensors: Record<string, { shape: number[]; data: Float32Array }>): WeightSource {
  const entries = new Map<string, Weight>(Object.entries(tensors).map(([name, t]) => [name, {
    name, dtype: 'F32', shape: t.shape, readFloat32: () => t.data,
    readFloat32Rows: (start: number, count: number) => {
      const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
      return t.data.subarray(start * rowSize, (start + count) * rowSize);
    },
  }]));
  return {
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    get: (name) => {
      const w = entries.get(name);
      if (!w) throw new Error(`No weight "${name}" in memory.`);
      return w;
    },
  };
}

/** Check the weights against the config (missing, extra, wrong shape → a ConfigError naming the tensor). */
export function validateWeights(config: ModelConfig, source: WeightSource, label = 'checkpoint'): void {
  validateWeightShapes(config, source.names(), (name) => source.get(name).shape, label);
}

/** Elements converted per block: bounds the float32 scratch memory when streaming a huge tensor. */
const BLOCK_ELEMENTS = 1 << 24;

/**
 * A lazy graph tensor of `weight` in `dtype`, optionally transposed from [rows, cols] to [cols, rows]
 * (Hugging Face stores linears [out, in]; MatMul wants [in, out]). Reads the weight in row blocks, so only the
 * output bytes and one block of float32 are in memory at a time. Untransposed, it also streams (`chunks`): the
 * writer then holds one block, not the whole tensor. That matters after writing as well as during: a whole-tensor
 * buffer stays resident until V8's next collection, which the ONNX Runtime session opened next (its memory is
 * invisible to V8) does not prompt — a 933 MB embedding or lm_head kept through a whole training run.
 */
export function lazyWeight(weight: Weight, dtype: DType, transposed = false, blockElements = BLOCK_ELEMENTS): LazyTensor {
  if (transposed && weight.shape.length !== 2) throw new Error(`Weight "${weight.name}" must be 2-D to transpose; it is [${weight.shape.join(', ')}].`);
  const dims = transposed ? [weight.shape[1], weight.shape[0]] : [...weight.shape];
  const bytes = () => convertInBlocks(weight, dtype, transposed, blockElements);
  return transposed ? { dtype, dims, bytes } : { dtype, dims, bytes, chunks: () => blocksOf(weight, dtype, blockElements) };
}

/** The untransposed bytes in row blocks of about `blockElements` elements, in order. */
async function* blocksOf(weight: Weight, dtype: DType, blockElements: number): AsyncGenerator<Uint8Array> {
  for (const { block } of rowBlocks(weight, dtype, blockElements)) yield new Uint8Array(block.buffer, block.byteOffset, block.byteLength);
}

type OutputArray = Float32Array | Float64Array | Uint16Array;

/** The weight read `blockElements` at a time (whole rows), each block converted to `dtype`. */
function* rowBlocks(weight: Weight, dtype: DType, blockElements: number): Generator<{ start: number; count: number; block: OutputArray }> {
  const rows = weight.shape.length ? weight.shape[0] : 1;
  const rowSize = weight.shape.slice(1).reduce((a, b) => a * b, 1);
  const blockRows = Math.max(1, Math.floor(blockElements / Math.max(rowSize, 1)));
  for (let start = 0; start < rows; start += blockRows) {
    const count = Math.min(blockRows, rows - start);
    const raw = weight.shape.length ? weight.readFloat32Rows(start, count) : weight.readFloat32();
    yield { start, count, block: convertBlock(raw, dtype, weight.name) };
  }
}

function convertBlock(raw: Float32Array, dtype: DType, name: string): OutputArray {
  if (dtype === 'float32') return raw;
  if (dtype === 'float16') return Uint16Array.from(raw, f32ToF16Bits);
  if (dtype === 'float64') return Float64Array.from(raw);
  throw new Error(`Weight "${name}": cannot store as ${dtype} (float32, float16 or float64 only).`);
}

function convertInBlocks(weight: Weight, dtype: DType, transposed: boolean, blockElements: number): Uint8Array {
  const rows = weight.shape.length ? weight.shape[0] : 1;
  const rowSize = weight.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = allocate(dtype, rows * rowSize, weight.name);
  for (const { start, count, block } of rowBlocks(weight, dtype, blockElements)) {
    if (transposed) transposeRowsInto(out, block, start, count, rowSize, rows);
    else out.set(block, start * rowSize);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const TILE = 32;

/**
 * out[c, rowOffset + r] = block[r, c]: a block of `count` rows of a [rows, cols] source written into its transpose
 * [cols, rows], in 32×32 tiles so both sides stay in cache.
 */
export function transposeRowsInto(out: OutputArray, block: ArrayLike<number>, rowOffset: number, count: number, cols: number, rows: number): void {
  for (let r0 = 0; r0 < count; r0 += TILE) {
    const r1 = Math.min(count, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        const base = c * rows + rowOffset;
        for (let r = r0; r < r1; r++) out[base + r] = block[r * cols + c];
      }
    }
  }
}

function allocate(dtype: DType, count: number, name: string): OutputArray {
  if (dtype === 'float32') return new Float32Array(count);
  if (dtype === 'float64') return new Float64Array(count);
  if (dtype === 'float16') return new Uint16Array(count);
  throw new Error(`Weight "${name}": cannot store as ${dtype} (float32, float16 or float64 only).`);
}
