/**
 * The blocked-Vᵀ cache layout the attention benches compare: rows [rows, d] held transposed in blocks of `block`
 * rows, [rows / block, d, block], so that each block is the A operand of a MatMul (read in place). `x` holds whole
 * blocks of rows.
 */
export function transposedBlocks(x: Float32Array, d: number, block: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) for (let c = 0; c < d; c++) t[Math.floor(r / block) * d * block + c * block + (r % block)] = x[r * d + c];
  return t;
}
