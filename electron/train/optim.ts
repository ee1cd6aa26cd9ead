/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW computes it,
 * plus global-norm gradient clipping. Parameters and moments are float32 like the graph inputs.
 */
export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface AdamWState {
  step: number; // updates done so far
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export function newAdamWState(params: Map<string, Float32Array>): AdamWState {
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, p] of params) {
    m.set(name, new Float32Array(p.length));
    v.set(name, new Float32Array(p.length));
  }
  return { step: 0, m, v };
}

/**
 * One update in place: p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + eps). One fused pass per tensor over its typed arrays
 * (the constants hoisted out of the loop, each element read and written once); m and v keep float32 rounding, as
 * torch's float32 state does.
 */
export function adamwStep(
  params: Map<string, Float32Array>,
  grads: Map<string, Float32Array>,
  state: AdamWState,
  cfg: AdamWConfig,
  lr: number,
): void {
  for (const name of params.keys()) {
    if (!grads.has(name) || !state.m.has(name) || !state.v.has(name)) throw new Error(`AdamW: no gradient or moment for parameter '${name}'`);
  }
  state.step += 1;
  const bias2Sqrt = Math.sqrt(1 - cfg.beta2 ** state.step);
  const constants: AdamWConstants = {
    beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, bias2Sqrt,
    stepSize: lr / (1 - cfg.beta1 ** state.step), decay: 1 - lr * cfg.weightDecay,
  };
  for (const [name, p] of params) adamwTensor(p, grads.get(name)!, state.m.get(name)!, state.v.get(name)!, constants);
}

interface AdamWConstants { beta1: number; beta2: number; eps: number; bias2Sqrt: number; stepSize: number; decay: number }

function adamwTensor(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamWConstants): void {
  const { beta1, beta2, eps, bias2Sqrt, stepSize, decay } = c;
  const keep1 = 1 - beta1;
  const keep2 = 1 - beta2;
  // m̂/(√v̂ + eps) with both bias corrections folded into two constants: one division per element instead of two
  const scaledStep = stepSize * bias2Sqrt;
  const scaledEps = eps * bias2Sqrt;
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) throw new Error(`AdamW: a gradient or moment has ${g.length} values where the parameter has ${n}`);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = Math.fround(beta1 * m[i] + keep1 * gi); // the value m holds (an assignment's value is unrounded)
    const vi = Math.fround(beta2 * v[i] + keep2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - (scaledStep * mi) / (Math.sqrt(vi) + scaledEps);
  }
}

export function globalNorm(grads: Iterable<Float32Array>): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** Scales every gradient so the global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(grads: Map<string, Float32Array>, maxNorm: number): number {
  const norm = globalNorm(grads.values());
  if (Number.isFinite(norm) && maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}
