// Graph pieces for 4-bit weights: a MatMulNBits linear and a GatherBlockQuantized embedding (both com.microsoft).
import type { Graph, Value } from '../onnx/graph';
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
