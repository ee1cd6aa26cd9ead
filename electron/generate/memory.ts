/**
 * Will a model fit? Weights (the files' sizes: ORT holds them in memory), the KV cache at the chosen context, and
 * the largest activations of a prefill chunk (logits and attention scores), against the memory the OS can give.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { MemoryEstimate } from '../contract/generation';
import { formatBytes } from '../contract/units';
import type { DecoderShape } from './model-files';

export type { MemoryEstimate };

/**
 * Tokens per prefill run, for both decoders and both memory estimates (load and fit). Measured with
 * `npm run bench -- decode --prefill-chunks 128,256,512` (1.5B-shaped q4, 512-token prompt, 2 threads, 2-core machine
 * at load 10-15): 14.9 / 21.1 / 32.4 tok/s. 512 is faster but doubles the attention scores a chunk holds at long
 * contexts (estimateMemory: +1.1 GB for 1.5B at 32k), which changes what the fit advice recommends; until the
 * estimate is reworked for the external-cache graph, 256 stays.
 */
export const PREFILL_CHUNK = 256;

/** ORT's own arena, the tokenizer and fragmentation: measured loads came within this margin. */
const RUNTIME_OVERHEAD = 1.1;

export function kvCacheBytes(shape: DecoderShape, contextLength: number, bytesPerElement: number): number {
  // key and value, per layer: [1, kvHeads, context, headDim]
  return 2 * shape.layers * shape.kvHeads * contextLength * shape.headDim * bytesPerElement;
}

export function estimateMemory(
  shape: DecoderShape,
  weightsBytes: number,
  contextLength: number,
  kvBytesPerElement: number,
  prefillChunk: number,
  availableBytes: number,
): MemoryEstimate {
  const kv = kvCacheBytes(shape, contextLength, kvBytesPerElement);
  // float32 logits [chunk, vocab] and attention scores [heads, chunk, context], each briefly held twice
  const activation = 2 * 4 * prefillChunk * (shape.vocabSize + shape.heads * contextLength);
  const total = Math.round((weightsBytes + kv + activation) * RUNTIME_OVERHEAD);
  return {
    weightsBytes,
    kvCacheBytes: kv,
    activationBytes: activation,
    totalBytes: total,
    availableBytes,
    fits: total <= availableBytes,
  };
}

/** Memory the OS can hand out now: MemAvailable on Linux (free + reclaimable cache), os.freemem() elsewhere. */
export function availableMemoryBytes(): number {
  if (process.platform === 'linux') {
    try {
      const match = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
      if (match) return Number(match[1]) * 1024;
    } catch {
      // fall through to freemem
    }
  }
  return os.freemem();
}

export function refusalMessage(name: string, estimate: MemoryEstimate, contextLength: number): string {
  return (
    `Not enough memory to load "${name}": it needs about ${formatBytes(estimate.totalBytes)} ` +
    `(weights ${formatBytes(estimate.weightsBytes)}, KV cache for ${contextLength} tokens ${formatBytes(estimate.kvCacheBytes)}) ` +
    `but only ${formatBytes(estimate.availableBytes)} is free. Unload another model, pick a smaller or more quantized ` +
    `variant (q4), or load with a shorter context.`
  );
}
