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

/** One update in place: p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + eps). */
export function adamwStep(
  params: Map<string, Float32Array>,
  grads: Map<string, Float32Array>,
  state: AdamWState,
  cfg: AdamWConfig,
  lr: number,
): void {
  state.step += 1;
  const bias1 = 1 - cfg.beta1 ** state.step;
  const bias2Sqrt = Math.sqrt(1 - cfg.beta2 ** state.step);
  const stepSize = lr / bias1;
  const decay = 1 - lr * cfg.weightDecay;
  for (const [name, p] of params) {
    const g = grads.get(name);
    const m = state.m.get(name);
    const v = state.v.get(name);
    if (!g || !m || !v) throw new Error(`AdamW: no gradient or moment for parameter '${name}'`);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * gi;
      v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * gi * gi;
      const denom = Math.sqrt(v[i]) / bias2Sqrt + cfg.eps;
      p[i] = p[i] * decay - (stepSize * m[i]) / denom;
    }
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
