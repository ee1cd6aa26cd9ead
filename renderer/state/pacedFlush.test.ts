import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HIDDEN_FLUSH_MS, MAX_FLUSH_MS, pacedFlush, STREAM_FLUSH_MS, WORK_SHARE } from './pacedFlush';

const FRAME_MS = 16;

/**
 * A page painting every 16 ms (or not at all when hidden); time is the fake clock's. `busyMs`: how long the work of an
 * update holds up the frame after it (0: updates are free).
 */
function page(visibility: 'visible' | 'hidden', work = { busyMs: 0, updated: false }) {
  vi.stubGlobal('document', { visibilityState: visibility });
  vi.stubGlobal('requestAnimationFrame', (callback: (time: number) => void) => {
    const late = work.updated ? work.busyMs : 0;
    work.updated = false;
    return setTimeout(() => callback(Date.now()), FRAME_MS + late) as unknown as number;
  });
  vi.stubGlobal('cancelAnimationFrame', (handle: number) => clearTimeout(handle));
  return work;
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

  it('updates less often while updates are slow (a fifth of the time goes to the page), and recovers when they are not', () => {
    const work = page('visible', { busyMs: 60, updated: false });
    const at: number[] = [];
    const paced = pacedFlush(() => {
      at.push(Date.now());
      work.updated = true;
    });
    const run = (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        paced.schedule();
        vi.advanceTimersByTime(10);
      }
    };
    run(10_000);
    const gaps = (from: number) => at.slice(from + 1).map((t, i) => t - at[from + i]);
    // each update holds the next frame up by ~60 ms: the interval settles near 5 × 60 ms
    const slow = gaps(at.length - 10);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(WORK_SHARE * 60 * 0.9);
    expect(Math.max(...slow)).toBeLessThanOrEqual(MAX_FLUSH_MS + 2 * FRAME_MS + 10);
    expect(paced.intervalMs()).toBeGreaterThan(STREAM_FLUSH_MS);

    work.busyMs = 0;
    const before = at.length;
    run(10_000);
    expect(Math.max(...gaps(at.length - 10))).toBeLessThan(STREAM_FLUSH_MS + 2 * FRAME_MS + 10);
    expect(at.length - before).toBeGreaterThan(50);
  });

  it('never waits longer than MAX_FLUSH_MS, however slow an update is', () => {
    const work = page('visible', { busyMs: 2000, updated: false });
    const paced = pacedFlush(() => (work.updated = true));
    for (let i = 0; i < 200; i++) {
      paced.schedule();
      vi.advanceTimersByTime(50);
    }
    expect(paced.intervalMs()).toBe(MAX_FLUSH_MS);
  });
});
