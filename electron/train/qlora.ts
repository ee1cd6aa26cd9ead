/**
 * QLoRA-style frozen base: every adapted model's `*_proj` weights stored 4-bit as MatMulNBits (symmetric, blocks
 * along K), accuracy_level 0 so the forward is exactly x · dequant(W) and the backward rule (dX = dY · dequant(W),
 * rules/quantized.ts) matches it. lm_head and embeddings stay float, as in QLoRA.
 */
import type { Value } from '../onnx/graph';
import { quantizeMatMulNBits } from '../convert/quantize';
import { matMulNBitsProjection, type MatMulNBitsTensors } from '../convert/qnodes';
import { defaultLinear, type LinearContext, moduleScope } from '../model/layers';
import { lazyWeight } from '../model/weights';

export interface Q4BaseSettings {
  blockSize?: number; // default 32
}

export function q4Linear(ctx: LinearContext, settings: Q4BaseSettings = {}): Value {
  if (!/_proj$/.test(ctx.module) || ctx.dtype !== 'float32') return defaultLinear(ctx);
  const g = ctx.graph;
  const blockSize = settings.blockSize ?? 32;
  return g.scope(moduleScope(ctx.module), () => {
    const weight = ctx.weight(); // [N, K] = [out, in]
    const [N, K] = weight.shape;
    const q = quantizeMatMulNBits(weight.readFloat32(), N, K, { blockSize, symmetric: true, scaleDtype: 'float32' });
    const bias = ctx.bias ? g.initializer(`${ctx.module}.bias`, lazyWeight(ctx.bias(), 'float32')) : undefined;
    const tensors: MatMulNBitsTensors = {
      N, K,
      packed: { dtype: 'uint8', dims: [N, q.kBlocks, blockSize / 2], data: q.packed },
      scales: { dtype: 'float32', dims: [N * q.kBlocks], data: q.scales },
    };
    return matMulNBitsProjection(g, ctx.x, ctx.module, tensors, { blockSize, accuracyLevel: 0 }, bias); // [..., N]
  });
}
