/**
 * Finite-difference gradient checks through ORT: a float64 graph, the analytic gradients the backward pass computes,
 * and central differences of the loss along random directions. Used by the tests of every rule and of whole
 * LoRA training graphs.
 */
import * as ort from 'onnxruntime-node';
import type { Graph, Value } from '../onnx/graph';
import * as O from '../onnx/ops';
import { serializeModel } from '../onnx/write';
import { appendBackward } from '../train/autodiff';
import { Rng } from '../train/rng';

export interface FeedTensor {
  dtype: 'float64' | 'float32' | 'int64' | 'bool';
  dims: number[];
  data: Float64Array | Float32Array | BigInt64Array | Uint8Array;
}

export interface GradCheckResult {
  /** Worst relative error over every parameter and direction: |fd − analytic| / max(|fd|, |analytic|, floor). */
  maxRelError: number;
  details: { param: string; analytic: number; numeric: number; relError: number }[];
}

export function toOrt(t: FeedTensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data, t.dims);
}

/** Loss = Σ R ⊙ output with a fixed random R, so every element of the output matters. */
export function randomProjectionLoss(g: Graph, output: Value, outputDims: number[], seed = 7): Value {
  const rng = new Rng(seed);
  const size = outputDims.reduce((a, b) => a * b, 1);
  const r = g.constant(output.dtype, outputDims, Array.from({ length: size }, () => rng.uniform(-1, 1)));
  return O.reduceSum(g, O.mul(g, output, r), output.shape.map((_, i) => i), false);
}

/**
 * Appends the backward pass for `params`, then compares Σ grad·v with (L(p + h·v) − L(p − h·v)) / 2h for `directions`
 * random directions v per parameter.
 */
export async function gradCheck(
  g: Graph,
  loss: Value,
  params: { value: Value; init: FeedTensor }[],
  otherFeeds: Record<string, FeedTensor> = {},
  opts: { h?: number; directions?: number; seed?: number; floor?: number } = {},
): Promise<GradCheckResult> {
  const grads = appendBackward(g, params.map((p) => p.value), loss);
  g.output(loss, 'loss');
  for (const [name, grad] of grads) g.output(grad, `grad:${name}`);
  return checkTrainingGraph(g, params, otherFeeds, opts);
}

/** The same check on a graph that already outputs `loss` and `grad:<param>` (e.g. a LoRA training graph). */
export async function checkTrainingGraph(
  g: Graph,
  params: { value: { name: string }; init: FeedTensor }[],
  otherFeeds: Record<string, FeedTensor> = {},
  opts: { h?: number; directions?: number; seed?: number; floor?: number } = {},
): Promise<GradCheckResult> {
  const session = await ort.InferenceSession.create(await serializeModel(g), { graphOptimizationLevel: 'disabled' });
  try {
    const feedsAt = (override?: { name: string; data: Float64Array | Float32Array }): Record<string, ort.Tensor> => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(otherFeeds)) feeds[name] = toOrt(t);
      for (const p of params) {
        const data = override && override.name === p.value.name ? override.data : p.init.data;
        feeds[p.value.name] = toOrt({ ...p.init, data });
      }
      return feeds;
    };
    const base = await session.run(feedsAt());
    const h = opts.h ?? 1e-6;
    const rng = new Rng(opts.seed ?? 11);
    const details: GradCheckResult['details'] = [];
    for (const p of params) {
      const grad = base[`grad:${p.value.name}`].data as Float64Array | Float32Array;
      for (let d = 0; d < (opts.directions ?? 3); d++) {
        const v = Float64Array.from(p.init.data as Float64Array, () => rng.uniform(-1, 1));
        const shifted = (sign: number) => {
          const out = p.init.data instanceof Float32Array ? new Float32Array(v.length) : new Float64Array(v.length);
          for (let i = 0; i < v.length; i++) out[i] = Number(p.init.data[i]) + sign * h * v[i];
          return out;
        };
        const lossAt = async (sign: number) =>
          Number((await session.run(feedsAt({ name: p.value.name, data: shifted(sign) }))).loss.data[0]);
        const numeric = ((await lossAt(1)) - (await lossAt(-1))) / (2 * h);
        let analytic = 0;
        for (let i = 0; i < v.length; i++) analytic += grad[i] * v[i];
        const scale = Math.max(Math.abs(numeric), Math.abs(analytic), opts.floor ?? 1e-8);
        details.push({ param: p.value.name, analytic, numeric, relError: Math.abs(numeric - analytic) / scale });
      }
    }
    return { maxRelError: Math.max(...details.map((d) => d.relError)), details };
  } finally {
    await session.release();
  }
}

/** A float64 feed with values uniform in [lo, hi). */
export function randomFeed(dims: number[], seed: number, lo = -1, hi = 1): FeedTensor {
  const rng = new Rng(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float64', dims, data: Float64Array.from({ length: size }, () => rng.uniform(lo, hi)) };
}
