// distillery.json: what a converted folder is, so the app never has to guess (dtype, file, quantization, source).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Manifest, type SourceFile } from '../contract/convert';

export const MANIFEST_FILE = 'distillery.json';
export const MANIFEST_FORMAT_VERSION = 1;
/** Bumped whenever the converter's output for the same input changes. */
/**
 * 1.1: the fused decoder (GroupQueryAttention, fused norms, packed projections, last-position lm_head).
 * 1.2: the KV cache stays in the engine's buffers (graph 'fused-xkv-v1'); `portable` keeps the 1.1 graph.
 * 1.2.1: the same inputs and outputs, attention scores computed as K·qᵀ (faster deep in the context; a patch, so
 * 1.2.0 folders are not offered a re-conversion for it).
 * 1.3: the cached values held transposed in blocks of 256 rows (graph 'fused-xkv-v2', xkv-attention.ts); the engine
 * reads either layout from the folder.
 * 1.4: a prefill chunk's attention can run GroupQueryAttention over the cached rows (graph 'fused-xkv-v3': an `If`
 * per layer picks it when more than one token is new and the engine feeds `fused_prefill` true, which it does on the
 * CPU): a prompt's chunks 3–12% faster there, decode unchanged. 1.3 folders are not offered a re-conversion for it.
 */
export const CONVERTER_VERSION = '1.4.0';

// The manifest's schema is part of the contract: the engine's `convert` answers with it (electron/contract/engine.ts).
export { Manifest, ModelDtype, QuantizationInfo, SourceFile } from '../contract/convert';

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
): Promise<SourceFile[]> {
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
