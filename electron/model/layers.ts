/**
 * The small building blocks of the decoder: the linear hook, RMSNorm and the SwiGLU MLP.
 */
import type { DType, Graph, Value } from '../onnx/graph';
import * as op from '../onnx/ops';
import { lazyWeight, type Weight } from './weights';

/** What a `linear` hook gets for one projection. */
export interface LinearContext {
  graph: Graph;
  /** Input activations [..., inFeatures] in the graph's activation dtype. */
  x: Value;
  /** Hugging Face module path, e.g. 'model.layers.0.self_attn.q_proj' or 'lm_head'. */
  module: string;
  inFeatures: number;
  outFeatures: number;
  /** The weight as stored by Hugging Face: [outFeatures, inFeatures]. */
  weight: () => Weight;
  bias?: () => Weight;
  /** Activation dtype of the graph (float32, float16 or float64). */
  dtype: DType;
}

/** Returns [..., outFeatures]. */
export type LinearFn = (ctx: LinearContext) => Value;

/** Default projection: MatMul by the transposed weight (stored [in, out] as `{module}.weight`), then Add bias. */
export function defaultLinear(ctx: LinearContext): Value {
  const { graph: g, x, module, dtype } = ctx;
  return g.scope(moduleScope(module), () => {
    const weight = g.initializer(`${module}.weight`, lazyWeight(ctx.weight(), dtype, true)); // [in, out]
    const y = op.matMul(g, x, weight); // [..., out]
    if (!ctx.bias) return y;
    return op.add(g, y, g.initializer(`${module}.bias`, lazyWeight(ctx.bias(), dtype)));
  });
}

/** The last component of a module path names its scope (`q_proj` inside `/model/layers.0/attn`). */
export function moduleScope(module: string): string {
  return module.slice(module.lastIndexOf('.') + 1);
}

/** y = x / sqrt(mean(x²) + eps) · weight, the statistics computed in `computeDtype`. x: [..., hidden]. */
export function rmsNorm(g: Graph, x: Value, weight: Weight, name: string, eps: number, computeDtype: DType): Value {
  const xc = op.cast(g, x, computeDtype); // [..., hidden]
  const variance = op.reduceMean(g, op.mul(g, xc, xc), [-1]); // [..., 1]
  const inverseRms = op.reciprocal(g, op.sqrt(g, op.add(g, variance, g.scalar(computeDtype, eps)))); // [..., 1]
  const normalized = op.cast(g, op.mul(g, xc, inverseRms), x.dtype); // [..., hidden]
  return op.mul(g, normalized, g.initializer(name, lazyWeight(weight, x.dtype)));
}

export interface MlpContext {
  graph: Graph;
  linear: LinearFn;
  prefix: string; // 'model.layers.0.mlp'
  hiddenSize: number;
  intermediateSize: number;
  weight: (name: string) => Weight;
  hasBias: boolean;
  dtype: DType;
}

/** down(silu(gate(x)) · up(x)). x: [batch, seq, hidden]. */
export function swiGluMlp(ctx: MlpContext, x: Value): Value {
  const { graph: g, prefix, hiddenSize: h, intermediateSize: m } = ctx;
  const project = (input: Value, name: string, inFeatures: number, outFeatures: number): Value => ctx.linear({
    graph: g, x: input, module: `${prefix}.${name}`, inFeatures, outFeatures, dtype: ctx.dtype,
    weight: () => ctx.weight(`${prefix}.${name}.weight`),
    bias: ctx.hasBias ? () => ctx.weight(`${prefix}.${name}.bias`) : undefined,
  });
  const gate = project(x, 'gate_proj', h, m); // [batch, seq, intermediate]
  const up = project(x, 'up_proj', h, m); // [batch, seq, intermediate]
  const activated = g.scope('act_fn', () => op.mul(g, gate, op.sigmoid(g, gate))); // silu
  return project(op.mul(g, activated, up), 'down_proj', m, h); // [batch, seq, hidden]
}
