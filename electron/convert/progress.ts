// Progress of a conversion: tensors and source bytes done out of the totals, with an ETA from the average rate.
// Its shape is the engine contract's ConvertProgress (the `convert` method streams it).
import type { ConvertProgress } from '../contract/engine';

export type { ConvertProgress };

export type ProgressListener = (progress: ConvertProgress) => void;

export class ProgressTracker {
  private tensorsDone = 0;
  private bytesDone = 0;
  private started = Date.now();
  private lastEmit = 0;

  constructor(
    private phase: ConvertProgress['phase'],
    private tensorsTotal: number,
    private bytesTotal: number,
    private readonly listener?: ProgressListener,
    private readonly minIntervalMs = 200,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** Start a new phase with its own totals (ETA restarts). */
  restart(phase: ConvertProgress['phase'], tensorsTotal: number, bytesTotal: number): void {
    Object.assign(this, { phase, tensorsTotal, bytesTotal, tensorsDone: 0, bytesDone: 0, started: this.now(), lastEmit: 0 });
    this.emit(true);
  }

  addBytes(n: number): void {
    this.bytesDone += n;
    this.emit(false);
  }

  tensorDone(): void {
    this.tensorsDone++;
    this.emit(this.tensorsDone === this.tensorsTotal);
  }

  snapshot(): ConvertProgress {
    const elapsedMs = this.now() - this.started;
    const fraction = this.bytesTotal > 0 ? Math.min(1, this.bytesDone / this.bytesTotal) : this.tensorsTotal > 0 ? this.tensorsDone / this.tensorsTotal : 1;
    // Below 1% (or 1 s) the rate is mostly start-up noise: no ETA rather than a wild one.
    const etaMs = fraction >= 0.01 && elapsedMs >= 1000 ? Math.round((elapsedMs * (1 - fraction)) / fraction) : undefined;
    return {
      phase: this.phase,
      tensorsDone: this.tensorsDone,
      tensorsTotal: this.tensorsTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      fraction,
      elapsedMs,
      etaMs,
    };
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const t = this.now();
    if (!force && t - this.lastEmit < this.minIntervalMs) return;
    this.lastEmit = t;
    this.listener(this.snapshot());
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
