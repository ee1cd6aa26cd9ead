import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32, bf16ToF16Table, convertBf16ToF16, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, type ConversionCounts,
} from './float16';

// Independent float64 reference: decode every finite float16 with Math.pow, then pick the nearest by binary search,
// ties to the even bit pattern. Nothing here shares code with the converter.
const finiteF16 = (() => {
  const values: { v: number; bits: number }[] = [];
  for (let bits = 0; bits < 0x7c00; bits++) {
    const exp = bits >> 10;
    const mant = bits & 0x3ff;
    const v = exp === 0 ? mant * Math.pow(2, -24) : (1 + mant / 1024) * Math.pow(2, exp - 15);
    values.push({ v, bits });
  }
  return values; // ascending in both v and bits
})();

function referenceF16Bits(v: number): number | 'nan' {
  if (Number.isNaN(v)) return 'nan';
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  // IEEE: anything ≥ 65504 + half an ulp (65520) rounds to inf.
  if (a >= 65520) return sign | 0x7bff; // the one rule: saturate, never inf
  let lo = 0;
  let hi = finiteF16.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (finiteF16[mid].v <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - finiteF16[lo].v;
  const dHi = finiteF16[hi].v - a;
  const pick = dLo < dHi ? lo : dHi < dLo ? hi : finiteF16[lo].bits % 2 === 0 ? lo : hi;
  return sign | finiteF16[pick].bits;
}

function bf16Value(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

describe('bf16 → fp16', () => {
  it('matches a float64 nearest-even reference on all 65,536 bf16 patterns', () => {
    const table = bf16ToF16Table();
    let mismatches = 0;
    for (let b = 0; b < 65536; b++) {
      const expected = referenceF16Bits(bf16Value(b));
      const got = table[b];
      if (expected === 'nan') {
        if ((got & 0x7c00) !== 0x7c00 || (got & 0x3ff) === 0 || (got & 0x8000) !== (b & 0x8000)) mismatches++;
      } else if (got !== expected) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('handles the edge cases explicitly', () => {
    const t = bf16ToF16Table();
    expect(t[0x7f80]).toBe(0x7c00); // +inf
    expect(t[0xff80]).toBe(0xfc00); // -inf
    expect(t[0x7fc0] & 0x7e00).toBe(0x7e00); // quiet nan
    expect(t[0x8000]).toBe(0x8000); // -0 keeps its sign
    expect(t[0x4780]).toBe(0x7bff); // 65536 saturates to 65504
    expect(f16BitsToF32(t[0x3380])).toBe(2 ** -24); // 2^-24: smallest subnormal, exact
    expect(t[0x3300]).toBe(0); // 2^-25: tie → even (zero)
    expect(t[0x3340]).toBe(1); // 1.5·2^-25 rounds up to the smallest subnormal
  });

  it('counts overflowed and flushed values', () => {
    const src = new Uint16Array([0x3f80, 0x4780, 0xc780, 0x0001, 0x2000, 0x0000, 0x7f80]);
    const dst = new Uint16Array(src.length);
    const counts: ConversionCounts = { overflowed: 0, flushedToZero: 0 };
    convertBf16ToF16(src, dst, counts);
    expect(counts).toEqual({ overflowed: 2, flushedToZero: 2 });
    expect(f16BitsToF32(dst[0])).toBe(1);
  });
});

describe('fp32 → fp16', () => {
  it('rounds like the reference on random and edge values', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const values = [0, -0, 1, 65504, 65519.99, 65520, 1e-8, 2 ** -24, 3 * 2 ** -26, 6.1e-5, Infinity, -Infinity];
    for (let i = 0; i < 20000; i++) values.push(Math.fround((rand() - 0.5) * 2 ** (rand() * 40 - 28)));
    for (const v of values) {
      expect(f32ToF16Bits(v)).toBe(referenceF16Bits(Math.fround(v)));
    }
  });

  it('decodes every finite float16 pattern back to the same bits', () => {
    for (let h = 0; h < 0x7c00; h++) expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
  });
});

describe('bf16', () => {
  it('is exact for values that fit and widens by shifting', () => {
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc000)).toBe(-2);
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(-2)).toBe(0xc000);
  });
  it('rounds to nearest even', () => {
    // 1 + 2^-8 lies exactly between bf16 neighbours 1 (even) and 1 + 2^-7: ties to 1.
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    // 1 + 3·2^-8 lies between 1 + 2^-7 (odd) and 1 + 2^-6 (even): ties up.
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -15)).toBe(0x3f81);
  });
  it('keeps inf and NaN', () => {
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN)))).toBe(true);
    // A NaN whose payload lives only in the low bits must not become inf.
    const f = new Float32Array(1);
    new Uint32Array(f.buffer)[0] = 0x7f800001;
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(f[0])))).toBe(true);
  });
});

describe('f16', () => {
  it('converts normals, extremes and zero', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2.5)).toBe(0xc100);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x3555)).toBeCloseTo(0.333251953125, 12);
  });
  it('saturates overflow to ±65504 (never inf), keeps inf and NaN', () => {
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7bff);
    expect(f32ToF16Bits(-1e6)).toBe(0xfbff);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN)))).toBe(true);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
  });
  it('handles subnormals with round to nearest even', () => {
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 → even (2)
    expect(f32ToF16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(f32ToF16Bits(1023 * 2 ** -24)).toBe(0x03ff);
    expect(f32ToF16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(f32ToF16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up from subnormal into the normal range
  });
  it('round-trips every finite half exactly', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent !== 0x1f && f32ToF16Bits(f16BitsToF32(bits)) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });
});
