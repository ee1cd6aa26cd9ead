/**
 * Next-token sampling over one row of logits: greedy, temperature, top-k, top-p (nucleus), an optional
 * repetition penalty, all driven by a seeded PRNG so the same seed gives the same text.
 *
 * Top-k and top-p are exact but never sort the whole vocabulary (152k entries) each step (see nucleus()).
 */
import { mulberry32 } from '../util/prng';

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

/** Uniform floats in [0, 1) from a seed: mulberry32 is good enough for sampling. */
export const createRng = mulberry32;

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

/** Log-space buckets of width RANGE/BUCKETS below the top logit: a one-pass partial sort for top-k and top-p. */
const BUCKETS = 512;
/**
 * Tokens whose weight is below e^-37 (1e-16) of the top token's are dropped without computing exp(): together, over a
 * 152k vocabulary, they hold < 2e-11 of the mass, far below the rounding of float32 logits.
 */
const LOG_RANGE = 37;
const FAR = BUCKETS;

interface Nucleus {
  ids: number[];
  weights: number[];
  mass: number;
}

/** Per-vocabulary buffers reused across steps (a sampler draws one token at a time). */
class Scratch {
  weights = new Float64Array(0);
  bucketOf = new Uint16Array(0);
  order = new Int32Array(0);

  ensure(n: number): void {
    if (this.weights.length >= n) return;
    this.weights = new Float64Array(n);
    this.bucketOf = new Uint16Array(n);
    this.order = new Int32Array(n);
  }
}

/**
 * The tokens kept by top-k then top-p (HF order: top-p applies to the top-k renormalised), with unnormalised weights.
 * The nucleus is a prefix of the tokens in descending probability. One pass puts every token in a log-space bucket
 * (exact masses per bucket); the bucket where the limit falls bounds the candidates, only those are collected, and
 * only a bucket that a limit falls inside is sorted. A flat distribution over 152k tokens costs about as much as a
 * peaked one.
 */
function nucleus(logits: ArrayLike<number>, opts: SamplingOptions, scratch = new Scratch()): Nucleus {
  const n = logits.length;
  scratch.ensure(n);
  const { weights, bucketOf, order } = scratch;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const invT = 1 / opts.temperature;
  const scale = BUCKETS / LOG_RANGE;
  const bucketMass = new Float64Array(BUCKETS);
  const bucketCount = new Int32Array(BUCKETS);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = (max - logits[i]) * invT; // −log(weight)
    if (!(d < LOG_RANGE)) {
      bucketOf[i] = FAR;
      continue;
    }
    const w = Math.exp(-d);
    const b = (d * scale) | 0;
    weights[i] = w;
    bucketOf[i] = b;
    bucketMass[b] += w;
    bucketCount[b]++;
    total += w;
  }
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  const topP = Math.min(Math.max(opts.topP, 0), 1);
  // last bucket that can hold a kept token: where the top-k count is reached, else where mass p·total is reached
  let last = BUCKETS - 1;
  for (let b = 0, count = 0, mass = 0; b < BUCKETS; b++) {
    count += bucketCount[b];
    mass += bucketMass[b];
    if (topK < n ? count >= topK : topP < 1 && mass >= topP * total) {
      last = b;
      break;
    }
  }
  // counting sort of the candidates by bucket (index order inside a bucket)
  const start = new Int32Array(last + 2);
  for (let b = 0; b <= last; b++) start[b + 1] = start[b] + bucketCount[b];
  const fill = start.slice(0, last + 1);
  for (let i = 0; i < n; i++) if (bucketOf[i] <= last) order[fill[bucketOf[i]]++] = i;

  const walk = (maxCount: number, targetMass: number): Nucleus => {
    const out: Nucleus = { ids: [], weights: [], mass: 0 };
    for (let b = 0; b <= last; b++) {
      if (start[b] === start[b + 1]) continue;
      const members = Array.from(order.subarray(start[b], start[b + 1]));
      const fits = out.ids.length + members.length <= maxCount && out.mass + bucketMass[b] < targetMass;
      if (!fits) members.sort((x, y) => weights[y] - weights[x] || x - y);
      for (const id of members) {
        out.ids.push(id);
        out.weights.push(weights[id]);
        out.mass += weights[id];
        if (out.ids.length >= maxCount || out.mass >= targetMass) return out;
      }
    }
    return out;
  };
  const kMass = topK < n ? walk(topK, Infinity).mass : total;
  return walk(topK, topP >= 1 ? Infinity : topP * kMass);
}

/**
 * The renormalised distribution the sampler draws from, in descending probability. Exposed for tests: it is the
 * whole maths of the sampler apart from the final draw.
 */
export function candidateDistribution(logits: ArrayLike<number>, opts: SamplingOptions): Candidate[] {
  const { ids, weights, mass } = nucleus(logits, opts);
  return ids.map((id, i) => ({ id, prob: weights[i] / mass })).sort((a, b) => b.prob - a.prob || a.id - b.id);
}

export class Sampler {
  private readonly rng: () => number;
  private readonly scratch = new Scratch();

  constructor(private readonly opts: SamplingOptions) {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.rng = createRng(seed);
  }

  /** Picks the next token. `previous` (prompt + generated ids) feeds the repetition penalty, when one is set. */
  sample(logits: Float32Array, previous?: Iterable<number>): number {
    const penalised = this.applyRepetitionPenalty(logits, previous);
    if (!(this.opts.temperature > 0)) return argmax(penalised);
    const { ids, weights, mass } = nucleus(penalised, this.opts, this.scratch);
    let u = this.rng() * mass;
    for (let i = 0; i < ids.length; i++) {
      u -= weights[i];
      if (u < 0) return ids[i];
    }
    return ids[ids.length - 1];
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
