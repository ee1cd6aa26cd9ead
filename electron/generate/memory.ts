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
 * Tokens per prefill run, largest first. Measured with `npm run bench -- decode --prefill-chunks 128,256,512`
 * (1.5B-shaped q4, 512-token prompt, 2 threads, 2-core machine at load 10-15): 14.9 / 21.1 / 32.4 tok/s, so a prefill
 * takes the largest chunk whose attention scores fit PREFILL_SCORE_BUDGET at the depth it runs at.
 */
export const PREFILL_CHUNKS = [512, 256, 128, 64] as const;

/**
 * Bytes the attention scores of one prefill chunk may take ([heads, chunk, attended] float32, briefly held twice).
 * For R1-Distill-Qwen-1.5B: chunks of 512 up to ~5k tokens of context, 256 to ~10k, 128 to ~21k, then 64; a fixed
 * chunk of 512 would hold 1.6 GB of scores at a 32k context.
 */
export const PREFILL_SCORE_BUDGET = 256 * 2 ** 20;

type ChunkShape = Pick<DecoderShape, 'heads' | 'vocabSize'>;

const scoreBytes = (shape: ChunkShape, chunk: number, attended: number) => 2 * 4 * shape.heads * chunk * attended;

/** The prefill chunk for a run that starts with `held` tokens already in the cache (both decoders use this). */
export function prefillChunkAt(shape: ChunkShape, held: number): number {
  return PREFILL_CHUNKS.find((chunk) => scoreBytes(shape, chunk, held + chunk) <= PREFILL_SCORE_BUDGET) ?? PREFILL_CHUNKS[PREFILL_CHUNKS.length - 1];
}

/**
 * The most a prefill chunk holds at once anywhere in a context of `contextLength` tokens: float32 logits
 * [chunk, vocab] (every row: older graphs compute them all) and the attention scores, each briefly held twice.
 * Each chunk size is at its worst at the deepest start it is chosen for.
 */
export function prefillActivationBytes(shape: ChunkShape, contextLength: number): number {
  let worst = 0;
  for (let held = 0; held < contextLength; ) {
    const chunk = Math.min(prefillChunkAt(shape, held), contextLength - held);
    const deepest = deepestStart(shape, chunk, held, contextLength);
    const attended = Math.min(deepest + chunk, contextLength);
    worst = Math.max(worst, 2 * 4 * chunk * shape.vocabSize + scoreBytes(shape, chunk, attended));
    held = deepest + chunk;
  }
  return worst;
}

/** The last start (from `held`, below the context) at which the prefill still picks `chunk`. */
function deepestStart(shape: ChunkShape, chunk: number, held: number, contextLength: number): number {
  if (chunk !== prefillChunkAt(shape, held)) return held; // a chunk cut short by the end of the context
  let low = held;
  let high = contextLength - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (prefillChunkAt(shape, mid) === chunk) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** ORT's own arena, the tokenizer and fragmentation: measured loads came within this margin. */
const RUNTIME_OVERHEAD = 1.1;

export function kvCacheBytes(shape: DecoderShape, contextLength: number, bytesPerElement: number): number {
  // key and value, per layer: [1, kvHeads, context, headDim]
  return 2 * shape.layers * shape.kvHeads * contextLength * shape.headDim * bytesPerElement;
}

export function estimateMemory(shape: DecoderShape, weightsBytes: number, contextLength: number, kvBytesPerElement: number, availableBytes: number): MemoryEstimate {
  const kv = kvCacheBytes(shape, contextLength, kvBytesPerElement);
  const activation = prefillActivationBytes(shape, contextLength);
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
