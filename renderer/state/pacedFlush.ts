/**
 * When streamed pieces reach the screen. Each update of a streaming reply costs a render of the chat and a layout of
 * the page, and on a 2-core machine that CPU comes out of the model's: measured on a 4,000-token thought (a loaded
 * machine), the page spent about 17 ms of script and 7 ms of layout per update at one update per engine batch (25 a
 * second), and the browser used twice the CPU of the engine. So pieces are applied at most once a frame AND at most
 * every STREAM_FLUSH_MS (10 updates a second reads as smooth typing), and only while something is pending.
 *
 * Where an update costs more than that budget allows (a slow or busy machine, a long reply), the interval grows with
 * it: the next frame after an update comes late by about what the update cost, and the interval is kept at
 * WORK_SHARE times that (smoothed), up to MAX_FLUSH_MS. The page then takes about a fifth of the time between updates,
 * however slow each one is, and the model keeps the rest.
 */

/** The shortest time between two updates of a streaming reply. */
export const STREAM_FLUSH_MS = 100;
/** The longest: a reply never updates less often than twice a second. */
export const MAX_FLUSH_MS = 500;
/** The interval is at least this many times the measured cost of an update. */
export const WORK_SHARE = 5;
const FRAME_MS = 1000 / 60;
/** Weight of the newest cost in the smoothed one: one slow frame (a GC, a neighbour) does not halve the pace. */
const SMOOTHING = 0.3;
/** Where frames are not painted (a hidden or occluded tab pauses requestAnimationFrame), pieces are still applied this often. */
export const HIDDEN_FLUSH_MS = 250;

export interface PacedFlush {
  /** Something is pending: flush it before the next paint, but not sooner than the interval after the last flush. */
  schedule(): void;
  cancel(): void;
  /** The current shortest time between two updates (STREAM_FLUSH_MS unless updates have been slow). */
  intervalMs(): number;
}

const canPaint = () => typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && document.visibilityState === 'visible';

/**
 * Runs `flush` just before a paint, at most once a frame and at most every `minIntervalMs` (longer while updates are
 * slow). A hidden page may get no animation frames at all, so a timer always stands by: whichever comes first flushes
 * (the text must be current when the page shows, and a stalled frame must never stall the stream).
 */
export function pacedFlush(flush: () => void, minIntervalMs = STREAM_FLUSH_MS, clock: () => number = () => Date.now()): PacedFlush {
  let frame: number | undefined;
  let delay: ReturnType<typeof setTimeout> | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  let measure: number | undefined;
  let lastFlush = -Infinity;
  let cost = 0;
  let intervalMs = minIntervalMs;

  const cancelFlush = () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(delay);
    clearTimeout(fallback);
    frame = delay = fallback = undefined;
  };
  const cancel = () => {
    cancelFlush();
    if (measure !== undefined) cancelAnimationFrame(measure);
    measure = undefined;
  };
  /** The frame after an update: how late it came is what the update cost (render, layout, and any wait for the CPU). */
  const measureCost = (flushedAt: number) => {
    if (measure !== undefined) return; // the frame after the last update has not come yet: that one is measured
    measure = requestAnimationFrame(() => {
      measure = undefined;
      cost = (1 - SMOOTHING) * cost + SMOOTHING * Math.max(0, clock() - flushedAt - FRAME_MS);
      intervalMs = Math.min(MAX_FLUSH_MS, Math.max(minIntervalMs, WORK_SHARE * cost));
    });
  };
  const run = () => {
    cancelFlush();
    lastFlush = clock();
    flush();
    if (canPaint()) measureCost(lastFlush);
  };
  const beforePaint = () => {
    delay = undefined;
    if (canPaint()) frame = requestAnimationFrame(run);
    fallback = setTimeout(run, HIDDEN_FLUSH_MS);
  };

  return {
    schedule() {
      if (frame !== undefined || delay !== undefined || fallback !== undefined) return;
      const wait = lastFlush + intervalMs - clock();
      if (wait > 0) delay = setTimeout(beforePaint, wait);
      else beforePaint();
    },
    cancel,
    intervalMs: () => intervalMs,
  };
}
