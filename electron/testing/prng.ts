/** Deterministic random numbers for fixtures: the same seed gives the same weights on every machine. */

export { mulberry32 } from '../util/prng';

/** Standard normal samples (Box–Muller) from a uniform source. */
export function gaussian(uniform: () => number): () => number {
  return () => {
    const u = 1 - uniform(); // (0, 1]: log(0) would be -Infinity
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A Float32Array of `count` normal values with the given standard deviation (and mean). */
export function normalArray(next: () => number, count: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = mean + std * next();
  return out;
}
