/**
 * When streamed pieces reach the screen. Each update of a streaming reply costs a render of the chat and a layout of
 * the page, and on a 2-core machine that CPU comes out of the model's: measured on a 4,000-token thought (a loaded
 * machine), the page spent about 17 ms of script and 7 ms of layout per update at one update per engine batch (25 a
 * second), and the browser used twice the CPU of the engine. So pieces are applied at most once a frame AND at most every STREAM_FLUSH_MS
 * (10 updates a second reads as smooth typing), and only while something is pending.
 */

/** The shortest time between two updates of a streaming reply. */
export const STREAM_FLUSH_MS = 100;
/** Where frames are not painted (a hidden or occluded tab pauses requestAnimationFrame), pieces are still applied this often. */
export const HIDDEN_FLUSH_MS = 250;

export interface PacedFlush {
  /** Something is pending: flush it before the next paint, but not sooner than STREAM_FLUSH_MS after the last flush. */
  schedule(): void;
  cancel(): void;
}

const canPaint = () => typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && document.visibilityState === 'visible';

/**
 * Runs `flush` just before a paint, at most once a frame and at most every `minIntervalMs`. A hidden or occluded page
 * may get no animation frames at all, so a timer always stands by: whichever comes first flushes (the text must be
 * current when the page shows, and a stalled frame must never stall the stream).
 */
export function pacedFlush(flush: () => void, minIntervalMs = STREAM_FLUSH_MS, clock: () => number = () => Date.now()): PacedFlush {
  let frame: number | undefined;
  let delay: ReturnType<typeof setTimeout> | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  let lastFlush = -Infinity;

  const cancel = () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(delay);
    clearTimeout(fallback);
    frame = delay = fallback = undefined;
  };
  const run = () => {
    cancel();
    lastFlush = clock();
    flush();
  };
  const beforePaint = () => {
    delay = undefined;
    if (canPaint()) frame = requestAnimationFrame(run);
    fallback = setTimeout(run, HIDDEN_FLUSH_MS);
  };

  return {
    schedule() {
      if (frame !== undefined || delay !== undefined || fallback !== undefined) return;
      const wait = lastFlush + minIntervalMs - clock();
      if (wait > 0) delay = setTimeout(beforePaint, wait);
      else beforePaint();
    },
    cancel,
  };
}
