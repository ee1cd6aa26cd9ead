/**
 * mulberry32: a tiny, fast 32-bit PRNG, uniform in [0, 1). The same seed gives the same stream on every machine,
 * which both sampling (seeded generations) and test fixtures (seeded weights) rely on.
 * (Training uses xoshiro128** in electron/train/rng.ts because its whole state must fit in a checkpoint.)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
