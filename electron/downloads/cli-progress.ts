// Download progress for a terminal: one bar rewritten in place on a TTY, a line per 10 % otherwise (logs, CI).
import { formatBytes } from '../contract/units';
import { formatDuration } from '../convert/progress';
import type { DownloadProgress } from './progress';

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function describeDownload(p: Pick<DownloadProgress, 'bytesDone' | 'bytesTotal' | 'bytesPerSecond' | 'etaSeconds' | 'files'>): string {
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
  const filesDone = p.files.filter((f) => f.state === 'done' || f.state === 'cached').length;
  const parts = [`${String(Math.floor(fraction * 100)).padStart(3)}%`, `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`];
  if (p.bytesPerSecond > 0) parts.push(`${formatBytes(p.bytesPerSecond)}/s`);
  if (p.etaSeconds !== undefined && fraction < 1) parts.push(`ETA ${formatDuration(p.etaSeconds * 1000)}`);
  parts.push(`${filesDone}/${p.files.length} files`);
  return parts.join('  ');
}

export function downloadProgressPrinter(stream: NodeJS.WriteStream = process.stderr): { update(p: Parameters<typeof describeDownload>[0]): void; line(text: string): void } {
  let lastDecile = -1;
  let open = false;
  return {
    update(p) {
      const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
      if (stream.isTTY) {
        stream.write(`\r${bar(fraction)} ${describeDownload(p)}\x1b[K`);
        open = true;
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${describeDownload(p)}\n`);
    },
    line(text) {
      if (open) stream.write('\n');
      open = false;
      stream.write(`${text}\n`);
    },
  };
}
