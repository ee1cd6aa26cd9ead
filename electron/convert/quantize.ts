// Block-wise 4-bit quantization in the exact layout of ORT's com.microsoft MatMulNBits.
//
// MatMulNBits computes A[..., K] × W[K, N]. A Hugging Face linear weight is stored [out, in] = [N, K], so row n of the
// HF tensor is column n of W: the HF layout is already "column-major W", which is what MatMulNBits packs. No transpose.
//
// Layout (onnx-runtime-notes.md):
//   B           uint8 [N, kBlocks, blockSize/2]; byte j of block b holds row b·bs+2j (low nibble) and b·bs+2j+1 (high)
//   scales      [N · kBlocks], same float type as A
//   zero_points uint8 [N, ceil(kBlocks/2)], block 2i in the low nibble (absent = 8, the symmetric case)
// K is padded with zeros up to kBlocks · blockSize.

import { f32ToF16Bits, f16BitsToF32 } from '../util/float16';

export type ScaleDtype = 'float32' | 'float16';

export interface QuantizeOptions {
  /** Power of two ≥ 16. Default DEFAULT_BLOCK_SIZE. */
  blockSize?: number;
  /** Symmetric: no zero points (zp = 8). Asymmetric (DEFAULT_SYMMETRIC) stores packed zero points. */
  symmetric?: boolean;
  /** The float type of A and the scales: scales are rounded to it BEFORE computing q, so dequantize is exact. */
  scaleDtype?: ScaleDtype;
}

export interface QuantizedWeight {
  N: number;
  K: number;
  blockSize: number;
  kBlocks: number;
  symmetric: boolean;
  scaleDtype: ScaleDtype;
  /** uint8 [N, kBlocks, blockSize/2] */
  packed: Uint8Array;
  /** [N · kBlocks]; values are exactly representable in scaleDtype. */
  scales: Float32Array;
  /** uint8 [N, ceil(kBlocks/2)]; undefined when symmetric. */
  zeroPoints?: Uint8Array;
}

/**
 * The converter's default: 64 weights per block with a zero point each. Against block 32 without zero points (Q4_0's
 * scheme) it is as accurate on heavy-tailed weights and reads 5 bits per weight at run time instead of 6 (ONNX Runtime's
 * CPU kernel keeps a float32 block sum beside each block's float32 scale), so decode is faster (README, "Block size").
 */
export const DEFAULT_BLOCK_SIZE = 64;
export const DEFAULT_SYMMETRIC = false;
export const DEFAULT_ACCURACY_LEVEL = 4;

export function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`Block size must be a power of two ≥ 16 (16, 32, 64, 128, …); got ${blockSize}.`);
  }
}

export function checkAccuracyLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 4) {
    throw new Error(`Accuracy level must be an integer from 0 to 4 (4 = int8 activations, fastest on CPU); got ${level}.`);
  }
}

/** Byte sizes of the three MatMulNBits tensors for an [N, K] weight (used for size estimates before converting). */
export function quantizedSizes(N: number, K: number, blockSize: number, symmetric: boolean, scaleBytes: number) {
  const kBlocks = Math.ceil(K / blockSize);
  return {
    kBlocks,
    packedBytes: N * kBlocks * (blockSize / 2),
    scaleBytes: N * kBlocks * scaleBytes,
    zeroPointBytes: symmetric ? 0 : N * Math.ceil(kBlocks / 2),
  };
}

// Round half away from zero, like C's roundf (what ORT's own quantizer uses).
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function toScaleDtype(x: number, dtype: ScaleDtype): number {
  return dtype === 'float16' ? f16BitsToF32(f32ToF16Bits(x)) : Math.fround(x);
}

/**
 * Quantize rows [rowStart, rowStart + rows) of an HF weight [N, K] given as float values (`weight` holds exactly those
 * rows, row-major). Writes into `out` at the matching offsets, so a big tensor can be quantized in row chunks.
 * `packedFirstRow`: the row that `out.packed` starts at — a streaming caller passes rowStart and a packed buffer
 * holding just this chunk, while scales and zero points stay whole-tensor.
 */
export function quantizeRowsInto(
  weight: ArrayLike<number>,
  rowStart: number,
  rows: number,
  out: QuantizedWeight,
  packedFirstRow = 0,
): void {
  const { K, blockSize, kBlocks, symmetric, scaleDtype } = out;
  const halfBlock = blockSize / 2;
  const zpStride = Math.ceil(kBlocks / 2);
  const block = new Float64Array(blockSize);
  for (let r = 0; r < rows; r++) {
    const n = rowStart + r;
    for (let b = 0; b < kBlocks; b++) {
      // Gather the block, zero-padded past K.
      const k0 = b * blockSize;
      for (let i = 0; i < blockSize; i++) block[i] = k0 + i < K ? weight[r * K + k0 + i] : 0;
      const { scale, zp } = symmetric ? symmetricParams(block, scaleDtype) : asymmetricParams(block, scaleDtype);
      const inv = scale === 0 ? 0 : 1 / scale;
      const base = ((n - packedFirstRow) * kBlocks + b) * halfBlock;
      for (let j = 0; j < halfBlock; j++) {
        const lo = quantizeValue(block[2 * j], inv, zp);
        const hi = quantizeValue(block[2 * j + 1], inv, zp);
        out.packed[base + j] = lo | (hi << 4);
      }
      out.scales[n * kBlocks + b] = scale;
      if (out.zeroPoints) {
        const idx = n * zpStride + (b >> 1);
        out.zeroPoints[idx] = b & 1 ? (out.zeroPoints[idx] & 0x0f) | (zp << 4) : (out.zeroPoints[idx] & 0xf0) | zp;
      }
    }
  }
}

function quantizeValue(w: number, invScale: number, zp: number): number {
  const q = roundHalfAway(w * invScale + zp);
  return q < 0 ? 0 : q > 15 ? 15 : q;
}

// scale = (value of largest magnitude, with its sign) / −8, zp = 8: that value maps exactly to q = 0.
function symmetricParams(block: Float64Array, dtype: ScaleDtype): { scale: number; zp: number } {
  let extreme = 0;
  for (let i = 0; i < block.length; i++) if (Math.abs(block[i]) > Math.abs(extreme)) extreme = block[i];
  return { scale: extreme === 0 ? 0 : toScaleDtype(extreme / -8, dtype), zp: 8 };
}

// scale = (max(mx, 0) − min(mn, 0)) / 15, zp = clamp(round(−mn / scale), 0, 15).
function asymmetricParams(block: Float64Array, dtype: ScaleDtype): { scale: number; zp: number } {
  let mn = 0;
  let mx = 0;
  for (let i = 0; i < block.length; i++) {
    if (block[i] < mn) mn = block[i];
    if (block[i] > mx) mx = block[i];
  }
  const scale = toScaleDtype((mx - mn) / 15, dtype);
  if (scale === 0) return { scale: 0, zp: 8 };
  const zp = roundHalfAway(-mn / scale);
  return { scale, zp: zp < 0 ? 0 : zp > 15 ? 15 : zp };
}

/** Allocate the output buffers for an [N, K] weight. */
export function allocQuantized(N: number, K: number, opts: QuantizeOptions = {}): QuantizedWeight {
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  checkBlockSize(blockSize);
  const symmetric = opts.symmetric ?? DEFAULT_SYMMETRIC;
  const kBlocks = Math.ceil(K / blockSize);
  return {
    N,
    K,
    blockSize,
    kBlocks,
    symmetric,
    scaleDtype: opts.scaleDtype ?? 'float32',
    packed: new Uint8Array(N * kBlocks * (blockSize / 2)),
    scales: new Float32Array(N * kBlocks),
    zeroPoints: symmetric ? undefined : new Uint8Array(N * Math.ceil(kBlocks / 2)),
  };
}

/** Quantize a whole HF weight [N, K] (row-major). */
export function quantizeMatMulNBits(weight: ArrayLike<number>, N: number, K: number, opts: QuantizeOptions = {}): QuantizedWeight {
  if (weight.length !== N * K) throw new Error(`Weight has ${weight.length} values; expected N·K = ${N}·${K} = ${N * K}.`);
  const out = allocQuantized(N, K, opts);
  quantizeRowsInto(weight, 0, N, out);
  return out;
}

/** The zero point of block b of column n (8 when symmetric). */
export function zeroPointAt(q: QuantizedWeight, n: number, b: number): number {
  if (!q.zeroPoints) return 8;
  const byte = q.zeroPoints[n * Math.ceil(q.kBlocks / 2) + (b >> 1)];
  return b & 1 ? byte >> 4 : byte & 0x0f;
}

/** Dequantize back to the HF layout [N, K] (padding dropped): w = (q − zp) · scale. */
export function dequantizeMatMulNBits(q: QuantizedWeight): Float32Array {
  const { N, K, blockSize, kBlocks } = q;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const scale = q.scales[n * kBlocks + b];
      const zp = zeroPointAt(q, n, b);
      const base = (n * kBlocks + b) * (blockSize / 2);
      for (let i = 0; i < blockSize; i++) {
        const k = b * blockSize + i;
        if (k >= K) break;
        const byte = q.packed[base + (i >> 1)];
        const nibble = i & 1 ? byte >> 4 : byte & 0x0f;
        out[n * K + k] = (nibble - zp) * scale;
      }
    }
  }
  return out;
}

/** Scales as float16 bits (for q4f16 models whose A and scales are float16). */
export function scalesAsF16Bits(q: QuantizedWeight): Uint16Array {
  const bits = new Uint16Array(q.scales.length);
  for (let i = 0; i < bits.length; i++) bits[i] = f32ToF16Bits(q.scales[i]);
  return bits;
}
