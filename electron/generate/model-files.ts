/**
 * A model folder in transformers.js layout (what the app's converter writes and what the hub's ONNX exports use):
 * config.json, generation_config.json (optional), tokenizer.json, tokenizer_config.json, onnx/model{suffix}.onnx and its
 * external-data files. This module inspects and validates such a folder without loading any weights: every problem is
 * reported as an error that names the file and says what to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { ModelConfig } from '../model/config';

/** transformers.js file-name suffix per dtype. */
export const DTYPE_SUFFIX: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** Preferred order when the caller does not name a dtype: small and fast first on CPU, float16 first on GPUs. */
const CPU_DTYPE_ORDER = ['q4', 'q8', 'int8', 'uint8', 'bnb4', 'fp32', 'q4f16', 'fp16'];
const GPU_DTYPE_ORDER = ['q4f16', 'fp16', 'q4', 'fp32', 'q8', 'int8', 'uint8', 'bnb4'];

export class ModelFolderError extends Error {
  readonly code = 'model_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'ModelFolderError';
  }
}

export interface DecoderShape {
  arch: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
}

export interface OnnxVariant {
  dtype: string;
  onnxPath: string;
  /** The .onnx file plus every external-data file it references. */
  files: string[];
  bytes: number;
  /** The graph's output names (read when the folder is validated). */
  outputs?: string[];
}

export interface ModelFolderInfo {
  dir: string;
  name: string;
  shape: DecoderShape;
  eosIds: number[];
  variants: OnnxVariant[];
}

function readJson(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new ModelFolderError(`${what} is missing: ${file}. Re-convert or re-download the model.`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ModelFolderError(`${file} is not valid JSON (${(err as Error).message}). The file is corrupt: re-convert or re-download the model.`);
  }
}

function positiveInt(config: Record<string, unknown>, key: string, file: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ModelFolderError(`${file}: "${key}" must be a positive integer (found ${JSON.stringify(value)}).`);
  }
  return value;
}

/** The decoder shape of a parsed checkpoint config (the fit verdicts, the fine-tune's own decoding graph). */
export function decoderShapeOf(config: ModelConfig): DecoderShape {
  return {
    arch: config.modelType, layers: config.numLayers, heads: config.numHeads, kvHeads: config.numKvHeads, headDim: config.headDim,
    vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings,
  };
}

export function readDecoderShape(dir: string): DecoderShape {
  const file = path.join(dir, 'config.json');
  const config = readJson(file, 'config.json');
  const heads = positiveInt(config, 'num_attention_heads', file);
  const hidden = positiveInt(config, 'hidden_size', file);
  const headDim = typeof config.head_dim === 'number' ? config.head_dim : hidden / heads;
  return {
    arch: String(config.model_type ?? 'unknown'),
    layers: positiveInt(config, 'num_hidden_layers', file),
    heads,
    kvHeads: typeof config.num_key_value_heads === 'number' ? config.num_key_value_heads : heads,
    headDim,
    vocabSize: positiveInt(config, 'vocab_size', file),
    maxPositions: typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 131072,
  };
}

/** eos ids: generation_config.json first (the 70B lists several), then config.json. */
export function readEosIds(dir: string): number[] {
  const fromFile = (name: string): number[] => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return [];
    const eos = readJson(file, name).eos_token_id;
    if (typeof eos === 'number') return [eos];
    if (Array.isArray(eos)) return eos.filter((x): x is number => typeof x === 'number');
    return [];
  };
  const ids = fromFile('generation_config.json');
  return ids.length > 0 ? ids : fromFile('config.json');
}

/** Where an initializer's bytes live when they are outside the .onnx file (undefined: they are inside it). */
export function externalDataOf(init: onnxProto.onnx.ITensorProto, onnxPath: string): { location: string; offset: number; length: number } | undefined {
  if (init.dataLocation !== onnxProto.onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const entries = new Map((init.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new ModelFolderError(`${onnxPath}: weight "${init.name}" has external data without a location.`);
  return { location, offset: Number(entries.get('offset') ?? 0), length: Number(entries.get('length') ?? 0) };
}

/**
 * Reads the external-data references of an .onnx file and checks each against the files on disk; returns them with
 * the graph's output names.
 */
export function checkExternalData(onnxPath: string): { files: string[]; outputs: string[] } {
  let model: ReturnType<typeof onnxProto.onnx.ModelProto.decode>;
  try {
    model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath));
  } catch (err) {
    throw new ModelFolderError(`${onnxPath} is not a readable ONNX model (${(err as Error).message}). Re-convert the model.`);
  }
  const outputs = (model.graph?.output ?? []).map((o) => o.name ?? '');
  const dir = path.dirname(onnxPath);
  const needed = new Map<string, number>(); // file → highest byte referenced
  for (const init of model.graph?.initializer ?? []) {
    const external = externalDataOf(init, onnxPath);
    if (external) needed.set(external.location, Math.max(needed.get(external.location) ?? 0, external.offset + external.length));
  }
  const files: string[] = [];
  for (const [location, end] of needed) {
    const file = path.resolve(dir, location);
    if (path.relative(dir, file).startsWith('..')) {
      throw new ModelFolderError(`${onnxPath} points outside its folder (${location}); refusing to load it.`);
    }
    if (!fs.existsSync(file)) throw new ModelFolderError(`Weight file missing: ${file} (referenced by ${path.basename(onnxPath)}). Re-convert or re-download the model.`);
    const size = fs.statSync(file).size;
    if (size < end) {
      throw new ModelFolderError(`Weight file truncated: ${file} has ${size} bytes but ${path.basename(onnxPath)} needs ${end}. Re-convert or re-download the model.`);
    }
    files.push(file);
  }
  return { files, outputs };
}

/** A growing graph's present.* outputs (none for the external-cache graph): what WebGPU can keep on the GPU. */
export function presentOutputs(variant: OnnxVariant): string[] {
  return (variant.outputs ?? []).filter((name) => name.startsWith('present.'));
}

export function listVariants(dir: string, validate: boolean): OnnxVariant[] {
  const onnxDir = path.join(dir, 'onnx');
  if (!fs.existsSync(onnxDir)) throw new ModelFolderError(`No onnx/ folder in ${dir}: a model folder needs onnx/model.onnx (convert the checkpoint first).`);
  const variants: OnnxVariant[] = [];
  for (const [dtype, suffix] of Object.entries(DTYPE_SUFFIX)) {
    const onnxPath = path.join(onnxDir, `model${suffix}.onnx`);
    if (!fs.existsSync(onnxPath)) continue;
    const checked = validate ? checkExternalData(onnxPath) : undefined;
    const files = [onnxPath, ...(checked?.files ?? [])];
    variants.push({ dtype, onnxPath, files, bytes: files.reduce((sum, f) => sum + fs.statSync(f).size, 0), outputs: checked?.outputs });
  }
  if (variants.length === 0) throw new ModelFolderError(`No model*.onnx in ${onnxDir}. Convert the checkpoint first (distillery convert).`);
  return variants;
}


/** Validates a model folder (config, tokenizer, ONNX files, external data sizes) and describes it. */
export function inspectModelFolder(dir: string, options: { validate?: boolean } = {}): ModelFolderInfo {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    throw new ModelFolderError(`Model folder not found: ${resolved}.`);
  }
  const shape = readDecoderShape(resolved);
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) readJson(path.join(resolved, name), name);
  return {
    dir: resolved,
    name: path.basename(resolved),
    shape,
    eosIds: readEosIds(resolved),
    variants: listVariants(resolved, options.validate ?? true),
  };
}

export function pickVariant(info: ModelFolderInfo, dtype: string | undefined, gpu: boolean): OnnxVariant {
  if (dtype) {
    const hit = info.variants.find((v) => v.dtype === dtype);
    if (!hit) {
      const have = info.variants.map((v) => v.dtype).join(', ');
      throw new ModelFolderError(`Model "${info.name}" has no ${dtype} weights (it has: ${have}). Pick one of those or convert to ${dtype}.`);
    }
    return hit;
  }
  const order = gpu ? GPU_DTYPE_ORDER : CPU_DTYPE_ORDER;
  return [...info.variants].sort((a, b) => order.indexOf(a.dtype) - order.indexOf(b.dtype))[0];
}
