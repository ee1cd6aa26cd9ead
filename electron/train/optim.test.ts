import { describe, expect, it } from 'vitest';
import { adamwStep, clipGradNorm, defaultAdamW, globalNorm, newAdamWState } from './optim';
import { packBatch } from './packing';
import { Rng } from './rng';
import { lrAt } from './schedule';

describe('AdamW', () => {
  it('matches the torch.optim.AdamW update written out by hand for two steps', () => {
    const p = new Map([['w', Float32Array.from([1, -2])]]);
    const state = newAdamWState(p);
    const cfg = { ...defaultAdamW, weightDecay: 0.1 };
    const lr = 0.01;
    const g1 = Float32Array.from([0.5, -1]);
    const g2 = Float32Array.from([0.25, 2]);
    adamwStep(p, new Map([['w', g1]]), state, cfg, lr);
    adamwStep(p, new Map([['w', g2]]), state, cfg, lr);
    // reference in float64: p ← p(1 − lr·wd); m, v EMAs; p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps)
    const expected = [1, -2].map((p0, i) => {
      let pv = p0, m = 0, v = 0;
      for (const [t, g] of [[1, g1[i]], [2, g2[i]]]) {
        pv *= 1 - lr * 0.1;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        pv -= (lr / (1 - 0.9 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
      }
      return pv;
    });
    expect(p.get('w')![0]).toBeCloseTo(expected[0], 6);
    expect(p.get('w')![1]).toBeCloseTo(expected[1], 6);
    expect(state.step).toBe(2);
  });

  it('clips the global norm over all tensors and reports the norm before clipping', () => {
    const grads = new Map([['a', Float32Array.from([3, 0])], ['b', Float32Array.from([0, 4])]]);
    expect(clipGradNorm(grads, 1)).toBeCloseTo(5, 6);
    expect(globalNorm(grads.values())).toBeCloseTo(1, 5);
    expect(grads.get('a')![0]).toBeCloseTo(0.6, 5);
  });
});

describe('warm-up + cosine schedule', () => {
  it('rises linearly, peaks at baseLr, decays to the floor', () => {
    const cfg = { baseLr: 1e-3, warmupSteps: 4, totalSteps: 14, minLrRatio: 0.1 };
    expect(lrAt(0, cfg)).toBeCloseTo(2.5e-4, 12);
    expect(lrAt(3, cfg)).toBeCloseTo(1e-3, 12);
    expect(lrAt(4, cfg)).toBeCloseTo(1e-3, 12);
    expect(lrAt(9, cfg)).toBeCloseTo(1e-4 + 0.9e-3 * 0.5, 12);
    expect(lrAt(14, cfg)).toBeCloseTo(1e-4, 12);
  });
});

describe('seeded RNG', () => {
  it('replays exactly from a saved state', () => {
    const a = new Rng(42);
    a.permutation(10);
    const saved = a.state();
    const next = a.permutation(20);
    expect(new Rng(saved).permutation(20)).toEqual(next);
    expect(new Rng(42).permutation(10)).not.toEqual(new Rng(43).permutation(10));
  });
});

describe('packing', () => {
  it('packs records into rows with segment ids, restarting positions and next-token weights', () => {
    const records = [
      { inputIds: [1, 2, 3], targetMask: [0, 1, 1] },
      { inputIds: [4, 5], targetMask: [0, 1], weight: 2 },
      { inputIds: [6, 7, 8, 9], targetMask: [0, 0, 1, 1] },
    ];
    const { batch, cursor } = packBatch(records, [0, 1, 2], 0, 2, 5);
    expect(cursor).toBe(3);
    expect(Array.from(batch.inputIds, Number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    expect(Array.from(batch.segmentIds, Number)).toEqual([1, 1, 1, 2, 2, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.positionIds, Number)).toEqual([0, 1, 2, 0, 1, 0, 1, 2, 3, 0]);
    // position t carries the weight of predicting token t+1 of the same record; a record's last position never does
    expect(Array.from(batch.lossWeights)).toEqual([1, 1, 0, 2, 0, 0, 1, 1, 0, 0]);
    expect(batch.targetCount).toBe(5);
  });

  it('stops when the rows are full and returns where to continue', () => {
    const records = Array.from({ length: 5 }, () => ({ inputIds: [1, 2, 3], targetMask: [0, 1, 1] }));
    const { cursor } = packBatch(records, [0, 1, 2, 3, 4], 1, 1, 7);
    expect(cursor).toBe(3);
  });
});
