// Graph pieces for 4-bit weights: a MatMulNBits linear and a GatherBlockQuantized embedding (both com.microsoft), built
// through the shape-checked ops; this file only names the initializers and streams their tensors from the checkpoint.
import { chunkedTensor, type Graph, type LazyTensor, type TensorSource, type Value } from '../onnx/graph';
import { add, cast, gatherBlockQuantized, matMulNBits } from '../onnx/ops';
import type { SafetensorsEntry } from '../model/safetensors';
import { quantizedTensors, type TensorJob } from './tensors';
import type { ScaleDtype } from './quantize';

export interface Q4Settings {
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
}

/** A 4-bit weight W [N, K] in MatMulNBits' layout: B [N, kBlocks, blockSize/2], scales [N·kBlocks], zero points. */
export interface MatMulNBitsTensors {
  N: number;
  K: number;
  packed: TensorSource;
  scales: TensorSource;
  /** uint8 [N, ⌈kBlocks/2⌉]; absent when symmetric. */
  zeroPoints?: TensorSource;
}

/**
 * y = x · dequant(W)ᵀ (+ bias) as one MatMulNBits in the current scope, W's tensors stored as
 * `{name}.MatMul.weight_Q4|_scales|_zp`. The scales are in x's float type; a bias of another type is cast to it.
 */
export function matMulNBitsProjection(
  g: Graph,
  x: Value,
  name: string,
  w: MatMulNBitsTensors,
  settings: Pick<Q4Settings, 'blockSize' | 'accuracyLevel'>,
  bias?: Value,
): Value {
  const packed = g.initializer(`${name}.MatMul.weight_Q4`, w.packed);
  const scales = g.initializer(`${name}.MatMul.weight_scales`, w.scales);
  const zeroPoints = w.zeroPoints ? g.initializer(`${name}.MatMul.weight_zp`, w.zeroPoints) : undefined;
  const { blockSize, accuracyLevel } = settings;
  const y = matMulNBits(g, x, { packed, scales, zeroPoints, K: w.K, N: w.N, bits: 4, blockSize, accuracyLevel }); // [..., N]
  return bias ? add(g, y, cast(g, bias, y.dtype)) : y;
}

/**
 * y = x · Wᵀ (+ bias) with W (HF [N, K]) stored as MatMulNBits. x: [..., K] in `x.dtype` (float32 for q4, float16 for
 * q4f16); the scales take that type too.
 */
export function matMulNBitsLinear(
  g: Graph,
  x: Value,
  module: string,
  weight: SafetensorsEntry,
  settings: Q4Settings,
  job: TensorJob,
  bias?: Value,
): Value {
  const q = quantizedTensors(weight, { ...settings, scaleDtype: x.dtype as ScaleDtype, layout: 'matmul' }, job);
  return matMulNBitsProjection(g, x, module, q, settings, bias);
}

/**
 * Token embedding lookup from a 4-bit table: ids [batch, seq] → [batch, seq, hidden] in `dtype`.
 * The table is quantized along hidden in blocks, the same packing as MatMulNBits (verified against ORT in tests).
 */
export function gatherBlockQuantizedEmbedding(
  g: Graph,
  ids: Value,
  name: string,
  table: SafetensorsEntry,
  settings: Q4Settings,
  dtype: ScaleDtype,
  job: TensorJob,
): Value {
  const hidden = table.shape[1];
  if (hidden % settings.blockSize !== 0) {
    throw new Error(`Cannot quantize "${table.name}": hidden size ${hidden} is not a multiple of the block size ${settings.blockSize}.`);
  }
  const q = quantizedTensors(table, { ...settings, scaleDtype: dtype, layout: 'gather' }, job);
  const packed = g.initializer(`${name}_Q4`, q.packed);
  const scales = g.initializer(`${name}_scales`, q.scales);
  const zeroPoints = q.zeroPoints ? g.initializer(`${name}_zp`, q.zeroPoints) : undefined;
  return gatherBlockQuantized(g, { packed, scales, zeroPoints, bits: 4, blockSize: settings.blockSize }, ids); // [batch, seq, hidden]
}

/**
 * One MatMulNBits for several weights that read the same input (q/k/v, gate/up): their rows are stacked, so the
 * packed B, scales and zero points are the parts' own tensors concatenated along N. x: [..., K] → [..., ΣN].
 */
export function packedMatMulNBitsLinear(
  g: Graph,
  x: Value,
  name: string,
  weights: SafetensorsEntry[],
  settings: Q4Settings,
  job: TensorJob,
  bias?: Value,
): Value {
  const scaleDtype = x.dtype as ScaleDtype;
  const parts = weights.map((w) => quantizedTensors(w, { ...settings, scaleDtype, layout: 'matmul' }, job));
  const K = parts[0].K;
  if (parts.some((p) => p.K !== K)) throw new Error(`Cannot pack ${weights.map((w) => w.name).join(', ')}: their input sizes differ.`);
  const N = parts.reduce((sum, p) => sum + p.N, 0);
  const kBlocks = Math.ceil(K / settings.blockSize);
  const stacked: MatMulNBitsTensors = {
    N,
    K,
    packed: concatenated(parts.map((p) => p.packed), [N, kBlocks, settings.blockSize / 2]),
    scales: concatenated(parts.map((p) => p.scales), [N * kBlocks]),
    zeroPoints: parts[0].zeroPoints ? concatenated(parts.map((p) => p.zeroPoints!), [N, Math.ceil(kBlocks / 2)]) : undefined,
  };
  return matMulNBitsProjection(g, x, name, stacked, settings, bias); // [..., ΣN]
}

/** Tensors stacked along their first dim, streamed part after part (each part's own streaming order is kept). */
export function concatenated(parts: LazyTensor[], dims: number[]): LazyTensor {
  return chunkedTensor(parts[0].dtype, dims, async function* () {
    for (const part of parts) {
      if (part.chunks) yield* part.chunks();
      else yield await part.bytes();
    }
  }, `packed ${parts.length} tensors`);
}
