/**
 * The one module for 16-bit floats: IEEE float16 and bfloat16 ⇄ float32, scalars, arrays and lookup tables.
 * JS has no 16-bit float arrays: fp16 and bf16 values travel as their raw bits in a Uint16Array.
 *
 * One rule for float16, on every path (converter, training, export, graph constants): round to nearest even, and a
 * finite value too large for float16 (|x| ≥ 65520, which IEEE rounds to inf) SATURATES to ±65504 — it never becomes
 * inf, because one inf weight turns every dot product it touches into inf/nan while a clipped outlier is merely a
 * small error (model exporters do the same). Real ±inf stays ±inf, nan stays a quiet nan with its sign, values below
 * half the smallest subnormal (2^-25) become ±0 with their sign, subnormals are rounded exactly.
 */

const F16_MAX_BITS = 0x7bff; // 65504
const F16_INF_BITS = 0x7c00;

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

// ---- float16 ------------------------------------------------------------------------------------------------------

/** float32 bit pattern → float16 bit pattern (the rule above). */
export function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | F16_INF_BITS;
  const saturated = sign | F16_MAX_BITS;
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return saturated;
  if (e <= 0) return sign | roundSubnormal(mant | 0x800000, e, exp);
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half >= F16_INF_BITS ? saturated : sign | half;
}

// Result is in units of 2^-24 (may round up to 0x400, the smallest normal: the bit layout makes that correct).
function roundSubnormal(significand: number, e: number, exp: number): number {
  if (exp === 0 || e < -10) return 0; // float32 subnormals and anything < 2^-25 round to zero
  const shift = 14 - e; // 14..24
  let half = significand >>> shift;
  const rem = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rem > halfway || (rem === halfway && half & 1)) half++;
  return half;
}

/** A number (rounded to float32 first) → float16 bits. */
export function f32ToF16Bits(x: number): number {
  scratchF32[0] = x;
  return f32BitsToF16Bits(scratchU32[0]);
}

let f16ToF32Table: Float32Array | undefined;

/** float16 bits → value (exact; subnormals, inf and nan included). */
export function f16BitsToF32(h: number): number {
  f16ToF32Table ??= buildF16ToF32Table();
  return f16ToF32Table[h & 0xffff];
}

function buildF16ToF32Table(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) table[h] = sign * mant * 2 ** -24;
    else if (exp === 31) table[h] = mant ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return table;
}

export function f16ToF32Array(bits: Uint16Array): Float32Array {
  f16ToF32Table ??= buildF16ToF32Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16ToF32Table[bits[i]];
  return out;
}

export function f32ToF16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

let bf16ToF16: Uint16Array | undefined;

/** Lookup table bf16 bits → fp16 bits: bf16 has only 65,536 patterns, so a table is exact and fast. */
export function bf16ToF16Table(): Uint16Array {
  if (!bf16ToF16) {
    bf16ToF16 = new Uint16Array(65536);
    for (let b = 0; b < 65536; b++) bf16ToF16[b] = f32BitsToF16Bits((b << 16) >>> 0);
  }
  return bf16ToF16;
}

export interface ConversionCounts {
  /** Finite values whose magnitude exceeded float16's range (saturated to ±65504). */
  overflowed: number;
  /** Non-zero values that became ±0. */
  flushedToZero: number;
}

/** bf16 → fp16 over a buffer of bf16 bit patterns, counting overflows and underflows for the manifest. */
export function convertBf16ToF16(src: Uint16Array, dst: Uint16Array, counts?: ConversionCounts): void {
  const table = bf16ToF16Table();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  if (counts) countLosses(src, dst, counts, 16);
}

/** fp32 → fp16 over a buffer. */
export function convertF32ToF16(src: Float32Array, dst: Uint16Array, counts?: ConversionCounts): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) dst[i] = f32BitsToF16Bits(bits[i]);
  if (counts) countLosses(bits, dst, counts, 0);
}

// srcShift: how far the source bits sit below float32's (16 for bf16 stored in 16 bits, 0 for float32).
function countLosses(src: Uint16Array | Uint32Array, dst: Uint16Array, counts: ConversionCounts, srcShift: number): void {
  for (let i = 0; i < src.length; i++) {
    const h = dst[i] & 0x7fff;
    if (h === 0) {
      if (((src[i] << srcShift) & 0x7fffffff) !== 0) counts.flushedToZero++;
    } else if (h === F16_MAX_BITS) {
      const exp = ((src[i] << srcShift) >>> 23) & 0xff;
      if (exp !== 0xff && exp - 112 >= 30 && isBeyondF16((src[i] << srcShift) >>> 0)) counts.overflowed++;
    }
  }
}

function isBeyondF16(f32bits: number): boolean {
  scratchU32[0] = f32bits;
  return Math.abs(scratchF32[0]) >= 65520;
}

// ---- bfloat16 -----------------------------------------------------------------------------------------------------

/** bfloat16 bits → float32 (exact: bf16 is the top half of an f32). */
export function bf16BitsToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN, inf stays inf. */
export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff; // NaN: keep sign, force quiet bit
  const roundingBias = 0x7fff + ((x >>> 16) & 1);
  return ((x + roundingBias) >>> 16) & 0xffff;
}

export function bf16ToF32Array(bits: Uint16Array): Float32Array {
  const widened = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) widened[i] = bits[i] << 16;
  return new Float32Array(widened.buffer);
}

/** bf16 bits → float32 values into an existing buffer (exact). */
export function bf16ToF32Into(src: Uint16Array, dst: Float32Array): void {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) bits[i] = (src[i] << 16) >>> 0;
}

export function f32ToBf16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToBf16Bits(values[i]);
  return out;
}
