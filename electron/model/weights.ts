/**
 * Where decoder weights come from: a safetensors checkpoint on disk, or Float32Arrays in memory (tests).
 * Reads are lazy: the graph builder only records how to fetch a tensor; the writer fetches it when streaming.
 */
import type { DType, LazyTensor } from '../onnx/graph';
import { validateWeightShapes, type ModelConfig } from './config';
import { f32ToF16Array } from './dtypes';
import { SafetensorsCheckpoint, type SafetensorsDType } from './safetensors';

export interface Weight {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Values widened to float32 (bf16/f16 are exact in f32). */
  readFloat32(): Float32Array;
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

/**
 * A lazy graph tensor of `weight` in `dtype`, optionally transposed from [rows, cols] to [cols, rows]
 * (Hugging Face stores linears [out, in]; MatMul wants [in, out]).
 */
export function lazyWeight(weight: Weight, dtype: DType, transposed = false): LazyTensor {
  const dims = transposed ? [weight.shape[1], weight.shape[0]] : [...weight.shape];
  return {
    dtype,
    dims,
    bytes: () => {
      const values = weight.readFloat32();
      const laidOut = transposed ? transpose2d(values, weight.shape[0], weight.shape[1]) : values;
      return encodeAs(laidOut, dtype, weight.name);
    },
  };
}

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}

function encodeAs(values: Float32Array, dtype: DType, name: string): Uint8Array {
  const typed = dtype === 'float32' ? values
    : dtype === 'float64' ? Float64Array.from(values)
      : dtype === 'float16' ? f32ToF16Array(values)
        : undefined;
  if (!typed) throw new Error(`Weight "${name}": cannot store as ${dtype} (float32, float16 or float64 only).`);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
