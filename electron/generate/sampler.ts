/**
 * Next-token sampling over one row of logits: greedy, temperature, top-k, top-p (nucleus), an optional
 * repetition penalty, all driven by a seeded PRNG so the same seed gives the same text.
 *
 * Top-k and top-p are exact but never sort the whole vocabulary (152k entries) each step (see nucleus()); with a
 * CandidateFinder the vocabulary-wide part runs in ONNX Runtime and JavaScript only looks at a few hundred candidates.
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

const EXP_STEPS = 256;
const LN2_STEP = Math.LN2 / EXP_STEPS;
const STEPS_PER_UNIT = EXP_STEPS / Math.LN2;
const POW2_FRACTION = Float64Array.from({ length: EXP_STEPS }, (_, j) => Math.pow(2, -j / EXP_STEPS));
const POW2_WHOLE = Float64Array.from({ length: 64 }, (_, k) => Math.pow(2, -k)); // d < 64·ln2 ≈ 44

/**
 * e^-d for 0 ≤ d < LOG_RANGE, within 1e-14 of Math.exp and about three times faster (a flat 152k-token row spends
 * most of the exact pass in exp): 2^(-n/256) from two tables times a degree-5 polynomial on the remainder (< ln2/256).
 * Both sampling paths take their weights from here, so they draw the same token for the same seed.
 */
export function expNeg(d: number): number {
  const n = Math.floor(d * STEPS_PER_UNIT);
  const r = d - n * LN2_STEP;
  const tail = 1 - r * (1 - r * (0.5 - r * (1 / 6 - r * (1 / 24 - r / 120))));
  return POW2_WHOLE[n >> 8] * POW2_FRACTION[n & (EXP_STEPS - 1)] * tail;
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
/**
 * The bucket of the tokens dropped without an exp (their weight slots keep an earlier row's values). Above BUCKETS, the
 * bucket a nucleus that keeps every bucket ends in, so that such a nucleus still leaves them out.
 */
const FAR = BUCKETS + 1;

/**
 * The kept tokens, described without listing them: every token of a bucket below `bucket`, plus the members of
 * `bucket` up to the cut (weight > cutWeight, or equal weight and id ≤ cutId). In the canonical order (descending
 * weight, then ascending id) the kept tokens are a prefix; draws walk them in index order.
 */
interface Nucleus {
  bucket: number;
  cutWeight: number;
  cutId: number;
  mass: number;
  count: number;
}

/**
 * The limits the hot loops read, always built by limitsOf, so they always have one object shape: callers pass
 * options of different shapes (the warm-up's, the generator's with topK and repetitionPenalty keys), and a shape the
 * optimised exact pass had not seen deoptimised it in the middle of a reply (20–100 ms for that token).
 */
interface Limits {
  invT: number;
  /** 0 = no top-k. */
  topK: number;
  topP: number;
}

function limitsOf(opts: SamplingOptions): Limits {
  return {
    invT: 1 / opts.temperature,
    topK: opts.topK && opts.topK > 0 ? opts.topK : 0,
    topP: Math.min(Math.max(opts.topP, 0), 1),
  };
}

/** Per-vocabulary buffers reused across steps (a sampler draws one token at a time). */
class Scratch {
  weights = new Float64Array(0);
  bucketOf = new Uint16Array(0);
  readonly bucketMass = new Float64Array(BUCKETS);
  readonly bucketCount = new Int32Array(BUCKETS);

  ensure(n: number): void {
    if (this.weights.length >= n) return;
    this.weights = new Float64Array(n);
    this.bucketOf = new Uint16Array(n);
  }
}

const SHARED_SCRATCH = new Scratch();

const isKept = (s: Scratch, nucleus: Nucleus, i: number): boolean => {
  const b = s.bucketOf[i];
  if (b < nucleus.bucket) return true;
  if (b !== nucleus.bucket) return false;
  const w = s.weights[i];
  return w > nucleus.cutWeight || (w === nucleus.cutWeight && i <= nucleus.cutId);
};

/**
 * The kept token at which `u` (uniform in [0, kept mass)) runs out, walking the vocabulary in index order. On a flat
 * row about half the vocabulary is kept, in no order a branch predictor can learn, so a token outside the cut bucket
 * subtracts its weight times 0 or 1 instead of branching (the mispredicted branch took half the draw: 0.48 against 0.24 ms
 * at 152k). The same subtractions in the same order as a branching walk: the same token for the same seed.
 */
function draw(s: Scratch, kept: Nucleus, n: number, u: number): number {
  const { weights, bucketOf } = s;
  const { bucket } = kept;
  for (let i = 0; i < n; i++) {
    const b = bucketOf[i];
    if (b === bucket) {
      if (isKept(s, kept, i)) u -= weights[i];
    } else {
      u -= weights[i] * ((b - bucket) >>> 31); // × 1 when b < bucket, else × 0 (a FAR token's slot holds an old weight)
    }
    if (u < 0) return i; // u only moves on kept tokens, so the token that takes it below 0 is kept
  }
  for (let i = n - 1; i > 0; i--) if (isKept(s, kept, i)) return i; // rounding: u outlived the kept mass
  return 0;
}

/**
 * The tokens kept by top-k then top-p (HF order: top-p applies to the top-k renormalised). One pass puts every token
 * in a log-space bucket (exact masses per bucket); whole buckets are taken while they fit, and only the bucket a limit
 * falls inside is sorted. A flat distribution over 152k tokens costs about as much as a peaked one: typed arrays only.
 */
function nucleus(logits: ArrayLike<number>, limits: Limits, s: Scratch): Nucleus {
  // read before the loops: code after a loop that V8 compiled on-stack (mid-loop) has no feedback and deoptimises
  const { invT, topP } = limits;
  const n = logits.length;
  const topK = limits.topK > 0 ? Math.min(limits.topK, n) : n;
  s.ensure(n);
  const { weights, bucketOf, bucketMass, bucketCount } = s;
  bucketMass.fill(0);
  bucketCount.fill(0);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const scale = BUCKETS / LOG_RANGE;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = (max - logits[i]) * invT; // −log(weight)
    if (!(d < LOG_RANGE)) {
      bucketOf[i] = FAR;
      continue;
    }
    const w = expNeg(d);
    const b = (d * scale) | 0;
    weights[i] = w;
    bucketOf[i] = b;
    bucketMass[b] += w;
    bucketCount[b]++;
    total += w;
  }
  const kMass = topK < n ? walk(s, n, topK, Infinity).mass : total;
  return walk(s, n, topK, topP >= 1 ? Infinity : topP * kMass);
}

/** The canonical-order prefix that stops at `maxCount` tokens or once its mass reaches `targetMass`. */
function walk(s: Scratch, n: number, maxCount: number, targetMass: number): Nucleus {
  let count = 0;
  let mass = 0;
  for (let b = 0; b < BUCKETS; b++) {
    if (s.bucketCount[b] === 0) continue;
    if (count + s.bucketCount[b] < maxCount && mass + s.bucketMass[b] < targetMass) {
      count += s.bucketCount[b];
      mass += s.bucketMass[b];
      continue;
    }
    const members = new Int32Array(s.bucketCount[b]);
    for (let i = 0, m = 0; i < n; i++) if (s.bucketOf[i] === b) members[m++] = i;
    const state = { count, mass };
    const found = walkBucket(s, b, members, state, maxCount, targetMass);
    if (found) return found;
    ({ count, mass } = state); // rounding: the sum member by member fell short of the limit; the next bucket ends it
  }
  return { bucket: BUCKETS, cutWeight: 0, cutId: 0, mass, count };
}

/** Members of one bucket at most this many are sorted at once; a bigger bucket is split by weight first. */
const SORT_AT_ONCE = 64;
const SUB_BUCKETS = 256;

/**
 * Where the limit falls inside bucket `b`. A flat distribution puts thousands of tokens in the bucket the nucleus ends
 * in, so they are spread over sub-buckets by weight (descending weight → ascending sub-bucket, so whole sub-buckets
 * keep the canonical order) and only the sub-bucket the limit falls in is sorted.
 */
function walkBucket(s: Scratch, b: number, members: Int32Array, state: { count: number; mass: number }, maxCount: number, targetMass: number): Nucleus | undefined {
  const cut = (id: number): Nucleus => ({ bucket: b, cutWeight: s.weights[id], cutId: id, mass: state.mass, count: state.count });
  const sortAndWalk = (ids: Int32Array): Nucleus | undefined => {
    const sorted = Array.from(ids).sort((x, y) => s.weights[y] - s.weights[x] || x - y);
    for (const id of sorted) {
      state.count++;
      state.mass += s.weights[id];
      if (state.count >= maxCount || state.mass >= targetMass) return cut(id);
    }
    return undefined;
  };
  if (members.length <= SORT_AT_ONCE) return sortAndWalk(members);
  let hi = -Infinity;
  let lo = Infinity;
  for (const id of members) {
    hi = Math.max(hi, s.weights[id]);
    lo = Math.min(lo, s.weights[id]);
  }
  const span = hi - lo;
  const subOf = (w: number) => (span > 0 ? Math.min(SUB_BUCKETS - 1, Math.floor(((hi - w) / span) * SUB_BUCKETS)) : 0);
  const subCount = new Int32Array(SUB_BUCKETS);
  const subMass = new Float64Array(SUB_BUCKETS);
  for (const id of members) {
    const sub = subOf(s.weights[id]);
    subCount[sub]++;
    subMass[sub] += s.weights[id];
  }
  for (let sub = 0; sub < SUB_BUCKETS; sub++) {
    if (subCount[sub] === 0) continue;
    if (state.count + subCount[sub] < maxCount && state.mass + subMass[sub] < targetMass) {
      state.count += subCount[sub];
      state.mass += subMass[sub];
      continue;
    }
    const found = sortAndWalk(members.filter((id) => subOf(s.weights[id]) === sub));
    if (found) return found;
  }
  return undefined;
}

/**
 * The renormalised distribution the sampler draws from, in descending probability. Exposed for tests: it is the
 * whole maths of the sampler apart from the final draw.
 */
export function candidateDistribution(logits: ArrayLike<number>, opts: SamplingOptions): Candidate[] {
  const s = new Scratch();
  const kept = nucleus(logits, limitsOf(opts), s);
  const out: Candidate[] = [];
  for (let i = 0; i < logits.length; i++) if (isKept(s, kept, i)) out.push({ id: i, prob: s.weights[i] / kept.mass });
  return out.sort((a, b) => b.prob - a.prob || a.id - b.id);
}

/** Set once the exact pass has been warmed: V8's optimised code serves every sampler in the process after that. */
let samplerWarm = false;

/**
 * Warms both sampling paths before a reply's first tokens. The exact pass once per process: unwarmed, its first calls
 * on a 152k vocabulary take 30, 19, 10, 6 and 5 ms where a warm one takes about 2. It runs first on short rows of
 * every kind (each branch of the pass taken), so that V8 has seen all of it before it optimises: a first call on a
 * long row is compiled in the middle of its first loop, and the code after that loop, never run yet, deoptimised at
 * the first real row (20–100 ms for one token of the reply). With `finder`, the candidate path too, on a peaked row,
 * for each finder: its session's first runs allocate (the first sampled tokens of a reply took 5–17 ms where a warm
 * step takes about 1). About 0.1 s for the first model of a process, a few milliseconds for each one after.
 */
export async function warmUpSampler(vocab: number, finder?: CandidateFinder, rounds = 8): Promise<void> {
  if (samplerWarm && !finder) return;
  const peaked = peakedRow(vocab, createRng(1));
  if (!samplerWarm) {
    samplerWarm = true;
    const samplers = [new Sampler({ ...R1_SAMPLING, seed: 1 }), new Sampler({ ...R1_SAMPLING, topK: 40, seed: 1 })];
    const short = warmUpRows(512, createRng(2));
    for (let i = 0; i < 4 * rounds; i++) samplers[i % 2].sample(short[(i >> 1) % short.length]); // each sampler, each row
    const long = [flatRow(vocab, createRng(3)), peaked];
    for (let i = 0; i < rounds; i++) samplers[0].sample(long[i % 2]);
  }
  if (!finder) return;
  const sampler = new Sampler({ ...R1_SAMPLING, seed: 1 }, finder);
  for (let i = 0; i < rounds; i++) await sampler.next(peaked);
}

/**
 * A trained model's row: a few likely tokens, most of the vocabulary far below (the exact pass skips those without
 * an exp).
 */
function peakedRow(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 997 === 1 ? 12 : 0) + (i % 3 ? r() * 4 : -40 - r() * 20));
}

/** A random model's row: the nucleus holds most of the vocabulary. */
function flatRow(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (r() + r() + r() - 1.5) * 2);
}

/**
 * Rows that between them take every branch of the exact pass: flat, peaked with most tokens far below, near-equal
 * (the nucleus ends in a bucket of hundreds of tokens, split by weight) and ties.
 */
function warmUpRows(n: number, r: () => number): Float32Array[] {
  const flat = flatRow(n, r);
  const nearlyEqual = Float32Array.from({ length: n }, () => r() * 0.05);
  const ties = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 3 : i % 5 === 0 ? -60 : 0));
  return [flat, peakedRow(n, r), nearlyEqual, ties];
}

/** The vocabulary-wide part done natively (see candidates.ts): the top candidates and log Σ exp(logit / T). */
export interface CandidateFinder {
  find(logits: Float32Array, temperature: number): Promise<{ values: Float32Array; ids: Int32Array; logSumExp: number }>;
}

/**
 * Relative margin within which the candidates cannot decide where the nucleus ends: the exact pass decides instead.
 * The native sum (float64) and the exact pass's differ by the tokens the exact pass leaves out (below e^-37 of the
 * top token: < 2e-11 of the sum at 152k) and by rounding (~1e-15); the margin is 50× the larger.
 */
const CUT_MARGIN = 1e-9;

interface KeptCandidates { ids: Int32Array; weights: Float64Array; mass: number }

/**
 * Top-p from the candidates alone: exact whenever they hold the nucleus (the mass of the tokens they leave out is
 * known from the log-sum-exp). Returns the kept ids in ascending order with their weights, or why the candidates do
 * not decide it (then the caller runs the exact pass): 'short' when they do not hold the nucleus (a flat row: the
 * next rows are likely flat too), 'close' when they hold it but the cut lies within CUT_MARGIN of the target
 * (chance: the next row is as likely as any to be decided).
 */
function nucleusFromCandidates(c: { values: Float32Array; ids: Int32Array; logSumExp: number }, limits: Limits): KeptCandidates | 'short' | 'close' {
  const invT = limits.invT;
  const max = c.values[0];
  // the exact pass's weights (expNeg), so that both paths draw the same token
  const weights = Float64Array.from(c.values, (v) => {
    const d = (max - v) * invT;
    return d < LOG_RANGE ? expNeg(d) : Math.exp(-d);
  });
  const topK = limits.topK > 0 ? limits.topK : Infinity;
  if (topK !== Infinity && topK > weights.length) return 'short';
  let total = Math.exp(c.logSumExp - max * invT); // Σ over the vocabulary, relative to the top token
  if (topK !== Infinity) total = weights.subarray(0, topK).reduce((a, b) => a + b, 0);
  const target = limits.topP >= 1 ? Infinity : limits.topP * total;
  const limit = Math.min(topK, weights.length);
  let mass = 0;
  let cut = -1;
  for (let i = 0; i < limit; i++) {
    const before = mass;
    mass += weights[i];
    if (mass >= target || i === topK - 1) {
      const close = (x: number) => Number.isFinite(target) && Math.abs(x - target) <= CUT_MARGIN * target;
      if (mass >= target && (close(mass) || close(before))) return 'close';
      cut = i;
      break;
    }
  }
  if (cut < 0) return 'short';
  const order = Array.from({ length: cut + 1 }, (_, i) => i).sort((a, b) => c.ids[a] - c.ids[b]);
  return { ids: Int32Array.from(order, (i) => c.ids[i]), weights: Float64Array.from(order, (i) => weights[i]), mass };
}

/** Longest run of steps the candidate finder sits out after repeated failures (flat distributions). */
const MAX_SKIP = 32;

export class Sampler {
  private readonly rng: () => number;
  private readonly limits: Limits;
  /** One per process: the exact pass never awaits, and a reply's first exact step then allocates nothing (1.5 MB at 152k). */
  private readonly scratch = SHARED_SCRATCH;
  /** Steps decided by the candidates alone / by the exact pass, and how often the finder was asked (stats, tests). */
  readonly paths = { candidates: 0, exact: 0, finderCalls: 0 };
  /**
   * After the candidates fail to hold the nucleus, the finder is not asked for this many steps (doubling up to
   * MAX_SKIP while it keeps failing, back to 0 on success): a flat stretch pays the exact pass only, not both.
   */
  private skip = 0;
  private nextSkip = 1;

  constructor(
    private readonly opts: SamplingOptions,
    private readonly candidates?: CandidateFinder,
  ) {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.rng = createRng(seed);
    this.limits = limitsOf(opts);
  }

  /** Picks the next token with the exact pass over the vocabulary. `previous` feeds the repetition penalty. */
  sample(logits: Float32Array, previous?: Iterable<number>): number {
    const penalised = this.applyRepetitionPenalty(logits, previous);
    if (!(this.opts.temperature > 0)) return argmax(penalised);
    return this.exact(penalised);
  }

  /**
   * The same choice as sample() (same seed → same text), with the vocabulary-wide part done by the candidate finder
   * when there is one: its candidates decide the nucleus whenever they hold it; otherwise the exact pass runs.
   */
  async next(logits: Float32Array, previous?: Iterable<number>): Promise<number> {
    const penalised = this.applyRepetitionPenalty(logits, previous);
    if (!(this.opts.temperature > 0)) return argmax(penalised);
    if (!this.candidates) return this.exact(penalised);
    if (this.skip > 0) {
      this.skip--;
      return this.exact(penalised);
    }
    this.paths.finderCalls++;
    const kept = nucleusFromCandidates(await this.candidates.find(penalised, this.opts.temperature), this.limits);
    if (typeof kept === 'string') {
      if (kept === 'short') { // a 'close' row takes the exact pass for this row only: no sitting out
        this.skip = this.nextSkip;
        this.nextSkip = Math.min(this.nextSkip * 2, MAX_SKIP);
      }
      return this.exact(penalised);
    }
    this.nextSkip = 1;
    this.paths.candidates++;
    let u = this.rng() * kept.mass;
    for (let i = 0; i < kept.ids.length; i++) {
      u -= kept.weights[i];
      if (u < 0) return kept.ids[i];
    }
    return kept.ids[kept.ids.length - 1];
  }

  private exact(logits: Float32Array): number {
    this.paths.exact++;
    const kept = nucleus(logits, this.limits, this.scratch);
    return draw(this.scratch, kept, logits.length, this.rng() * kept.mass);
  }

  /** Each distinct id once. A Set is used as it is: the generator keeps one up to date rather than rebuild it per token. */
  private applyRepetitionPenalty(logits: Float32Array, previous?: Iterable<number>): Float32Array {
    const penalty = this.opts.repetitionPenalty;
    if (!penalty || penalty === 1 || !previous) return logits;
    const out = new Float32Array(logits);
    for (const id of previous instanceof Set ? previous : new Set(previous)) {
      if (id < 0 || id >= out.length) continue;
      out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty;
    }
    return out;
  }
}
