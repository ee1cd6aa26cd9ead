// Graph pieces for 4-bit weights: a MatMulNBits linear and a GatherBlockQuantized embedding (both com.microsoft).
import { chunkedTensor, type Graph, type LazyTensor, type Value } from '../onnx/graph';
import { add, cast } from '../onnx/ops';
import type { SafetensorsEntry } from '../model/safetensors';
import { quantizedTensors, type TensorJob } from './tensors';
import type { ScaleDtype } from './quantize';

export interface Q4Settings {
  blockSize: number;
  symmetric: boolean;
  accuracyLevel: number;
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
  const scaleDtype = x.dtype as ScaleDtype;
  const q = quantizedTensors(weight, { ...settings, scaleDtype, layout: 'matmul' }, job);
  const B = g.initializer(`${module}.MatMul.weight_Q4`, q.packed);
  const scales = g.initializer(`${module}.MatMul.weight_scales`, q.scales);
  const zeroPoints = q.zeroPoints ? g.initializer(`${module}.MatMul.weight_zp`, q.zeroPoints) : undefined;
  const [y] = g.node(
    'MatMulNBits',
    [x, B, scales, zeroPoints],
    [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), q.N] }], // [..., N]
    { K: q.K, N: q.N, bits: 4, block_size: settings.blockSize, accuracy_level: settings.accuracyLevel },
    { domain: 'com.microsoft', name: 'MatMulNBits' },
  );
  if (!bias) return y;
  return add(g, y, bias.dtype === y.dtype ? bias : cast(g, bias, y.dtype));
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
  const data = g.initializer(`${name}_Q4`, q.packed);
  const scales = g.initializer(`${name}_scales`, q.scales);
  const zeroPoints = q.zeroPoints ? g.initializer(`${name}_zp`, q.zeroPoints) : undefined;
  const [y] = g.node(
    'GatherBlockQuantized',
    [data, ids, scales, zeroPoints],
    [{ dtype, shape: [...ids.shape, hidden] }],
    { gather_axis: 0, quantize_axis: 1, block_size: settings.blockSize, bits: 4 },
    { domain: 'com.microsoft', name: 'GatherBlockQuantized' },
  );
  return y;
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
  const B = g.initializer(`${name}.MatMul.weight_Q4`, concatenated(parts.map((p) => p.packed), [N, kBlocks, settings.blockSize / 2]));
  const scales = g.initializer(`${name}.MatMul.weight_scales`, concatenated(parts.map((p) => p.scales), [N * kBlocks]));
  const zp = parts[0].zeroPoints ? g.initializer(`${name}.MatMul.weight_zp`, concatenated(parts.map((p) => p.zeroPoints!), [N, Math.ceil(kBlocks / 2)])) : undefined;
  const [y] = g.node(
    'MatMulNBits',
    [x, B, scales, zp],
    [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), N] }], // [..., ΣN]
    { K, N, bits: 4, block_size: settings.blockSize, accuracy_level: settings.accuracyLevel },
    { domain: 'com.microsoft', name: 'MatMulNBits' },
  );
  if (!bias) return y;
  return add(g, y, bias.dtype === y.dtype ? bias : cast(g, bias, y.dtype));
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
