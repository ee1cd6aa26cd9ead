/**
 * Download progress: bytes per file and in all, speed over the last few seconds (the average since the start would
 * lag after a pause or a stall), and the time left at that speed.
 */
export interface FileProgress {
  path: string;
  size: number;
  done: number;
  state: 'waiting' | 'downloading' | 'verifying' | 'done' | 'cached';
}

export interface DownloadProgress {
  repo: string;
  files: FileProgress[];
  bytesDone: number;
  bytesTotal: number;
  /** Bytes fetched in this run (not those found on disk), for "resumed at". */
  bytesThisRun: number;
  bytesPerSecond: number;
  etaSeconds?: number;
}

const WINDOW_MS = 5000;

export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];
  constructor(private readonly now: () => number = Date.now) {}

  add(bytes: number): void {
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > 1 && at - this.samples[0].at > WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second over the window; 0 until there are two samples. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const span = this.now() - this.samples[0].at;
    if (span <= 0) return 0;
    const bytes = this.samples.slice(1).reduce((sum, s) => sum + s.bytes, 0);
    return (bytes * 1000) / span;
  }
}

export function etaSeconds(remaining: number, bytesPerSecond: number): number | undefined {
  return bytesPerSecond > 0 ? remaining / bytesPerSecond : undefined;
}
