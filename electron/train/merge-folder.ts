/**
 * Writes trained weights back as a model: LoRA merged into the base (W + scaling·B·A) or full fine-tuned weights,
 * first as a Hugging Face folder (sharded safetensors; untouched tensors copied byte for byte, one shard in memory
 * at a time), then converted by the converter (fp32/fp16/q4/q4f16, with its manifest) into a folder the app runs. `distillery_derived.json` records
 * the base and the adapter so the registry can list the result as derived from its base.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadModelConfig, validateWeightShapes } from '../model/config';
import { convertCheckpoint, type ConvertResult } from '../convert/convert';
import { SafetensorsCheckpoint, type SafetensorsInput, writeSafetensors } from '../model/safetensors';
import { loraScaling, readAdapter } from './adapter';
import { adapterPairs, mergedWeight } from './merge';

const SHARD_BYTES = 1 << 30;

/** Replacement values for some tensors (Hugging Face layout); everything else is copied from the base. */
export type TensorOverride = (name: string, shape: number[]) => Float32Array | undefined;

/** Writes a Hugging Face folder: the base's config/tokenizer files and its weights with `override` applied. */
export function writeDerivedCheckpoint(baseFolder: string, outFolder: string, override: TensorOverride): void {
  const base = SafetensorsCheckpoint.open(baseFolder);
  mkdirSync(outFolder, { recursive: true });
  for (const file of readdirSync(baseFolder)) {
    if ((file.endsWith('.json') && file !== 'model.safetensors.index.json') || file === 'chat_template.jinja') {
      copyFileSync(join(baseFolder, file), join(outFolder, file));
    }
  }
  const weightMap: Record<string, string> = {};
  let shard: Record<string, SafetensorsInput> = {};
  let shardBytes = 0;
  const flush = (index: number) => {
    const name = `model-${String(index + 1).padStart(5, '0')}.safetensors`;
    writeSafetensors(join(outFolder, name), shard, { format: 'pt' });
    for (const key of Object.keys(shard)) weightMap[key] = name;
    shard = {};
    shardBytes = 0;
  };
  let written = 0;
  for (const name of base.names()) {
    const entry = base.get(name);
    const replaced = override(name, entry.shape);
    const tensor: SafetensorsInput = replaced
      ? { dtype: 'F32', shape: entry.shape, data: replaced }
      : { dtype: entry.dtype, shape: entry.shape, data: typedView(entry.readBytes(), entry.dtype) };
    shard[name] = tensor;
    shardBytes += tensor.data.byteLength;
    if (shardBytes >= SHARD_BYTES) flush(written++);
  }
  if (Object.keys(shard).length) flush(written++);
  writeFileSync(join(outFolder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
}

export interface MergeOptions {
  dtype?: string; // the converter's dtypes: fp32 (default), fp16, q4, q4f16
  signal?: AbortSignal;
}

/** Merges a PEFT adapter into its base model and converts the result into `outFolder`. */
export async function mergeAdapterIntoModel(baseFolder: string, adapterDir: string, outFolder: string, options: MergeOptions = {}): Promise<ConvertResult> {
  const { config: adapterConfig, tensors } = readAdapter(adapterDir);
  const scaling = loraScaling({ rank: adapterConfig.r, alpha: adapterConfig.lora_alpha, useRslora: adapterConfig.use_rslora });
  const pairs = adapterPairs(tensors);
  const base = SafetensorsCheckpoint.open(baseFolder);
  for (const module of pairs.keys()) {
    if (!base.has(`${module}.weight`)) throw new Error(`${adapterDir} adapts '${module}', which ${baseFolder} does not have: is this adapter for another model?`);
  }
  const override: TensorOverride = (name, shape) => {
    const pair = name.endsWith('.weight') ? pairs.get(name.slice(0, -'.weight'.length)) : undefined;
    return pair ? mergedWeight(base.get(name).readFloat32(), shape, pair.a, pair.b, scaling, name) : undefined;
  };
  const result = await exportDerived(baseFolder, outFolder, override, options);
  writeDerivedInfo(outFolder, { base: resolve(baseFolder), dtype: options.dtype ?? 'fp32', adapter: resolve(adapterDir), method: 'lora-merge', r: adapterConfig.r, lora_alpha: adapterConfig.lora_alpha, scaling, target_modules: adapterConfig.target_modules });
  return result;
}

/** Full fine-tuning result (trained tensors named as in the training graph: linears [in, out]) as a model folder. */
export async function exportFullFineTune(baseFolder: string, trained: Map<string, { shape: number[]; data: Float32Array }>, outFolder: string, options: MergeOptions = {}): Promise<ConvertResult> {
  const override: TensorOverride = (name, shape) => {
    const t = trained.get(name);
    if (!t) return undefined;
    // projections are graph initializers laid out [in, out] (MatMul); Hugging Face stores them [out, in]
    const isLinear = /(_proj|^lm_head)\.weight$/.test(name);
    if (isLinear && !(t.shape[0] === shape[1] && t.shape[1] === shape[0])) throw new Error(`trained '${name}' has shape [${t.shape}], expected [${shape[1]}, ${shape[0]}]`);
    return isLinear ? transpose(t.data, t.shape[0], t.shape[1]) : t.data;
  };
  const result = await exportDerived(baseFolder, outFolder, override, options);
  writeDerivedInfo(outFolder, { base: resolve(baseFolder), dtype: options.dtype ?? 'fp32', method: 'full-fine-tune' });
  return result;
}

async function exportDerived(baseFolder: string, outFolder: string, override: TensorOverride, options: MergeOptions): Promise<ConvertResult> {
  const config = loadModelConfig(baseFolder);
  const parent = dirname(resolve(outFolder));
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, `.${basename(outFolder)}-merge-`));
  try {
    writeDerivedCheckpoint(baseFolder, staging, override);
    const merged = SafetensorsCheckpoint.open(staging);
    validateWeightShapes(config, merged.names(), (n) => merged.get(n).shape, staging);
    return await convertCheckpoint(staging, outFolder, { dtype: options.dtype ?? 'fp32', signal: options.signal });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Raw little-endian bytes as the typed array writeSafetensors expects for `dtype` (copied byte for byte). */
function typedView(bytes: Uint8Array, dtype: SafetensorsInput['dtype']): SafetensorsInput['data'] {
  const copy = bytes.slice(); // aligned at offset 0
  switch (dtype) {
    case 'F32': return new Float32Array(copy.buffer);
    case 'F64': return new Float64Array(copy.buffer);
    case 'F16': case 'BF16': return new Uint16Array(copy.buffer);
    case 'I64': return new BigInt64Array(copy.buffer);
    case 'I32': return new Int32Array(copy.buffer);
    case 'I16': return new Int16Array(copy.buffer);
    case 'I8': return new Int8Array(copy.buffer);
    default: return copy;
  }
}

function writeDerivedInfo(outFolder: string, info: Record<string, unknown>): void {
  writeFileSync(join(outFolder, 'distillery_derived.json'), `${JSON.stringify({ ...info, created: new Date().toISOString() }, null, 2)}\n`);
}

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

