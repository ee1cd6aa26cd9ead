/**
 * Reads a model's token-embedding bytes once when it loads on the CPU, so that a token's first appearance in a reply is
 * not a disk read inside a decode step. ONNX Runtime maps external data and reads the embedding table a row at a time
 * as tokens first appear; prepacking has already read every matrix while the session was created, so after a reboot
 * the embedding is the one large part still on disk (467 MB of the 1.5B's 1.3 GB). Measured on a VM disk: the
 * embedding `Gather` took 6.6 ms a decode step with its pages out of the page cache, 0.04 ms with them in. llama.cpp
 * asks the kernel to read its whole file ahead for the same reason. The bytes are dropped; the page cache keeps them.
 */
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { externalDataOf } from './model-files';

const CHUNK_BYTES = 4 * 1024 * 1024;
/** A graph file this large holds its weights inline: the session read them all, and decoding it again would be slow. */
const INLINE_WEIGHTS_BYTES = 64 * 1024 * 1024;
const EMBEDDING_OPS = new Set(['Gather', 'GatherBlockQuantized']);

export interface ByteRange {
  file: string;
  offset: number;
  length: number;
}

/** The external-data ranges of the tensors the graph gathers `input_ids` from (table, and scales when quantized). */
export function embeddingRanges(onnxPath: string): ByteRange[] {
  if (fs.statSync(onnxPath).size > INLINE_WEIGHTS_BYTES) return [];
  const graph = onnxProto.onnx.ModelProto.decode(fs.readFileSync(onnxPath)).graph;
  const gather = graph?.node?.find((node) => EMBEDDING_OPS.has(node.opType ?? '') && node.input?.[1] === 'input_ids');
  if (!graph || !gather) return [];
  const inputs = new Set(gather.input ?? []);
  return (graph.initializer ?? []).flatMap((init) => {
    const external = inputs.has(init.name ?? '') ? externalDataOf(init, onnxPath) : undefined;
    return external ? [{ file: path.join(path.dirname(onnxPath), external.location), offset: external.offset, length: external.length }] : [];
  });
}

/** Reads `ranges` start to end in chunks; returns the bytes read. */
export async function readRanges(ranges: ByteRange[]): Promise<number> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let bytes = 0;
  for (const range of ranges) {
    const handle = await fs.promises.open(range.file, 'r');
    try {
      for (let done = 0; done < range.length; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, range.length - done), range.offset + done);
        if (bytesRead === 0) break; // a short file is the loader's to report, not this optimisation's
        done += bytesRead;
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return bytes;
}

/** Best effort: a model whose embedding cannot be read ahead still loads and runs (ORT reads the rows itself). */
export async function readEmbeddingAhead(onnxPath: string): Promise<number> {
  try {
    return await readRanges(embeddingRanges(onnxPath));
  } catch {
    return 0;
  }
}
