/**
 * Finding NaN and ±infinity in raw little-endian float bytes by their exponent bits (all set: NaN or ±Inf), so a
 * damaged weight is named where it is read (a checkpoint by the converter, a model folder when it is added) instead
 * of surfacing as garbage text at the first chat.
 */

export type FloatKind = 'F32' | 'F16' | 'BF16' | 'F64';

export const FLOAT_KIND_BYTES: Record<FloatKind, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/**
 * Exponent masks of the value in the low and the high half of a little-endian 32-bit word (one value fills a float32
 * word); the data is tested a word at a time, the fastest loop V8 makes of it (as fast as summing the floats).
 */
const WORD_MASKS: Record<Exclude<FloatKind, 'F64'>, { low: number; high: number }> = {
  F32: { low: 0x7f800000, high: 0x7f800000 },
  F16: { low: 0x7c00, high: 0x7c000000 },
  BF16: { low: 0x7f80, high: 0x7f800000 },
};

function firstBadWord(words: Int32Array, low: number, high: number): number {
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if ((word & low) === low || (word & high) === high) return i;
  }
  return -1;
}

function firstBadDouble(values: Float64Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Index of the first NaN or infinite value in `bytes` read as `kind`, or -1 when every value is finite. */
export function firstNonFinite(bytes: Uint8Array, kind: FloatKind): number {
  const alignment = kind === 'F64' ? 8 : 4;
  // typed-array views need aligned offsets; a protobuf field's bytes may start anywhere (a copy, not Buffer#slice's view)
  const aligned = bytes.byteOffset % alignment === 0 ? bytes : new Uint8Array(bytes);
  if (kind === 'F64') return firstBadDouble(new Float64Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 8)));
  const { low, high } = WORD_MASKS[kind];
  const word = firstBadWord(new Int32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4)), low, high);
  if (kind === 'F32') return word;
  const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 2));
  const bad = (i: number) => (halves[i] & low) === low;
  if (word >= 0) return bad(2 * word) ? 2 * word : 2 * word + 1; // little-endian: the low half is the first value
  const last = halves.length - 1;
  return halves.length % 2 === 1 && bad(last) ? last : -1; // an odd count leaves one value outside the words
}
