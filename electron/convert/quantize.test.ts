import { describe, expect, it } from 'vitest';
import { checkBlockSize, dequantizeMatMulNBits, quantizeMatMulNBits, zeroPointAt } from './quantize';
import { f16BitsToF32, f32ToF16Bits } from '../util/float16';

function randomWeight(N: number, K: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const w = new Float32Array(N * K);
  for (let i = 0; i < w.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    w[i] = (s / 2 ** 32 - 0.5) * 0.2;
  }
  return w;
}

// Largest |w − ŵ| allowed in a block: half a quantization step (+ rounding slack), where the step is the block's scale.
function maxErrorPerBlock(w: Float32Array, wq: Float32Array, N: number, K: number, bs: number, symmetric: boolean) {
  let worstRatio = 0;
  for (let n = 0; n < N; n++) {
    for (let k0 = 0; k0 < K; k0 += bs) {
      let mn = 0;
      let mx = 0;
      let amax = 0;
      let err = 0;
      for (let k = k0; k < Math.min(K, k0 + bs); k++) {
        const v = w[n * K + k];
        mn = Math.min(mn, v);
        mx = Math.max(mx, v);
        amax = Math.max(amax, Math.abs(v));
        err = Math.max(err, Math.abs(v - wq[n * K + k]));
      }
      // Symmetric: step = amax/8, values of the opposite sign can clip by up to one step at the far end.
      const step = symmetric ? amax / 8 : (mx - mn) / 15;
      const bound = symmetric ? step : step / 2 + step / 2; // asym: half a step + zero-point rounding
      if (step > 0) worstRatio = Math.max(worstRatio, err / bound);
      else expect(err).toBe(0);
    }
  }
  return worstRatio;
}

describe('MatMulNBits quantization', () => {
  it('packs nibbles in the documented order (even row low, odd row high) and scale = extreme / −8', () => {
    // One column, one block of 16: values −8..7 times 0.5 with the extreme −4 → scale 0.5, q = k.
    const K = 16;
    const w = Float32Array.from({ length: K }, (_, k) => (k - 8) * -0.5);
    // w[0] = 4 is the largest magnitude → scale = 4 / −8 = −0.5, q = w/scale + 8 = k.
    const q = quantizeMatMulNBits(w, 1, K, { blockSize: 16, symmetric: true });
    expect(q.scales[0]).toBe(-0.5);
    expect(Array.from(q.packed)).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(Array.from(dequantizeMatMulNBits(q))).toEqual(Array.from(w));
  });

  for (const symmetric of [true, false]) {
    it(`round-trips within one quantization step (${symmetric ? 'symmetric' : 'asymmetric'})`, () => {
      const [N, K, bs] = [24, 256, 32];
      const w = randomWeight(N, K, 1);
      const q = quantizeMatMulNBits(w, N, K, { blockSize: bs, symmetric });
      expect(q.packed.length).toBe(N * (K / bs) * (bs / 2));
      expect(q.scales.length).toBe(N * (K / bs));
      expect(q.zeroPoints?.length).toBe(symmetric ? undefined : N * Math.ceil(K / bs / 2));
      const ratio = maxErrorPerBlock(w, dequantizeMatMulNBits(q), N, K, bs, symmetric);
      expect(ratio).toBeGreaterThan(0.3); // the bound is tight enough to mean something
      expect(ratio).toBeLessThanOrEqual(1.0001);
    });
  }

  it('asymmetric is more accurate than symmetric on one-sided data', () => {
    const [N, K] = [8, 128];
    const w = randomWeight(N, K, 2).map((v) => Math.abs(v) + 0.05);
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - w[i]) ** 2, 0) / a.length);
    const sym = rms(dequantizeMatMulNBits(quantizeMatMulNBits(w, N, K, { symmetric: true })));
    const asym = rms(dequantizeMatMulNBits(quantizeMatMulNBits(w, N, K, { symmetric: false })));
    expect(asym).toBeLessThan(sym * 0.75);
  });

  it('pads K that is not a multiple of the block with zeros', () => {
    const [N, K, bs] = [5, 80, 32]; // 3 blocks, the last one half padding
    const w = randomWeight(N, K, 3);
    const q = quantizeMatMulNBits(w, N, K, { blockSize: bs, symmetric: false });
    expect(q.kBlocks).toBe(3);
    expect(q.packed.length).toBe(N * 3 * 16);
    expect(q.zeroPoints!.length).toBe(N * 2);
    // Padded rows dequantize to (q − zp)·scale with q = zp: exactly zero.
    for (let n = 0; n < N; n++) {
      for (let i = K - 64; i < 32; i++) {
        const byte = q.packed[(n * 3 + 2) * 16 + (i >> 1)];
        expect(i & 1 ? byte >> 4 : byte & 15).toBe(zeroPointAt(q, n, 2));
      }
    }
    expect(maxErrorPerBlock(w, dequantizeMatMulNBits(q), N, K, bs, false)).toBeLessThanOrEqual(1.0001);
  });

  it('keeps an all-zero block exactly zero (no division by zero, no nan)', () => {
    const [N, K] = [2, 64];
    const w = randomWeight(N, K, 4);
    w.fill(0, 0, 32); // first block of column 0
    for (const symmetric of [true, false]) {
      const q = quantizeMatMulNBits(w, N, K, { blockSize: 32, symmetric });
      expect(q.scales[0]).toBe(0);
      const back = dequantizeMatMulNBits(q);
      expect(Array.from(back.slice(0, 32)).every((v) => v === 0)).toBe(true);
      expect(back.every((v) => Number.isFinite(v))).toBe(true);
    }
  });

  it('rounds scales to float16 before quantizing when A is float16 (q4f16), so dequantize is exact in fp16', () => {
    const [N, K] = [4, 64];
    const w = randomWeight(N, K, 5);
    const q = quantizeMatMulNBits(w, N, K, { scaleDtype: 'float16' });
    for (const s of q.scales) expect(f16BitsToF32(f32ToF16Bits(s))).toBe(s);
    expect(maxErrorPerBlock(w, dequantizeMatMulNBits(q), N, K, 32, true)).toBeLessThanOrEqual(1.01);
  });

  it('rejects block sizes that are not powers of two ≥ 16 and mismatched lengths', () => {
    expect(() => checkBlockSize(24)).toThrow(/power of two/);
    expect(() => checkBlockSize(8)).toThrow(/power of two/);
    expect(() => quantizeMatMulNBits(new Float32Array(10), 2, 4)).toThrow(/expected N·K/);
  });
});
