/**
 * Rotary position embeddings. The inverse frequencies are a constant; cos/sin are computed in the graph from
 * position_ids (a table for 131072 positions would cost 32 MB per model for nothing).
 */
import type { DType, Graph, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import type { Llama3RopeScaling, ModelConfig } from './config';

/** inv_freq[i] = 1 / theta^(2i / headDim), remapped for llama3 scaling like transformers' `_compute_llama3_parameters`. */
export function ropeInverseFrequencies(config: Pick<ModelConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float64Array {
  const half = config.headDim / 2;
  const invFreq = Float64Array.from({ length: half }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim));
  return config.ropeScaling ? llama3Remap(invFreq, config.ropeScaling) : invFreq;
}

function llama3Remap(invFreq: Float64Array, s: Llama3RopeScaling): Float64Array {
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return invFreq.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowFreqWavelen) return f / s.factor; // low frequencies: fully scaled
    if (wavelen < highFreqWavelen) return f; // high frequencies: untouched
    const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** cos and sin of position × inv_freq, duplicated over both halves: each [batch, seq, 1, head_dim] in `dtype`. */
export function rotaryCosSin(g: Graph, positionIds: Value, config: ModelConfig, computeDtype: DType, dtype: DType): { cos: Value; sin: Value } {
  return g.scope('rotary_emb', () => {
    const invFreq = g.constant(computeDtype, [config.headDim / 2], Array.from(ropeInverseFrequencies(config)));
    const positions = op.unsqueeze(g, op.cast(g, positionIds, computeDtype), [-1]); // [batch, seq, 1]
    const freqs = op.mul(g, positions, invFreq); // [batch, seq, head_dim/2]
    const emb = op.unsqueeze(g, op.concat(g, [freqs, freqs], -1), [2]); // [batch, seq, 1, head_dim]
    return { cos: op.cast(g, op.cos(g, emb), dtype), sin: op.cast(g, op.sin(g, emb), dtype) };
  });
}

/** x·cos + rotate_half(x)·sin, where rotate_half([x1, x2]) = [−x2, x1]. x: [batch, seq, heads, head_dim]. */
export function applyRotary(g: Graph, x: Value, cos: Value, sin: Value, headDim: number): Value {
  const half = headDim / 2;
  const x1 = op.slice(g, x, [0], [half], [-1]); // [batch, seq, heads, head_dim/2]
  const x2 = op.slice(g, x, [half], [headDim], [-1]); // [batch, seq, heads, head_dim/2]
  const rotated = op.concat(g, [op.neg(g, x2), x1], -1); // [batch, seq, heads, head_dim]
  return op.add(g, op.mul(g, x, cos), op.mul(g, rotated, sin));
}
