import { describe, expect, it } from 'vitest';
import { Sampler, argmax, candidateDistribution, createRng, expNeg } from './sampler';

const logitsOf = (probs: number[]) => Float32Array.from(probs.map((p) => Math.log(p)));

function frequencies(sampler: Sampler, logits: Float32Array, draws: number): number[] {
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits)]++;
  return counts.map((c) => c / draws);
}

describe('expNeg (the weights of both sampling paths)', () => {
  it('stays within 1e-14 of Math.exp over the range the sampler uses, and never rises as d grows', () => {
    const r = createRng(21);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      const d = r() * 37;
      worst = Math.max(worst, Math.abs(expNeg(d) - Math.exp(-d)) / Math.exp(-d));
    }
    for (const d of [0, Math.LN2 / 256, Math.LN2, 1, 36.999999]) worst = Math.max(worst, Math.abs(expNeg(d) - Math.exp(-d)) / Math.exp(-d));
    expect(worst).toBeLessThan(1e-14);
    expect(expNeg(0)).toBe(1);
    // float32 logits differ by at least one float32 ulp: the order of their weights is the order of the logits
    let rises = 0;
    for (let i = 0; i < 100_000; i++) {
      const d = r() * 37;
      if (!(expNeg(d * (1 + 1e-9)) < expNeg(d))) rises++;
    }
    expect(rises).toBe(0);
  });
});

describe('candidateDistribution', () => {
  const probs = [0.5, 0.3, 0.15, 0.05];

  it('temperature 1, top-p 1 returns the softmax', () => {
    const d = candidateDistribution(logitsOf(probs), { temperature: 1, topP: 1 });
    expect(d.map((c) => c.id)).toEqual([0, 1, 2, 3]);
    d.forEach((c, i) => expect(c.prob).toBeCloseTo(probs[i], 6));
  });

  it('top-p keeps the smallest prefix with mass ≥ p and renormalises', () => {
    const d = candidateDistribution(logitsOf(probs), { temperature: 1, topP: 0.8 });
    expect(d.map((c) => c.id)).toEqual([0, 1]);
    expect(d[0].prob).toBeCloseTo(0.625, 6);
    expect(d[1].prob).toBeCloseTo(0.375, 6);
    expect(candidateDistribution(logitsOf(probs), { temperature: 1, topP: 0.81 }).length).toBe(3);
  });

  it('temperature 0.5 squares the probabilities', () => {
    const d = candidateDistribution(logitsOf(probs), { temperature: 0.5, topP: 1 });
    const sq = probs.map((p) => p * p);
    const z = sq.reduce((a, b) => a + b, 0);
    d.forEach((c) => expect(c.prob).toBeCloseTo(sq[c.id] / z, 6));
  });

  it('top-k truncates', () => {
    const d = candidateDistribution(logitsOf(probs), { temperature: 1, topP: 1, topK: 3 });
    expect(d.map((c) => c.id)).toEqual([0, 1, 2]);
    expect(d[2].prob).toBeCloseTo(0.15 / 0.95, 6);
  });

  it('is exact on a large flat-ish vocabulary (threshold lowering path)', () => {
    const n = 5000;
    const logits = new Float32Array(n).map((_, i) => -i * 1e-4); // nearly uniform: nucleus is most of the vocab
    const d = candidateDistribution(logits, { temperature: 1, topP: 0.95 });
    // reference: full sort
    const w = Array.from(logits, (l) => Math.exp(l));
    const total = w.reduce((a, b) => a + b, 0);
    let mass = 0;
    let k = 0;
    while (mass < 0.95 * total) mass += w[k++];
    expect(d.length).toBe(k);
  });

  it('is exact when thousands of tokens share the bucket the nucleus ends in (sub-buckets), with ties ordered by id', () => {
    const n = 151_936;
    const r = createRng(11);
    // a random-weight model's row: Gaussian-ish logits, so the cut bucket holds thousands of tokens; some exact ties
    const logits = Float32Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 0.5 : (r() + r() + r() - 1.5) * 2));
    for (const opts of [{ temperature: 0.6, topP: 0.95 }, { temperature: 1, topP: 0.5 }, { temperature: 0.6, topP: 1, topK: 40_000 }]) {
      const got = candidateDistribution(logits, opts).map((c) => c.id);
      // reference: the whole vocabulary sorted by (weight desc, id asc), then top-k, then the smallest prefix ≥ p
      const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
      const invT = 1 / opts.temperature;
      const w = Array.from(logits, (l) => Math.exp(-((max - l) * invT)));
      const order = Array.from(w.keys()).sort((a, b) => w[b] - w[a] || a - b).slice(0, opts.topK ?? n);
      const total = order.reduce((sum, i) => sum + w[i], 0);
      let mass = 0;
      let k = 0;
      while (k < order.length && mass < opts.topP * total) mass += w[order[k++]];
      const expected = order.slice(0, opts.topP >= 1 ? order.length : k);
      expect(got.length).toBe(expected.length);
      expect(got).toEqual(expected);
    }
  });
});

describe('Sampler', () => {
  it('greedy (temperature 0) picks the argmax', () => {
    const s = new Sampler({ temperature: 0, topP: 0.95 });
    expect(s.sample(Float32Array.from([0.1, 3, 2.9, -1]))).toBe(1);
    expect(argmax([1, 5, 5])).toBe(1);
  });

  it('draws match the distribution (top-p 0.8 → 0.625 / 0.375)', () => {
    const f = frequencies(new Sampler({ temperature: 1, topP: 0.8, seed: 7 }), logitsOf([0.5, 0.3, 0.15, 0.05]), 20000);
    expect(Math.abs(f[0] - 0.625)).toBeLessThan(0.015);
    expect(Math.abs(f[1] - 0.375)).toBeLessThan(0.015);
    expect(f[2] + f[3]).toBe(0);
  });

  it('the same seed gives the same sequence; another seed another', () => {
    const logits = new Float32Array(1000).map((_, i) => Math.sin(i) * 2);
    const seq = (seed: number) => {
      const s = new Sampler({ temperature: 0.6, topP: 0.95, seed });
      return Array.from({ length: 50 }, () => s.sample(logits));
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
  });

  it('repetition penalty is off by default and lowers repeated tokens when set', () => {
    const logits = Float32Array.from([2, 1.9]);
    expect(new Sampler({ temperature: 0, topP: 1 }).sample(logits, [0])).toBe(0);
    expect(new Sampler({ temperature: 0, topP: 1, repetitionPenalty: 1.2 }).sample(logits, [0])).toBe(1);
  });

  it('repetition penalty: the set of ids so far (what the generator keeps) chooses as the list with repeats does', () => {
    const logits = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 3);
    const history = Array.from({ length: 400 }, (_, i) => (i * 13) % 40);
    const draw = (previous: Iterable<number>) => {
      const sampler = new Sampler({ temperature: 0.8, topP: 0.9, repetitionPenalty: 1.3, seed: 5 });
      return Array.from({ length: 20 }, () => sampler.sample(logits, previous));
    };
    expect(draw(new Set(history))).toEqual(draw(history));
    expect(new Sampler({ temperature: 0, topP: 1, repetitionPenalty: 1.2 }).sample(Float32Array.from([2, 1.9]), new Set([0]))).toBe(1);
  });

  it('never draws a token below the cut-off from a weight left over by an earlier row (top-p 1, one shared scratch)', () => {
    const vocab = 4096;
    const sampler = new Sampler({ temperature: 1, topP: 1, seed: 3 });
    const level = new Float32Array(vocab); // every weight 1
    const steep = Float32Array.from({ length: vocab }, (_, i) => (i >= vocab - 8 ? 0 : -100)); // all but the last 8 beyond e^-37
    for (let step = 0; step < 200; step++) {
      sampler.sample(level);
      expect(sampler.sample(steep)).toBeGreaterThanOrEqual(vocab - 8);
    }
  });

  it('a flat row draws each kept token as often as its probability (half the vocabulary kept, the draw without branches)', () => {
    const r = createRng(11);
    const logits = Float32Array.from({ length: 2000 }, () => (r() + r() + r() - 1.5) * 2);
    const opts = { temperature: 0.6, topP: 0.95 };
    const expected = new Map(candidateDistribution(logits, opts).map((c) => [c.id, c.prob]));
    expect(expected.size).toBeGreaterThan(500);
    expect(expected.size).toBeLessThan(1500);
    const sampler = new Sampler({ ...opts, seed: 9 });
    const draws = 60_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < draws; i++) {
      const id = sampler.sample(logits);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of counts.keys()) expect(expected.has(id)).toBe(true);
    // the cumulative share in id order against the exact one: a draw walking the wrong tokens shifts it
    let seen = 0;
    let want = 0;
    let worst = 0;
    for (const [id, p] of [...expected].sort((a, b) => a[0] - b[0])) {
      seen += (counts.get(id) ?? 0) / draws;
      want += p;
      worst = Math.max(worst, Math.abs(seen - want));
    }
    expect(worst).toBeLessThan(0.012);
  });

  it('rng is uniform enough', () => {
    const r = createRng(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) sum += r();
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.02);
  });
});

describe('candidates decided natively (TopK + log-sum-exp in ONNX Runtime)', () => {
  const vocab = 151_936;
  // a peaked row like a real model's next-token distribution, from a seeded generator
  const peaked = (seed: number) => {
    const r = createRng(seed);
    return Float32Array.from({ length: vocab }, (_, i) => (i % 997 === seed % 997 ? 12 : 0) + r() * 4 + (r() < 0.001 ? 6 : 0));
  };

  it('gives exactly the exact pass tokens for the same seed, and falls back on flat rows', async () => {
    const { OrtCandidateFinder } = await import('./candidates');
    const finder = await OrtCandidateFinder.create(vocab);
    const opts = { temperature: 0.6, topP: 0.95 };
    for (const seed of [1, 2, 3]) {
      const logits = peaked(seed);
      const fast = new Sampler({ ...opts, seed }, finder);
      const exact = new Sampler({ ...opts, seed });
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 40; i++) {
        a.push(await fast.next(logits));
        b.push(exact.sample(logits));
      }
      expect(a).toEqual(b);
      expect(fast.paths.candidates).toBe(40);
    }
    // flat: the nucleus is most of the vocabulary, the candidates cannot hold it → exact pass, same tokens
    const flat = Float32Array.from({ length: vocab }, (_, i) => Math.sin(i));
    const fast = new Sampler({ ...opts, seed: 9 }, finder);
    const exact = new Sampler({ ...opts, seed: 9 });
    for (let i = 0; i < 5; i++) expect(await fast.next(flat)).toBe(exact.sample(flat));
    expect(fast.paths.exact).toBe(5);
    // a long flat stretch: the finder is asked less and less (it cannot hold the nucleus), the tokens stay the exact ones
    const stretch = new Sampler({ ...opts, seed: 4 }, finder);
    const reference = new Sampler({ ...opts, seed: 4 });
    for (let i = 0; i < 100; i++) expect(await stretch.next(flat)).toBe(reference.sample(flat));
    expect(stretch.paths.finderCalls).toBeLessThanOrEqual(8);
    // a peaked row afterwards is decided by the candidates again once the skip runs out
    const peakedRow = peaked(1);
    for (let i = 0; i < 40; i++) expect(await stretch.next(peakedRow)).toBe(reference.sample(peakedRow));
    expect(stretch.paths.candidates).toBeGreaterThan(0);
    await finder.release();
  }, 60_000);

  it('top-k within the candidates is decided by them; the distribution of draws is the exact one', async () => {
    const { OrtCandidateFinder } = await import('./candidates');
    const finder = await OrtCandidateFinder.create(4, 4);
    const s = new Sampler({ temperature: 1, topP: 0.8, seed: 5 }, finder);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[await s.next(logitsOf([0.5, 0.3, 0.15, 0.05]))]++;
    expect(Math.abs(counts[0] / 4000 - 0.625)).toBeLessThan(0.03);
    expect(counts[2] + counts[3]).toBe(0);
    const k = new Sampler({ temperature: 1, topP: 1, topK: 2, seed: 5 }, finder);
    for (let i = 0; i < 50; i++) expect([0, 1]).toContain(await k.next(logitsOf([0.5, 0.3, 0.15, 0.05])));
    expect(k.paths.candidates).toBe(50);
    await finder.release();
  }, 60_000);

  it('decides from the candidates a cut 1e-6 from the target (the sum is float64), with the exact pass tokens', async () => {
    const { OrtCandidateFinder } = await import('./candidates');
    const n = 1000;
    const r = createRng(11);
    const logits = Float32Array.from({ length: n }, (_, i) => (i < 20 ? 8 - i * 0.3 : r() * 2));
    const sorted = [...logits].sort((a, b) => b - a);
    const weights = sorted.map((v) => Math.exp(v - sorted[0]));
    const total = weights.reduce((a, b) => a + b, 0);
    const upTo = (k: number) => weights.slice(0, k + 1).reduce((a, b) => a + b, 0);
    // the nucleus ends at the 12th token, its mass 2e-6 (relative) above top-p × the sum
    const topP = (upTo(11) * (1 - 2e-6)) / total;
    expect(upTo(10)).toBeLessThan(topP * total);
    const finder = await OrtCandidateFinder.create(n, 64);
    const fast = new Sampler({ temperature: 1, topP, seed: 2 }, finder);
    const exact = new Sampler({ temperature: 1, topP, seed: 2 });
    for (let i = 0; i < 50; i++) expect(await fast.next(logits)).toBe(exact.sample(logits));
    expect(fast.paths).toEqual({ candidates: 50, exact: 0, finderCalls: 50 });
    await finder.release();
  }, 60_000);

  it('sits out after candidates too few for the nucleus, not after a cut too close to call', async () => {
    const { OrtCandidateFinder } = await import('./candidates');
    const finder = await OrtCandidateFinder.create(6, 3);
    const opts = { temperature: 1, topP: 0.6, seed: 3 };
    const s = new Sampler(opts, finder);
    const reference = new Sampler(opts);
    // five equal tokens: the top 3 hold the nucleus and its cut (3 of 5) lands exactly on the target
    const close = Float32Array.of(0, 0, 0, 0, 0, -100);
    const clear = logitsOf([0.5, 0.3, 0.1, 0.05, 0.03, 0.02]);
    const short = logitsOf([1, 1, 1, 1, 1, 1].map((w) => w / 6)); // the top 3 hold 0.5
    expect(await s.next(close)).toBe(reference.sample(close));
    expect(s.paths).toEqual({ candidates: 0, exact: 1, finderCalls: 1 });
    expect(await s.next(clear)).toBe(reference.sample(clear)); // asked again at once
    expect(s.paths).toEqual({ candidates: 1, exact: 1, finderCalls: 2 });
    expect(await s.next(short)).toBe(reference.sample(short));
    expect(await s.next(clear)).toBe(reference.sample(clear)); // sat out: the exact pass, the finder not asked
    expect(s.paths).toEqual({ candidates: 1, exact: 3, finderCalls: 3 });
    await finder.release();
  }, 60_000);
});
