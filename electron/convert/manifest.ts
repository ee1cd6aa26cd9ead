// distillery.json: what a converted folder is, so the app never has to guess (dtype, file, quantization, source).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'distillery.json';
export const MANIFEST_FORMAT_VERSION = 1;
/** Bumped whenever the converter's output for the same input changes. */
/**
 * 1.1: the fused decoder (GroupQueryAttention, fused norms, packed projections, last-position lm_head).
 * 1.2: the KV cache stays in the engine's buffers (graph 'fused-xkv-v1'); `portable` keeps the 1.1 graph.
 */
export const CONVERTER_VERSION = '1.2.0';

export const ModelDtype = z.enum(['fp32', 'fp16', 'q4', 'q4f16']);
export type ModelDtype = z.infer<typeof ModelDtype>;

export const QuantizationInfo = z.object({
  method: z.literal('MatMulNBits'),
  bits: z.literal(4),
  blockSize: z.number().int(),
  symmetric: z.boolean(),
  accuracyLevel: z.number().int().min(0).max(4),
  /** How the token embedding is stored: quantized with GatherBlockQuantized, or float. */
  embeddings: z.enum(['q4', 'fp16', 'fp32']),
  lmHead: z.enum(['q4', 'fp16', 'fp32']),
});
export type QuantizationInfo = z.infer<typeof QuantizationInfo>;

export const SourceFile = z.object({ name: z.string(), bytes: z.number().int(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type SourceFile = z.infer<typeof SourceFile>;

export const Manifest = z.object({
  format: z.literal('distillery-model'),
  formatVersion: z.number().int(),
  converter: z.object({ name: z.literal('distillery-convert'), version: z.string() }),
  createdAt: z.string(),
  dtype: ModelDtype,
  /** Path of the ONNX file inside the folder, as transformers.js names it (onnx/model_q4.onnx, …). */
  modelFile: z.string(),
  architecture: z.string(),
  source: z.object({ folder: z.string(), files: z.array(SourceFile) }),
  quantization: QuantizationInfo.nullable(),
  /** Float weights written as float16: how many values left float16's range (saturated to ±65504) or became ±0. */
  fp16: z.object({ overflow: z.literal('saturate'), overflowed: z.number().int(), flushedToZero: z.number().int() }).nullable(),
  outputBytes: z.number().int(),
  /** The decoder graph's layout (absent: the standard graph of converter 1.0, which concatenates its KV cache). */
  graph: z.string().optional(),
});
export type Manifest = z.infer<typeof Manifest>;

/** sha256 of a file, streamed (never loads the file). `onBytes` reports progress. */
export async function sha256File(file: string, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 4 * 1024 * 1024, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    onBytes?.(chunk.length);
  }
  return hash.digest('hex');
}

/** Size and checksum of each source file (relative names), in the given order. */
export async function describeSourceFiles(
  folder: string,
  names: string[],
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<z.infer<typeof SourceFile>[]> {
  const files = [];
  for (const name of names) {
    const path = join(folder, name);
    const { size } = await stat(path);
    files.push({ name, bytes: size, sha256: await sha256File(path, onBytes, signal) });
  }
  return files;
}

export async function writeManifest(folder: string, manifest: Manifest): Promise<void> {
  await writeFile(join(folder, MANIFEST_FILE), JSON.stringify(Manifest.parse(manifest), null, 2) + '\n');
}

/** Read and validate a folder's manifest; a clear error when it is missing or malformed. */
export async function readManifest(folder: string): Promise<Manifest> {
  const path = join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${folder} has no ${MANIFEST_FILE}: it was not converted by Distillery (convert it with \`distillery convert\`).`);
  }
  const parsed = Manifest.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new Error(`${path} is corrupt (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}). Convert the model again.`);
  }
  if (parsed.data.formatVersion > MANIFEST_FORMAT_VERSION) {
    throw new Error(`${path} has format version ${parsed.data.formatVersion}, newer than this Distillery understands (${MANIFEST_FORMAT_VERSION}). Update Distillery.`);
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
