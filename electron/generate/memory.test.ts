import { describe, expect, it } from 'vitest';
import { PREFILL_CHUNKS, PREFILL_SCORE_BUDGET, prefillActivationBytes, prefillChunkAt } from './memory';
import { forwardInChunks } from './ort-decoder';

// R1-Distill-Qwen-1.5B: 12 query heads, 151,936 tokens
const qwen15 = { heads: 12, vocabSize: 151936 };

describe('prefill chunk', () => {
  it('takes 512 near the start and smaller chunks deeper, at the depths the 256 MiB score budget gives', () => {
    // 2 · 4 B · 12 heads · chunk · (held + chunk) ≤ 256 MiB, worked out by hand
    expect(prefillChunkAt(qwen15, 0)).toBe(512);
    expect(prefillChunkAt(qwen15, 4949)).toBe(512);
    expect(prefillChunkAt(qwen15, 4950)).toBe(256);
    expect(prefillChunkAt(qwen15, 10666)).toBe(256);
    expect(prefillChunkAt(qwen15, 10667)).toBe(128);
    expect(prefillChunkAt(qwen15, 21717)).toBe(128);
    expect(prefillChunkAt(qwen15, 21718)).toBe(64);
    expect(prefillChunkAt(qwen15, 131072)).toBe(64); // the smallest, whatever the depth
  });

  it('keeps the scores within the budget wherever a smaller chunk was possible', () => {
    for (let held = 0; held < 40000; held += 97) {
      const chunk = prefillChunkAt(qwen15, held);
      if (chunk !== PREFILL_CHUNKS[PREFILL_CHUNKS.length - 1]) expect(8 * qwen15.heads * chunk * (held + chunk)).toBeLessThanOrEqual(PREFILL_SCORE_BUDGET);
    }
  });

  it('forwardInChunks runs the prompt in the chunks the depth calls for, and the context check comes first', async () => {
    const sizes: number[] = [];
    const run = (held: number, count: number) =>
      forwardInChunks(Array(count).fill(1), { held, contextLength: 32768, chunkAt: (h) => prefillChunkAt(qwen15, h) }, async (ids) => {
        sizes.push(ids.length);
        return new Float32Array(1);
      });
    await run(0, 1200);
    expect(sizes).toEqual([512, 512, 176]);
    sizes.length = 0;
    await run(4900, 1000); // 512 from 4,900; 256 from 5,412
    expect(sizes).toEqual([512, 256, 232]);
    sizes.length = 0;
    await expect(run(32000, 1000)).rejects.toThrow(/context is full/);
    expect(sizes).toEqual([]);
  });
});

describe('prefill activation estimate', () => {
  /** Every possible start of a chunk, tried one by one: the independent reference. */
  function bruteForce(shape: typeof qwen15, contextLength: number): number {
    let worst = 0;
    for (let held = 0; held < contextLength; held++) {
      const chunk = Math.min(prefillChunkAt(shape, held), contextLength - held);
      worst = Math.max(worst, 8 * chunk * shape.vocabSize + 8 * shape.heads * chunk * (held + chunk));
    }
    return worst;
  }

  it.each([100, 4096, 12000, 32768])('is the worst chunk anywhere in a %i-token context', (context) => {
    expect(prefillActivationBytes(qwen15, context)).toBe(bruteForce(qwen15, context));
  });

  it('bounds a 32k context below what a fixed chunk of 256 held (logits + scores)', () => {
    const fixed256 = 8 * 256 * (qwen15.vocabSize + qwen15.heads * 32768);
    expect(prefillActivationBytes(qwen15, 32768)).toBeLessThan(fixed256);
    // and it still counts 512 rows of logits, since older graphs compute every row
    expect(prefillActivationBytes(qwen15, 32768)).toBeGreaterThanOrEqual(8 * 512 * qwen15.vocabSize);
  });

  it('agrees with trying every start on a small model too', () => {
    const tiny = { heads: 2, vocabSize: 1000 };
    expect(prefillActivationBytes(tiny, 64)).toBe(bruteForce(tiny, 64));
  });
});
