/**
 * The KV cache that ONNX Runtime writes in place (the converter's fused graph): one buffer per layer and kind, allocated
 * once at the loaded context length, bound as both the past input and the present output of GroupQueryAttention.
 *
 * ORT sees a view of `capacity` positions, not the whole buffer, because onnxruntime-node returns every fetched output
 * as a fresh copy: the presents come back to JavaScript each step whatever ORT did in place. With the whole buffer
 * bound, every step copied (and left for the garbage collector) the cache at the loaded context length, 32,768 tokens
 * by default: 1.9 GB per step for R1-Distill-Qwen-1.5B even on the first token. The view grows in steps of a quarter
 * of its size, so the copy stays within 1.25× of the tokens actually cached.
 *
 * A view of C positions is laid out [kvHeads, C, headDim]: when C grows, each head's rows move to their new offset
 * (within the same buffer, once per growth step: amortised, a few rows per token).
 */
import * as ort from 'onnxruntime-node';

export type KvType = 'float32' | 'float16';

/** The smallest view: below it the copy is negligible next to the rest of a step. */
export const MIN_CAPACITY = 256;

/** Positions of the view that holds `total` tokens: `total` rounded up to a quarter of its power of two, at most `max`. */
export function capacityFor(total: number, max: number, min = MIN_CAPACITY): number {
  const floor = Math.max(total, min);
  const step = Math.max(1, 2 ** (Math.floor(Math.log2(floor)) - 2));
  return Math.min(max, Math.ceil(floor / step) * step);
}

export class SharedKvCache {
  private readonly buffers = new Map<string, Float32Array | Uint16Array>();
  private views = new Map<string, ort.Tensor>();
  /** Positions in the current view (0: none built yet). */
  private capacityNow = 0;

  constructor(
    names: readonly string[],
    private readonly kvType: KvType,
    private readonly kvHeads: number,
    private readonly headDim: number,
    /** The loaded context length: the most positions a view can have. */
    readonly maxLength: number,
    private readonly minCapacity = MIN_CAPACITY,
  ) {
    const elements = kvHeads * maxLength * headDim;
    for (const name of names) this.buffers.set(name, kvType === 'float16' ? new Uint16Array(elements) : new Float32Array(elements));
  }

  get capacity(): number {
    return this.capacityNow;
  }

  /** Bytes allocated for the cache (the whole loaded context, whatever the view). */
  get bytes(): number {
    let total = 0;
    for (const buffer of this.buffers.values()) total += buffer.byteLength;
    return total;
  }

  /**
   * Past tensors (by input name) with room for `total` positions, keeping the first `used` positions of each head.
   * The same tensors are bound as the presents: GroupQueryAttention then writes the new positions into them.
   */
  tensors(total: number, used: number): ReadonlyMap<string, ort.Tensor> {
    if (this.buffers.size === 0) throw new Error('KV cache: used after its model was unloaded.');
    if (total > this.maxLength) throw new Error(`KV cache: ${total} positions do not fit its ${this.maxLength}.`);
    if (total <= this.capacityNow) return this.views;
    const capacity = capacityFor(total, this.maxLength, this.minCapacity);
    this.views = new Map();
    for (const [name, buffer] of this.buffers) {
      if (this.capacityNow > 0) this.spread(buffer, this.capacityNow, capacity, used);
      const view = buffer.subarray(0, this.kvHeads * capacity * this.headDim);
      this.views.set(name, new ort.Tensor(this.kvType, view, [1, this.kvHeads, capacity, this.headDim]));
    }
    this.capacityNow = capacity;
    return this.views;
  }

  /** Forgets the layout: the next view starts small again (what it held is overwritten, never read). */
  reset(): void {
    this.capacityNow = 0;
    this.views = new Map();
  }

  /** Drops the buffers (the model is being unloaded). */
  release(): void {
    this.reset();
    this.buffers.clear();
  }

  /** Moves each head's first `used` rows from a [heads, from, d] layout to [heads, to, d]; the last head goes first. */
  private spread(buffer: Float32Array | Uint16Array, from: number, to: number, used: number): void {
    const d = this.headDim;
    for (let head = this.kvHeads - 1; head > 0; head--) buffer.copyWithin(head * to * d, head * from * d, (head * from + used) * d);
  }
}
