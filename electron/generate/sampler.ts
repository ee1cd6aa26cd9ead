/**
 * Next-token sampling over one row of logits: greedy, temperature, top-k, top-p (nucleus), an optional
 * repetition penalty, all driven by a seeded PRNG so the same seed gives the same text.
 *
 * Top-p is exact but avoids sorting the whole vocabulary (152k entries) each step: the nucleus is a prefix of the
 * tokens in descending probability, so when the tokens above a probability threshold already hold mass ≥ p, the
 * nucleus lies among them and only they need sorting. The threshold is lowered until that holds.
 */

export interface SamplingOptions {
  /** 0 → greedy. R1 recommends 0.6. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables. R1 recommends 0.95. */
  topP: number;
  /** Keep only the k most likely tokens; 0 or undefined disables. */
  topK?: number;
  /** HF-style repetition penalty (> 1 discourages repeats); 1 or undefined disables (the R1 default). */
  repetitionPenalty?: number;
  /** Same seed → same tokens. Undefined → a random seed. */
  seed?: number;
}

export const R1_SAMPLING: SamplingOptions = { temperature: 0.6, topP: 0.95 };

/** mulberry32: tiny, fast, good enough for sampling; returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestValue) {
      bestValue = logits[i];
      best = i;
    }
  }
  return best;
}

export interface Candidate {
  id: number;
  prob: number;
}

/**
 * The renormalised distribution the sampler draws from (descending probability). Exposed for tests: it is the
 * whole maths of the sampler apart from the final draw.
 */
export function candidateDistribution(logits: ArrayLike<number>, opts: SamplingOptions): Candidate[] {
  const temperature = opts.temperature;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = Math.exp((logits[i] - max) / temperature);
    weights[i] = w;
    total += w;
  }
  const topP = Math.min(Math.max(opts.topP, 0), 1);
  const topK = opts.topK && opts.topK > 0 ? opts.topK : Infinity;
  const sorted = topCandidates(weights, total, topP, topK);
  const kept: Candidate[] = [];
  let mass = 0;
  for (const c of sorted) {
    kept.push(c);
    mass += c.prob;
    if (kept.length >= topK || mass >= topP * total) break;
  }
  return kept.map((c) => ({ id: c.id, prob: c.prob / mass }));
}

/** Candidates sorted by weight, enough of them to cover mass topP·total (or topK of them). */
function topCandidates(weights: Float64Array, total: number, topP: number, topK: number): Candidate[] {
  // weights are ≤ 1 (the max is exp(0)), so a threshold of 1e-3 first keeps only plausible tokens
  const wantsAll = topP >= 1 && topK === Infinity;
  for (let threshold = wantsAll ? Number.MIN_VALUE : 1e-3; ; threshold *= 1e-3) {
    const picked: Candidate[] = [];
    let mass = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] >= threshold) {
        picked.push({ id: i, prob: weights[i] });
        mass += weights[i];
      }
    }
    const enough = mass >= topP * total || picked.length >= topK || threshold < 1e-300;
    if (enough) return picked.sort((a, b) => b.prob - a.prob || a.id - b.id);
  }
}

export class Sampler {
  private readonly rng: () => number;

  constructor(private readonly opts: SamplingOptions) {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.rng = createRng(seed);
  }

  /** Picks the next token. `previous` (prompt + generated ids) feeds the repetition penalty, when one is set. */
  sample(logits: Float32Array, previous?: Iterable<number>): number {
    const penalised = this.applyRepetitionPenalty(logits, previous);
    if (!(this.opts.temperature > 0)) return argmax(penalised);
    const candidates = candidateDistribution(penalised, this.opts);
    let u = this.rng();
    for (const c of candidates) {
      u -= c.prob;
      if (u < 0) return c.id;
    }
    return candidates[candidates.length - 1].id;
  }

  private applyRepetitionPenalty(logits: Float32Array, previous?: Iterable<number>): Float32Array {
    const penalty = this.opts.repetitionPenalty;
    if (!penalty || penalty === 1 || !previous) return logits;
    const out = new Float32Array(logits);
    for (const id of new Set(previous)) {
      if (id < 0 || id >= out.length) continue;
      out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty;
    }
    return out;
  }
}
