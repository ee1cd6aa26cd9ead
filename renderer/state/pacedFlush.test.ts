import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HIDDEN_FLUSH_MS, pacedFlush, STREAM_FLUSH_MS } from './pacedFlush';

const FRAME_MS = 16;

/** A page painting every 16 ms (or not at all when hidden); time is the fake clock's. */
function page(visibility: 'visible' | 'hidden') {
  vi.stubGlobal('document', { visibilityState: visibility });
  vi.stubGlobal('requestAnimationFrame', (callback: (time: number) => void) => setTimeout(() => callback(Date.now()), FRAME_MS) as unknown as number);
  vi.stubGlobal('cancelAnimationFrame', (handle: number) => clearTimeout(handle));
}

/** Streams `deltas` pieces `everyMs` apart through a paced flush; returns how many flushes ran and what each applied. */
function stream(deltas: number, everyMs: number) {
  let pending = 0;
  const applied: number[] = [];
  const paced = pacedFlush(() => {
    applied.push(pending);
    pending = 0;
  });
  for (let i = 0; i < deltas; i++) {
    pending++;
    paced.schedule();
    vi.advanceTimersByTime(everyMs);
  }
  vi.advanceTimersByTime(HIDDEN_FLUSH_MS + STREAM_FLUSH_MS);
  return { applied, pending, total: applied.reduce((a, b) => a + b, 0) };
}

describe('pacedFlush', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('applies 1,000 pieces (one per engine batch, 25 a second) in at most one update per STREAM_FLUSH_MS, losing none', () => {
    page('visible');
    const { applied, pending, total } = stream(1000, 40);
    // 40 s of streaming: one update per 40 ms piece would be 1,000; paced, at most 40,000 / 100 (+ the last one).
    expect(applied.length).toBeLessThanOrEqual((1000 * 40) / STREAM_FLUSH_MS + 1);
    // …but the text keeps flowing: about every 120 ms (the interval, then the next frame).
    expect(applied.length).toBeGreaterThan((1000 * 40) / (STREAM_FLUSH_MS + 2 * FRAME_MS + 40));
    expect(total).toBe(1000);
    expect(pending).toBe(0);
  });

  it('never flushes twice within STREAM_FLUSH_MS however fast pieces come', () => {
    page('visible');
    const at: number[] = [];
    const paced = pacedFlush(() => at.push(Date.now()));
    for (let i = 0; i < 2000; i++) {
      paced.schedule();
      vi.advanceTimersByTime(1);
    }
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(at.length).toBeGreaterThan(10);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(STREAM_FLUSH_MS);
  });

  it('flushes the first piece of a stream without waiting for the interval', () => {
    page('visible');
    let flushed = 0;
    pacedFlush(() => flushed++).schedule();
    vi.advanceTimersByTime(FRAME_MS);
    expect(flushed).toBe(1);
  });

  it('still applies pieces on a hidden page (no animation frames), on the stand-by timer', () => {
    page('hidden');
    const { applied, total } = stream(100, 40);
    expect(total).toBe(100);
    expect(applied.length).toBeLessThanOrEqual((100 * 40) / HIDDEN_FLUSH_MS + 2);
  });

  it('does nothing while nothing is pending, and nothing after cancel', () => {
    page('visible');
    let flushed = 0;
    const paced = pacedFlush(() => flushed++);
    vi.advanceTimersByTime(1000);
    expect(flushed).toBe(0);
    paced.schedule();
    paced.cancel();
    vi.advanceTimersByTime(1000);
    expect(flushed).toBe(0);
  });
});
