/**
 * Merging a LoRA adapter into base weights: W' = W + scaling · B·A, for every module the adapter names.
 */
import type { NamedTensor } from './adapter';
import { parsePeftKey } from './adapter';

/** Base weights (Hugging Face layout, linears [out, in]) with every adapted module merged; others are shared. */
export function mergeLora<T extends { shape: number[]; data: Float32Array }>(
  base: Record<string, T>, adapter: Map<string, NamedTensor>, scaling: number,
): Record<string, { shape: number[]; data: Float32Array }> {
  const merged: Record<string, { shape: number[]; data: Float32Array }> = { ...base };
  for (const [module, { a, b }] of adapterPairs(adapter)) {
    const name = `${module}.weight`;
    const weight = base[name];
    if (!weight) throw new Error(`the adapter adapts '${module}', but the base model has no tensor '${name}'`);
    merged[name] = { shape: weight.shape, data: mergedWeight(weight.data, weight.shape, a, b, scaling, module) };
  }
  return merged;
}

/** Pairs lora_A / lora_B tensors by module path; a lone factor is an error naming it. */
export function adapterPairs(adapter: Map<string, NamedTensor>): Map<string, { a: NamedTensor; b: NamedTensor }> {
  const parts = new Map<string, { a?: NamedTensor; b?: NamedTensor }>();
  for (const [key, tensor] of adapter) {
    const parsed = parsePeftKey(key);
    if (!parsed) continue;
    const entry = parts.get(parsed.modulePath) ?? {};
    if (parsed.which === 'A') entry.a = tensor;
    else entry.b = tensor;
    parts.set(parsed.modulePath, entry);
  }
  const pairs = new Map<string, { a: NamedTensor; b: NamedTensor }>();
  for (const [module, { a, b }] of parts) {
    if (!a || !b) throw new Error(`the adapter has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'} for '${module}'`);
    pairs.set(module, { a, b });
  }
  return pairs;
}

/** W [out, in] + scaling · B [out, r] · A [r, in], accumulated in float64. */
export function mergedWeight(w: Float32Array, shape: number[], a: NamedTensor, b: NamedTensor, scaling: number, module = 'module'): Float32Array {
  const [out, inF] = shape;
  const r = a.shape[0];
  if (a.shape[1] !== inF || b.shape[0] !== out || b.shape[1] !== r) {
    throw new Error(`LoRA shapes for '${module}' do not fit its weight [${shape}]: A [${a.shape}], B [${b.shape}]`);
  }
  const result = new Float32Array(w.length);
  const row = new Float64Array(inF);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b.data[o * r + k];
      if (bk === 0) continue;
      const aRow = k * inF;
      for (let i = 0; i < inF; i++) row[i] += bk * a.data[aRow + i];
    }
    for (let i = 0; i < inF; i++) result[o * inF + i] = w[o * inF + i] + scaling * row[i];
  }
  return result;
}
