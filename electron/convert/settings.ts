// What a conversion produces, per dtype: file name, activation dtype, and how each kind of weight is stored.
import type { ValueLayout } from '../model/xkv-attention';
import { DTYPE_BYTES } from '../onnx/graph';
import type { ModelConfig } from '../model/config';
import { expectedWeightShapes } from '../model/config';
import { DTYPE_SUFFIX } from '../generate/model-files';
import { ConvertError } from './source';
import { checkAccuracyLevel, checkBlockSize, DEFAULT_ACCURACY_LEVEL, DEFAULT_BLOCK_SIZE, DEFAULT_SYMMETRIC, quantizedSizes } from './quantize';
import type { ModelDtype, QuantizationInfo } from './manifest';

export const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'q4', 'q4f16'];

/** The file the converter writes for a dtype, named by transformers.js's suffix table (the engine reads the same). */
export function modelFileName(dtype: ModelDtype): string {
  return `model${DTYPE_SUFFIX[dtype]}.onnx`;
}

export interface QuantizeSettings {
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
  /** Token embedding as 4-bit GatherBlockQuantized (true) or float16 (false, default). */
  quantizeEmbeddings: boolean;
  /** lm_head as MatMulNBits (true, default) or float16. */
  quantizeLmHead: boolean;
}

export interface DtypeStrategy {
  dtype: ModelDtype;
  fileName: string;
  /** Activations, KV cache and logits. */
  activation: 'float32' | 'float16';
  /** Float weights that stay float (norms, biases, and embeddings/lm_head when not quantized). */
  floatWeights: 'float32' | 'float16';
  quantize?: QuantizeSettings;
  /** GroupQueryAttention in the transformers.js layout (other runtimes load it) instead of the faster external cache. */
  portable: boolean;
  /** The external cache's value layout: 'blocks' (since 1.3) or 'rows' (what 1.2 wrote; tests write it to check such folders still run). */
  valueLayout: ValueLayout;
}

export interface StrategyOptions {
  blockSize?: number;
  symmetric?: boolean;
  accuracyLevel?: number;
  quantizeEmbeddings?: boolean;
  quantizeLmHead?: boolean;
  /** Write the graph other runtimes (transformers.js) can drive, at the cost of decode speed in Distillery. */
  portable?: boolean;
  valueLayout?: ValueLayout;
}

export function resolveStrategy(dtype: string, options: StrategyOptions = {}): DtypeStrategy {
  if (!MODEL_DTYPES.includes(dtype as ModelDtype)) {
    throw new ConvertError(`Unknown dtype "${dtype}": use one of ${MODEL_DTYPES.join(', ')}.`);
  }
  const d = dtype as ModelDtype;
  const activation = d === 'fp16' || d === 'q4f16' ? 'float16' : 'float32';
  const strategy: DtypeStrategy = { dtype: d, fileName: modelFileName(d), activation, floatWeights: activation, portable: options.portable ?? false, valueLayout: options.valueLayout ?? 'blocks' };
  if (d === 'q4' || d === 'q4f16') {
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    const accuracyLevel = options.accuracyLevel ?? DEFAULT_ACCURACY_LEVEL;
    wrap(() => checkBlockSize(blockSize));
    wrap(() => checkAccuracyLevel(accuracyLevel));
    strategy.quantize = {
      blockSize,
      symmetric: options.symmetric ?? DEFAULT_SYMMETRIC,
      accuracyLevel,
      quantizeEmbeddings: options.quantizeEmbeddings ?? false,
      quantizeLmHead: options.quantizeLmHead ?? true,
    };
  } else if (options.blockSize !== undefined || options.symmetric !== undefined || options.quantizeEmbeddings) {
    throw new ConvertError(`Quantization options (block size, symmetric/asymmetric, quantized embeddings) need --dtype q4 or q4f16, not ${d}.`);
  }
  return strategy;
}

function wrap(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new ConvertError((error as Error).message);
  }
}

/** The manifest's description of the quantization (null for float models). */
export function quantizationInfo(strategy: DtypeStrategy): QuantizationInfo | null {
  const q = strategy.quantize;
  if (!q) return null;
  const floatName = strategy.floatWeights === 'float16' ? 'fp16' : 'fp32';
  return {
    method: 'MatMulNBits',
    bits: 4,
    blockSize: q.blockSize,
    symmetric: q.symmetric,
    accuracyLevel: q.accuracyLevel,
    // An unquantized embedding is stored float16 in both q4 and q4f16 (a Cast follows in q4): it is the largest tensor.
    embeddings: q.quantizeEmbeddings ? 'q4' : 'fp16',
    lmHead: q.quantizeLmHead ? 'q4' : floatName === 'fp32' ? 'fp16' : floatName,
  };
}

export const isLinearWeight = (name: string): boolean => /\.(q|k|v|o|gate|up|down)_proj\.weight$/.test(name) || name === 'lm_head.weight';

/** Bytes of the ONNX external data this conversion will write (used for the free-disk check). */
export function estimateOutputBytes(config: ModelConfig, strategy: DtypeStrategy): number {
  const q = strategy.quantize;
  const floatBytes = DTYPE_BYTES[strategy.floatWeights];
  const scaleBytes = DTYPE_BYTES[strategy.activation];
  let total = 0;
  for (const [name, shape] of expectedWeightShapes(config)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const isEmbedding = name === 'model.embed_tokens.weight';
    const quantized = q && ((isLinearWeight(name) && (name !== 'lm_head.weight' || q.quantizeLmHead)) || (isEmbedding && q.quantizeEmbeddings));
    if (quantized) {
      const s = quantizedSizes(shape[0], shape[1], q.blockSize, q.symmetric, scaleBytes);
      total += s.packedBytes + s.scaleBytes + s.zeroPointBytes;
    } else if (q && (isEmbedding || name === 'lm_head.weight')) {
      total += count * 2;
    } else {
      total += count * floatBytes;
    }
  }
  // A tied lm_head reuses the embedding in float models but is written separately when quantized.
  if (config.tieWordEmbeddings && q?.quantizeLmHead) {
    const s = quantizedSizes(config.vocabSize, config.hiddenSize, q.blockSize, q.symmetric, scaleBytes);
    total += s.packedBytes + s.scaleBytes + s.zeroPointBytes;
  }
  return total;
}
